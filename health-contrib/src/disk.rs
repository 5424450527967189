//! Feature `disk`: passes while the file system holding a path has enough free
//! space and free inodes (as an unprivileged process sees them, via `statvfs`).
//!
//! Failure reasons: `/data has 52.4 MiB free, below 100.0 MiB`,
//! `/data has 12 free inodes, below 1000`, `statvfs /data failed: No such file or directory (os error 2)`.

use std::path::PathBuf;

use super::{Common, common_builder};
use grpc_health_checks::Check;

/// Free space below which the check fails unless set: 100 MiB.
pub const DEFAULT_MIN_FREE_BYTES: u64 = 100 * 1024 * 1024;
/// Free inodes below which the check fails unless set.
pub const DEFAULT_MIN_FREE_INODES: u64 = 1000;

/// A check on the free space and inodes under a path. It runs on the blocking
/// pool, since `statvfs` on a network file system can hang.
///
/// ```
/// use grpc_health_contrib::disk::DiskCheck;
///
/// let check = DiskCheck::new("/var/lib/app").min_free_bytes(1 << 30).into_check();
/// # let _ = check;
/// ```
#[derive(Clone, Debug)]
pub struct DiskCheck {
    path: PathBuf,
    thresholds: Thresholds,
    common: Common,
}

/// The minimums the check enforces.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
struct Thresholds {
    free_bytes: u64,
    free_inodes: u64,
}

/// What `statvfs` says is free for an unprivileged process.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
struct Free {
    bytes: u64,
    inodes: u64,
    /// Whether the file system counts inodes at all (btrfs reports none).
    has_inodes: bool,
}

impl DiskCheck {
    /// Checks the file system holding `path`, with the default minimums.
    pub fn new(path: impl Into<PathBuf>) -> Self {
        Self {
            path: path.into(),
            thresholds: Thresholds {
                free_bytes: DEFAULT_MIN_FREE_BYTES,
                free_inodes: DEFAULT_MIN_FREE_INODES,
            },
            common: Common::default(),
        }
    }

    /// Fails below `bytes` of free space (default [`DEFAULT_MIN_FREE_BYTES`]).
    #[must_use]
    pub const fn min_free_bytes(mut self, bytes: u64) -> Self {
        self.thresholds.free_bytes = bytes;
        self
    }

    /// Fails below `inodes` free inodes (default [`DEFAULT_MIN_FREE_INODES`]);
    /// ignored on file systems that do not count inodes.
    #[must_use]
    pub const fn min_free_inodes(mut self, inodes: u64) -> Self {
        self.thresholds.free_inodes = inodes;
        self
    }

    /// The [`Check`], in [`Group::Readiness`](grpc_health_checks::Group::Readiness).
    pub fn into_check(self) -> Check {
        let default_name = format!("disk {}", self.path.display());
        let (path, thresholds) = (self.path, self.thresholds);
        let check = move || {
            let shown = path.display();
            let stats = rustix::fs::statvfs(path.as_path()).map_err(|errno| {
                let error = std::io::Error::from_raw_os_error(errno.raw_os_error());
                format!("statvfs {shown} failed: {error}")
            })?;
            let free = Free {
                bytes: stats.f_bavail.saturating_mul(stats.f_frsize),
                inodes: stats.f_favail,
                has_inodes: stats.f_files > 0,
            };
            thresholds
                .judge(free)
                .map_err(|why| format!("{shown} has {why}"))
        };
        self.common
            .finish(default_name, |name| Check::new(name, check))
    }
}

common_builder!(DiskCheck, "disk <path>");

impl Thresholds {
    /// `Ok` when `free` meets both minimums, else what falls short.
    fn judge(self, free: Free) -> Result<(), String> {
        let mut short = Vec::new();
        if free.bytes < self.free_bytes {
            short.push(format!(
                "{} free, below {}",
                mebibytes(free.bytes),
                mebibytes(self.free_bytes)
            ));
        }
        if free.has_inodes && free.inodes < self.free_inodes {
            short.push(format!(
                "{} free inodes, below {}",
                free.inodes, self.free_inodes
            ));
        }
        if short.is_empty() {
            Ok(())
        } else {
            Err(short.join(" and "))
        }
    }
}

/// `bytes` in MiB with one decimal, as operators read `df -m`.
fn mebibytes(bytes: u64) -> String {
    // Precision loss above 2^53 bytes is irrelevant for one decimal.
    #[allow(clippy::cast_precision_loss)]
    let mib = bytes as f64 / (1024.0 * 1024.0);
    format!("{mib:.1} MiB")
}

#[cfg(test)]
mod tests {
    use super::*;

    const THRESHOLDS: Thresholds = Thresholds {
        free_bytes: 100 * 1024 * 1024,
        free_inodes: 1000,
    };

    #[test]
    fn both_shortfalls_are_named() {
        let free = Free {
            bytes: 1024 * 1024,
            inodes: 12,
            has_inodes: true,
        };
        assert_eq!(
            THRESHOLDS.judge(free),
            Err("1.0 MiB free, below 100.0 MiB and 12 free inodes, below 1000".to_owned())
        );
    }

    #[test]
    fn file_systems_without_inode_counts_pass_on_space() {
        let free = Free {
            bytes: u64::MAX,
            inodes: 0,
            has_inodes: false,
        };
        assert_eq!(THRESHOLDS.judge(free), Ok(()));
    }
}
