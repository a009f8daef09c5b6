//! Hostile and unlucky inputs: nesting that would overflow the stack, alias
//! bombs, huge descriptors, numbers no float holds, secrets typed as numbers.

use crate::support::{Run, Test, MINIMAL};

/// What no command may ever do: abort (134), panic (101) or die of a signal.
#[track_caller]
fn clean_failure(run: &Run, what: &str) {
    assert!(
        run.code == 1 || run.code == 2,
        "{what}: exit {}\n{}",
        run.code,
        run.stderr
    );
    assert!(
        !run.stderr.contains("panicked") && !run.stderr.contains("overflow"),
        "{what}: {}",
        run.stderr
    );
}

#[test]
fn deep_nesting_is_refused_by_every_command_never_a_stack_overflow() {
    // 20 KB of block sequences; flow and map nesting too.
    let cases = [
        ("seq.yaml", format!("{}x\n", "- ".repeat(10_000))),
        ("flow.yaml", format!("a: {}{}\n", "[".repeat(200), "]".repeat(200))),
        (
            "maps.yaml",
            (0..200).map(|i| format!("{}k:\n", "  ".repeat(i))).collect::<String>(),
        ),
    ];
    let mut test = Test::new();
    for (name, text) in &cases {
        test = test.write(name, text);
    }
    for (name, _) in &cases {
        for args in [
            vec!["validate", name],
            vec!["render", name, "-o", "out"],
            vec!["check", name],
            vec!["plan", name],
            vec!["diff", name, "--without", "redis"],
        ] {
            let run = test.run(&args);
            clean_failure(&run, &args.join(" "));
            assert!(
                run.stdout.contains("nest more than 64 levels") || run.stderr.contains("nest more than 64 levels"),
                "{}: {}{}",
                args.join(" "),
                run.stdout,
                run.stderr
            );
        }
    }
    // Several files at once run on worker threads (smaller stacks).
    let run = test.run(&["validate", "seq.yaml", "flow.yaml", "maps.yaml"]);
    assert_eq!(run.code, 1, "{}", run.stderr);
    assert_eq!(run.stdout.matches("nest more than").count(), 3, "{}", run.stdout);
}

/// Many entries merged over a base: every overlay value wins, in order. How
/// long this takes is measured by `tests/bench/hostile_inputs.py` (80,000
/// entries took 60 s while the scans were quadratic), never asserted here:
/// a timed test fails on a busy machine and proves nothing on a fast one.
#[test]
fn many_env_entries_and_an_extends_overlay_merge_entry_by_entry() {
    const N: usize = 5_000;
    let mut base = format!("{MINIMAL}env:\n");
    let mut overlay = String::from("extends: base.yaml\nenv:\n");
    for i in 0..N {
        base.push_str(&format!("  VAR_{i:05}: base-{i}\n"));
        if i % 2 == 0 {
            overlay.push_str(&format!("  VAR_{i:05}: over-{i}\n"));
        }
    }
    let test = Test::new().write("base.yaml", &base).write("demo.yaml", &overlay);
    let run = test.run(&["render", "demo.yaml", "-o", "out"]);
    assert_eq!(run.code, 0, "{}", run.stderr);
    let dotenv = test.read("out/.env.example");
    let vars: Vec<&str> = dotenv.lines().filter(|l| l.starts_with("VAR_")).collect();
    assert_eq!(vars.len(), N, "one line per entry, no duplicates");
    for (i, line) in vars.iter().enumerate() {
        let from = if i % 2 == 0 { "over" } else { "base" };
        assert_eq!(*line, format!("VAR_{i:05}={from}-{i}"), "entries keep the base's order");
    }
}

#[test]
fn env_numbers_keep_the_text_the_user_wrote() {
    let descriptor = format!(
        "{MINIMAL}env:\n  BIG: 12345678901234567890\n  TINY: 1e-400\n  VERSION: 3.10\n  HEX: 0x1F\n  HUGE: 1e400\n  INF: .inf\n"
    );
    let test = Test::new().write("demo.yaml", &descriptor);
    let run = test.run(&["render", "demo.yaml", "-o", "out"]);
    assert_eq!(run.code, 0, "{}", run.stderr);
    let dotenv = test.read("out/.env.example");
    for line in [
        "BIG=12345678901234567890",
        "TINY=1e-400",
        "VERSION=3.10",
        "HEX=0x1F",
        "HUGE=1e400",
        "INF=.inf",
    ] {
        assert!(dotenv.lines().any(|l| l == line), "{line} not in\n{dotenv}");
    }
    let compose: serde_yaml::Value = serde_yaml::from_str(&test.read("out/docker-compose.yml")).unwrap();
    let env = &compose["services"]["web"]["environment"];
    assert_eq!(env["BIG"].as_str(), Some("12345678901234567890"));
    assert_eq!(env["VERSION"].as_str(), Some("3.10"));
}

#[test]
fn numbers_no_float_holds_are_refused_where_a_number_is_expected() {
    for (value, col) in [("1e400", 9), ("-1e400", 9), (".nan", 9), ("1e-400", 9)] {
        let descriptor = MINIMAL.replace(
            "cache:\n  kind: redis\n",
            &format!("cache:\n  kind: redis\n  port: {value}\n"),
        );
        let test = Test::new().write("demo.yaml", &descriptor);
        let run = test.run(&["validate", "demo.yaml"]);
        assert_eq!(run.code, 1, "{value}: {}{}", run.stdout, run.stderr);
        assert!(
            run.stdout.contains(&format!(
                "demo.yaml:11:{col}: error: invalid YAML: `{value}` is outside the range of a number"
            )),
            "{value}: {}",
            run.stdout
        );
    }
}

#[test]
fn secrets_typed_as_numbers_or_booleans_are_found() {
    let descriptor = format!("{MINIMAL}env:\n  SMTP_PASSWORD: 90210443117\n  API_TOKEN: true\n");
    let test = Test::new().write("demo.yaml", &descriptor);
    let run = test.run(&["validate", "demo.yaml"]);
    assert_eq!(run.code, 1, "{}", run.stderr);
    assert!(
        run.stdout
            .contains("/env/SMTP_PASSWORD: `SMTP_PASSWORD` holds what looks like a secret"),
        "{}",
        run.stdout
    );
    assert!(
        run.stdout
            .contains("/env/API_TOKEN: `API_TOKEN` holds what looks like a secret"),
        "{}",
        run.stdout
    );
}

fn copy_tree(from: &std::path::Path, to: &std::path::Path) {
    std::fs::create_dir_all(to).unwrap();
    for entry in std::fs::read_dir(from).unwrap().flatten() {
        let target = to.join(entry.file_name());
        if entry.file_type().unwrap().is_dir() {
            copy_tree(&entry.path(), &target);
        } else {
            std::fs::copy(entry.path(), target).unwrap();
        }
    }
}

/// A `git archive` export has no `.git`: the committed outputs must still be
/// in sync there, so headers cannot depend on where the repository root is.
#[test]
fn committed_outputs_are_in_sync_outside_a_git_checkout() {
    let test = Test::new();
    copy_tree(&crate::support::repo().join("environments"), &test.path("environments"));
    assert!(!test.path(".git").exists());
    let run = test.run(&["check", "--quiet"]);
    assert_eq!(run.code, 0, "{}{}", run.stdout, run.stderr);
    // And from inside the folder, another working directory.
    let run = crate::support::run_in(&test.path("environments"), &["check", "--quiet", "revisbali.yaml"]);
    assert_eq!(run.code, 0, "{}{}", run.stdout, run.stderr);
}

/// Generated files stay LF in a `core.autocrlf=true` checkout: `check`
/// compares bytes, and a CRLF shell script does not run.
#[test]
fn generated_files_are_checked_out_with_lf_everywhere() {
    let repo = crate::support::repo();
    for file in [
        "environments/revisbali/.env.example",
        "environments/magictoolbox-dev/infra/update-container-app-secrets.sh",
        "environments/chat/deployment/parameters.prod.json",
    ] {
        let out = std::process::Command::new("git")
            .args(["-c", "core.autocrlf=true", "check-attr", "eol", "--", file])
            .current_dir(&repo)
            .output()
            .unwrap();
        let text = String::from_utf8(out.stdout).unwrap();
        assert_eq!(
            text.trim(),
            format!("{file}: eol: lf"),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
    }
}

// Issue 22, item 6: secret-literal finds common secrets.

#[test]
fn secret_literal_finds_common_names_token_shapes_and_credentials_in_commands() {
    let yaml = format!(
        "{MINIMAL}    env:\n      RAILS_MASTER_KEY: 0123456789abcdef\n      FERNET_KEY: abc\n      SMTP_PASS: x\n      DB_PWD: x\n      GOOGLE_CREDENTIALS: x\n      SENTRY_DSN: https://abc@o1.ingest.sentry.io/1\n      GREETING: {}\n      STRIPE_PUBLISHABLE_KEY: pk_live_abc\n    command: celery -A app worker --broker redis://:hunter2@cache:6379/0\n    pre_deploy: [sh, -c, DB_PASSWORD=hunter2 ./migrate]\n",
        concat!("xoxb-", "1234567890-1234567890-abcdefABCDEF")
    );
    let test = Test::new().write("demo.yaml", &yaml);
    let run = test.run(&["validate", "demo.yaml"]);
    assert_eq!(run.code, 1, "{}", run.stderr);
    for pointer in [
        "/services/web/env/RAILS_MASTER_KEY:",
        "/services/web/env/FERNET_KEY:",
        "/services/web/env/SMTP_PASS:",
        "/services/web/env/DB_PWD:",
        "/services/web/env/GOOGLE_CREDENTIALS:",
        "/services/web/env/SENTRY_DSN:",
        "/services/web/env/GREETING:",
        "/services/web/command: the command holds a URL with a password in plain text",
        "/services/web/pre_deploy: the command holds a value for `DB_PASSWORD` in plain text",
    ] {
        assert!(
            run.stdout.contains(pointer) || run.stderr.contains(pointer),
            "{pointer}\n{}{}",
            run.stdout,
            run.stderr
        );
    }
    assert!(!format!("{}{}", run.stdout, run.stderr).contains("STRIPE_PUBLISHABLE_KEY"));
}

// Issue 22, item 8: no quadratic blow-up on bad input.

#[test]
fn thousands_of_unknown_dependencies_are_reported_briefly_and_fast() {
    let mut yaml = String::from("name: demo\nplatform: compose\nservices:\n");
    for i in 0..4000 {
        yaml.push_str(&format!("  s{i}:\n    image: x:1\n    depends_on: [missing{i}]\n"));
    }
    let test = Test::new().write("demo.yaml", &yaml);
    let started = std::time::Instant::now();
    let run = test.run(&["validate", "demo.yaml"]);
    let took = started.elapsed();
    clean_failure(&run, "4,000 unknown depends_on targets");
    let printed = run.stdout.len() + run.stderr.len();
    assert!(printed < 200_000, "{printed} bytes printed");
    assert!(took < std::time::Duration::from_secs(30), "{took:?}");
    let all = format!("{}{}", run.stdout, run.stderr);
    assert!(
        all.contains("… and 3800 more findings after this one; fix these first"),
        "{}",
        &all[all.len().saturating_sub(2000)..]
    );
    assert!(all.contains("known services: s0, s1, s10, s100, s1000, s1001, s1002, s1003, s1004, s1005 … and 3990 more"));
}

// Issue 22, item 11: no panic or abort.

#[test]
fn a_set_path_thousands_deep_and_a_huge_lock_timeout_fail_cleanly() {
    let test = Test::new().write("demo.yaml", MINIMAL);
    let deep = format!("{}=1", vec!["a"; 45_000].join("."));
    let run = test.run(&["diff", "demo.yaml", "--set", &deep]);
    clean_failure(&run, "diff --set 45,000 levels deep");
    assert!(
        run.stderr
            .contains("a path 45000 levels deep; no descriptor field is deeper than 64"),
        "{}",
        run.stderr
    );
    let output = assert_cmd::Command::cargo_bin("deploygen")
        .unwrap()
        .current_dir(test.dir.path())
        .env("DEPLOYGEN_LOCK_TIMEOUT", "1e20")
        .args(["render", "demo.yaml"])
        .output()
        .unwrap();
    assert_eq!(
        output.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
}

// Issue 22, item 17: bad bytes are clear errors.

#[test]
fn a_nul_byte_is_an_error_a_bom_is_skipped_and_invisible_characters_are_shown() {
    let test = Test::new().write("nul.yaml", &format!("{MINIMAL}\0\nnot_a_key: 1\n"));
    let run = test.run(&["validate", "nul.yaml"]);
    assert_eq!(run.code, 1, "{}{}", run.stdout, run.stderr);
    let all = format!("{}{}", run.stdout, run.stderr);
    assert!(all.contains("nul.yaml:15:1: error: invalid YAML: a NUL byte"), "{all}");

    let test = test.write("bom.yaml", &format!("\u{feff}{MINIMAL}"));
    let run = test.run(&["validate", "bom.yaml"]);
    assert_eq!(run.code, 0, "{}{}", run.stdout, run.stderr);

    for invisible in ['\u{feff}', '\u{200b}', '\u{200f}'] {
        let yaml = MINIMAL.replace("services:", &format!("servi{invisible}ces:"));
        std::fs::write(test.path("odd.yaml"), &yaml).unwrap();
        for format in ["human", "github"] {
            let run = test.run(&["validate", "odd.yaml", "--format", format]);
            let all = format!("{}{}", run.stdout, run.stderr);
            assert_eq!(run.code, 1, "{all}");
            assert!(!all.contains(invisible), "{invisible:?} printed raw ({format}): {all}");
            assert!(all.contains(&format!("servi\\u{:04x}ces", invisible as u32)), "{all}");
        }
    }
}

// Issue 22, item 18: `extends` stays inside the repository.

#[test]
fn extends_stays_inside_the_repository_or_the_descriptors_folder() {
    let base = MINIMAL;
    let test = Test::new()
        .write("outside.yaml", base)
        .write("repo/base.yaml", base)
        .write("repo/environments/inside.yaml", "extends: ../base.yaml\n")
        .write("repo/environments/escapes.yaml", "extends: ../../outside.yaml\n")
        .write("loose/app.yaml", "extends: ../outside.yaml\n")
        .write("loose/ok.yaml", base);
    crate::support::git_in(&test.path("repo"), &["init", "-q"]);
    let run = test.run(&["validate", "repo/environments/inside.yaml"]);
    assert_eq!(run.code, 0, "{}{}", run.stdout, run.stderr);
    let run = test.run(&["validate", "repo/environments/escapes.yaml"]);
    let all = format!("{}{}", run.stdout, run.stderr);
    assert_eq!(run.code, 1, "{all}");
    assert!(all.contains("`../../outside.yaml` is outside the repository"), "{all}");
    assert!(!all.contains("example/web"), "{all}");
    let run = test.run(&["validate", "loose/app.yaml"]);
    let all = format!("{}{}", run.stdout, run.stderr);
    assert_eq!(run.code, 1, "{all}");
    assert!(
        all.contains("`../outside.yaml` is outside the descriptor's folder"),
        "{all}"
    );
    // Below the top descriptor's folder is fine when there is no repository.
    let run = test.run(&["validate", "loose/ok.yaml"]);
    assert_eq!(run.code, 0, "{}{}", run.stdout, run.stderr);
}

// Issue 22, item 19: `diff --against REV` follows a committed symbolic link.

#[test]
fn diff_against_a_revision_follows_a_symlinked_descriptor() {
    use crate::support::git_in;
    let test = Test::new()
        .write("environments/real.yaml", MINIMAL)
        .write("elsewhere/secret.yaml", "password: hunter2\n");
    std::os::unix::fs::symlink("real.yaml", test.path("environments/link.yaml")).unwrap();
    std::os::unix::fs::symlink("../../elsewhere/secret.yaml", test.path("environments/escape.yaml")).unwrap();
    let repo = test.path("environments");
    git_in(&repo, &["init", "-q"]);
    git_in(&repo, &["add", "-A"]);
    git_in(
        &repo,
        &["-c", "user.email=t@t", "-c", "user.name=t", "commit", "-qm", "base"],
    );
    let test = test.write(
        "environments/real.yaml",
        &MINIMAL.replace("example/web:1.0", "example/web:2.0"),
    );
    let run = test.run(&["diff", "environments/link.yaml", "--against", "HEAD"]);
    assert_eq!(run.code, 1, "{}{}", run.stdout, run.stderr);
    assert!(run.stdout.contains("example/web:2.0"), "{}", run.stdout);
    let run = test.run(&["diff", "environments/escape.yaml", "--against", "HEAD"]);
    assert_eq!(run.code, 2, "{}{}", run.stdout, run.stderr);
    assert!(!format!("{}{}", run.stdout, run.stderr).contains("hunter2"));
}
