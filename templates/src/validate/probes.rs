//! The three probes: timings within Kubernetes' rules, liveness and startup
//! kept off the readiness service (a failing one restarts the container, and
//! dependencies must never do that), and in exec mode a grpc-probe command
//! whose timeouts fit inside `timeoutSeconds`.
//!
//! The timeout rule (also in values.yaml): of each probe's `timeoutSeconds`,
//! `probe.reserveMs` is kept for starting the process; the rest, the budget, is
//! split evenly between `-connect-timeout` and `-rpc-timeout` unless
//! `probe.connectTimeoutMs` / `probe.rpcTimeoutMs` are set, in which case
//! their sum must fit in the budget.

use crate::config::{Exec as ExecAction, Grpc, HttpGet, Probe, Probes};
use crate::error::ValueError;

use super::read::{INT32_MAX, Values};

/// How kubelet reaches the server, per `probe.mode`.
#[derive(Debug, Clone, Copy)]
pub(crate) enum Handler<'a> {
    /// grpc-probe in the container.
    Exec(Exec<'a>),
    /// kubelet's gRPC check on the numeric port.
    Grpc {
        /// The gRPC port.
        port: i64,
        /// `grpc.mode: TLS` (Kubernetes 1.37+).
        tls: bool,
    },
    /// kubelet's GET of `/readyz` and `/livez` on the port named `admin`.
    Http,
}

/// Reads and checks the three probes.
pub(crate) fn probes(values: Values<'_>, handler: Handler<'_>) -> Result<Probes, ValueError> {
    let readiness_service = values.text("readiness.service")?;
    if !matches!(handler, Handler::Http) {
        for section in ["liveness", "startup"] {
            restarts_never_on_dependencies(values, section, &readiness_service)?;
        }
    }
    Ok(Probes {
        readiness_probe: probe(values, "readiness", handler)?,
        liveness_probe: probe(values, "liveness", handler)?,
        startup_probe: probe(values, "startup", handler)?,
    })
}

/// Refuses a liveness or startup probe on the service the dependency checks drive.
fn restarts_never_on_dependencies(
    values: Values<'_>,
    section: &str,
    readiness_service: &str,
) -> Result<(), ValueError> {
    let path = format!("{section}.service");
    let service = values.text(&path)?;
    if service == readiness_service || service == "readiness" || service.is_empty() {
        return Err(ValueError::new(
            path,
            format!(
                "is {service:?}, a service that follows the dependency checks; a failing {section} \
                 probe restarts the container, and a dependency outage must never restart pods. \
                 Use `liveness` (the default), which checks only the process"
            ),
        ));
    }
    Ok(())
}

/// What an exec probe command needs besides the probe's own values.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Exec<'a> {
    /// grpc-probe's path in the container.
    pub(crate) path: &'a str,
    /// The server's port on localhost (either loopback).
    pub(crate) port: i64,
    /// grpc-probe's TLS flags; empty for plaintext.
    pub(crate) tls: &'a [String],
    /// `probe.reserveMs`.
    pub(crate) reserve_ms: i64,
    /// `probe.connectTimeoutMs`; 0 derives it.
    pub(crate) connect_ms: i64,
    /// `probe.rpcTimeoutMs`; 0 derives it.
    pub(crate) rpc_ms: i64,
}

impl<'a> Exec<'a> {
    /// Reads the `probe.*` timeout values.
    pub(crate) fn read(
        values: Values<'_>,
        path: &'a str,
        port: i64,
        tls: &'a [String],
    ) -> Result<Self, ValueError> {
        Ok(Self {
            path,
            port,
            tls,
            reserve_ms: values.int("probe.reserveMs", 0, INT32_MAX)?,
            connect_ms: values.int("probe.connectTimeoutMs", 0, INT32_MAX)?,
            rpc_ms: values.int("probe.rpcTimeoutMs", 0, INT32_MAX)?,
        })
    }

    /// `(connect, rpc)` in ms for a probe with `timeout_seconds`, or why they do not fit.
    pub(crate) fn timeouts(
        &self,
        section: &str,
        timeout_seconds: i64,
    ) -> Result<(i64, i64), ValueError> {
        let limit = timeout_seconds * 1000;
        let budget = limit - self.reserve_ms;
        let connect = if self.connect_ms == 0 {
            budget / 2
        } else {
            self.connect_ms
        };
        let rpc = if self.rpc_ms == 0 {
            budget - connect
        } else {
            self.rpc_ms
        };
        if connect >= 1 && rpc >= 1 && connect + rpc <= budget {
            return Ok((connect, rpc));
        }
        let culprit = if self.rpc_ms != 0 {
            "probe.rpcTimeoutMs"
        } else if self.connect_ms != 0 {
            "probe.connectTimeoutMs"
        } else {
            "probe.reserveMs"
        };
        Err(ValueError::new(
            culprit,
            format!(
                "makes the exec probe too slow for {section}.timeoutSeconds ({timeout_seconds} s): \
                 -connect-timeout {connect}ms + -rpc-timeout {rpc}ms + probe.reserveMs {} ms must \
                 fit inside {limit} ms, each timeout at least 1 ms; lower probe.connectTimeoutMs, \
                 probe.rpcTimeoutMs or probe.reserveMs, or raise {section}.timeoutSeconds",
                self.reserve_ms
            ),
        ))
    }
}

/// Reads and checks the probe in `section`, with its handler.
fn probe(values: Values<'_>, section: &str, handler: Handler<'_>) -> Result<Probe, ValueError> {
    let timing = |key: &str, min| values.int(&format!("{section}.{key}"), min, INT32_MAX);
    let success_threshold = timing("successThreshold", 1)?;
    if section != "readiness" && success_threshold != 1 {
        return Err(ValueError::new(
            format!("{section}.successThreshold"),
            format!("is {success_threshold}; Kubernetes requires 1 for {section} probes"),
        ));
    }
    let service = values.text(&format!("{section}.service"))?;
    let timeout_seconds = timing("timeoutSeconds", 1)?;
    let (mut exec, mut grpc, mut http_get) = (None, None, None);
    let mut checks = service.clone();
    match handler {
        Handler::Exec(action) => {
            let (connect, rpc) = action.timeouts(section, timeout_seconds)?;
            let mut command = vec![
                action.path.to_owned(),
                format!("-addr=localhost:{}", action.port),
            ];
            command.extend_from_slice(action.tls);
            command.extend([
                format!("-service={service}"),
                format!("-connect-timeout={connect}ms"),
                format!("-rpc-timeout={rpc}ms"),
            ]);
            exec = Some(ExecAction { command });
        }
        Handler::Grpc { port, tls } => {
            grpc = Some(Grpc {
                port,
                service,
                mode: tls.then_some("TLS"),
            });
        }
        Handler::Http => {
            let path = if section == "readiness" {
                "/readyz"
            } else {
                "/livez"
            };
            path.clone_into(&mut checks);
            http_get = Some(HttpGet {
                path,
                port: "admin",
            });
        }
    }
    Ok(Probe {
        checks,
        exec,
        grpc,
        http_get,
        initial_delay_seconds: timing("initialDelaySeconds", 0)?,
        period_seconds: timing("periodSeconds", 1)?,
        timeout_seconds,
        success_threshold,
        failure_threshold: timing("failureThreshold", 1)?,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    /// `(connect, rpc)` for `timeout_seconds` of readiness, or the error message.
    fn fit(
        reserve_ms: i64,
        connect_ms: i64,
        rpc_ms: i64,
        timeout_seconds: i64,
    ) -> Result<(i64, i64), String> {
        let exec = Exec {
            path: "/p",
            port: 1,
            tls: &[],
            reserve_ms,
            connect_ms,
            rpc_ms,
        };
        exec.timeouts("readiness", timeout_seconds)
            .map_err(|error| error.to_string())
    }

    #[test]
    fn derived_timeouts_split_the_budget() {
        assert_eq!(fit(100, 0, 0, 1), Ok((450, 450)));
        assert_eq!(fit(100, 0, 0, 3), Ok((1450, 1450)));
    }

    #[test]
    fn a_set_timeout_leaves_the_rest_to_the_other() {
        assert_eq!(fit(100, 200, 0, 1), Ok((200, 700)));
        assert_eq!(fit(0, 0, 300, 1), Ok((500, 300)));
    }

    #[test]
    fn timeouts_that_do_not_fit_name_the_value_set() {
        for ((reserve, connect, rpc), culprit) in [
            ((100, 500, 500), "probe.rpcTimeoutMs"),
            ((100, 900, 0), "probe.connectTimeoutMs"),
            ((1000, 0, 0), "probe.reserveMs"),
        ] {
            let error = fit(reserve, connect, rpc, 1).unwrap_err();
            assert!(error.starts_with(&format!("value `{culprit}`")), "{error}");
            assert!(error.contains("readiness.timeoutSeconds"), "{error}");
        }
    }
}
