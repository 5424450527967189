//! Reading just enough of an ELF64 little-endian header to tell the machine
//! and whether the executable is static: no `PT_INTERP` (no dynamic loader)
//! and no `PT_DYNAMIC` (no dynamic section, as a static-PIE would have).

use std::fmt;

const PT_DYNAMIC: u32 = 2;
const PT_INTERP: u32 = 3;

/// Why a file is not a static executable for the expected machine.
#[derive(Debug, PartialEq, Eq)]
pub(crate) struct NotStatic(String);

impl fmt::Display for NotStatic {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// Checks that `elf` is an ELF64 little-endian executable for `machine` with
/// neither a `PT_INTERP` nor a `PT_DYNAMIC` program header.
pub(crate) fn check_static(elf: &[u8], machine: u16) -> Result<(), NotStatic> {
    let fail = |why: &str| NotStatic(why.to_owned());
    if elf.get(..4) != Some(b"\x7fELF") {
        return Err(fail("not an ELF file"));
    }
    if elf.get(4..6) != Some(&[2, 1]) {
        return Err(fail("not a 64-bit little-endian ELF file"));
    }
    let u16_at = |at: usize| {
        elf.get(at..at + 2)
            .map(|b| u16::from_le_bytes([b[0], b[1]]))
            .ok_or_else(|| fail("truncated ELF header"))
    };
    let found = u16_at(0x12)?;
    if found != machine {
        return Err(NotStatic(format!(
            "ELF machine {found}, expected {machine}"
        )));
    }
    let phoff = elf
        .get(0x20..0x28)
        .and_then(|b| b.try_into().ok())
        .map(u64::from_le_bytes)
        .and_then(|offset| usize::try_from(offset).ok())
        .ok_or_else(|| fail("truncated ELF header"))?;
    let (entry_size, count) = (usize::from(u16_at(0x36)?), usize::from(u16_at(0x38)?));
    for index in 0..count {
        let at = phoff + index * entry_size;
        let kind = elf
            .get(at..at + 4)
            .and_then(|b| b.try_into().ok())
            .map(u32::from_le_bytes)
            .ok_or_else(|| fail("truncated program headers"))?;
        match kind {
            PT_INTERP => return Err(fail("dynamically linked: it has a PT_INTERP header")),
            PT_DYNAMIC => return Err(fail("it has a PT_DYNAMIC header (a dynamic section)")),
            _ => {}
        }
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
        assert!(check_static(b"#!/bin/sh\n", 183).is_err());
        assert!(check_static(&elf[..40], 183).is_err());
    }
}
