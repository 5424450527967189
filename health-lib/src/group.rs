//! The Kubernetes probe groups a check can belong to.

/// Which probe a check feeds.
///
/// Liveness is for process-internal checks only: a failing liveness probe makes
/// Kubernetes restart the pod, so a dependency that is down must never fail it.
/// Dependencies belong in readiness, which only takes the pod out of load
/// balancing. Checks go to readiness unless they are placed elsewhere.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash)]
pub enum Group {
    /// Served as the `liveness` service: "is this process able to make progress?".
    Liveness,
    /// Served as the `readiness` service: "can this pod take traffic now?".
    #[default]
    Readiness,
}

impl Group {
    /// The health service name this group is served under.
    pub const fn service_name(self) -> &'static str {
        match self {
            Self::Liveness => "liveness",
            Self::Readiness => "readiness",
        }
    }
}
