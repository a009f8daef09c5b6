//! init, completions, man page, JSON of check, colour rules, broken pipes.

use crate::support::{repo, Test, MINIMAL};
use std::io::Read;
use std::process::{Command, Stdio};

#[test]
fn init_writes_a_starter_that_validates_and_never_overwrites() {
    let test = Test::new();
    for platform in ["compose", "azure-container-apps", "azure-app-service", "render"] {
        for cache in ["none", "database", "redis"] {
            let path = format!("envs/{platform}-{cache}.yaml");
            let run = test.run(&[
                "init",
                &path,
                "--name",
                "shop",
                "--platform",
                platform,
                "--cache",
                cache,
            ]);
            assert_eq!(run.code, 0, "{}", run.stderr);
            test.run(&["validate", &path]).expect(0, "", &format!("{path}: ok\n"));
        }
    }
    assert!(
        test.read("envs/environment.schema.json").contains("\"$schema\""),
        "the editor schema is written beside"
    );
    test.run(&["init", "envs/compose-redis.yaml"]).expect(
        2,
        "",
        "error: `envs/compose-redis.yaml` exists already; `deploygen init` never overwrites a file\n",
    );
    test.run(&["init", "x.yaml", "--name", "Bad Name"]).expect(
        2,
        "",
        "error: `--name Bad Name`: use lower-case letters, digits and dashes, starting with a letter\n",
    );
}

#[test]
fn completions_and_the_man_page_are_printed() {
    let test = Test::new();
    let bash = test.run(&["completions", "bash"]);
    assert_eq!(bash.code, 0);
    assert!(bash.stdout.contains("_deploygen()") && bash.stdout.contains("validate"));
    let man = test.run(&["man"]);
    assert_eq!(man.code, 0);
    assert!(
        man.stdout.starts_with(".ie \\n(.g .ds Aq") || man.stdout.contains(".TH deploygen"),
        "{}",
        &man.stdout[..200]
    );
}

#[test]
fn check_json_is_versioned_and_lists_drift() {
    let test = Test::new().write("demo.yaml", &format!("{MINIMAL}output: out\n"));
    test.run(&["render", "demo.yaml"]);
    std::fs::remove_file(test.path("out/.env.example")).unwrap();
    let run = test.run(&["check", "--format", "json", "demo.yaml"]);
    assert_eq!(run.code, 1);
    let doc: serde_json::Value = serde_json::from_str(&run.stdout).unwrap();
    assert_eq!(doc["version"], 1);
    assert_eq!(doc["environments"][0]["in_sync"], false);
    assert_eq!(doc["environments"][0]["missing"][0], ".env.example");
}

/// The keys of each versioned JSON document, in the order printed: scripts
/// read them, the README shows them.
#[test]
fn json_documents_keep_their_keys_in_order() {
    let keys = |v: &serde_json::Value| v.as_object().unwrap().keys().cloned().collect::<Vec<_>>();
    let test = Test::new().write("demo.yaml", &format!("{MINIMAL}output: out\n"));
    test.run(&["render", "demo.yaml"]);
    std::fs::write(test.path("out/.env.example"), "# edited\n").unwrap();
    let check: serde_json::Value =
        serde_json::from_str(&test.run(&["check", "--format", "json", "demo.yaml"]).stdout).unwrap();
    assert_eq!(keys(&check), ["version", "environments"]);
    assert_eq!(
        keys(&check["environments"][0]),
        ["descriptor", "output", "in_sync", "changed", "missing", "stale"]
    );
    assert_eq!(keys(&check["environments"][0]["changed"][0]), ["path", "diff"]);
    let test = test.write("bad.yaml", &format!("{MINIMAL}secrets: {{x: {{}}}}\nunknown: 1\n"));
    let validate: serde_json::Value = serde_json::from_str(
        &test
            .run(&["validate", "--format", "json", "demo.yaml", "bad.yaml"])
            .stdout,
    )
    .unwrap();
    assert_eq!(keys(&validate), ["version", "files"]);
    assert_eq!(keys(&validate["files"][1]), ["path", "findings"]);
    assert_eq!(validate["files"][1]["path"], "bad.yaml");
    let plan: serde_json::Value =
        serde_json::from_str(&crate::support::run_in(&repo(), &["plan", "instructly", "--format", "json"]).stdout)
            .unwrap();
    assert_eq!(
        keys(&plan["resources"][0]),
        ["kind", "name", "detail", "monthly_usd", "price_source"],
        "the SKU prices by is not part of the Plan's JSON"
    );
    let diff: serde_json::Value = serde_json::from_str(
        &crate::support::run_in(
            &repo(),
            &["diff", "magictoolbox-dev", "--without", "redis", "--format", "json"],
        )
        .stdout,
    )
    .unwrap();
    assert_eq!(
        keys(&diff),
        [
            "version",
            "before",
            "after",
            "changed",
            "files",
            "services",
            "secrets",
            "resources",
            "cost",
            "notes",
            "diffs"
        ]
    );
    assert_eq!(keys(&diff["diffs"][0]), ["path", "status", "diff"]);
    let statuses: Vec<&str> = diff["services"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| s["status"].as_str().unwrap())
        .collect();
    assert!(
        statuses.iter().all(|s| ["added", "removed", "changed"].contains(s)),
        "{statuses:?}"
    );
    assert_eq!(diff["resources"]["removed"][0]["kind"], "Microsoft.Cache/redis");
}

#[test]
fn no_colour_off_a_terminal_even_in_diffs() {
    let test = Test::new().write("demo.yaml", &format!("{MINIMAL}output: out\n"));
    test.run(&["render", "demo.yaml"]);
    let test = test.write("out/docker-compose.yml", "# Generated by deploygen\nchanged: true\n");
    let output = Command::new(assert_cmd::cargo::cargo_bin("deploygen"))
        .current_dir(test.dir.path())
        .env_remove("NO_COLOR")
        .args(["check", "demo.yaml"])
        .output()
        .unwrap();
    assert_eq!(output.status.code(), Some(1));
    assert!(!output.stdout.contains(&0x1b), "escape codes in piped output");
}

#[test]
fn a_closed_pipe_is_not_an_error() {
    let mut child = Command::new(assert_cmd::cargo::cargo_bin("deploygen"))
        .current_dir(repo())
        .args(["plan", "magictoolbox-dev", "--format", "json"])
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let mut first = [0u8; 1];
    child.stdout.take().unwrap().read_exact(&mut first).unwrap();
    // stdout is closed now: the rest of the output meets a broken pipe.
    let output = child.wait_with_output().unwrap();
    assert_eq!(
        output.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    assert!(output.stderr.is_empty(), "{}", String::from_utf8_lossy(&output.stderr));
}
