//! The answer of `/livez`, `/readyz`, `/healthz` and `/groupz/NAME`, in
//! kube-apiserver's format: `ok`, or with `?verbose` one `[+]name ok` /
//! `[-]name failed: reason` line per check (`[-]name degraded: reason` for a
//! failing optional check) and a last `readyz check passed` /
//! `readyz check failed` line.

use std::fmt::Write as _;
use std::time::SystemTime;

use crate::group::Source;
use crate::shared::Shared;
use crate::snapshot::{CheckSnapshot, CheckStatus};
use crate::status_table::{Phase, StatusTable};
use crate::{Group, ServingStatus};

use super::json;
use super::query::Query;
use super::reason::bounded;
use super::timing;

/// The pseudo-check that fails while the service drains, as kube-apiserver's.
pub(crate) const SHUTDOWN_CHECK: &str = "shutdown";
/// What the wire says instead of a failure reason unless details are shown.
const WITHHELD: &str = "reason withheld";

/// The health endpoints and the health service each one reads.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) enum Endpoint {
    Livez,
    Readyz,
    Healthz,
    /// `/groupz/NAME`: a named group (or `liveness`, `readiness`).
    Group(Group),
}

impl Endpoint {
    /// The prefix of the named groups' paths: `/groupz/NAME`.
    pub(crate) const GROUPS: &'static str = "groupz";

    /// The endpoint whose path is `/{segment}`.
    pub(crate) fn from_segment(segment: &str) -> Option<Self> {
        [Self::Livez, Self::Readyz, Self::Healthz]
            .into_iter()
            .find(|endpoint| endpoint.name() == segment)
    }

    /// The endpoint of the group named `name`, if a check belongs to it.
    pub(crate) fn group(shared: &Shared, name: &str) -> Option<Self> {
        let group = Group::from_service_name(name).unwrap_or_else(|| Group::named(name));
        shared.inspect(|checks, _, _| {
            checks
                .iter()
                .any(|check| check.groups.contains(&group))
                .then_some(Self::Group(group))
        })
    }

    /// The name its verdict line starts with: `readyz`, or the group's.
    pub(crate) fn name(&self) -> &str {
        match self {
            Self::Livez => "livez",
            Self::Readyz => "readyz",
            Self::Healthz => "healthz",
            Self::Group(group) => group.service_name(),
        }
    }

    /// Its path, for messages.
    pub(crate) fn path(&self) -> String {
        match self {
            Self::Group(group) => format!("/{}/{}", Self::GROUPS, group.service_name()),
            other => format!("/{}", other.name()),
        }
    }

    /// The checks this endpoint reports on: those of the health service it serves.
    fn source(&self) -> Source {
        match self {
            Self::Livez => Source::Group(Group::Liveness),
            Self::Readyz => Source::Group(Group::Readiness),
            Self::Healthz => Source::All,
            Self::Group(group) => Source::Group(group.clone()),
        }
    }
}

/// An endpoint's answer: 200 when it passed, 503 when not.
#[derive(Debug, PartialEq, Eq)]
pub(crate) struct Report {
    pub(crate) passed: bool,
    pub(crate) body: String,
    /// The body is JSON, not text.
    pub(crate) json: bool,
}

/// One line of a verbose answer.
enum Line<'a> {
    Ok,
    Excluded,
    /// With the reason, if details are shown.
    Failed(Option<&'a str>),
    /// An optional check that fails: shown, but the verdict still passes.
    Degraded(Option<&'a str>),
}

/// The whole endpoint: every check it covers, minus `query.exclude`.
///
/// Without exclusions the verdict is the served gRPC status itself, so it
/// flips at the same instant as Check and Watch (a drain included).
pub(crate) fn endpoint_report(
    shared: &Shared,
    endpoint: &Endpoint,
    query: &Query,
    show_details: bool,
    json: bool,
) -> Report {
    shared.inspect(|checks, table, phase| {
        let mut body = String::new();
        let mut every_included_passes = true;
        let mut matched = vec![false; query.exclude.len()];
        let now = SystemTime::now();
        let lines = covered(checks, endpoint)
            .map(|check| {
                let timing = query.verbose.then(|| timing::suffix(check, now));
                (check.name.as_str(), check_line(check, show_details), timing)
            })
            .chain([(SHUTDOWN_CHECK, shutdown_line(phase, show_details), None)]);
        for (name, line, timing) in lines {
            let excluded = query.exclude.iter().position(|wanted| wanted == name);
            if let Some(index) = excluded {
                matched[index] = true;
            }
            let line = match (excluded, line) {
                (Some(_), _) => {
                    write_line(&mut body, name, &Line::Excluded, "");
                    continue;
                }
                (None, Line::Failed(reason)) => {
                    every_included_passes = false;
                    Line::Failed(reason)
                }
                (None, line) => line,
            };
            write_line(&mut body, name, &line, timing.as_deref().unwrap_or(""));
        }
        let passed = if query.exclude.is_empty() {
            served(table, endpoint.source().service_name())
        } else {
            every_included_passes
        };
        let unmatched: Vec<String> = query
            .exclude
            .iter()
            .zip(&matched)
            .filter(|(_, matched)| !**matched)
            .map(|(name, _)| format!("{name:?}"))
            .collect();
        if !unmatched.is_empty() {
            let _ = writeln!(
                body,
                "warn: some health checks cannot be excluded: no matches for {}",
                unmatched.join(",")
            );
        }
        if json {
            let checks =
                covered(checks, endpoint).map(|check| (check, query.exclude.contains(&check.name)));
            return json_report(endpoint, passed, phase, show_details, checks);
        }
        let verdict = if passed { "passed" } else { "failed" };
        let last = format!("{} check {verdict}", endpoint.name());
        Report {
            passed,
            json,
            body: match (query.verbose, passed) {
                (true, _) => body + &last + "\n",
                (false, true) => "ok".to_owned(),
                (false, false) => last,
            },
        }
    })
}

/// One check of an endpoint (or its `shutdown` pseudo-check); `None` when the
/// endpoint has no check of that name.
pub(crate) fn check_report(
    shared: &Shared,
    endpoint: &Endpoint,
    name: &str,
    verbose: bool,
    show_details: bool,
    json: bool,
) -> Option<Report> {
    shared.inspect(|checks, _, phase| {
        let check = if name == SHUTDOWN_CHECK {
            None
        } else {
            Some(covered(checks, endpoint).find(|check| check.name == name)?)
        };
        let (line, timing) = match check {
            None => (shutdown_line(phase, show_details), String::new()),
            Some(check) => {
                let timing = if verbose {
                    timing::suffix(check, SystemTime::now())
                } else {
                    String::new()
                };
                (check_line(check, show_details), timing)
            }
        };
        let passed = !matches!(line, Line::Failed(_));
        if json {
            let checks = check.map(|check| (check, false)).into_iter();
            return Some(json_report(endpoint, passed, phase, show_details, checks));
        }
        let mut body = String::new();
        if verbose || !matches!(line, Line::Ok) {
            write_line(&mut body, name, &line, &timing);
            body.truncate(body.trim_end().len());
        } else {
            body.push_str("ok");
        }
        Some(Report { passed, body, json })
    })
}

/// A JSON answer about `checks` (each with whether it is excluded).
fn json_report<'a>(
    endpoint: &Endpoint,
    passed: bool,
    phase: Phase,
    details: bool,
    checks: impl Iterator<Item = (&'a CheckSnapshot, bool)>,
) -> Report {
    let source = endpoint.source();
    let answer = json::Answer {
        service: source.service_name(),
        passed,
        draining: phase != Phase::Serving,
        details,
    };
    Report {
        passed,
        body: json::body(&answer, checks, SystemTime::now()),
        json: true,
    }
}

fn covered<'a>(
    checks: &'a [CheckSnapshot],
    endpoint: &Endpoint,
) -> impl Iterator<Item = &'a CheckSnapshot> {
    let source = endpoint.source();
    checks
        .iter()
        .filter(move |check| source.lists(&check.groups))
}

fn served(table: &StatusTable, service: &str) -> bool {
    table.status(service) == Some(ServingStatus::Serving)
}

fn check_line(check: &CheckSnapshot, show_details: bool) -> Line<'_> {
    if check.status == CheckStatus::Passing {
        return Line::Ok;
    }
    let reason = show_details.then(|| check.reason.as_deref().unwrap_or("not passed yet"));
    if check.optional {
        Line::Degraded(reason)
    } else {
        Line::Failed(reason)
    }
}

fn shutdown_line(phase: Phase, show_details: bool) -> Line<'static> {
    if phase != Phase::Serving {
        Line::Failed(show_details.then_some("draining"))
    } else {
        Line::Ok
    }
}

/// One line; `timing` (a [`timing::suffix`], or empty) goes after the
/// status word, before any reason, so that a reason never hides it.
fn write_line(body: &mut String, name: &str, line: &Line<'_>, timing: &str) {
    let _ = match line {
        Line::Ok => writeln!(body, "[+]{name} ok{timing}"),
        Line::Excluded => writeln!(body, "[+]{name} excluded: ok"),
        Line::Failed(reason) => writeln!(body, "[-]{name} failed{timing}: {}", shown(*reason)),
        Line::Degraded(reason) => {
            writeln!(body, "[-]{name} degraded{timing}: {}", shown(*reason))
        }
    };
}

/// The reason, or [`WITHHELD`].
fn shown(reason: Option<&str>) -> String {
    reason.map_or_else(|| WITHHELD.to_owned(), bounded)
}
