//! The Kubernetes probe groups a check can belong to, and the health service
//! names that are always served.

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
    /// Every group, in the order they are listed.
    pub const ALL: [Self; 2] = [Self::Liveness, Self::Readiness];

    /// The service reporting the server's overall health: every check, any group.
    pub const OVERALL_SERVICE: &'static str = "";

    /// The names that are always served and cannot be remapped or set by hand:
    /// `""`, `liveness` and `readiness`.
    pub const RESERVED_SERVICES: [&'static str; 3] = [
        Self::OVERALL_SERVICE,
        Self::Liveness.service_name(),
        Self::Readiness.service_name(),
    ];

    /// The health service name this group is served under.
    pub const fn service_name(self) -> &'static str {
        match self {
            Self::Liveness => "liveness",
            Self::Readiness => "readiness",
        }
    }

    /// The group served under `service`, if it is a group's name.
    pub fn from_service_name(service: &str) -> Option<Self> {
        Self::ALL
            .into_iter()
            .find(|group| group.service_name() == service)
    }

    /// Whether `service` is one of [`Group::RESERVED_SERVICES`].
    pub fn is_reserved_service(service: &str) -> bool {
        Self::RESERVED_SERVICES.contains(&service)
    }
}

/// Which checks feed a service: the one rule the evaluation loop (for the
/// gRPC statuses) and the admin endpoints (for their per-check lines) share.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Source {
    /// Every check: the server's overall health, [`Group::OVERALL_SERVICE`].
    All,
    /// The checks of one group.
    Group(Group),
}

impl Source {
    /// Whether checks of `group` feed this source.
    pub(crate) fn covers(self, group: Group) -> bool {
        match self {
            Self::All => true,
            Self::Group(own) => own == group,
        }
    }

    /// The health service that serves this source's own status.
    #[cfg(feature = "admin")]
    pub(crate) const fn service_name(self) -> &'static str {
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
            assert_eq!(Group::from_service_name(group.service_name()), Some(group));
            assert!(Group::is_reserved_service(group.service_name()));
        }
        assert!(Group::is_reserved_service(""));
        assert!(!Group::is_reserved_service("helloworld.Greeter"));
        assert_eq!(Group::from_service_name(""), None);
    }

    #[test]
    fn all_covers_every_group_and_a_group_only_itself() {
        for group in Group::ALL {
            assert!(Source::All.covers(group));
            assert!(Source::Group(group).covers(group));
        }
        assert!(!Source::Group(Group::Liveness).covers(Group::Readiness));
        assert!(!Source::Group(Group::Readiness).covers(Group::Liveness));
    }
}
