//! The documents stay true to the code: every test RELIABILITY.md names
//! exists, the root README's examples are the crate READMEs' (which their
//! crates' tests compile, render or run), its two commands are the ones CI and
//! the demo test run, the probe's Dockerfile and Kubernetes examples are the
//! tested Dockerfile and the renderer's output, the library's README links
//! only to absolute addresses (it is the crate's page on crates.io and
//! docs.rs) and names the prometheus-client version its `metrics` feature
//! pins, and the repository cites no document outside it.

use std::collections::BTreeSet;
use std::process::Command;

use test_support::{bins, process, workspace_root};

/// Where each suite named in RELIABILITY.md keeps its modules.
const SUITES: [(&str, &str); 14] = [
    ("lib", "health-lib/src"),
    ("units", "grpc-probe/src"),
    ("renderer", "templates/src"),
    ("xtask", "xtask/src"),
    ("containers", "tests/tests/containers"),
    ("kubelet", "tests/tests/kubelet"),
    ("integration", "tests/tests/integration"),
    ("demo", "examples/tests/demo"),
    ("probe", "grpc-probe/tests/probe"),
    ("manifests", "templates/tests/manifests"),
    ("balance", "health-balance/tests/balance"),
    ("balancer", "health-balance/src"),
    ("layer", "rpc-metrics/tests/layer"),
    ("rpcmetrics", "rpc-metrics/src"),
];

fn read(relative: &str) -> String {
    std::fs::read_to_string(workspace_root().join(relative))
        .unwrap_or_else(|error| panic!("read {relative}: {error}"))
}

/// `(suite, module path, test)` for every test the table rows of `document`
/// name: in a row's last cell, a suite word applies to the backticked
/// `module::test` (or `module::tests::test`) names after it.
fn named_tests(document: &str) -> BTreeSet<(String, String, String)> {
    let mut named = BTreeSet::new();
    for row in document.lines().filter(|line| line.starts_with('|')) {
        let cell = row.trim_end_matches('|').rsplit('|').next().unwrap_or("");
        let mut suite = None;
        for (index, piece) in cell.split('`').enumerate() {
            if index % 2 == 0 {
                let mut words = piece.split(|c: char| !c.is_ascii_alphanumeric());
                if let Some(word) = words.rfind(|word| SUITES.iter().any(|(name, _)| name == word))
                {
                    suite = Some(word.to_owned());
                }
            } else if let (Some(suite), Some((module, test))) = (&suite, piece.rsplit_once("::")) {
                named.insert((suite.clone(), module.to_owned(), test.to_owned()));
            }
        }
    }
    named
}

/// The source of `module` (a `::` path) in `suite`: its own file, or its
/// parent's when it is an inline `mod tests`.
fn module_source(suite: &str, module: &str) -> String {
    let (_, dir) = SUITES
        .iter()
        .find(|(name, _)| *name == suite)
        .expect("a known suite");
    let path = module.replace("::", "/");
    let parent = path
        .rsplit_once('/')
        .map_or(path.as_str(), |(parent, _)| parent);
    [
        format!("{path}.rs"),
        format!("{path}/mod.rs"),
        format!("{parent}.rs"),
        format!("{parent}/mod.rs"),
    ]
    .iter()
    .find_map(|candidate| std::fs::read_to_string(workspace_root().join(dir).join(candidate)).ok())
    .unwrap_or_default()
}

#[test]
fn every_test_reliability_md_names_exists() {
    let named = named_tests(&read("RELIABILITY.md"));
    assert!(
        named.len() > 30,
        "only {} tests found: {named:?}",
        named.len()
    );
    let missing: Vec<_> = named
        .iter()
        .filter(|(suite, module, test)| {
            !module_source(suite, module).contains(&format!("fn {test}("))
        })
        .collect();
    assert!(
        missing.is_empty(),
        "RELIABILITY.md names missing tests: {missing:?}"
    );
}

#[test]
fn the_repository_cites_no_outside_design_document() {
    let tracked = Command::new("git")
        .args(["grep", "-n", "-I", "DESIGN\\.md", "--", "."])
        .current_dir(workspace_root())
        .output()
        .expect("run git grep");
    let hits = String::from_utf8_lossy(&tracked.stdout);
    let hits: Vec<&str> = hits
        .lines()
        .filter(|line| !line.starts_with("tests/tests/integration/docs.rs:"))
        .collect();
    assert!(
        hits.is_empty(),
        "cites a document outside the repository: {hits:#?}"
    );
}

/// The fenced code blocks of a Markdown document, without their fences.
fn code_blocks(markdown: &str) -> Vec<String> {
    let mut blocks = Vec::new();
    let mut open: Option<Vec<&str>> = None;
    for line in markdown.lines() {
        if line.trim_start().starts_with("```") {
            match open.take() {
                Some(block) => blocks.push(block.join("\n")),
                None => open = Some(Vec::new()),
            }
        } else if let Some(block) = open.as_mut() {
            block.push(line);
        }
    }
    blocks
}

const CRATE_READMES: [&str; 7] = [
    "proto/README.md",
    "health-lib/README.md",
    "health-contrib/README.md",
    "grpc-probe/README.md",
    "templates/README.md",
    "rpc-metrics/README.md",
    "health-balance/README.md",
];

#[test]
fn root_readme_examples_come_from_the_crate_readmes() {
    let readme = read("README.md");
    let blocks = code_blocks(&readme);
    assert!(blocks.len() >= 4, "{blocks:?}");
    let (commands, examples) = blocks.split_first().expect("blocks");
    let crate_readmes: Vec<String> = CRATE_READMES.iter().map(|path| read(path)).collect();
    for example in examples {
        let lines: Vec<&str> = example.lines().map(str::trim).collect();
        let found = crate_readmes.iter().any(|crate_readme| {
            lines
                .iter()
                .all(|line| crate_readme.lines().any(|other| other.trim() == *line))
        });
        assert!(
            found,
            "not in any crate README (where it is tested):\n{example}"
        );
    }
    let ci = read(".ci/run");
    for command in commands.lines() {
        let command = command.split('#').next().unwrap_or("").trim();
        match command {
            "bash examples/demo.sh" => {}
            "cargo xtask test" => assert!(
                ci.lines().any(|line| line.trim() == command),
                ".ci/run does not run `{command}`"
            ),
            other => panic!("the README's two commands changed: `{other}`"),
        }
    }
}

#[test]
fn probe_readme_dockerfile_is_the_one_the_container_suite_builds() {
    let readme = read("grpc-probe/README.md");
    let in_readme = readme
        .split("```dockerfile\n")
        .nth(1)
        .and_then(|rest| rest.split("```").next())
        .expect("a dockerfile block");
    let unindented: Vec<&str> = in_readme
        .lines()
        .map(|line| line.strip_prefix("  ").unwrap_or(line))
        .collect();
    assert_eq!(
        unindented.join("\n").trim_end(),
        read("examples/Dockerfile.example").trim_end()
    );
}

/// `health-manifests` with the README's values and `sets`.
fn rendered(sets: &[&str]) -> String {
    let mut command = std::process::Command::new(bins::health_manifests());
    command.args([
        "--set",
        "name=app",
        "--set",
        "image=registry.example/app:1.2.3",
        "--set",
        "port=50051",
    ]);
    for set in sets {
        command.args(["--set", set]);
    }
    let run = process::run_blocking(command);
    run.assert_exit(0, &[]);
    run.stdout
}

#[test]
fn probe_readme_kubernetes_yaml_is_what_the_renderer_writes() {
    let readme = read("grpc-probe/README.md");
    let blocks: Vec<String> = code_blocks(&readme)
        .into_iter()
        .filter(|block| {
            block.starts_with("readinessProbe:") || block.starts_with("initContainers:")
        })
        .collect();
    assert_eq!(blocks.len(), 2, "{blocks:?}");
    for (block, sets) in blocks
        .iter()
        .zip([&[][..], &["probe.install=initContainer"][..]])
    {
        let render = rendered(sets);
        for line in block.lines().map(str::trim).filter(|line| !line.is_empty()) {
            assert!(
                render.lines().any(|rendered| rendered.trim() == line),
                "{line:?} is not in the render with {sets:?}:\n{render}"
            );
        }
    }
}

/// The `key = value` settings of the root manifest's `[profile.probe]`,
/// without `inherits`.
fn probe_profile_settings() -> Vec<(String, String)> {
    let manifest = read("Cargo.toml");
    manifest
        .lines()
        .skip_while(|line| line.trim() != "[profile.probe]")
        .skip(1)
        .take_while(|line| !line.trim_start().starts_with('['))
        .filter_map(|line| line.split_once('='))
        .map(|(key, value)| (key.trim().to_owned(), value.trim().to_owned()))
        .filter(|(key, _)| key != "inherits")
        .collect()
}

/// A crates.io install cannot see the workspace's `probe` profile, so the
/// probe README passes the same settings as `--config` flags: each setting
/// once, and nothing else.
#[test]
fn probe_readme_crates_io_install_carries_the_probe_profile() {
    let readme = read("grpc-probe/README.md");
    let install = code_blocks(&readme)
        .into_iter()
        .find(|block| block.contains("cargo install --locked grpc-health-exec-probe"))
        .expect("the probe README has a crates.io install command");
    let settings = probe_profile_settings();
    assert!(settings.len() >= 4, "[profile.probe] read as {settings:?}");
    for (key, value) in &settings {
        let flag = format!("--config 'profile.release.{key}={value}'");
        assert!(install.contains(&flag), "missing `{flag}` in:\n{install}");
    }
    assert_eq!(
        install.matches("--config").count(),
        settings.len(),
        "one flag per setting of [profile.probe]:\n{install}"
    );
    assert!(
        !read("grpc-probe/Cargo.toml").contains("[profile"),
        "a member's profile is ignored inside the workspace, with a warning on every build"
    );
}

/// A heading's anchor, as GitHub and crates.io make it.
fn anchor(heading: &str) -> String {
    heading
        .trim()
        .to_lowercase()
        .chars()
        .filter(|c| c.is_alphanumeric() || matches!(c, ' ' | '-' | '_'))
        .map(|c| if c == ' ' { '-' } else { c })
        .collect()
}

/// The targets of the inline (`[text](target)`) and reference
/// (`[name]: target`) links in `markdown`.
fn link_targets(markdown: &str) -> Vec<&str> {
    let inline = markdown
        .split("](")
        .skip(1)
        .map(|rest| rest.split(')').next().unwrap_or(rest));
    let reference = markdown
        .lines()
        .filter(|line| line.starts_with('[') && line.contains("]: "))
        .filter_map(|line| line.split("]: ").nth(1));
    inline.chain(reference).collect()
}

/// A crate README is its page on crates.io and docs.rs, where a relative
/// link points nowhere: every link is absolute or to one of its headings.
#[test]
fn crate_readme_links_work_on_their_crates_io_pages() {
    let mut links = 0;
    for path in CRATE_READMES {
        let readme = read(path);
        let anchors: Vec<String> = readme
            .lines()
            .filter_map(|line| line.strip_prefix('#'))
            .map(|heading| anchor(heading.trim_start_matches('#')))
            .collect();
        let targets = link_targets(&readme);
        links += targets.len();
        for target in targets {
            match target.strip_prefix('#') {
                Some(name) => assert!(
                    anchors.iter().any(|a| a == name),
                    "{path} links to `#{name}`, which is no heading of it"
                ),
                None => assert!(
                    target.starts_with("https://"),
                    "{path} links to `{target}`, which breaks on crates.io; link to \
                     https://crates.io/crates/... or https://docs.rs/... instead"
                ),
            }
        }
    }
    assert!(links >= 3, "the READMEs' links were not found: {links}");
}

#[test]
fn library_docs_name_the_prometheus_client_version_the_metrics_feature_pins() {
    let manifest = read("Cargo.toml");
    let pinned = manifest
        .lines()
        .find_map(|line| line.strip_prefix("prometheus-client = \""))
        .and_then(|rest| rest.split('"').next())
        .expect("a prometheus-client version in the workspace Cargo.toml");
    for document in ["health-lib/README.md", "health-lib/src/lib.rs"] {
        let text = read(document).replace("\n/// ", " ").replace('\n', " ");
        assert!(
            text.contains(&format!("prometheus-client {pinned}")),
            "{document} does not say the metrics feature pins prometheus-client {pinned}"
        );
    }
}

/// The library README's register line with per-RPC metrics cannot be compiled
/// there (the library does not depend on grpc-rpc-metrics): it is the one
/// that grpc-rpc-metrics' README compiles, line for line.
#[test]
fn library_readme_rpc_metrics_example_is_the_compiled_one() {
    let library = read("health-lib/README.md");
    let block = library
        .split("```rust,ignore\n")
        .nth(1)
        .and_then(|rest| rest.split("```").next())
        .expect("the library README's uncompiled example");
    assert!(block.contains("RpcMetrics::server()"), "{block}");
    let compiled = read("rpc-metrics/README.md");
    for line in block.lines().filter(|line| !line.trim().is_empty()) {
        assert!(
            compiled.lines().any(|other| other == line),
            "not in rpc-metrics/README.md, where it is compiled: {line}"
        );
    }
    assert_eq!(
        library.matches("```rust,ignore").count(),
        1,
        "one such example"
    );
}
