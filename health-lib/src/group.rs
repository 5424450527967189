//! The groups a check can belong to (the two Kubernetes probes and any named
//! group), the health service names that are always served, and which checks
//! feed which service.

use std::fmt;
use std::sync::Arc;

/// A group of checks, served as a health service of the same name.
///
/// Liveness is for process-internal checks only: a failing liveness probe makes
/// Kubernetes restart the pod, so a dependency that is down must never fail it.
/// Dependencies belong in readiness, which only takes the pod out of load
/// balancing. Checks go to readiness unless they are placed elsewhere.
///
/// Any number of named groups (`startup`, `deep`, …) can sit beside them, each
/// served under its own name: [`Group::named`]. A check may belong to several
/// groups ([`Check::in_group`](crate::Check::in_group)). A named group never
/// feeds `liveness` or `readiness`; its checks do feed `""`.
///
/// ```
/// use grpc_health_checks::{Check, Group};
///
/// let deep = Check::new("replication", || true).groups([Group::named("deep")]);
/// let both = Check::new("migrations", || true).in_group("startup");
/// # let _ = (deep, both);
/// ```
#[derive(Clone, Debug, Default, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum Group {
    /// Served as the `liveness` service: "is this process able to make progress?".
    Liveness,
    /// Served as the `readiness` service: "can this pod take traffic now?".
    #[default]
    Readiness,
    /// A group of the application's own, served under its name: made with
    /// [`Group::named`]; [`HealthChecks::build`](crate::HealthChecks::build)
    /// refuses `""`, `liveness` and `readiness` here
    /// ([`BuildError::ReservedGroup`](crate::BuildError::ReservedGroup)).
    Named(Arc<str>),
}

impl Group {
    /// The two probe groups, in the order they are listed.
    pub const ALL: [Self; 2] = [Self::Liveness, Self::Readiness];

    /// The service reporting the server's overall health: every check, any group.
    pub const OVERALL_SERVICE: &'static str = "";

    /// The names that are always served and cannot be remapped, set by hand
    /// or taken by a named group: `""`, `liveness` and `readiness`.
    pub const RESERVED_SERVICES: [&'static str; 3] = ["", "liveness", "readiness"];

    /// A named group, served as the health service `name`.
    pub fn named(name: impl Into<Arc<str>>) -> Self {
        Self::Named(name.into())
    }

    /// The health service name this group is served under.
    pub fn service_name(&self) -> &str {
        match self {
            Self::Liveness => "liveness",
            Self::Readiness => "readiness",
            Self::Named(name) => name,
        }
    }

    /// The probe group served under `service`, if it is `liveness` or `readiness`.
    pub fn from_service_name(service: &str) -> Option<Self> {
        Self::ALL
            .into_iter()
            .find(|group| group.service_name() == service)
    }

    /// Whether `service` is one of [`Group::RESERVED_SERVICES`].
    pub fn is_reserved_service(service: &str) -> bool {
        Self::RESERVED_SERVICES.contains(&service)
    }

    /// Whether this is a named group that takes a reserved name.
    pub(crate) fn is_reserved_name(&self) -> bool {
        matches!(self, Self::Named(name) if Self::is_reserved_service(name))
    }
}

impl From<&str> for Group {
    /// [`Group::named`].
    fn from(name: &str) -> Self {
        Self::named(name)
    }
}

impl From<String> for Group {
    /// [`Group::named`].
    fn from(name: String) -> Self {
        Self::named(name)
    }
}

impl fmt::Display for Group {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.service_name())
    }
}

/// Which checks feed a service: the one rule the evaluation loop (for the
/// gRPC statuses) and the admin endpoints (for their per-check lines) share.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) enum Source {
    /// Every check: the server's overall health, [`Group::OVERALL_SERVICE`].
    All,
    /// The checks of one group.
    Group(Group),
}

impl Source {
    /// Whether a check in `groups` is listed under this source. Optional
    /// checks are listed too, but never decide its status: see
    /// [`decides`](Self::decides).
    pub(crate) fn lists(&self, groups: &[Group]) -> bool {
        match self {
            Self::All => true,
            Self::Group(own) => groups.contains(own),
        }
    }

    /// Whether a check in `groups` decides this source's status: it is listed
    /// and not optional.
    pub(crate) fn decides(&self, groups: &[Group], optional: bool) -> bool {
        !optional && self.lists(groups)
    }

    /// The health service that serves this source's own status.
    pub(crate) fn service_name(&self) -> &str {
        match self {
            Self::All => Group::OVERALL_SERVICE,
            Self::Group(group) => group.service_name(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reserved_names_are_the_overall_service_and_each_group() {
        assert_eq!(Group::RESERVED_SERVICES, ["", "liveness", "readiness"]);
        for group in Group::ALL {
            assert_eq!(
                Group::from_service_name(group.service_name()),
                Some(group.clone())
            );
            assert!(Group::is_reserved_service(group.service_name()));
            assert!(!group.is_reserved_name(), "the probe groups themselves");
        }
        assert!(Group::is_reserved_service(""));
        assert!(!Group::is_reserved_service("helloworld.Greeter"));
        assert_eq!(Group::from_service_name(""), None);
        assert_eq!(Group::from_service_name("deep"), None);
        for reserved in Group::RESERVED_SERVICES {
            assert!(Group::named(reserved).is_reserved_name(), "{reserved:?}");
        }
        assert!(!Group::named("deep").is_reserved_name());
        assert_eq!(Group::from("deep"), Group::named("deep"));
        assert_eq!(Group::named("deep").to_string(), "deep");
    }

    #[test]
    fn all_lists_every_check_and_a_group_only_its_own() {
        let deep = Group::named("deep");
        for group in [Group::Liveness, Group::Readiness, deep.clone()] {
            let groups = std::slice::from_ref(&group);
            assert!(Source::All.lists(groups));
            assert!(Source::Group(group.clone()).lists(groups));
        }
        let both = [Group::Readiness, deep.clone()];
        assert!(Source::Group(deep.clone()).lists(&both));
        assert!(Source::Group(Group::Readiness).lists(&both));
        assert!(!Source::Group(Group::Liveness).lists(&both));
        assert!(!Source::Group(Group::Readiness).lists(&[deep]));
    }

    #[test]
    fn optional_checks_are_listed_but_decide_nothing() {
        for source in [Source::All, Source::Group(Group::Readiness)] {
            assert!(source.lists(&[Group::Readiness]));
            assert!(source.decides(&[Group::Readiness], false));
            assert!(!source.decides(&[Group::Readiness], true));
        }
    }
}
