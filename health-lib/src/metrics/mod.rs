//! Prometheus metrics of the checks and the served statuses (feature
//! `metrics`): a [`HealthListener`](crate::HealthListener) like any other,
//! called on the spot rather than through a queue so that a scrape that
//! follows a status change sees it. The metric names and labels are listed
//! in the crate documentation (README, "Metrics and HTTP endpoints").
//!
//! Every label set a check or a derived service uses is created when the
//! service is built, so recording an evaluation allocates nothing. Services
//! that are only watched, never registered, get no series.

mod prometheus;

pub(crate) use prometheus::Metrics;
