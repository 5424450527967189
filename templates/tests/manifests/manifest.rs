//! Reading rendered manifests: render, validate (schema, rules and the
//! "restricted" Pod Security profile), and reach the Deployment, its server
//! container and its probes.

use k8s_openapi::api::apps::v1::Deployment;
use k8s_openapi::api::core::v1::{Container, PodSpec, Probe};

use crate::cli;
use crate::restricted;
use crate::rules;
use crate::schema::{self, Doc};

/// Renders with `args` and validates; returns the documents.
pub(crate) fn valid<S: AsRef<str>>(args: &[S]) -> Vec<Doc> {
    let stream = cli::render(args);
    let docs = schema::parse(&stream).unwrap_or_else(|error| panic!("{error}\n{stream}"));
    rules::check(&docs).unwrap_or_else(|error| panic!("{error}\n{stream}"));
    for deployment in schema::split(&docs).0 {
        restricted::check(pod(deployment))
            .unwrap_or_else(|error| panic!("Pod Security restricted: {error}\n{stream}"));
    }
    docs
}

/// The server container of the Deployment rendered with the required values and `sets`.
pub(crate) fn rendered_server(sets: &[&str]) -> Container {
    let mut args = cli::with_sets(sets);
    args.extend(["--template".into(), "deployment".into()]);
    server(deployment(&valid(&args))).clone()
}

/// The one Deployment in `docs`.
pub(crate) fn deployment(docs: &[Doc]) -> &Deployment {
    let (deployments, _) = schema::split(docs);
    assert_eq!(deployments.len(), 1, "one Deployment");
    deployments[0]
}

/// The pod template's spec.
pub(crate) fn pod(deployment: &Deployment) -> &PodSpec {
    let pod = deployment
        .spec
        .as_ref()
        .and_then(|s| s.template.spec.as_ref());
    pod.expect("pod spec")
}

/// The server container of a Deployment.
pub(crate) fn server(deployment: &Deployment) -> &Container {
    &pod(deployment).containers[0]
}

/// Readiness, liveness and startup, in that order.
pub(crate) fn probes(container: &Container) -> [&Probe; 3] {
    [
        &container.readiness_probe,
        &container.liveness_probe,
        &container.startup_probe,
    ]
    .map(|probe| probe.as_ref().expect("every probe is rendered"))
}
