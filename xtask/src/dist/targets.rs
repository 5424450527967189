//! The two release targets of the probe, static musl for x86_64 and aarch64,
//! and what building each one needs on a Debian x86_64 host.

use crate::packages::Program;

/// Flags that make the executable fully static: musl links its C library in
/// (`+crt-static`, the musl default, stated anyway) and a non-PIE executable
/// needs no dynamic section to relocate itself (a static-PIE has one).
const STATIC_RUSTFLAGS: &str = "-C target-feature=+crt-static -C relocation-model=static";

/// A target the probe is released for.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Target {
    /// The Rust target triple, also the suffix of the file in `dist/`.
    pub(crate) triple: &'static str,
    /// The ELF `e_machine` of its executables.
    pub(crate) elf_machine: u16,
    /// The C compiler for ring's C and assembly (and the linker where the
    /// host's `cc` cannot link for the target).
    compiler: Program,
    /// Whether `compiler` also links (the host `cc` links x86_64 musl with
    /// the C runtime objects that rustup ships for the target).
    compiler_links: bool,
    /// Other packages the compiler needs (C headers), as a file each provides.
    pub(crate) extras: &'static [Program],
    /// How an x86_64 host runs its executables: `None` natively, else the
    /// user-mode emulator.
    pub(crate) runner: Option<Program>,
}

/// Static x86_64 Linux, built with Debian's musl-gcc.
pub(crate) const X86_64: Target = Target {
    triple: "x86_64-unknown-linux-musl",
    elf_machine: 62,
    compiler: Program::new("musl-gcc", "musl-tools"),
    compiler_links: false,
    extras: &[],
    runner: None,
};

/// Static aarch64 Linux, cross-compiled with Debian's aarch64 GCC; the C
/// headers come from its glibc cross package (ring's C uses only freestanding
/// types and `mem*`, which musl links in), run here under qemu.
pub(crate) const AARCH64: Target = Target {
    triple: "aarch64-unknown-linux-musl",
    elf_machine: 183,
    compiler: Program::new("aarch64-linux-gnu-gcc", "gcc-aarch64-linux-gnu"),
    compiler_links: true,
    extras: &[Program::new(
        "/usr/aarch64-linux-gnu/include/stdint.h",
        "libc6-dev-arm64-cross",
    )],
    runner: Some(Program::new("qemu-aarch64-static", "qemu-user-static")),
};

/// Both release targets.
pub(crate) const ALL: [Target; 2] = [X86_64, AARCH64];

impl Target {
    /// What building and running it needs from Debian.
    pub(crate) fn programs(&self) -> Vec<Program> {
        let mut programs = vec![self.compiler];
        programs.extend_from_slice(self.extras);
        programs.extend(self.runner);
        programs
    }

    /// The environment for cargo: this target's C compiler, linker and static
    /// flags. Target-scoped, so host builds (build scripts) are untouched.
    pub(crate) fn cargo_env(&self) -> Vec<(String, String)> {
        let upper = self.triple.to_uppercase().replace('-', "_");
        let mut env = vec![
            (
                format!("CC_{}", self.triple.replace('-', "_")),
                self.compiler.name.to_owned(),
            ),
            (
                format!("CARGO_TARGET_{upper}_RUSTFLAGS"),
                STATIC_RUSTFLAGS.to_owned(),
            ),
        ];
        if self.compiler_links {
            env.push((
                format!("CARGO_TARGET_{upper}_LINKER"),
                self.compiler.name.to_owned(),
            ));
        }
        env
    }

    /// The file name of its probe in `dist/`.
    pub(crate) fn probe_name(&self) -> String {
        format!("grpc-probe-{}", self.triple)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cargo_env_names_the_target_in_cargo_spelling() {
        let env = AARCH64.cargo_env();
        let names: Vec<&str> = env.iter().map(|(name, _)| name.as_str()).collect();
        assert_eq!(
            names,
            [
                "CC_aarch64_unknown_linux_musl",
                "CARGO_TARGET_AARCH64_UNKNOWN_LINUX_MUSL_RUSTFLAGS",
                "CARGO_TARGET_AARCH64_UNKNOWN_LINUX_MUSL_LINKER",
            ]
        );
        assert!(
            !X86_64
                .cargo_env()
                .iter()
                .any(|(name, _)| name.ends_with("_LINKER"))
        );
    }
}
