//! The pre-commit hooks in `.pre-commit-hooks.yaml`, run by the real
//! pre-commit (`try-repo`) against a small consuming repository: passing,
//! failing on a schema error, failing on drift. pre-commit builds deploygen
//! with `language: rust`, which takes minutes: this test is `#[ignore]`d and
//! run by `cargo test -- --include-ignored` (the full suite, and `.ci/run`).

use crate::support::{repo, MINIMAL};
use std::path::{Path, PathBuf};
use std::process::Command;

fn tools_venv() -> PathBuf {
    PathBuf::from(std::env::var_os("HOME").unwrap_or_default()).join(".cache/deploygen-test-tools")
}

/// pre-commit 4.3.0 in its own virtualenv, installed on first use.
fn pre_commit() -> PathBuf {
    let venv = tools_venv();
    let bin = venv.join("bin/pre-commit");
    if !bin.exists() {
        let ok = Command::new("python3")
            .args(["-m", "venv"])
            .arg(&venv)
            .status()
            .unwrap()
            .success()
            && Command::new(venv.join("bin/pip"))
                .args(["install", "-q", "--disable-pip-version-check", "pre-commit==4.3.0"])
                .status()
                .unwrap()
                .success();
        assert!(ok, "could not install pre-commit");
    }
    bin
}

fn git(dir: &Path, args: &[&str]) {
    let status = Command::new("git")
        .args(["-c", "user.name=t", "-c", "user.email=t@example.com"])
        .args(args)
        .current_dir(dir)
        .status()
        .unwrap();
    assert!(status.success(), "git {args:?}");
}

fn try_repo(pre_commit: &Path, dir: &Path, hook: &str) -> (bool, String) {
    let mut command = Command::new(pre_commit);
    command.arg("try-repo").arg(repo());
    if !hook.is_empty() {
        command.arg(hook);
    }
    let output = command
        .arg("--all-files")
        .current_dir(dir)
        .env("PRE_COMMIT_HOME", tools_venv().join("pre-commit-home"))
        .output()
        .unwrap();
    let text = format!(
        "{}{}",
        String::from_utf8_lossy(&output.stdout),
        String::from_utf8_lossy(&output.stderr)
    );
    (output.status.success(), text)
}

#[test]
#[ignore = "builds deploygen inside pre-commit (minutes); run with --include-ignored"]
fn pre_commit_hooks_pass_then_fail_on_a_schema_error_then_on_drift() {
    let pre_commit = pre_commit();
    let consumer = tempfile::tempdir().unwrap();
    let dir = consumer.path();
    std::fs::create_dir_all(dir.join("environments")).unwrap();
    std::fs::write(dir.join("environments/demo.yaml"), format!("{MINIMAL}output: demo\n")).unwrap();
    // Inside the repository first: headers name the descriptor relative to its root.
    git(dir, &["init", "-q"]);
    let render = Command::cargo_bin_path();
    let status = Command::new(&render)
        .args(["render", "environments/demo.yaml"])
        .current_dir(dir)
        .status()
        .unwrap();
    assert!(status.success());
    git(dir, &["add", "-A"]);
    git(dir, &["commit", "-q", "-m", "demo"]);

    // Every hook of the repository at once.
    let (ok, text) = try_repo(&pre_commit, dir, "");
    assert!(ok, "both hooks should pass:\n{text}");
    assert!(
        text.contains("deploygen validate") && text.contains("deploygen check"),
        "{text}"
    );

    std::fs::write(
        dir.join("environments/demo.yaml"),
        format!("{MINIMAL}output: demo\nservics: {{}}\n"),
    )
    .unwrap();
    git(dir, &["add", "-A"]);
    let (ok, text) = try_repo(&pre_commit, dir, "deploygen-validate");
    assert!(!ok, "a schema error must fail the hook:\n{text}");
    assert!(
        text.contains("unknown key `servics`; did you mean `services`?"),
        "{text}"
    );

    std::fs::write(
        dir.join("environments/demo.yaml"),
        format!(
            "{}output: demo\n",
            MINIMAL.replace("example/web:1.0", "example/web:2.0")
        ),
    )
    .unwrap();
    git(dir, &["add", "-A"]);
    let (ok, text) = try_repo(&pre_commit, dir, "deploygen-check");
    assert!(!ok, "drift must fail the hook:\n{text}");
    assert!(text.contains("drift: `environments/demo` differs"), "{text}");
}

trait BinPath {
    fn cargo_bin_path() -> PathBuf;
}

impl BinPath for Command {
    fn cargo_bin_path() -> PathBuf {
        assert_cmd::cargo::cargo_bin("deploygen")
    }
}
