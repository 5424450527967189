//! Feature `file`: passes while a heartbeat file was modified within a duration.
//!
//! A worker loop touches the file on each turn; the check fails once the loop
//! has stalled for longer than allowed. That suits liveness for a process whose
//! only job is the loop, so the group is yours to choose (default readiness).
//!
//! Failure reasons: `/run/worker.heartbeat last modified 45.2s ago, more than 30s`,
//! `/run/worker.heartbeat: No such file or directory (os error 2)`.

use std::path::PathBuf;
use std::time::{Duration, SystemTime};

use super::{Common, common_builder};
use grpc_health_checks::Check;

/// A check on how recently a file was modified.
///
/// ```
/// use std::time::Duration;
/// use grpc_health_checks::Group;
/// use grpc_health_contrib::file::FileCheck;
///
/// let check = FileCheck::new("/run/worker.heartbeat", Duration::from_secs(30))
///     .into_check()
///     .group(Group::Liveness);
/// # let _ = check;
/// ```
#[derive(Clone, Debug)]
pub struct FileCheck {
    path: PathBuf,
    max_age: Duration,
    common: Common,
}

impl FileCheck {
    /// Passes while `path` was modified less than `max_age` ago.
    pub fn new(path: impl Into<PathBuf>, max_age: Duration) -> Self {
        Self {
            path: path.into(),
            max_age,
            common: Common::default(),
        }
    }

    /// The [`Check`], in [`Group::Readiness`](grpc_health_checks::Group::Readiness); move it
    /// with [`Check::group`].
    pub fn into_check(self) -> Check {
        let default_name = format!("file {}", self.path.display());
        let (path, max_age) = (self.path, self.max_age);
        let check = move || {
            let shown = path.display();
            let modified = std::fs::metadata(&path)
                .and_then(|meta| meta.modified())
                .map_err(|error| format!("{shown}: {error}"))?;
            judge(modified, SystemTime::now(), max_age)
                .map_err(|age| format!("{shown} last modified {age:?} ago, more than {max_age:?}"))
        };
        self.common
            .finish(default_name, |name| Check::new(name, check))
    }
}

common_builder!(FileCheck, "file <path>");

/// `Err(age)` (to the millisecond) when `modified` is more than `max_age`
/// before `now`; a time in the future (clock skew) counts as fresh.
fn judge(modified: SystemTime, now: SystemTime, max_age: Duration) -> Result<(), Duration> {
    match now.duration_since(modified) {
        Ok(age) if age > max_age => Err(Duration::from_millis(
            u64::try_from(age.as_millis()).unwrap_or(u64::MAX),
        )),
        _ => Ok(()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn age_is_compared_with_the_limit() {
        let now = SystemTime::UNIX_EPOCH + Duration::from_secs(1000);
        let limit = Duration::from_secs(30);
        assert_eq!(judge(now - Duration::from_secs(10), now, limit), Ok(()));
        assert_eq!(
            judge(now - Duration::from_micros(45_200_300), now, limit),
            Err(Duration::from_millis(45_200))
        );
        assert_eq!(judge(now + Duration::from_secs(5), now, limit), Ok(()));
    }
}
