//! Rendering `health-manifests` templates as a user would: the binary, a
//! `--values` file and the three required `--set`s.

use crate::{bins, process};

/// The Deployment for `name` running `image` listening on `port`: `values`
/// (YAML, given as a `--values` file) with the three required values set
/// over them. Fails the test unless the renderer exits 0.
pub async fn deployment(name: &str, image: &str, port: u16, values: &str) -> String {
    let file = tempfile::NamedTempFile::new().expect("temporary values file");
    std::fs::write(file.path(), values).expect("write the values file");
    let args = [
        "--template".to_owned(),
        "deployment".to_owned(),
        "--values".to_owned(),
        file.path().to_str().expect("UTF-8 path").to_owned(),
        "--set".to_owned(),
        format!("name={name}"),
        "--set".to_owned(),
        format!("image={image}"),
        "--set".to_owned(),
        format!("port={port}"),
    ];
    let run = process::run(process::command(&bins::health_manifests(), &args)).await;
    run.assert_exit(0, &[]);
    run.stdout
}
