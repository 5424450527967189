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

fn assert_checked_in(proto: &str, package: &str, codec: &str, checked_in: &[(&str, &str)]) {
    let out_dir = tempfile::tempdir().expect("temp dir");
    let fresh = generate(proto, package, codec, out_dir.path());
    let parts = split_at_markers(&fresh, checked_in);
    for ((_, path), fresh) in checked_in.iter().zip(parts) {
        let checked_in_path = workspace_root().join(path);
        if std::env::var_os("REGENERATE").is_some() {
            std::fs::write(&checked_in_path, fresh).expect("write generated code");
        }
        let checked_in = std::fs::read_to_string(&checked_in_path).expect("read checked-in code");
        assert!(
            checked_in == fresh,
            "{} is stale: run `REGENERATE=1 cargo test -p tests --test integration codegen`",
            checked_in_path.display()
        );
    }
}

/// `generated` cut before each part's marker line (the first part's is
/// empty): the files the proto crate includes behind its features.
fn split_at_markers<'a>(generated: &'a str, parts: &[(&str, &str)]) -> Vec<&'a str> {
    let mut starts: Vec<usize> = parts
        .iter()
        .map(|(marker, _)| {
            generated
                .find(marker)
                .unwrap_or_else(|| panic!("the generated code has no `{marker}`"))
        })
        .collect();
    starts.push(generated.len());
    starts
        .windows(2)
        .map(|pair| &generated[pair[0]..pair[1]])
        .collect()
}

#[test]
fn health_code_matches_proto() {
    assert_checked_in(
        "grpc/health/v1/health.proto",
        "grpc.health.v1",
        // Small buffers: every open Watch stream keeps its own.
        "crate::codec::HealthCodec",
        &[
            ("", "proto/src/generated/grpc.health.v1.messages.rs"),
            (
                "/// Generated client implementations.",
                "proto/src/generated/grpc.health.v1.client.rs",
            ),
            (
                "/// Generated server implementations.",
                "proto/src/generated/grpc.health.v1.server.rs",
            ),
        ],
    );
}

#[test]
fn greeter_code_matches_proto() {
    assert_checked_in(
        "helloworld/helloworld.proto",
        "helloworld",
        "tonic_prost::ProstCodec",
        &[("", "examples/src/generated/helloworld.rs")],
    );
}

#[test]
fn echo_code_matches_proto() {
    assert_checked_in(
        "echo/echo.proto",
        "echo",
        "tonic_prost::ProstCodec",
        &[("", "rpc-metrics/tests/generated/echo.rs")],
    );
}
