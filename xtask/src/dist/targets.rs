//! The architectures of the probe, as ONE table: the musl Linux targets
//! grpc-health-probe also serves, each either built (with what building it
//! needs on a Debian x86_64 host and how that host runs it) or missing, with
//! the reason.

use crate::packages::Program;

/// Flags that make the executable fully static: musl links its C library in
/// (`+crt-static`, the musl default, stated anyway) and a non-PIE executable
/// needs no dynamic section to relocate itself (a static-PIE has one).
const STATIC_RUSTFLAGS: &str = "-C target-feature=+crt-static -C relocation-model=static";

/// The ceiling on each probe's size in bytes, the bench's `probe_size_bytes`
/// goal: it is copied into every pod.
pub(crate) const MAX_PROBE_BYTES: u64 = 2_600_000;

/// A target the probe is released for.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Target {
    /// The Rust target triple, also the suffix of the file in `dist/`.
    pub(crate) triple: &'static str,
    /// The OCI platform's architecture (`GOARCH` spelling) of its image.
    pub(crate) oci_arch: &'static str,
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

/// An architecture grpc-health-probe ships a Linux binary for.
#[derive(Debug, Clone, Copy)]
pub(crate) enum Architecture {
    /// Built, checked and released.
    Built(Target),
    /// Not built: the Rust target and why it is missing.
    Missing {
        /// The Rust target triple it would have.
        triple: &'static str,
        /// Why it is not built, for the build log and the README.
        why: &'static str,
    },
}

/// Static x86_64 Linux, built with Debian's musl-gcc.
pub(crate) const X86_64: Target = Target {
    triple: "x86_64-unknown-linux-musl",
    oci_arch: "amd64",
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
    oci_arch: "arm64",
    elf_machine: 183,
    compiler: Program::new("aarch64-linux-gnu-gcc", "gcc-aarch64-linux-gnu"),
    compiler_links: true,
    extras: &[Program::new(
        "/usr/aarch64-linux-gnu/include/stdint.h",
        "libc6-dev-arm64-cross",
    )],
    runner: Some(Program::new("qemu-aarch64-static", "qemu-user-static")),
};

/// Static i686 Linux (grpc-health-probe's `386`), cross-compiled like
/// aarch64 and run under qemu, so the check does not depend on the host
/// kernel's 32-bit support.
pub(crate) const I686: Target = Target {
    triple: "i686-unknown-linux-musl",
    oci_arch: "386",
    elf_machine: 3,
    compiler: Program::new("i686-linux-gnu-gcc", "gcc-i686-linux-gnu"),
    compiler_links: true,
    extras: &[Program::new(
        "/usr/i686-linux-gnu/include/stdint.h",
        "libc6-dev-i386-cross",
    )],
    runner: Some(Program::new("qemu-i386-static", "qemu-user-static")),
};

/// Why the missing ones are missing: rustup's download server answers 404
/// for their standard library at the pinned toolchain, and building it from
/// source (`-Zbuild-std`) needs a nightly with `rust-src`, which is not
/// installed either.
const NO_RUST_STD: &str = "rustup cannot fetch its standard library here (`rustup target add` \
                           gets HTTP 404), and -Zbuild-std needs nightly rust-src";

/// Every Linux architecture grpc-health-probe releases, built or not.
pub(crate) const ARCHITECTURES: [Architecture; 8] = [
    Architecture::Built(X86_64),
    Architecture::Built(AARCH64),
    Architecture::Built(I686),
    // grpc-health-probe's armv6; armv7 would serve most 32-bit ARM boards.
    Architecture::Missing {
        triple: "arm-unknown-linux-musleabihf",
        why: NO_RUST_STD,
    },
    Architecture::Missing {
        triple: "armv7-unknown-linux-musleabihf",
        why: NO_RUST_STD,
    },
    Architecture::Missing {
        triple: "riscv64gc-unknown-linux-musl",
        why: NO_RUST_STD,
    },
    Architecture::Missing {
        triple: "powerpc64le-unknown-linux-musl",
        why: NO_RUST_STD,
    },
    Architecture::Missing {
        triple: "s390x-unknown-linux-musl",
        why: NO_RUST_STD,
    },
];

/// The built targets, in table order.
pub(crate) fn built() -> Vec<Target> {
    ARCHITECTURES
        .iter()
        .filter_map(|architecture| match architecture {
            Architecture::Built(target) => Some(*target),
            Architecture::Missing { .. } => None,
        })
        .collect()
}

/// The missing architectures and why, one line each, for the build log.
pub(crate) fn missing() -> Vec<String> {
    ARCHITECTURES
        .iter()
        .filter_map(|architecture| match architecture {
            Architecture::Built(_) => None,
            Architecture::Missing { triple, why } => Some(format!("{triple}: {why}")),
        })
        .collect()
}

impl Target {
    /// What building and running it needs from Debian.
    pub(crate) fn programs(&self) -> Vec<Program> {
        let mut programs = vec![self.compiler];
        programs.extend_from_slice(self.extras);
        programs.extend(self.runner);
        programs
    }

    /// The environment for cargo: this target's C compiler, linker, static
    /// flags and `rustflags` (the path remapping). Target-scoped, so host
    /// builds (build scripts) are untouched.
    pub(crate) fn cargo_env(&self, rustflags: &str) -> Vec<(String, String)> {
        let upper = self.triple.to_uppercase().replace('-', "_");
        let mut env = vec![
            (
                format!("CC_{}", self.triple.replace('-', "_")),
                self.compiler.name.to_owned(),
            ),
            (
                format!("CARGO_TARGET_{upper}_RUSTFLAGS"),
                format!("{STATIC_RUSTFLAGS} {rustflags}"),
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
    fn the_table_builds_three_and_says_why_the_others_are_missing() {
        let built: Vec<&str> = built().iter().map(|target| target.triple).collect();
        assert_eq!(built, [X86_64.triple, AARCH64.triple, I686.triple]);
        let missing = missing();
        assert_eq!(missing.len(), ARCHITECTURES.len() - built.len());
        assert!(
            missing.iter().all(|line| line.contains("HTTP 404")),
            "{missing:?}"
        );
    }

    #[test]
    fn cargo_env_names_the_target_in_cargo_spelling() {
        let env = AARCH64.cargo_env("--remap-path-prefix=/src=/build");
        let names: Vec<&str> = env.iter().map(|(name, _)| name.as_str()).collect();
        assert_eq!(
            names,
            [
                "CC_aarch64_unknown_linux_musl",
                "CARGO_TARGET_AARCH64_UNKNOWN_LINUX_MUSL_RUSTFLAGS",
                "CARGO_TARGET_AARCH64_UNKNOWN_LINUX_MUSL_LINKER",
            ]
        );
        assert!(env[1].1.ends_with(" --remap-path-prefix=/src=/build"));
        assert!(
            !X86_64
                .cargo_env("")
                .iter()
                .any(|(name, _)| name.ends_with("_LINKER"))
        );
    }
}
