//! Text that came from the server (`grpc-message`, service names, GOAWAY
//! debug data inside transport errors), made safe to print: control
//! characters become visible escapes (`\n`, `\x1b`, `\u{202e}`), so that a
//! server can neither drive the terminal nor forge a line such as
//! `status: SERVING`, and the text is cut after [`MAX_CHARS`] characters,
//! ending `… (N bytes cut)`.
//!
//! [`ServerText`] formats straight into the output: no copy of the server's
//! text is made, however long it is.

use std::fmt::{self, Display, Write};

/// At most this many characters of one server text are printed: enough for
/// any real status message, short enough that a log line stays a line.
pub(crate) const MAX_CHARS: usize = 256;

/// Displays server text escaped and bounded; wraps anything `Display`, so an
/// error that embeds server text (h2's GOAWAY debug data) is covered too.
#[derive(Clone, Copy, Debug)]
pub(crate) struct ServerText<T>(pub(crate) T);

impl<T: Display> Display for ServerText<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let mut out = Escaper {
            out: f,
            chars: 0,
            cut: 0,
        };
        write!(out, "{}", self.0)?;
        let cut = out.cut;
        if cut > 0 {
            write!(f, "… ({cut} bytes cut)")?;
        }
        Ok(())
    }
}

/// Writes escaped characters until [`MAX_CHARS`], then counts the bytes it drops.
struct Escaper<'a, 'b> {
    out: &'a mut fmt::Formatter<'b>,
    chars: usize,
    cut: usize,
}

impl Write for Escaper<'_, '_> {
    fn write_str(&mut self, s: &str) -> fmt::Result {
        for (at, c) in s.char_indices() {
            if self.chars == MAX_CHARS {
                self.cut += s.len() - at;
                return Ok(());
            }
            self.chars += 1;
            match c {
                '\n' => self.out.write_str("\\n")?,
                '\r' => self.out.write_str("\\r")?,
                '\t' => self.out.write_str("\\t")?,
                '\\' => self.out.write_str("\\\\")?,
                c if c.is_ascii_control() => write!(self.out, "\\x{:02x}", u32::from(c))?,
                c if is_invisible_control(c) => write!(self.out, "\\u{{{:x}}}", u32::from(c))?,
                c => self.out.write_char(c)?,
            }
        }
        Ok(())
    }
}

/// C1 controls (some terminals act on them, e.g. U+009B as CSI), and the
/// bidirectional overrides and line separators that reorder or break what a
/// reader sees.
fn is_invisible_control(c: char) -> bool {
    matches!(c, '\u{80}'..='\u{9f}' | '\u{2028}' | '\u{2029}' | '\u{202a}'..='\u{202e}' | '\u{2066}'..='\u{2069}')
}

#[cfg(test)]
mod tests {
    use proptest::prelude::*;

    use super::*;

    fn shown(text: &str) -> String {
        ServerText(text).to_string()
    }

    #[test]
    fn controls_become_visible_escapes() {
        assert_eq!(shown("plain café"), "plain café");
        assert_eq!(
            shown("x\r\n\u{1b}[31mred\u{7}\nstatus: SERVING"),
            "x\\r\\n\\x1b[31mred\\x07\\nstatus: SERVING"
        );
        assert_eq!(shown("a\\nb\u{7f}"), "a\\\\nb\\x7f");
        assert_eq!(shown("\u{9b}2J\u{202e}"), "\\u{9b}2J\\u{202e}");
    }

    #[test]
    fn long_text_is_cut_with_the_count() {
        let long = "é".repeat(MAX_CHARS + 10);
        let out = shown(&long);
        assert_eq!(
            out,
            format!("{}… (20 bytes cut)", "é".repeat(MAX_CHARS)),
            "counts bytes, cuts at characters"
        );
        assert_eq!(shown(&"a".repeat(MAX_CHARS)), "a".repeat(MAX_CHARS));
    }

    proptest! {
        // proptest's 256 cases each run in CI; PROPTEST_CASES sets more:
        // PROPTEST_CASES=100000 cargo test -p grpc-health-exec-probe server_text
        /// Whatever the server sends, one bounded line without controls comes out.
        #[test]
        fn any_text_prints_as_one_bounded_line(text in any::<String>()) {
            let out = shown(&text);
            prop_assert!(!out.chars().any(|c| c.is_control() || is_invisible_control(c)), "{out:?}");
            // Each character escapes to at most 8 (`\u{202e}`), plus the cut note.
            prop_assert!(out.chars().count() <= MAX_CHARS * 8 + 40);
        }
    }
}
