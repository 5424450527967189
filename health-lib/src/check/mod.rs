//! A named health check: the closure to run, its groups, whether it is
//! optional, its interval, timeout and thresholds.

pub(crate) mod into;
mod output;

pub use into::{IntoCheck, IntoChecks};
pub(crate) use output::CheckResult;
pub use output::{CheckOutput, error_reason};

use std::fmt;
use std::future::Future;
use std::num::NonZeroU32;
use std::sync::Arc;
use std::time::Duration;

use futures::future::BoxFuture;

use crate::Group;

/// The function a check runs, by how it is invoked.
#[derive(Clone)]
pub(crate) enum CheckFn {
    /// A plain closure; it runs on Tokio's blocking pool, so it may block.
    Blocking(Arc<dyn Fn() -> CheckResult + Send + Sync>),
    /// A closure returning a future; it runs as a task and is cancelled on timeout.
    Async(Arc<dyn Fn() -> BoxFuture<'static, CheckResult> + Send + Sync>),
}

/// One health check, built with [`Check::new`] or [`Check::new_async`] and
/// handed to [`HealthChecks::check`](crate::HealthChecks::check).
///
/// ```
/// use grpc_health_checks::{Check, Group};
///
/// let disk = Check::new("disk", || std::path::Path::new("/tmp").exists());
/// let deadlock = Check::new("deadlock", || true).group(Group::Liveness).failure_threshold(3);
/// let redis = Check::new_async("redis", || async {
///     tokio::net::TcpStream::connect("127.0.0.1:6379").await.map(drop)
/// });
/// # let _ = (disk, deadlock, redis);
/// ```
#[derive(Clone)]
pub struct Check {
    pub(crate) name: String,
    /// Never empty: [`Check::groups`] with none keeps readiness.
    pub(crate) groups: Vec<Group>,
    /// Reported but deciding no service's status.
    pub(crate) optional: bool,
    /// `None`: the builder's interval.
    pub(crate) interval: Option<Duration>,
    pub(crate) timeout: Option<Duration>,
    pub(crate) failure_threshold: NonZeroU32,
    pub(crate) success_threshold: NonZeroU32,
    /// The threshold set to 0, which [`HealthChecks::build`](crate::HealthChecks::build) refuses.
    pub(crate) zero_threshold: Option<&'static str>,
    pub(crate) function: CheckFn,
}

impl Check {
    /// A check from a plain closure returning `bool` or `Result<(), E>` (see [`CheckOutput`]).
    ///
    /// It runs on Tokio's blocking thread pool, so a closure that blocks (file
    /// system, a synchronous client) never stalls the server. A run still going
    /// when the timeout passes is not started again until it returns.
    pub fn new<F, O>(name: impl Into<String>, check: F) -> Self
    where
        F: Fn() -> O + Send + Sync + 'static,
        O: CheckOutput,
    {
        let function = CheckFn::Blocking(Arc::new(move || check().into_check_result()));
        Self::with_function(name.into(), function)
    }

    /// A check from a closure returning a future of `bool` or `Result<(), E>` (see [`CheckOutput`]).
    ///
    /// The future runs as its own task and is cancelled when it exceeds the timeout.
    pub fn new_async<F, Fut, O>(name: impl Into<String>, check: F) -> Self
    where
        F: Fn() -> Fut + Send + Sync + 'static,
        Fut: Future<Output = O> + Send + 'static,
        O: CheckOutput,
    {
        let function = CheckFn::Async(Arc::new(move || {
            let run = check();
            Box::pin(async move { run.await.into_check_result() }) as BoxFuture<'static, _>
        }));
        Self::with_function(name.into(), function)
    }

    fn with_function(name: String, function: CheckFn) -> Self {
        Self {
            name,
            groups: vec![Group::default()],
            optional: false,
            interval: None,
            timeout: None,
            failure_threshold: NonZeroU32::MIN,
            success_threshold: NonZeroU32::MIN,
            zero_threshold: None,
            function,
        }
    }

    /// Places the check in `group` alone (default: [`Group::Readiness`]).
    #[must_use]
    pub fn group(mut self, group: Group) -> Self {
        self.groups = vec![group];
        self
    }

    /// Adds `group` to the check's groups (a name converts to
    /// [`Group::named`]): `.in_group("startup")` keeps it in readiness too.
    #[must_use]
    pub fn in_group(mut self, group: impl Into<Group>) -> Self {
        let group = group.into();
        if !self.groups.contains(&group) {
            self.groups.push(group);
        }
        self
    }

    /// Places the check in exactly these groups; with none it stays where it was.
    #[must_use]
    pub fn groups<G: Into<Group>>(mut self, groups: impl IntoIterator<Item = G>) -> Self {
        let mut chosen: Vec<Group> = Vec::new();
        for group in groups.into_iter().map(Into::into) {
            if !chosen.contains(&group) {
                chosen.push(group);
            }
        }
        if !chosen.is_empty() {
            self.groups = chosen;
        }
        self
    }

    /// Makes the check optional (non-critical): it runs and is reported
    /// (snapshot, `?verbose`, JSON, metrics, listeners) as any check, and
    /// shows [`CheckStatus::Degraded`](crate::CheckStatus::Degraded) instead
    /// of failing, but never changes the status of a group or service.
    #[must_use]
    pub const fn optional(mut self) -> Self {
        self.optional = true;
        self
    }

    /// Runs this check every `interval` instead of the builder's
    /// [`interval`](crate::HealthChecks::interval): an expensive check every
    /// 30 s beside cheap ones every second. Its dependency is still called at
    /// most once per (its own) interval, and a run still going is never
    /// started again. At least 1 ms.
    #[must_use]
    pub fn interval(mut self, interval: Duration) -> Self {
        self.interval = Some(interval.max(Duration::from_millis(1)));
        self
    }

    /// Overrides the builder's default timeout for this check.
    #[must_use]
    pub fn timeout(mut self, timeout: Duration) -> Self {
        self.timeout = Some(timeout);
        self
    }

    /// Consecutive failures needed before a passing check counts as failing
    /// (default 1), as Kubernetes' `failureThreshold`. `0` makes
    /// [`HealthChecks::build`](crate::HealthChecks::build) fail.
    #[must_use]
    pub fn failure_threshold(mut self, runs: u32) -> Self {
        match NonZeroU32::new(runs) {
            Some(runs) => self.failure_threshold = runs,
            None => self.zero_threshold = Some("failure_threshold"),
        }
        self
    }

    /// Consecutive passes needed before a failing check counts as passing
    /// (default 1), as Kubernetes' `successThreshold`. `0` makes
    /// [`HealthChecks::build`](crate::HealthChecks::build) fail.
    #[must_use]
    pub fn success_threshold(mut self, runs: u32) -> Self {
        match NonZeroU32::new(runs) {
            Some(runs) => self.success_threshold = runs,
            None => self.zero_threshold = Some("success_threshold"),
        }
        self
    }

    /// The check's name, as used in logs and snapshots.
    pub fn name(&self) -> &str {
        &self.name
    }
}

impl fmt::Debug for Check {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let kind = match self.function {
            CheckFn::Blocking(_) => "blocking",
            CheckFn::Async(_) => "async",
        };
        f.debug_struct("Check")
            .field("name", &self.name)
            .field("kind", &kind)
            .field("groups", &self.groups)
            .field("optional", &self.optional)
            .field("interval", &self.interval)
            .field("timeout", &self.timeout)
            .field("failure_threshold", &self.failure_threshold)
            .field("success_threshold", &self.success_threshold)
            .finish()
    }
}
