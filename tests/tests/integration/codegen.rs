//! The checked-in generated code must match what tonic-prost-build makes of the proto file.

use std::path::Path;

use test_support::workspace_root;

/// Generates the code for `proto` (relative to `proto/`) with `codec` and
/// returns the file for `package`.
fn generate(proto: &str, package: &str, codec: &str, out_dir: &Path) -> String {
    let descriptors =
        protox::compile([proto], [workspace_root().join("proto")]).expect("proto file compiles");
    tonic_prost_build::configure()
        .build_transport(false)
        .codec_path(codec)
        .out_dir(out_dir)
        .compile_fds(descriptors)
        .expect("tonic-prost-build generates code");
    std::fs::read_to_string(out_dir.join(format!("{package}.rs"))).expect("generated file exists")
}

fn assert_checked_in(proto: &str, package: &str, codec: &str, checked_in: &str) {
    let out_dir = tempfile::tempdir().expect("temp dir");
    let fresh = generate(proto, package, codec, out_dir.path());
    let checked_in_path = workspace_root().join(checked_in);
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

#[test]
fn health_code_matches_proto() {
    assert_checked_in(
        "grpc/health/v1/health.proto",
        "grpc.health.v1",
        // Small buffers: every open Watch stream keeps its own.
        "crate::codec::HealthCodec",
        "health-lib/src/generated/grpc.health.v1.rs",
    );
}

#[test]
fn greeter_code_matches_proto() {
    assert_checked_in(
        "helloworld/helloworld.proto",
        "helloworld",
        "tonic_prost::ProstCodec",
        "examples/src/generated/helloworld.rs",
    );
}

#[test]
fn echo_code_matches_proto() {
    assert_checked_in(
        "echo/echo.proto",
        "echo",
        "tonic_prost::ProstCodec",
        "rpc-metrics/tests/generated/echo.rs",
    );
}
