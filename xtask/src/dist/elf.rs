//! Reading just enough of an ELF header (32- or 64-bit, little-endian) to tell
//! the machine, whether the executable is static: no `PT_INTERP` (no dynamic
//! loader) and no `PT_DYNAMIC` (no dynamic section, as a static-PIE would
//! have), and whether it is stripped (no `SHT_SYMTAB` symbol table).

use std::fmt;

const PT_DYNAMIC: u32 = 2;
const PT_INTERP: u32 = 3;
const SHT_SYMTAB: u32 = 2;

/// Why a file is not a static executable for the expected machine.
#[derive(Debug, PartialEq, Eq)]
pub(crate) struct NotStatic(String);

impl fmt::Display for NotStatic {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// Where the header fields this module reads are, by ELF class.
struct Layout {
    /// `e_phoff` and `e_shoff`: offset and width (4 or 8 bytes).
    phoff: usize,
    shoff: usize,
    word: usize,
    /// `e_phentsize`, `e_phnum`, `e_shentsize`, `e_shnum`.
    phentsize: usize,
    phnum: usize,
    shentsize: usize,
    shnum: usize,
}

const ELF32: Layout = Layout {
    phoff: 0x1c,
    shoff: 0x20,
    word: 4,
    phentsize: 0x2a,
    phnum: 0x2c,
    shentsize: 0x2e,
    shnum: 0x30,
};

const ELF64: Layout = Layout {
    phoff: 0x20,
    shoff: 0x28,
    word: 8,
    phentsize: 0x36,
    phnum: 0x38,
    shentsize: 0x3a,
    shnum: 0x3c,
};

/// Little-endian reads that fail with a message rather than panic.
struct Reader<'a>(&'a [u8]);

impl Reader<'_> {
    fn uint(&self, at: usize, width: usize) -> Result<usize, NotStatic> {
        let bytes = self
            .0
            .get(at..at + width)
            .ok_or_else(|| NotStatic("truncated ELF file".to_owned()))?;
        let value = bytes
            .iter()
            .rev()
            .fold(0u64, |value, &byte| value << 8 | u64::from(byte));
        usize::try_from(value).map_err(|_| NotStatic("ELF offset out of range".to_owned()))
    }

    /// The `u32` type field at the start (program headers) or at byte 4
    /// (section headers) of each of `count` entries of `size` bytes at `table`.
    fn types(
        &self,
        table: usize,
        size: usize,
        count: usize,
        field: usize,
    ) -> Result<Vec<u32>, NotStatic> {
        (0..count)
            .map(|index| {
                self.uint(table + index * size + field, 4)
                    .map(|kind| u32::try_from(kind).unwrap_or(u32::MAX))
            })
            .collect()
    }
}

/// Checks that `elf` is a little-endian ELF executable for `machine` with
/// neither a `PT_INTERP` nor a `PT_DYNAMIC` program header, and stripped.
pub(crate) fn check_static(elf: &[u8], machine: u16) -> Result<(), NotStatic> {
    let fail = |why: &str| NotStatic(why.to_owned());
    if elf.get(..4) != Some(b"\x7fELF") {
        return Err(fail("not an ELF file"));
    }
    let layout = match elf.get(4..6) {
        Some([1, 1]) => ELF32,
        Some([2, 1]) => ELF64,
        _ => return Err(fail("not a little-endian ELF file")),
    };
    let read = Reader(elf);
    let found = read.uint(0x12, 2)?;
    if found != usize::from(machine) {
        return Err(NotStatic(format!(
            "ELF machine {found}, expected {machine}"
        )));
    }
    // The type of each entry of a header table, from the offset, entry size
    // and count fields of the ELF header.
    let table = |offset: usize, size: usize, count: usize, type_field: usize| {
        read.types(
            read.uint(offset, layout.word)?,
            read.uint(size, 2)?,
            read.uint(count, 2)?,
            type_field,
        )
    };
    let programs = table(layout.phoff, layout.phentsize, layout.phnum, 0)?;
    if programs.contains(&PT_INTERP) {
        return Err(fail("dynamically linked: it has a PT_INTERP header"));
    }
    if programs.contains(&PT_DYNAMIC) {
        return Err(fail("it has a PT_DYNAMIC header (a dynamic section)"));
    }
    let sections = table(layout.shoff, layout.shentsize, layout.shnum, 4)?;
    if sections.contains(&SHT_SYMTAB) {
        return Err(fail("not stripped: it has a symbol table (SHT_SYMTAB)"));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The machine this test runs on, as ELF spells it.
    fn host_machine() -> u16 {
        match std::env::consts::ARCH {
            "x86_64" => 62,
            "aarch64" => 183,
            other => panic!("no ELF machine number known for {other}"),
        }
    }

    #[test]
    fn a_dynamically_linked_executable_is_refused() {
        // This test binary: the host target, linked against the system C library.
        let elf = std::fs::read(std::env::current_exe().expect("test binary path"))
            .expect("read the test binary");
        let error = check_static(&elf, host_machine()).expect_err("the test binary is dynamic");
        assert!(
            error.0.contains("PT_INTERP") || error.0.contains("PT_DYNAMIC"),
            "{error}"
        );
    }

    #[test]
    fn the_wrong_machine_is_refused() {
        let elf = std::fs::read(std::env::current_exe().expect("test binary path"))
            .expect("read the test binary");
        let error = check_static(&elf, 0xffff).expect_err("no machine is 0xffff");
        assert!(error.0.contains("expected 65535"), "{error}");
    }

    #[test]
    fn a_static_header_passes_and_garbage_is_refused() {
        // A minimal ELF64 header with one PT_LOAD program header right after it.
        let mut elf = vec![0u8; 64 + 56];
        elf[..6].copy_from_slice(b"\x7fELF\x02\x01");
        elf[0x12..0x14].copy_from_slice(&183u16.to_le_bytes());
        elf[0x20..0x28].copy_from_slice(&64u64.to_le_bytes());
        elf[0x36..0x38].copy_from_slice(&56u16.to_le_bytes());
        elf[0x38..0x3a].copy_from_slice(&1u16.to_le_bytes());
        elf[64..68].copy_from_slice(&1u32.to_le_bytes());
        assert_eq!(check_static(&elf, 183), Ok(()));
        elf[64..68].copy_from_slice(&PT_DYNAMIC.to_le_bytes());
        assert!(check_static(&elf, 183).is_err());
        elf[4] = 3;
        assert!(check_static(&elf, 183).is_err(), "an unknown ELF class");
        assert!(check_static(b"#!/bin/sh\n", 183).is_err());
        assert!(check_static(&elf[..40], 183).is_err());
    }

    #[test]
    fn a_32_bit_header_is_read_and_a_symbol_table_is_refused() {
        // ELF32: header (52 bytes), one PT_LOAD (32 bytes), one SHT_SYMTAB section header (40 bytes).
        let mut elf = vec![0u8; 52 + 32 + 40];
        elf[..6].copy_from_slice(b"\x7fELF\x01\x01");
        elf[0x12..0x14].copy_from_slice(&3u16.to_le_bytes());
        elf[0x1c..0x20].copy_from_slice(&52u32.to_le_bytes());
        elf[0x2a..0x2c].copy_from_slice(&32u16.to_le_bytes());
        elf[0x2c..0x2e].copy_from_slice(&1u16.to_le_bytes());
        elf[52..56].copy_from_slice(&1u32.to_le_bytes());
        assert_eq!(check_static(&elf, 3), Ok(()));
        assert!(check_static(&elf, 62).is_err(), "the wrong machine");
        elf[0x20..0x24].copy_from_slice(&84u32.to_le_bytes());
        elf[0x2e..0x30].copy_from_slice(&40u16.to_le_bytes());
        elf[0x30..0x32].copy_from_slice(&1u16.to_le_bytes());
        elf[88..92].copy_from_slice(&SHT_SYMTAB.to_le_bytes());
        let error = check_static(&elf, 3).expect_err("a symbol table");
        assert!(error.0.contains("not stripped"), "{error}");
    }
}
