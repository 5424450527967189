//! `tls.*`: the server serves TLS on its gRPC port. Exec probes verify its
//! certificate with grpc-probe's `-tls` flags; kubelet's gRPC probe takes
//! `grpc.mode: TLS` from Kubernetes 1.37 and verifies nothing.

use crate::error::ValueError;
use crate::kube::{Feature, KubeVersion};

use super::names;
use super::read::Values;

/// How the probes reach a TLS server, per `probe.mode`.
#[derive(Debug, Default, PartialEq)]
pub(crate) struct ProbeTls {
    /// grpc-probe's TLS flags (exec mode); empty for plaintext.
    pub(crate) exec_flags: Vec<String>,
    /// Whether kubelet's gRPC probe uses TLS (grpc mode).
    pub(crate) grpc: bool,
}

/// Reads `tls.*` for `mode`, refusing what `version` or the mode cannot do.
pub(crate) fn probe_tls(
    values: Values<'_>,
    mode: &str,
    version: KubeVersion,
) -> Result<ProbeTls, ValueError> {
    let enabled = values.bool("tls.enabled")?;
    let ca_cert = values.text("tls.caCert")?;
    let server_name = values.text("tls.serverName")?;
    for (path, set) in [("tls.caCert", &ca_cert), ("tls.serverName", &server_name)] {
        if set.is_empty() {
            continue;
        }
        if !enabled {
            return Err(ValueError::new(
                path,
                "is set while tls.enabled is false; set tls.enabled=true if the server serves \
                 TLS, or leave it empty",
            ));
        }
        if mode != "exec" {
            return Err(ValueError::new(
                path,
                format!(
                    "is set with probe.mode={mode}, whose probe verifies no certificate; it \
                     applies to probe.mode=exec, where grpc-probe verifies it"
                ),
            ));
        }
    }
    if !enabled {
        return Ok(ProbeTls::default());
    }
    match mode {
        "grpc" if !version.has(Feature::GrpcProbeTls) => Err(ValueError::new(
            "tls.enabled",
            format!(
                "is true with probe.mode=grpc; {}, or use probe.mode=exec, where grpc-probe \
                 verifies the certificate",
                version.lacks(Feature::GrpcProbeTls)
            ),
        )),
        "grpc" => Ok(ProbeTls {
            exec_flags: Vec::new(),
            grpc: true,
        }),
        "exec" => {
            let mut flags = vec!["-tls".to_owned()];
            if !ca_cert.is_empty() {
                if !ca_cert.starts_with('/') {
                    return Err(ValueError::new(
                        "tls.caCert",
                        format!(
                            "is {ca_cert:?}; use the absolute path of the file in the container"
                        ),
                    ));
                }
                flags.push(format!("-tls-ca-cert={ca_cert}"));
            }
            if !server_name.is_empty() {
                names::subdomain("tls.serverName", &server_name)?;
                flags.push(format!("-tls-server-name={server_name}"));
            }
            Ok(ProbeTls {
                exec_flags: flags,
                grpc: false,
            })
        }
        // HTTP probes go to the admin port, which tls.* does not describe.
        _ => Ok(ProbeTls::default()),
    }
}
