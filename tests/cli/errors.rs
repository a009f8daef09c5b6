//! Bad input: every problem in one run, with file:line:col, a JSON pointer,
//! and a suggestion where a name is close to a known one.

use crate::support::{Test, MINIMAL};

#[test]
fn a_clean_descriptor_validates() {
    Test::new()
        .write("demo.yaml", MINIMAL)
        .run(&["validate", "demo.yaml"])
        .expect(0, "", "demo.yaml: ok\n");
}

#[test]
fn schema_errors_name_line_column_pointer_and_the_expected_form() {
    let run = Test::new()
        .write(
            "demo.yaml",
            "name: demo\nplatform: compose\nservices:\n  web:\n    image: nginx\n    ports: [\"8000:8000\", \"eighty\"]\npostgres:\n  database: app\n  user: 42\n",
        )
        .run(&["validate", "demo.yaml"]);
    run.expect(
        1,
        "demo.yaml:6:26: error: /services/web/ports/1: `eighty` is not valid here: expected a published port: `CONTAINER` or `HOST:CONTAINER`, optionally prefixed with an IPv4 bind address (`127.0.0.1:3000:3000`)\n\
         demo.yaml:9:9: error: /postgres/user: expected a string, found a whole number\n",
        "demo.yaml: 2 errors, 0 warnings\n",
    );
}

#[test]
fn misspelled_keys_and_enum_values_get_a_suggestion() {
    let run = Test::new()
        .write(
            "demo.yaml",
            "name: demo\nplatform: compose\nservics:\n  web: {}\ncache:\n  kind: redsi\n  databse: 1\n",
        )
        .run(&["validate", "demo.yaml"]);
    run.expect(
        1,
        "demo.yaml:3:1: error: /servics: unknown key `servics`; did you mean `services`?\n\
         demo.yaml:6:9: error: /cache/kind: `redsi` is not one of `none`, `database`, `memcached`, `redis`; did you mean `redis`?\n\
         demo.yaml:7:3: error: /cache/databse: unknown key `databse`; did you mean `database`?\n",
        "demo.yaml: 3 errors, 0 warnings\n",
    );
}

#[test]
fn semantic_rules_report_every_problem_in_one_run() {
    let run = Test::new()
        .write(
            "demo.yaml",
            "name: demo\nplatform: compose\npostgres: {database: app, user: app}\nservices:\n  web:\n    image: nginx\n    ports: [\"8000:8000\"]\n    depends_on: [dbb]\n  worker:\n    image: nginx\n    role: scheduler\n    ports: [\"127.0.0.1:8000:80\"]\n    env:\n      KEY: {secret: api-key}\n",
        )
        .run(&["validate", "demo.yaml"]);
    run.expect(
        1,
        "demo.yaml:8:18: error: /services/web/depends_on/0: depends on unknown service `dbb`; did you mean `db`?\n\
         demo.yaml:11:11: error: /services/worker/role: a `scheduler` puts jobs on a queue, but `broker.kind` is `none`; set `broker.kind` to `celery`, `rq`, `sidekiq`, `bullmq`, `dramatiq`, `arq`, `pgqueuer`, `generic`\n\
         demo.yaml:12:13: error: /services/worker/ports/0: host port 8000 is already published at /services/web/ports/0\n\
         demo.yaml:14:21: error: /services/worker/env/KEY/secret: secret `api-key` is not declared; declare it under `secrets`\n",
        "demo.yaml: 4 errors, 0 warnings\n",
    );
}

#[test]
fn contradictory_cache_settings_are_refused() {
    Test::new()
        .write(
            "demo.yaml",
            "name: demo\nplatform: compose\npostgres: {database: app, user: app}\ncache:\n  kind: database\n  database: 1\nbroker:\n  kind: celery\n",
        )
        .run(&["validate", "demo.yaml"])
        .expect(
            1,
            "demo.yaml:6:3: error: /cache/database: `database` only applies to a Redis cache, but `cache.kind` is `database`\n\
             demo.yaml:8:9: error: /broker/kind: the broker's transport is Redis, but `cache.kind` is not `redis`: add a Redis cache or set `broker.transport: database`\n",
            "demo.yaml: 2 errors, 0 warnings\n",
        );
}

#[test]
fn malformed_yaml_is_a_finding_with_its_position() {
    Test::new()
        .write("demo.yaml", "name: demo\nplatform: [compose\nservices: {}\n")
        .run(&["validate", "demo.yaml"])
        .expect(
            1,
            "demo.yaml:3:9: error: invalid YAML: illegal placement of ':' indicator\n",
            "demo.yaml: 1 error, 0 warnings\n",
        );
}

#[test]
fn duplicate_keys_are_malformed() {
    Test::new()
        .write("demo.yaml", "name: demo\nplatform: compose\nname: other\n")
        .run(&["validate", "demo.yaml"])
        .expect(
            1,
            "demo.yaml:3:1: error: invalid YAML: duplicate key `name`\n",
            "demo.yaml: 1 error, 0 warnings\n",
        );
}

#[test]
fn a_missing_file_cannot_be_validated() {
    Test::new()
        .run(&["validate", "nothere.yaml"])
        .expect(2, "", "error: cannot read `nothere.yaml`: no such file\n");
}

#[test]
fn an_extends_cycle_is_reported_where_it_closes() {
    Test::new()
        .write("a.yaml", "extends: b.yaml\nname: a\n")
        .write("b.yaml", "extends: a.yaml\nplatform: compose\n")
        .run(&["validate", "a.yaml"])
        .expect(
            1,
            "b.yaml:1:10: error: /extends: `extends` goes round in a cycle: a.yaml -> b.yaml -> a.yaml\n",
            "a.yaml: 1 error, 0 warnings\n",
        );
}

#[test]
fn a_missing_extends_base_is_reported_at_the_extends_key() {
    Test::new()
        .write("a.yaml", "name: a\nextends: base.yaml\n")
        .run(&["validate", "a.yaml"])
        .expect(
            1,
            "a.yaml:2:10: error: /extends: cannot read `base.yaml`: No such file or directory (os error 2)\n",
            "a.yaml: 1 error, 0 warnings\n",
        );
}

#[test]
fn errors_in_merged_values_point_at_the_file_that_set_them() {
    Test::new()
        .write("_base.yaml", "platform: compose\ncache:\n  kind: redis\n  port: 0\n")
        .write("a.yaml", "extends: _base.yaml\nname: a\ncache:\n  database: 99\n")
        .run(&["validate", "a.yaml"])
        .expect(
            1,
            "_base.yaml:4:9: error: /cache/port: 0 is less than the minimum of 1\n\
             a.yaml:4:13: error: /cache/database: 99 is greater than the maximum of 15\n",
            "a.yaml: 2 errors, 0 warnings\n",
        );
}

#[test]
fn render_refuses_an_invalid_descriptor_and_writes_nothing() {
    let test = Test::new().write(
        "demo.yaml",
        "name: demo\nplatform: compose\nservices:\n  web: {image: nginx, depends_on: [nope]}\n",
    );
    test.run(&["render", "demo.yaml", "-o", "out"]).expect(
        2,
        "",
        "demo.yaml:4:36: error: /services/web/depends_on/0: depends on unknown service `nope`; known services: web\n\
         error: the descriptor is invalid (1 error)\n",
    );
    assert!(!test.path("out").exists());
}

#[test]
fn an_unknown_environment_name_gets_a_suggestion() {
    Test::new()
        .write("environments/revisbali.yaml", MINIMAL)
        .run(&["render", "revisbal"])
        .expect(
            2,
            "",
            "error: no environment `revisbal`: neither a file nor `environments/revisbal.yaml` exists; did you mean `revisbali`?\n",
        );
}

#[test]
fn github_format_prints_annotations() {
    Test::new()
        .write("demo.yaml", "name: demo\nplatform: compose\nservics: {}\n")
        .run(&["validate", "--format", "github", "demo.yaml"])
        .expect(
            1,
            "::error file=demo.yaml,line=3,col=1,title=deploygen schema::/servics: unknown key `servics`; did you mean `services`?\n",
            "",
        );
}

#[test]
fn json_format_is_versioned_and_parses() {
    let run = Test::new()
        .write("demo.yaml", "name: demo\nplatform: compose\nservics: {}\n")
        .run(&["validate", "--format", "json", "demo.yaml"]);
    assert_eq!(run.code, 1);
    let doc: serde_json::Value = serde_json::from_str(&run.stdout).unwrap();
    assert_eq!(doc["version"], 1);
    let finding = &doc["files"][0]["findings"][0];
    assert_eq!(finding["location"]["line"], 3);
    assert_eq!(finding["pointer"], "/servics");
    assert_eq!(finding["rule"], "schema");
}

#[test]
fn an_invalid_map_key_is_reported_at_the_key_with_the_expected_form() {
    Test::new()
        .write("demo.yaml", "name: demo\nplatform: compose\nservices:\n  Web:\n    image: nginx\n")
        .run(&["validate", "demo.yaml"])
        .expect(
            1,
            "demo.yaml:4:3: error: /services/Web: `Web` is not a valid name here: expected a service name: lower-case letters, digits, dashes and underscores, starting with a letter\n",
            "demo.yaml: 1 error, 0 warnings\n",
        );
}

#[cfg(unix)]
#[test]
fn an_extends_chain_through_a_folder_linked_to_itself_ends() {
    let test = Test::new().write("a.yaml", "extends: loop/a.yaml\nname: a\nplatform: compose\n");
    std::os::unix::fs::symlink(".", test.path("loop")).unwrap();
    let run = test.run(&["validate", "a.yaml"]);
    assert_eq!(run.code, 1, "{}", run.stderr);
    assert!(
        run.stdout.contains("error: /extends: `extends` goes round in a cycle"),
        "{}",
        run.stdout
    );
}

#[test]
fn an_endless_extends_chain_is_cut() {
    // Each file extends the next one down a deeper folder.
    let mut test = Test::new();
    for depth in 0..20 {
        let dir = "d/".repeat(depth);
        test = test.write(
            &format!("{dir}a.yaml"),
            "extends: d/a.yaml\nname: a\nplatform: compose\n",
        );
    }
    let run = test.run(&["validate", "a.yaml"]);
    assert_eq!(run.code, 1, "{}", run.stderr);
    assert!(
        run.stdout.contains("`extends` goes more than 16 files deep"),
        "{}",
        run.stdout
    );
}

/// With `--format github`, nothing a descriptor holds can become a workflow
/// command: not through findings, not through errors that are not findings.
#[test]
fn github_format_cannot_be_made_to_run_workflow_commands() {
    let forged = "nope%0A\n::stop-commands::tok\r\n::error file=x::forged\n  ::warning::w ##[error]old-style";
    let descriptor = format!("extends: {}\n{MINIMAL}", serde_json::to_string(forged).unwrap());
    let test = Test::new().write("demo.yaml", &descriptor);
    for args in [
        vec!["--format", "github", "render", "demo.yaml", "-o", "out"],
        vec!["--format", "github", "check", "demo.yaml"],
        vec!["--format", "github", "validate", "demo.yaml"],
        vec!["--format", "github", "plan", "demo.yaml"],
    ] {
        let run = test.run(&args);
        assert!(run.code == 1 || run.code == 2, "{args:?}: {}", run.code);
        let text = format!("{}{}", run.stdout, run.stderr);
        assert!(text.contains("::error "), "{args:?}: no annotation\n{text}");
        for line in text.split(['\n', '\r']) {
            let trimmed = line.trim_start();
            // Every command is one deploygen wrote, about demo.yaml.
            assert!(
                !trimmed.starts_with("::") || trimmed.starts_with("::error file=demo.yaml,line=1,col=10,"),
                "{args:?}: a line GitHub would run as a command: {line:?}\n{text}"
            );
            assert!(!line.contains("##["), "{args:?}: {line:?}");
        }
    }
}

/// In human format a key holding terminal escapes or a carriage return cannot
/// erase or rewrite its own finding: control characters are shown, not sent.
#[test]
fn human_format_shows_control_characters_instead_of_sending_them() {
    let key = "bad\u{1b}[2K\r\u{9b}2Kkey\u{202e}";
    let descriptor = format!("{MINIMAL}{}: 1\n", serde_json::to_string(key).unwrap());
    let test = Test::new().write("demo.yaml", &descriptor);
    for args in [
        vec!["validate", "demo.yaml"],
        vec!["render", "demo.yaml", "-o", "out"],
        vec!["--format", "json", "validate", "demo.yaml"],
    ] {
        let run = test.run(&args);
        let text = format!("{}{}", run.stdout, run.stderr);
        assert!(
            !text.contains(['\u{1b}', '\r', '\u{9b}', '\u{202e}']),
            "{args:?}: raw control characters in\n{text:?}"
        );
        if args[0] != "--format" {
            assert!(
                text.contains("bad\\u001b[2K\\u000d\\u009b2Kkey\\u202e"),
                "{args:?}: {text}"
            );
        }
    }
    // JSON output stays valid JSON, the key intact once parsed.
    let json: serde_json::Value =
        serde_json::from_str(&test.run(&["--format", "json", "validate", "demo.yaml"]).stdout).unwrap();
    let message = json["files"][0]["findings"][0]["message"].as_str().unwrap();
    assert!(message.contains(key), "the JSON document lost the key: {message:?}");
}

// Issue 22, item 4: a reader that leaves early never turns a failure into success.

/// Run deploygen in `dir` with stdout a pipe whose reader is gone already:
/// every write to it fails with EPIPE. Returns the exit code and stderr.
fn run_into_closed_pipe(dir: &std::path::Path, args: &[&str]) -> (Option<i32>, String) {
    let (reader, writer) = std::io::pipe().unwrap();
    drop(reader);
    let output = std::process::Command::new(env!("CARGO_BIN_EXE_deploygen"))
        .current_dir(dir)
        .env("NO_COLOR", "1")
        .args(args)
        .stdout(writer)
        .stderr(std::process::Stdio::piped())
        .output()
        .unwrap();
    (
        output.status.code(),
        String::from_utf8_lossy(&output.stderr).into_owned(),
    )
}

#[test]
fn a_closed_pipe_keeps_the_exit_code_the_result_deserves() {
    let test = Test::new().write("demo.yaml", MINIMAL);
    assert_eq!(test.run(&["render", "demo.yaml"]).code, 0);
    // Drift big enough to outgrow any pipe buffer.
    let big: String = (0..20_000).map(|i| format!("# line {i}\n")).collect();
    let test = test.write("demo/docker-compose.yml", &big);
    let (code, stderr) = run_into_closed_pipe(test.dir.path(), &["check", "demo.yaml"]);
    assert_eq!(code, Some(1), "drift, whoever reads: {stderr}");
    let test = test.write("bad.yaml", "name: demo\nplatform: nowhere\n");
    let (code, stderr) = run_into_closed_pipe(test.dir.path(), &["validate", "bad.yaml"]);
    assert_eq!(code, Some(1), "findings, whoever reads: {stderr}");
    for shell in ["bash", "zsh", "fish"] {
        let (code, stderr) = run_into_closed_pipe(test.dir.path(), &["completions", shell]);
        assert_eq!(code, Some(0), "{shell}: {stderr}");
        assert!(!stderr.contains("panicked"), "{stderr}");
    }
}

// Issue 22, items 12 and 13: numbers are bounded where they are written.

#[test]
fn numbers_past_their_types_are_schema_errors_at_their_field() {
    let test = Test::new().write(
        "demo.yaml",
        &format!("{MINIMAL}    stop_grace_seconds: 99999999999\ncosts:\n  - kind: redis\n    monthly_usd: 1.7e308\n"),
    );
    let run = test.run(&["validate", "demo.yaml"]);
    assert_eq!(run.code, 1, "{}", run.stderr);
    let all = format!("{}{}", run.stdout, run.stderr);
    assert!(!all.contains("deploygen bug"), "{all}");
    assert!(
        all.contains("demo.yaml:15:25: error: /services/web/stop_grace_seconds:"),
        "{all}"
    );
    assert!(all.contains("demo.yaml:18:18: error: /costs/0/monthly_usd:"), "{all}");
}

// Issue 22, items 15 and 16.

#[test]
fn two_containers_of_one_name_are_refused() {
    let yaml =
        format!("{MINIMAL}    container_name: app\n  worker:\n    image: example/web:1.0\n    container_name: app\n");
    let test = Test::new().write("demo.yaml", &yaml);
    let run = test.run(&["validate", "demo.yaml"]);
    assert_eq!(run.code, 1, "{}", run.stderr);
    let all = format!("{}{}", run.stdout, run.stderr);
    assert!(
        all.contains("demo.yaml:18:21: error: /services/worker/container_name: container name `app` is already used at /services/web/container_name; compose refuses two containers of one name"),
        "{all}"
    );
}

#[test]
fn an_output_folder_named_like_deploygens_own_files_is_refused() {
    for output in ["x/.deploygen-staging", ".deploygen-manifest", "a/.deploygen-staging/b"] {
        let test = Test::new().write("demo.yaml", &format!("{MINIMAL}output: {output}\n"));
        let run = test.run(&["render", "demo.yaml"]);
        assert_eq!(run.code, 2, "{output}: {}", run.stderr);
        assert!(
            run.stderr
                .contains("names a file or folder deploygen keeps inside every output folder"),
            "{}",
            run.stderr
        );
        assert!(!test.path("x").exists() && !test.path("a").exists());
    }
}
