//! Running the migration notes runs only the commands they spell out
//! (issue 22, item 2): every path, revision, name and command that reaches a
//! `bash` block is one shell word. Each block is checked with `bash -n`, then
//! run with a stub for every CLI the notes call (each records its argv), and
//! an injected command would leave a `PWNED` file behind.

use crate::support::{git_in, repo, Test};
use proptest::prelude::*;
use std::path::{Path, PathBuf};
use std::process::Command;

/// Every program the notes call, stubbed: none of them may touch a real system.
const CLIS: &[&str] = &[
    "az",
    "docker",
    "git",
    "deploygen",
    "redis-cli",
    "psql",
    "render",
    "celery",
    "python",
    "python3",
    "node",
    "bundle",
    "rq",
    "curl",
    "openssl",
    "kubectl",
];

/// The ```bash blocks of `notes`, each as the script it holds.
fn bash_blocks(notes: &str) -> Vec<String> {
    let mut blocks = Vec::new();
    let mut current: Option<String> = None;
    for line in notes.lines() {
        let trimmed = line.trim();
        match &mut current {
            None if trimmed == "```bash" => current = Some(String::new()),
            Some(block) if trimmed == "```" => {
                blocks.push(std::mem::take(block));
                current = None;
            }
            Some(block) => {
                block.push_str(line.strip_prefix("   ").unwrap_or(line));
                block.push('\n');
            }
            None => {}
        }
    }
    assert!(current.is_none(), "an unclosed bash block in\n{notes}");
    blocks
}

/// A folder of stubs that append their name and argv to `log`: the number of
/// fields, then each field, every one ended by a NUL.
fn stubs(dir: &Path, log: &Path) -> PathBuf {
    let bin = dir.join("stub-bin");
    std::fs::create_dir_all(&bin).unwrap();
    for cli in CLIS {
        let script = format!(
            "#!/bin/sh\nprintf '%s\\0' \"$(($# + 1))\" \"$(basename \"$0\")\" \"$@\" >> '{}'\n",
            log.display()
        );
        let path = bin.join(cli);
        std::fs::write(&path, script).unwrap();
        use std::os::unix::fs::PermissionsExt;
        std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o755)).unwrap();
    }
    bin
}

/// Every file under `dir` whose name starts with `PWNED`.
fn pwned(dir: &Path) -> Vec<PathBuf> {
    let mut found = Vec::new();
    let mut stack = vec![dir.to_path_buf()];
    while let Some(d) = stack.pop() {
        for entry in std::fs::read_dir(&d).into_iter().flatten().flatten() {
            let path = entry.path();
            if entry.file_name().to_string_lossy().starts_with("PWNED") {
                found.push(path.clone());
            }
            if entry.file_type().is_ok_and(|t| t.is_dir() && !t.is_symlink()) {
                stack.push(path);
            }
        }
    }
    found
}

/// Checks each block with `bash -n`, runs it in a fresh folder under `dir`
/// with the stubs first on PATH (real `touch` and friends after them, so an
/// injected command would run), and returns each recorded argv.
fn run_blocks(dir: &Path, blocks: &[String]) -> Vec<Vec<String>> {
    let log = dir.join("argv.log");
    let bin = stubs(dir, &log);
    let work = dir.join("run");
    std::fs::create_dir_all(&work).unwrap();
    for block in blocks {
        let syntax = Command::new("bash").args(["-n", "-c", block]).output().unwrap();
        assert!(
            syntax.status.success(),
            "bash -n: {}\n{block}",
            String::from_utf8_lossy(&syntax.stderr)
        );
        // Exit codes are not checked: placeholders such as `'<resource-group>'`
        // and psql's `\dt` are for a person to fill in or type elsewhere.
        Command::new("bash")
            .args(["-c", block])
            .current_dir(&work)
            .env("PATH", format!("{}:/usr/bin:/bin", bin.display()))
            .env("HOME", &work)
            .output()
            .unwrap();
    }
    // Each record: the number of fields, then the fields, each ended by NUL.
    let text = std::fs::read_to_string(&log).unwrap_or_default();
    let mut fields = text.split('\0');
    let mut records = Vec::new();
    while let Some(count) = fields.next().filter(|c| !c.is_empty()) {
        let n: usize = count.parse().expect("a field count");
        records.push(fields.by_ref().take(n).map(String::from).collect());
    }
    records
}

/// The harness sees an injection when there is one.
#[test]
fn the_stub_harness_catches_an_injected_command() {
    let test = Test::new();
    let argv = run_blocks(test.dir.path(), &["az group list --name $(touch PWNED)\n".into()]);
    assert_eq!(pwned(test.dir.path()).len(), 1);
    assert_eq!(
        argv,
        [vec!["az".to_string(), "group".into(), "list".into(), "--name".into()]]
    );
}

/// A shipped descriptor as YAML, to be edited and written under another name.
fn shipped(file: &str) -> serde_yaml::Value {
    serde_yaml::from_str(&std::fs::read_to_string(repo().join("environments").join(file)).unwrap()).unwrap()
}

/// `descriptor` written as `name` in a fresh git repository, committed, with
/// branch `branch` at that commit.
fn repository(name: &str, descriptor: &serde_yaml::Value, branch: Option<&str>) -> Test {
    let test = Test::new().write(name, &serde_yaml::to_string(descriptor).unwrap());
    let git = |args: &[&str]| git_in(test.dir.path(), args);
    git(&["init", "-q"]);
    git(&["add", "--", name]);
    git(&["commit", "-q", "-m", "base"]);
    if let Some(branch) = branch {
        git(&["branch", "--", branch]);
    }
    test
}

/// The regression of issue 22 item 2, as reported: a descriptor named
/// `rb$(touch${IFS}PWNED).yaml` and a branch `rel;touch${IFS}PWNED2`.
#[test]
fn the_descriptor_path_and_the_revision_reach_the_notes_as_one_word() {
    let name = "rb$(touch${IFS}PWNED).yaml";
    let branch = "rel;touch${IFS}PWNED2";
    for file in ["fastapi-rq.yaml", "instructly.yaml", "node-bullmq.yaml", "chat.yaml"] {
        let mut d = shipped(file);
        d.as_mapping_mut().unwrap().remove("output");
        let test = repository(name, &d, Some(branch));
        // Both sides read the same file: the edit makes the difference.
        let run = test.run(&[
            "diff",
            name,
            "--against",
            branch,
            "--without",
            "redis",
            "--format",
            "markdown",
        ]);
        assert_eq!(run.code, 1, "{file}: {}", run.stderr);
        let argv = run_blocks(test.dir.path(), &bash_blocks(&run.stdout));
        assert!(
            pwned(test.dir.path()).is_empty(),
            "{file}: an injected command ran:\n{}",
            run.stdout
        );
        assert!(
            argv.iter().any(|a| a[..] == ["git", "checkout", branch, "--", name]),
            "{file}: {argv:?}"
        );
        assert!(
            argv.iter().any(|a| a[..] == ["deploygen", "render", name]),
            "{file}: {argv:?}"
        );
    }
}

/// Pieces of hostile names: shell syntax of every kind, quotes, line breaks,
/// a leading dash, and the markdown fence itself.
fn hostile() -> impl Strategy<Value = String> {
    let pieces = prop::sample::select(vec![
        "$(touch${IFS}PWNED)",
        "`touch PWNED1`",
        ";touch PWNED2;",
        "&&touch PWNED3",
        "|touch PWNED4",
        "'",
        "\"",
        " ",
        "\n",
        "\n```\ntouch PWNED5\n```\n",
        "\\",
        "$IFS",
        "#",
        "<x>",
        "*",
        "~",
        "é",
        "-",
        "a",
        "b1",
    ]);
    prop::collection::vec(pieces, 1..6).prop_map(|v| v.concat())
}

/// A branch name git accepts (`git check-ref-format --branch`), or none.
fn valid_branch(dir: &Path, name: &str) -> bool {
    Command::new("git")
        .args(["check-ref-format", "--branch", name])
        .current_dir(dir)
        .output()
        .is_ok_and(|o| o.status.success())
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 24, ..ProptestConfig::default() })]

    /// Hostile descriptor names, output folders, revisions and Celery app
    /// names, on every platform: the notes' blocks parse, and running them
    /// with stubbed CLIs runs no injected command.
    #[test]
    fn hostile_names_never_run_as_commands(
        stem in hostile(),
        output in hostile(),
        branch in hostile(),
        app in "[a-z]{1,3}(\\$\\(touch\\$\\{IFS\\}PWNED9\\)|;touch\\$\\{IFS\\}PWNED9|`touch\\$\\{IFS\\}PWNED9`)",
        file in prop::sample::select(vec![
            "fastapi-rq.yaml", "instructly.yaml", "node-bullmq.yaml", "chat.yaml", "rails-sidekiq.yaml",
        ]),
    ) {
        let name = format!("{}.yaml", stem.replace(['/', '\0'], "_"));
        let mut d = shipped(file);
        let map = d.as_mapping_mut().unwrap();
        map.insert("output".into(), output.clone().into());
        if let Some(worker) = map
            .get_mut("services")
            .and_then(|s| s.get_mut("instructly-celery-worker"))
            .and_then(|w| w.as_mapping_mut())
        {
            worker.insert("command".into(), format!("celery -A {app} worker").into());
        }
        let probe = Test::new();
        let branch = valid_branch(probe.dir.path(), &branch).then_some(branch);
        let test = repository(&name, &d, branch.as_deref());
        let mut args = vec!["diff", name.as_str()];
        if let Some(branch) = &branch {
            args.extend(["--against", branch.as_str()]);
        }
        args.extend(["--without", "redis", "--format", "markdown"]);
        let run = test.run(&args);
        // An output folder deploygen refuses is an error, not notes.
        prop_assume!(run.code == 1);
        let blocks = bash_blocks(&run.stdout);
        prop_assert!(!blocks.is_empty());
        let argv = run_blocks(test.dir.path(), &blocks);
        prop_assert!(pwned(test.dir.path()).is_empty(), "an injected command ran:\n{}", run.stdout);
        prop_assert!(
            argv.iter().any(|a| a.len() == 3 && a[..2] == ["deploygen", "render"] && a[2].ends_with(&name)),
            "{argv:?}"
        );
    }
}
