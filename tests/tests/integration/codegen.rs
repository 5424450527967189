//! The checked-in generated code must match what tonic-prost-build makes of the proto file.

use std::path::{Path, PathBuf};

fn workspace_root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .expect("tests crate sits in the workspace root")
        .to_path_buf()
}

fn generate(out_dir: &Path) -> String {
    let root = workspace_root();
    let descriptors = protox::compile(["grpc/health/v1/health.proto"], [root.join("proto")])
        .expect("health.proto compiles");
    tonic_prost_build::configure()
        .build_transport(false)
        .out_dir(out_dir)
        .compile_fds(descriptors)
        .expect("tonic-prost-build generates code");
    std::fs::read_to_string(out_dir.join("grpc.health.v1.rs")).expect("generated file exists")
}

#[test]
fn checked_in_code_matches_proto() {
    let out_dir = tempfile::tempdir().expect("temp dir");
    let fresh = generate(out_dir.path());
    let checked_in_path = workspace_root().join("health-lib/src/generated/grpc.health.v1.rs");
    if std::env::var_os("REGENERATE").is_some() {
        std::fs::write(&checked_in_path, &fresh).expect("write generated code");
    }
    let checked_in = std::fs::read_to_string(&checked_in_path).expect("read checked-in code");
    assert!(
        checked_in == fresh,
        "{} is stale: run `REGENERATE=1 cargo test -p tests --test integration codegen`",
        checked_in_path.display()
    );
}
