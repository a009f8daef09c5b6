//! The third-party validators in ../shared/tools accept every rendered file.
//! When they are not installed yet, this test installs them (pinned, once per
//! machine, about a minute) so that `cargo test` alone is the whole suite.
//! DEPLOYGEN_SKIP_VALIDATORS=1 skips it (offline work); `.ci/run` never does.

use crate::support::{render_shipped_environments, repo, run_in};
use std::path::PathBuf;
use std::process::Command;

fn shared_tools() -> PathBuf {
    std::env::var_os("DEPLOYGEN_SHARED")
        .map(PathBuf::from)
        .unwrap_or_else(|| repo().join("../shared"))
        .join("tools")
}

fn venv() -> PathBuf {
    std::env::var_os("VALIDATORS_VENV")
        .map(PathBuf::from)
        .unwrap_or_else(|| {
            PathBuf::from(std::env::var_os("HOME").unwrap_or_default()).join(".cache/deploygen-validators")
        })
}

#[test]
fn rendered_environments_pass_the_third_party_validators() {
    if std::env::var("DEPLOYGEN_SKIP_VALIDATORS").as_deref() == Ok("1") {
        eprintln!("SKIPPED: DEPLOYGEN_SKIP_VALIDATORS=1");
        return;
    }
    let tools = shared_tools();
    assert!(
        tools.join("validate-outputs.sh").is_file(),
        "no validators at {} (set DEPLOYGEN_SHARED to the shared/ folder)",
        tools.display()
    );
    if !venv().join("bin/python").exists() {
        let setup = Command::new("bash")
            .arg(tools.join("setup-validators.sh"))
            .output()
            .unwrap();
        assert!(
            setup.status.success(),
            "setup-validators.sh failed:\n{}",
            String::from_utf8_lossy(&setup.stderr)
        );
    }
    let dir = tempfile::tempdir().unwrap();
    render_shipped_environments(dir.path());
    // Strings that once made pycep (and so Checkov) skip a whole module.
    let hostile = dir.path().join("hostile-bicep");
    let run = run_in(
        &repo(),
        &[
            "render",
            "tests/fixtures/hostile-bicep.yaml",
            "-o",
            hostile.to_str().unwrap(),
        ],
    );
    assert_eq!(run.code, 0, "{}", run.stderr);
    // The operator fills in the secrets the examples leave empty (their
    // `${VAR:?}` guards refuse an unfilled copy): the same step as `.ci/run`.
    let filled = Command::new("bash")
        .arg(repo().join("tests/fill-env-examples.sh"))
        .arg(dir.path())
        .status()
        .unwrap();
    assert!(filled.success(), "tests/fill-env-examples.sh failed");
    let output = Command::new("bash")
        .arg(tools.join("validate-outputs.sh"))
        .arg(dir.path())
        .output()
        .unwrap();
    let report = String::from_utf8_lossy(&output.stdout);
    assert!(
        output.status.success(),
        "validators failed:\n{report}\n{}",
        String::from_utf8_lossy(&output.stderr)
    );
    let rendered = walk(dir.path());
    let passed = report.lines().filter(|l| l.starts_with("PASS ")).count();
    assert_eq!(passed, rendered, "every rendered file must be validated:\n{report}");
    // Every Bicep file was parsed by pycep and scanned by Checkov: a file
    // one of them cannot read fails here, never passes unscanned.
    for line in report.lines().filter(|l| l.contains(".bicep")) {
        assert!(
            line.starts_with("PASS ") && line.contains("pycep") && line.contains("checkov-bicep"),
            "a Bicep file not parsed by every validator: {line}\n{report}"
        );
    }
    for needle in [
        "compose-spec",
        "compose-config",
        "dotenv-linter-rs",
        "checkov-secrets",
        "pycep",
        "checkov-bicep",
    ] {
        assert!(report.contains(needle), "{needle} did not run:\n{report}");
    }
}

/// Files the validators have something to say about (see validate-outputs.sh).
fn walk(dir: &std::path::Path) -> usize {
    std::fs::read_dir(dir)
        .unwrap()
        .flatten()
        .map(|e| {
            let name = e.file_name().to_string_lossy().into_owned();
            let validated = name.ends_with(".bicep")
                || (name.starts_with("docker-compose") && name.ends_with(".yml"))
                || name == "render.yaml"
                || name.starts_with(".env")
                || (name.starts_with("redis") && name.ends_with(".conf"));
            if e.path().is_dir() {
                walk(&e.path())
            } else {
                usize::from(validated)
            }
        })
        .sum()
}
