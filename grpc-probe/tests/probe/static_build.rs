//! The documented static build: `RUSTFLAGS='-C target-feature=+crt-static
//! -C relocation-model=static' cargo build --profile probe -p grpc-health-exec-probe
//! --target x86_64-unknown-linux-gnu` gives an ELF with no PT_INTERP or
//! PT_DYNAMIC header, which runs. (`+crt-static` alone gives a static-pie,
//! which still has a dynamic section for self-relocation.)

use std::path::{Path, PathBuf};

/// What the README documents for a fully static binary.
const STATIC_RUSTFLAGS: &str = "-C target-feature=+crt-static -C relocation-model=static";
const PT_DYNAMIC: u32 = 2;
const PT_INTERP: u32 = 3;

/// Program header types of an ELF64 little-endian file.
fn program_header_types(elf: &[u8]) -> Vec<u32> {
    assert_eq!(&elf[..4], b"\x7fELF", "not an ELF file");
    assert_eq!(elf[4], 2, "not ELF64");
    let u16_at = |o: usize| u16::from_le_bytes([elf[o], elf[o + 1]]) as usize;
    let phoff = u64::from_le_bytes(elf[0x20..0x28].try_into().expect("8 bytes")) as usize;
    let (phentsize, phnum) = (u16_at(0x36), u16_at(0x38));
    (0..phnum)
        .map(|i| {
            let at = phoff + i * phentsize;
            u32::from_le_bytes(elf[at..at + 4].try_into().expect("4 bytes"))
        })
        .collect()
}

/// `target` of this test build: the binary lives at `<target>/debug/grpc-probe`.
fn target_dir() -> PathBuf {
    let bin = Path::new(env!("CARGO_BIN_EXE_grpc-probe"));
    bin.ancestors().nth(2).expect("target dir").to_path_buf()
}

#[test]
fn the_dynamic_test_binary_is_detected_as_dynamic() {
    // Proves the check below can fail.
    let types = program_header_types(&std::fs::read(env!("CARGO_BIN_EXE_grpc-probe")).unwrap());
    assert!(
        types.contains(&PT_DYNAMIC) || types.contains(&PT_INTERP),
        "{types:?}"
    );
}

#[test]
fn static_build_has_no_dynamic_section() {
    if !cfg!(all(
        target_os = "linux",
        target_arch = "x86_64",
        target_env = "gnu"
    )) {
        return;
    }
    let cargo = std::env::var("CARGO").unwrap_or_else(|_| "cargo".into());
    let target = target_dir().join("static-probe");
    let status = std::process::Command::new(cargo)
        .args([
            "build",
            "--profile",
            "probe",
            "-p",
            "grpc-health-exec-probe",
            "--target",
            "x86_64-unknown-linux-gnu",
        ])
        .env("RUSTFLAGS", STATIC_RUSTFLAGS)
        .env("CARGO_TARGET_DIR", &target)
        .status()
        .unwrap();
    assert!(status.success());
    let bin = target.join("x86_64-unknown-linux-gnu/probe/grpc-probe");
    let types = program_header_types(&std::fs::read(&bin).unwrap());
    assert!(
        !types.contains(&PT_DYNAMIC) && !types.contains(&PT_INTERP),
        "dynamic ELF: {types:?}"
    );
    let out = std::process::Command::new(&bin)
        .arg("-version")
        .output()
        .unwrap();
    assert!(
        out.status.success() && String::from_utf8_lossy(&out.stdout).starts_with("grpc-probe ")
    );
}
