//! Writes you can trust: nothing followed through links, only recorded files
//! pruned, one writer per folder, interrupted writes undone to the byte, and
//! inputs that are what they claim to be.

use crate::support::{Test, MINIMAL};
use std::io::{BufRead, BufReader};
use std::path::Path;
use std::process::{Child, Command, Stdio};

/// MINIMAL, with every file's contents changed.
fn changed() -> String {
    MINIMAL
        .replace("example/web:1.0", "example/web:2.0")
        .replace("user: app", "user: app2")
}

fn rendered() -> Test {
    let test = Test::new().write("demo.yaml", MINIMAL);
    let run = test.run(&["render", "demo.yaml", "-o", "out"]);
    assert_eq!(run.code, 0, "{}", run.stderr);
    test
}

/// Every file of the output folder with its bytes and mode, the record included.
fn snapshot(dir: &Path) -> Vec<(String, Vec<u8>, u32)> {
    use std::os::unix::fs::PermissionsExt;
    let mut out = Vec::new();
    let mut dirs = vec![dir.to_path_buf()];
    while let Some(d) = dirs.pop() {
        for entry in std::fs::read_dir(&d).unwrap().flatten() {
            let path = entry.path();
            let meta = std::fs::symlink_metadata(&path).unwrap();
            if meta.is_dir() {
                dirs.push(path);
            } else {
                let rel = path.strip_prefix(dir).unwrap().to_string_lossy().into_owned();
                out.push((rel, std::fs::read(&path).unwrap(), meta.permissions().mode()));
            }
        }
    }
    out.sort();
    out
}

fn deploygen(test: &Test, args: &[&str]) -> Command {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_deploygen"));
    cmd.current_dir(test.dir.path()).env("NO_COLOR", "1").args(args);
    cmd
}

/// Start a render that pauses before each write step; return once it has
/// announced `step`, with the rest of its stderr still to read.
fn start_paused(test: &Test, step: &str) -> (Child, BufReader<std::process::ChildStderr>) {
    start_paused_into(test, "out", step)
}

// The caller waits on the child it is handed.
#[allow(clippy::zombie_processes)]
fn start_paused_into(test: &Test, out: &str, step: &str) -> (Child, BufReader<std::process::ChildStderr>) {
    let mut child = deploygen(test, &["render", "demo.yaml", "-o", out])
        .env("DEPLOYGEN_TEST_HOOK", "pause=300")
        .stderr(Stdio::piped())
        .stdout(Stdio::null())
        .spawn()
        .unwrap();
    let mut stderr = BufReader::new(child.stderr.take().unwrap());
    let mut seen = String::new();
    loop {
        let mut line = String::new();
        if stderr.read_line(&mut line).unwrap() == 0 {
            let status = child.wait().unwrap();
            panic!("the render ended ({status}) before step `{step}`: {seen}");
        }
        seen.push_str(&line);
        if line.trim_end() == format!("deploygen-test-hook: {step}") {
            return (child, stderr);
        }
    }
}

fn signal(child: &Child, name: &str) {
    let status = Command::new("kill")
        .args([&format!("-{name}"), &child.id().to_string()])
        .status()
        .unwrap();
    assert!(status.success());
}

fn rest(mut stderr: BufReader<std::process::ChildStderr>) -> String {
    let mut text = String::new();
    std::io::Read::read_to_string(&mut stderr, &mut text).unwrap();
    text
}

// Item 1: temporary files.

#[test]
fn links_planted_where_deploygen_stages_are_never_followed() {
    let test = rendered().write("victim.txt", "keep\n");
    // The old fixed temporary name, and the staging folder's name.
    std::os::unix::fs::symlink(
        test.path("victim.txt"),
        test.path("out/.docker-compose.yml.deploygen-tmp"),
    )
    .unwrap();
    let test = test.write("demo.yaml", &changed());
    let run = test.run(&["render", "demo.yaml", "-o", "out"]);
    assert_eq!(run.code, 0, "{}", run.stderr);
    assert_eq!(test.read("victim.txt"), "keep\n");
    assert!(!std::fs::symlink_metadata(test.path("out/docker-compose.yml"))
        .unwrap()
        .file_type()
        .is_symlink());
    assert!(test.read("out/docker-compose.yml").contains("example/web:2.0"));

    std::os::unix::fs::symlink(test.dir.path(), test.path("out/.deploygen-staging")).unwrap();
    let test = test.write("demo.yaml", MINIMAL);
    let run = test.run(&["render", "demo.yaml", "-o", "out"]);
    assert_eq!(run.code, 2, "{}", run.stderr);
    assert!(
        run.stderr
            .contains("deploygen stages its writes there, and it is not a plain folder"),
        "{}",
        run.stderr
    );
    assert_eq!(test.read("victim.txt"), "keep\n");
    assert!(
        test.read("out/docker-compose.yml").contains("example/web:2.0"),
        "nothing was written"
    );
}

// Item 2: the record.

#[test]
fn a_folder_from_before_the_record_loses_no_user_file() {
    let test = rendered();
    // As an older deploygen left it: no manifest (or one listing only JSON
    // files), a generated file no longer rendered, and the user's `.env`.
    std::fs::remove_file(test.path("out/.deploygen-manifest")).unwrap();
    let example = test.read("out/.env.example");
    let stale = test.read("out/docker-compose-local.yml");
    let test = test
        .write("out/.env", &format!("{example}DB_PASSWORD=mine\n"))
        .write("out/old/docker-compose.celery.yml", &stale)
        .write("demo.yaml", &changed());
    let run = test.run(&["render", "demo.yaml", "-o", "out", "--prune"]);
    assert_eq!(run.code, 0, "{}", run.stderr);
    assert!(test.path("out/.env").exists() && test.path("out/old/docker-compose.celery.yml").exists());
    assert!(
        run.stderr
            .contains("note: `out/.env` has deploygen's header but no record says deploygen wrote it"),
        "{}",
        run.stderr
    );
    assert!(
        run.stderr
            .ends_with("rendered `demo.yaml` into `out`: 4 written, 0 unchanged\n"),
        "{}",
        run.stderr
    );
    // From now on the record is complete: nothing to note, nothing stale.
    let again = test.run(&["render", "demo.yaml", "-o", "out", "--prune"]);
    again.expect(0, "", "rendered `demo.yaml` into `out`: 0 written, 4 unchanged\n");
    assert_eq!(test.read("out/.env"), format!("{example}DB_PASSWORD=mine\n"));
}

#[test]
fn a_file_with_the_header_that_the_record_does_not_list_is_not_overwritten() {
    let test = rendered();
    std::fs::remove_file(test.path("out/.env.local.example")).unwrap();
    let run = test.run(&["render", "demo.yaml", "-o", "out"]);
    assert_eq!(run.code, 0, "{}", run.stderr);
    // Recorded again; now take it off the record and put a copy there.
    let manifest: String = test
        .read("out/.deploygen-manifest")
        .lines()
        .filter(|l| !l.ends_with(" .env.local.example"))
        .map(|l| format!("{l}\n"))
        .collect();
    let copy = format!("{}# mine\n", test.read("out/.env.example"));
    let test = test
        .write("out/.deploygen-manifest", &manifest)
        .write("out/.env.local.example", &copy)
        .write("demo.yaml", &changed());
    test.run(&["render", "demo.yaml", "-o", "out"]).expect(
        2,
        "",
        "error: refusing to overwrite `out/.env.local.example`: the output folder's `.deploygen-manifest` does not record it as written by deploygen; move it away or pass --force\n",
    );
    assert_eq!(test.read("out/.env.local.example"), copy);
}

// Item 3: one writer per folder.

#[test]
fn a_second_render_of_the_same_folder_waits_for_the_first_or_gives_up_clearly() {
    let test = rendered().write("demo.yaml", &changed());
    let (first, stderr) = start_paused(&test, "stage 0");
    let given_up = deploygen(&test, &["render", "demo.yaml", "-o", "out"])
        .env("DEPLOYGEN_LOCK_TIMEOUT", "0.1")
        .output()
        .unwrap();
    assert_eq!(given_up.status.code(), Some(2));
    assert_eq!(
        String::from_utf8_lossy(&given_up.stderr),
        "waiting for another deploygen to finish writing `out`…\n\
         error: `out` is being written by another deploygen (waited 0.1 s for it; `DEPLOYGEN_LOCK_TIMEOUT` sets how long)\n"
    );
    let second = deploygen(&test, &["render", "demo.yaml", "-o", "out"])
        .output()
        .unwrap();
    let first = first.wait_with_output().unwrap();
    assert_eq!(first.status.code(), Some(0), "{}", rest(stderr));
    assert_eq!(
        String::from_utf8_lossy(&second.stderr),
        "waiting for another deploygen to finish writing `out`…\n\
         rendered `demo.yaml` into `out`: 0 written, 4 unchanged\n"
    );
    assert!(!test.path("out/.deploygen-staging").exists());
}

#[test]
fn two_spellings_of_one_output_folder_are_refused_before_anything_is_written() {
    let test = Test::new()
        .write("environments/a.yaml", &MINIMAL.replace("name: demo", "name: a"))
        .write(
            "environments/b.yaml",
            &format!("{}output: x/../a\n", MINIMAL.replace("name: demo", "name: b")),
        );
    test.run(&["render"]).expect(
        2,
        "",
        "error: `environments/a.yaml` and `environments/b.yaml` both render into `environments/x/../a`; give one another `output`\n",
    );
    assert!(!test.path("environments/a").exists() && !test.path("environments/x").exists());
}

// Item 4: interrupted writes.

#[test]
fn sigterm_in_the_middle_of_the_swap_leaves_the_folder_entirely_old() {
    let test = rendered();
    let before = snapshot(&test.path("out"));
    let test = test.write("demo.yaml", &changed());
    let (child, stderr) = start_paused(&test, "swap 2");
    signal(&child, "TERM");
    let status = child.wait_with_output().unwrap().status;
    let text = rest(stderr);
    assert_eq!(status.code(), Some(143), "{text}");
    assert!(
        text.ends_with("error: interrupted by SIGTERM: no output folder is left half written (the one being written was put back as it was)\n"),
        "{text}"
    );
    assert_eq!(snapshot(&test.path("out")), before, "not entirely old, or litter left");
}

#[test]
fn sigint_while_staging_leaves_the_folder_untouched_and_nothing_behind() {
    let test = rendered();
    let before = snapshot(&test.path("out"));
    let test = test.write("demo.yaml", &changed());
    let (child, stderr) = start_paused(&test, "stage 1");
    signal(&child, "INT");
    let status = child.wait_with_output().unwrap().status;
    assert_eq!(status.code(), Some(130), "{}", rest(stderr));
    assert_eq!(snapshot(&test.path("out")), before);
    // And into a new folder: no folder at all afterwards.
    let (child, stderr) = start_paused_into(&test, "new/out", "swap 1");
    signal(&child, "INT");
    assert_eq!(
        child.wait_with_output().unwrap().status.code(),
        Some(130),
        "{}",
        rest(stderr)
    );
    assert!(!test.path("new").exists(), "the folders the render created are gone");
}

#[test]
fn after_sigkill_mid_swap_check_says_so_and_the_next_render_undoes_it_to_the_byte() {
    use std::os::unix::fs::PermissionsExt;
    let test = rendered();
    // An executable file and bytes that are not UTF-8 must come back as they were.
    let mut odd = test.read("out/.env.example").into_bytes();
    odd.extend_from_slice(b"# caf\xe9\n");
    std::fs::write(test.path("out/.env.example"), &odd).unwrap();
    std::fs::set_permissions(test.path("out/.env.example"), std::fs::Permissions::from_mode(0o750)).unwrap();
    let before = snapshot(&test.path("out"));
    let test = test.write("demo.yaml", &changed());
    let (child, _stderr) = start_paused(&test, "swap 3");
    signal(&child, "KILL");
    child.wait_with_output().unwrap();
    assert_ne!(snapshot(&test.path("out")), before, "the kill came mid-swap");
    let test = test.write("demo.yaml", &format!("{}output: out\n", changed()));
    test.run(&["check", "demo.yaml"]).expect(
        2,
        "",
        "error: demo.yaml: `out` holds a write that an interrupted `deploygen render` left half done; run `deploygen render` to undo it, then check again\n",
    );
    // The next render puts the old files back first: with the old descriptor
    // it finds every file as that descriptor renders it.
    let test = test.write("demo.yaml", MINIMAL);
    let run = test.run(&["render", "demo.yaml", "-o", "out"]);
    assert_eq!(
        run.stderr,
        "note: an interrupted render had left `out` half written; its previous files were put back first\n\
         rendered `demo.yaml` into `out`: 1 written, 3 unchanged\n"
    );
    let after = snapshot(&test.path("out"));
    let unchanged = |s: &[(String, Vec<u8>, u32)]| -> Vec<(String, Vec<u8>, u32)> {
        s.iter().filter(|(p, _, _)| p != ".env.example").cloned().collect()
    };
    assert_eq!(unchanged(&after), unchanged(&before));
    let mode = std::fs::metadata(test.path("out/.env.example"))
        .unwrap()
        .permissions()
        .mode();
    assert_eq!(mode & 0o777, 0o750, "the rewritten file keeps its mode");
}

#[test]
fn a_failure_mid_swap_restores_exact_bytes_and_modes() {
    use std::os::unix::fs::PermissionsExt;
    let test = rendered();
    let mut odd = test.read("out/docker-compose.yml").into_bytes();
    odd.extend_from_slice(b"# \xff\xfe not UTF-8\n");
    std::fs::write(test.path("out/docker-compose.yml"), &odd).unwrap();
    std::fs::set_permissions(
        test.path("out/docker-compose.yml"),
        std::fs::Permissions::from_mode(0o755),
    )
    .unwrap();
    let before = snapshot(&test.path("out"));
    let test = test.write("demo.yaml", &changed());
    let run = deploygen(&test, &["render", "demo.yaml", "-o", "out"])
        .env("DEPLOYGEN_TEST_HOOK", "fail=swap 3")
        .output()
        .unwrap();
    assert_eq!(run.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&run.stderr).contains("no space left on device"));
    assert_eq!(snapshot(&test.path("out")), before);
}

#[test]
fn a_render_keeps_the_mode_of_each_file_it_replaces() {
    use std::os::unix::fs::PermissionsExt;
    let test = rendered();
    std::fs::set_permissions(test.path("out/.env.example"), std::fs::Permissions::from_mode(0o750)).unwrap();
    let test = test.write("demo.yaml", &changed());
    let run = test.run(&["render", "demo.yaml", "-o", "out"]);
    assert_eq!(run.code, 0, "{}", run.stderr);
    assert!(test.read("out/.env.example").contains("user `app2`"));
    let mode = std::fs::metadata(test.path("out/.env.example"))
        .unwrap()
        .permissions()
        .mode();
    assert_eq!(mode & 0o777, 0o750);
}

#[test]
fn a_full_disk_leaves_no_temporary_file_and_no_empty_folder() {
    let test = rendered();
    let before = snapshot(&test.path("out"));
    let test = test.write("demo.yaml", &changed());
    let bin = env!("CARGO_BIN_EXE_deploygen");
    // A file size limit of 1 KiB: writes fail with EFBIG, as on a full disk.
    for out in ["out", "fresh/deep/out"] {
        let run = Command::new("bash")
            .current_dir(test.dir.path())
            .args([
                "-c",
                &format!("trap '' XFSZ; ulimit -f 1; exec '{bin}' render demo.yaml -o {out}"),
            ])
            .output()
            .unwrap();
        let stderr = String::from_utf8_lossy(&run.stderr);
        assert_eq!(run.status.code(), Some(2), "{stderr}");
        assert!(stderr.contains("File too large"), "{stderr}");
    }
    assert_eq!(snapshot(&test.path("out")), before);
    assert!(!test.path("fresh").exists());
}

#[test]
fn render_and_check_compare_bytes_not_decoded_text() {
    let descriptor = format!("{MINIMAL}env:\n  GREETING: \"caf\u{fffd}\"\n");
    let test = Test::new().write("demo.yaml", &format!("{descriptor}output: out\n"));
    assert_eq!(test.run(&["render", "demo.yaml"]).code, 0);
    // U+FFFD on disk replaced by a byte that decodes to U+FFFD.
    let bytes = std::fs::read(test.path("out/.env.example")).unwrap();
    let text = String::from_utf8(bytes).unwrap();
    let at = text.find('\u{fffd}').expect("the value reaches .env.example");
    let mut odd = text.as_bytes()[..at].to_vec();
    odd.push(0xff);
    odd.extend_from_slice(&text.as_bytes()[at + 3..]);
    std::fs::write(test.path("out/.env.example"), &odd).unwrap();
    let check = test.run(&["check", "demo.yaml"]);
    assert_eq!(check.code, 1, "{}", check.stderr);
    assert!(check.stdout.contains("not UTF-8"), "{}", check.stdout);
    let run = test.run(&["render", "demo.yaml"]);
    assert_eq!(run.code, 0, "{}", run.stderr);
    assert!(run.stderr.contains(": 1 written, 3 unchanged"), "{}", run.stderr);
    assert_eq!(std::fs::read(test.path("out/.env.example")).unwrap(), text.as_bytes());
}

// Item 5: what inputs and targets may be.

#[test]
fn output_must_stay_below_the_descriptor_folder() {
    for (output, problem) in [
        ("/tmp/elsewhere", "is not relative to the descriptor (an absolute path)"),
        (
            "../elsewhere",
            "must stay below the descriptor's folder: no `..`, `.` or empty parts",
        ),
        (
            "out/../../x",
            "must stay below the descriptor's folder: no `..`, `.` or empty parts",
        ),
    ] {
        let test = Test::new().write("env/demo.yaml", &format!("{MINIMAL}output: {output}\n"));
        test.run(&["render", "env/demo.yaml"]).expect(
            2,
            "",
            &format!(
                "env/demo.yaml:15:9: error: /output: `{output}` {problem}; to render elsewhere, use `deploygen render -o DIR`\n\
                 error: the descriptor is invalid (1 error)\n"
            ),
        );
        assert_eq!(
            std::fs::read_dir(test.dir.path()).unwrap().count(),
            1,
            "{output}: something was written"
        );
    }
}

#[test]
fn a_descriptor_output_folder_is_never_reached_through_a_link() {
    let test = Test::new()
        .write("env/demo.yaml", &format!("{MINIMAL}output: deploy/demo\n"))
        .write("elsewhere/keep.txt", "x\n");
    std::os::unix::fs::symlink(test.path("elsewhere"), test.path("env/deploy")).unwrap();
    test.run(&["render", "env/demo.yaml"]).expect(
        2,
        "",
        "error: refusing to write `env/deploy/demo`: `env/deploy` is a symbolic link, and a descriptor's output folder is never reached through one; use `-o DIR` to render there\n",
    );
    assert_eq!(std::fs::read_dir(test.path("elsewhere")).unwrap().count(), 1);
    let run = test.run(&["render", "env/demo.yaml", "-o", "env/deploy/demo"]);
    assert_eq!(run.code, 0, "{}", run.stderr);
}

#[test]
fn extends_names_a_descriptor_file_and_nothing_else() {
    let cases: [(&str, &str); 5] = [
        (
            "/dev/zero",
            "`/dev/zero` is an absolute path; name the base descriptor relative to this file",
        ),
        (
            "../../../../../../etc/passwd",
            "`../../../../../../etc/passwd` is not a descriptor: expected a `.yaml` or `.yml` file",
        ),
        (
            "list.yaml",
            "`list.yaml` is not a descriptor: its document is a list, not a map of settings",
        ),
        (
            "empty.yaml",
            "`empty.yaml` is not a descriptor: its document is empty, not a map of settings",
        ),
        ("fifo.yaml", "cannot read `fifo.yaml`: it is not a regular file"),
    ];
    let test = Test::new().write("list.yaml", "- a\n- b\n").write("empty.yaml", "");
    let status = Command::new("mkfifo").arg(test.path("fifo.yaml")).status().unwrap();
    assert!(status.success());
    for (base, message) in cases {
        let test = &test;
        std::fs::write(test.path("demo.yaml"), format!("extends: {base}\n{MINIMAL}")).unwrap();
        test.run(&["render", "demo.yaml", "-o", "out"]).expect(
            2,
            "",
            &format!("error: demo.yaml:1:10: error: /extends: {message}\n"),
        );
    }
}

#[test]
fn descriptors_that_are_not_regular_files_are_refused_at_once() {
    let test = Test::new();
    let status = Command::new("mkfifo").arg(test.path("pipe.yaml")).status().unwrap();
    assert!(status.success());
    test.run(&["render", "pipe.yaml"])
        .expect(2, "", "error: cannot read `pipe.yaml`: it is not a regular file\n");
}

#[test]
fn init_never_writes_through_a_dangling_link() {
    let test = Test::new();
    std::fs::create_dir(test.path("environments")).unwrap();
    std::os::unix::fs::symlink(test.path("planted.yaml"), test.path("environments/demo.yaml")).unwrap();
    std::os::unix::fs::symlink(
        test.path("planted.json"),
        test.path("environments/environment.schema.json"),
    )
    .unwrap();
    let run = test.run(&["init", "--name", "demo", "--platform", "compose", "--cache", "redis"]);
    run.expect(
        2,
        "",
        "error: `environments/demo.yaml` exists already; `deploygen init` never overwrites a file\n",
    );
    let run = test.run(&[
        "init",
        "environments/other.yaml",
        "--name",
        "other",
        "--platform",
        "compose",
        "--cache",
        "redis",
    ]);
    assert_eq!(run.code, 0, "{}", run.stderr);
    assert!(!test.path("planted.yaml").exists() && !test.path("planted.json").exists());
    assert!(test.read("environments/other.yaml").contains("name: other"));
}

// Issue 22, item 1: a folder swapped for a link while render runs.

/// A descriptor rendering into `out/` with files in `out/infra/`, rendered
/// once, then changed so that the next render rewrites `infra/` files; and a
/// folder `elsewhere/` holding files by the same names, outside.
fn rendered_with_infra() -> Test {
    let yaml = std::fs::read_to_string(crate::support::repo().join("environments/fastapi-rq.yaml")).unwrap();
    let test = Test::new().write("demo.yaml", &yaml);
    let run = test.run(&["render", "demo.yaml", "-o", "out"]);
    assert_eq!(run.code, 0, "{}", run.stderr);
    let mut test = test.write("demo.yaml", &yaml.replace("westeurope", "northeurope"));
    for entry in std::fs::read_dir(test.path("out/infra")).unwrap().flatten() {
        if entry.path().is_file() {
            let name = entry.file_name().to_string_lossy().into_owned();
            test = test.write(&format!("elsewhere/{name}"), "precious\n");
        }
    }
    test
}

/// Swap `out/infra` for a link to `elsewhere` while a render pauses at
/// `step`; the render must refuse, nothing outside may change, and the moved
/// folder must hold its old files.
fn swap_infra_for_a_link_at(step: &str) {
    let test = rendered_with_infra();
    let outside = snapshot(&test.path("elsewhere"));
    let infra = snapshot(&test.path("out/infra"));
    let (child, stderr) = start_paused(&test, step);
    std::fs::rename(test.path("out/infra"), test.path("out/infra-moved")).unwrap();
    std::os::unix::fs::symlink("../elsewhere", test.path("out/infra")).unwrap();
    let status = child.wait_with_output().unwrap().status;
    let text = rest(stderr);
    assert_eq!(
        snapshot(&test.path("elsewhere")),
        outside,
        "written outside at {step}: {text}"
    );
    assert_eq!(status.code(), Some(2), "{text}");
    assert!(
        text.contains("was moved or replaced (by a link?) while deploygen was writing"),
        "{text}"
    );
    assert_eq!(snapshot(&test.path("out/infra-moved")), infra, "not put back at {step}");
    assert!(!test.path("out/.deploygen-staging").exists());
}

#[test]
fn a_folder_swapped_for_a_link_before_staging_sends_nothing_outside() {
    swap_infra_for_a_link_at("stage 0");
}

#[test]
fn a_folder_swapped_for_a_link_mid_swap_sends_nothing_outside_and_is_put_back() {
    swap_infra_for_a_link_at("swap 0");
}

#[test]
fn prune_through_a_folder_swapped_for_a_link_deletes_nothing_outside() {
    let test = rendered_with_infra();
    // The next render no longer produces `infra/run-pre-deploy.sh`-like
    // files: simulate with a recorded file the render does not produce.
    let manifest = test.read("out/.deploygen-manifest");
    let test = test
        .write("out/infra/old.sh", "# generated by deploygen\n")
        .write("elsewhere/old.sh", "precious\n")
        .write("out/.deploygen-manifest", &format!("{manifest}infra/old.sh\n"));
    let outside = snapshot(&test.path("elsewhere"));
    let mut cmd = deploygen(&test, &["render", "demo.yaml", "-o", "out", "--prune"]);
    let mut child = cmd
        .env("DEPLOYGEN_TEST_HOOK", "pause=300")
        .stderr(Stdio::piped())
        .stdout(Stdio::null())
        .spawn()
        .unwrap();
    let mut stderr = BufReader::new(child.stderr.take().unwrap());
    loop {
        let mut line = String::new();
        assert_ne!(stderr.read_line(&mut line).unwrap(), 0, "ended before swapping");
        if line.trim_end() == "deploygen-test-hook: swap 0" {
            break;
        }
    }
    std::fs::rename(test.path("out/infra"), test.path("out/infra-moved")).unwrap();
    std::os::unix::fs::symlink("../elsewhere", test.path("out/infra")).unwrap();
    let status = child.wait_with_output().unwrap().status;
    let text = rest(stderr);
    assert_eq!(snapshot(&test.path("elsewhere")), outside, "{text}");
    assert_eq!(status.code(), Some(2), "{text}");
    assert_eq!(test.read("out/infra-moved/old.sh"), "# generated by deploygen\n");
}

// Issue 22, item 3: the record cannot make prune delete what deploygen did not write.

#[test]
fn prune_deletes_only_recorded_bytes_and_never_a_hand_added_line() {
    let test = rendered()
        .write("out/.env", "SECRET=mine\n")
        .write("out/NOTES.md", "# my notes\n")
        .write("out/.git/config", "[core]\n")
        .write("out/old.yml", "# generated by deploygen\nold: 1\n")
        .write("out/edited.yml", "# generated by deploygen\nedited: 1\n");
    let manifest = test.read("out/.deploygen-manifest");
    assert!(manifest.contains("deploygen manifest v3"), "{manifest}");
    // Lines added by hand: a recorded hash that matches (`old.yml`), one that
    // no longer matches (`edited.yml`, changed since), and bare paths.
    let old = sha2_of("# generated by deploygen\nold: 1\n");
    let edited = sha2_of("# generated by deploygen\nedited: 0\n");
    let test = test.write(
        "out/.deploygen-manifest",
        &format!("{manifest}.env\nNOTES.md\n.git/config\n{old}  old.yml\n{edited}  edited.yml\n{old}  .env\n"),
    );
    let run = test.run(&["render", "demo.yaml", "-o", "out", "--prune"]);
    assert_eq!(run.code, 0, "{}", run.stderr);
    assert_eq!(test.read("out/.env"), "SECRET=mine\n");
    assert_eq!(test.read("out/NOTES.md"), "# my notes\n");
    assert_eq!(test.read("out/.git/config"), "[core]\n");
    assert_eq!(test.read("out/edited.yml"), "# generated by deploygen\nedited: 1\n");
    assert!(!test.path("out/old.yml").exists(), "{}", run.stderr);
    assert!(run.stderr.contains("pruned: `out/old.yml`"), "{}", run.stderr);
    assert!(
        run.stderr
            .contains("kept: `out/edited.yml` is in the record but no longer holds the bytes deploygen wrote there"),
        "{}",
        run.stderr
    );
}

/// SHA-256 in hex, as the record writes it (`sha256sum`'s).
fn sha2_of(text: &str) -> String {
    let out = Command::new("sha256sum")
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .spawn()
        .and_then(|mut child| {
            std::io::Write::write_all(child.stdin.as_mut().unwrap(), text.as_bytes())?;
            child.wait_with_output()
        })
        .unwrap();
    String::from_utf8(out.stdout).unwrap()[..64].to_string()
}

// Issue 22, item 5: nested output folders.

#[test]
fn an_output_folder_inside_another_environments_folder_is_refused() {
    let test = Test::new()
        .write("environments/mt.yaml", MINIMAL)
        .write("environments/inner.yaml", &format!("{MINIMAL}output: mt/infra\n"));
    test.run(&["render"]).expect(
        2,
        "",
        "error: `environments/inner.yaml` renders into `environments/mt/infra`, inside `environments/mt` where `environments/mt.yaml` renders: one environment's folder may not lie inside another's; give one another `output`\n",
    );
    assert!(!test.path("environments/mt").exists(), "nothing written");
    let run = test.run(&["check"]);
    assert_eq!(run.code, 2, "{}", run.stderr);
}

// Issue 22, item 10: a huge file at a generated path is never read whole.

#[test]
fn a_four_gib_file_at_a_generated_path_is_compared_by_size() {
    let test = rendered();
    // Sparse: 4 GiB long, no disk used.
    let file = std::fs::OpenOptions::new()
        .write(true)
        .open(test.path("out/docker-compose.yml"))
        .unwrap();
    file.set_len(4 << 30).unwrap();
    drop(file);
    let test = test.write("demo.yaml", &format!("{MINIMAL}output: out\n"));
    let started = std::time::Instant::now();
    let run = test.run(&["check", "demo.yaml"]);
    assert_eq!(run.code, 1, "{}", run.stderr);
    assert!(
        started.elapsed() < std::time::Duration::from_secs(20),
        "{:?}",
        started.elapsed()
    );
    let all = format!("{}{}", run.stdout, run.stderr);
    assert!(
        all.contains("(the file on disk is 4294967296 bytes, the render"),
        "{all}"
    );
    let run = test.run(&["render", "demo.yaml"]);
    assert_eq!(run.code, 0, "{}", run.stderr);
    assert!(std::fs::metadata(test.path("out/docker-compose.yml")).unwrap().len() < 10_000);
}
