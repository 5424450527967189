//! `--kube-version`: the Kubernetes minor version the manifests are for, and
//! the table of what differs between the supported versions.
//!
//! k8s-openapi builds for one Kubernetes version at a time, so the
//! Kubernetes-typed values are read with the types of the oldest supported
//! version (1.33): a field passes only if every supported version has it. The
//! fields that differ between the versions and reach the output are in the
//! table of [`Feature`]s, each with the version that brings it.

use std::fmt;

/// The oldest supported minor version, the default.
const OLDEST: u8 = 33;

/// The newest supported minor version.
const NEWEST: u8 = 37;

/// A supported Kubernetes version, 1.33 to 1.37.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub(crate) struct KubeVersion {
    minor: u8,
}

/// A field that only some supported versions take.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Feature {
    /// `lifecycle.preStop.sleep` (KEP-3960), GA in 1.34.
    PreStopSleep,
    /// `grpc.mode: TLS` on gRPC probes (KEP-4939), alpha in 1.37.
    GrpcProbeTls,
    /// Environment variable names of any printable ASCII but `=`
    /// (KEP-4369), GA in 1.34; before it the API server may hold them to
    /// `[-._a-zA-Z][-._a-zA-Z0-9]*`.
    RelaxedEnvNames,
}

impl Feature {
    /// The table: the minor version that brings the feature, and how a
    /// refusal names it.
    const fn since(self) -> (u8, &'static str) {
        match self {
            Self::PreStopSleep => (
                34,
                "lifecycle.preStop.sleep (KEP-3960) is GA from Kubernetes 1.34",
            ),
            Self::GrpcProbeTls => (
                37,
                "grpc.mode: TLS on gRPC probes (KEP-4939) arrives, as alpha, in Kubernetes 1.37",
            ),
            Self::RelaxedEnvNames => (
                34,
                "environment variable names beyond [-._a-zA-Z][-._a-zA-Z0-9]* (KEP-4369) are \
                 GA from Kubernetes 1.34",
            ),
        }
    }
}

impl KubeVersion {
    /// The oldest supported version.
    pub(crate) const DEFAULT: Self = Self { minor: OLDEST };

    /// Parses `1.N` (or `v1.N`, or `1.N.P`) within the supported range.
    pub(crate) fn parse(text: &str) -> Result<Self, String> {
        let unsupported = || {
            format!(
                "{text:?} is not a supported Kubernetes version: use 1.{OLDEST} to 1.{NEWEST} \
                 (the default is 1.{OLDEST}, the oldest)"
            )
        };
        let bare = text.strip_prefix('v').unwrap_or(text);
        let mut parts = bare.split('.');
        let (Some("1"), Some(minor), patch, None) =
            (parts.next(), parts.next(), parts.next(), parts.next())
        else {
            return Err(unsupported());
        };
        if patch.is_some_and(|patch| patch.parse::<u16>().is_err()) {
            return Err(unsupported());
        }
        match minor.parse::<u8>() {
            Ok(minor) if (OLDEST..=NEWEST).contains(&minor) => Ok(Self { minor }),
            _ => Err(unsupported()),
        }
    }

    /// Whether this version takes `feature`.
    pub(crate) fn has(self, feature: Feature) -> bool {
        self.minor >= feature.since().0
    }

    /// Why `feature` is refused at this version: what brings it, and this version.
    pub(crate) fn lacks(self, feature: Feature) -> String {
        let (minor, what) = feature.since();
        format!("{what}, and --kube-version is {self}: use --kube-version 1.{minor} or later")
    }
}

impl Default for KubeVersion {
    fn default() -> Self {
        Self::DEFAULT
    }
}

impl fmt::Display for KubeVersion {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "1.{}", self.minor)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn supported_versions_parse() {
        for (text, shown) in [("1.33", "1.33"), ("v1.35", "1.35"), ("1.37.2", "1.37")] {
            assert_eq!(KubeVersion::parse(text).unwrap().to_string(), shown);
        }
        assert_eq!(KubeVersion::default().to_string(), "1.33");
    }

    #[test]
    fn others_name_the_range() {
        for bad in [
            "1.32", "1.38", "2.33", "1", "1.x", "", "1.33.x", "1.33.0.1", "133",
        ] {
            let error = KubeVersion::parse(bad).unwrap_err();
            assert!(error.contains("use 1.33 to 1.37"), "{bad}: {error}");
        }
    }

    #[test]
    fn every_feature_arrives_within_the_range() {
        for feature in [
            Feature::PreStopSleep,
            Feature::GrpcProbeTls,
            Feature::RelaxedEnvNames,
        ] {
            assert!(
                (OLDEST + 1..=NEWEST).contains(&feature.since().0),
                "{feature:?}"
            );
        }
    }

    #[test]
    fn boundaries() {
        let v = |text| KubeVersion::parse(text).unwrap();
        assert!(!v("1.33").has(Feature::PreStopSleep));
        assert!(v("1.34").has(Feature::PreStopSleep));
        assert!(!v("1.36").has(Feature::GrpcProbeTls));
        assert!(v("1.37").has(Feature::GrpcProbeTls));
        let why = v("1.36").lacks(Feature::GrpcProbeTls);
        assert!(why.contains("--kube-version is 1.36"), "{why}");
        assert!(why.contains("1.37 or later"), "{why}");
    }
}
