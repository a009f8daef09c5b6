use assert_cmd::Command;
use std::path::{Path, PathBuf};

/// A temporary folder with files in it, and a way to run deploygen there.
pub struct Test {
    pub dir: tempfile::TempDir,
}

pub struct Run {
    pub code: i32,
    pub stdout: String,
    pub stderr: String,
}

impl Test {
    pub fn new() -> Self {
        Test {
            dir: tempfile::tempdir().unwrap(),
        }
    }

    pub fn path(&self, rel: &str) -> PathBuf {
        self.dir.path().join(rel)
    }

    pub fn write(self, rel: &str, contents: &str) -> Self {
        let path = self.path(rel);
        std::fs::create_dir_all(path.parent().unwrap()).unwrap();
        std::fs::write(path, contents).unwrap();
        self
    }

    pub fn read(&self, rel: &str) -> String {
        std::fs::read_to_string(self.path(rel)).unwrap_or_else(|e| panic!("{rel}: {e}"))
    }

    pub fn run(&self, args: &[&str]) -> Run {
        run_in(self.dir.path(), args)
    }
}

pub fn run_in(dir: &Path, args: &[&str]) -> Run {
    let output = Command::cargo_bin("deploygen")
        .unwrap()
        .current_dir(dir)
        .env("NO_COLOR", "1")
        .args(args)
        // A hang (a FIFO read, a lock never released) fails the test as a
        // killed run instead of stalling the suite: no command here needs a minute.
        .timeout(std::time::Duration::from_secs(120))
        .output()
        .unwrap();
    Run {
        code: output.status.code().unwrap_or(-1),
        stdout: String::from_utf8(output.stdout).unwrap(),
        stderr: String::from_utf8(output.stderr).unwrap(),
    }
}

impl Run {
    #[track_caller]
    pub fn expect(&self, code: i32, stdout: &str, stderr: &str) {
        assert_eq!(
            (self.code, self.stdout.as_str(), self.stderr.as_str()),
            (code, stdout, stderr),
            "\n--- stdout\n{}\n--- stderr\n{}",
            self.stdout,
            self.stderr
        );
    }
}

/// Run git in `dir` with a throwaway identity; the test fails if git does.
pub fn git_in(dir: &Path, args: &[&str]) {
    let status = std::process::Command::new("git")
        .args(["-c", "user.name=t", "-c", "user.email=t@example.com"])
        .args(args)
        .current_dir(dir)
        .status()
        .unwrap();
    assert!(status.success(), "git {args:?}");
}

/// The repository root (where `environments/` is).
pub fn repo() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

/// A small valid compose descriptor used by many tests.
pub const MINIMAL: &str = "\
name: demo
platform: compose
postgres:
  database: app
  user: app
  expose:
    host: DB_HOST
    password: DB_PASSWORD
cache:
  kind: redis
services:
  web:
    image: example/web:1.0
    ports: [\"8000:8000\"]
";

/// The service called `name` in a parsed render.yaml; the test fails if there is none.
pub fn render_service<'a>(doc: &'a serde_yaml::Value, name: &str) -> &'a serde_yaml::Value {
    doc["services"]
        .as_sequence()
        .and_then(|s| s.iter().find(|s| s["name"] == name))
        .unwrap_or_else(|| panic!("no service {name}"))
}

/// The markdown notes of `deploygen diff ARGS` run at the repository root; the test fails unless diff reports a change (exit 1).
pub fn migration_notes(args: &[&str]) -> String {
    let mut all = vec!["diff"];
    all.extend_from_slice(args);
    all.extend(["--format", "markdown"]);
    let run = run_in(&repo(), &all);
    assert_eq!(run.code, 1, "{}", run.stderr);
    run.stdout
}

/// The committed text of `environments/ENV/FILE`; the test fails if it cannot be read.
pub fn committed(env: &str, file: &str) -> String {
    std::fs::read_to_string(repo().join("environments").join(env).join(file))
        .unwrap_or_else(|e| panic!("{env}/{file}: {e}"))
}

/// The `envVars` entry `key` of a render.yaml service; the test fails if there is none.
pub fn render_env_var<'a>(service: &'a serde_yaml::Value, key: &str) -> &'a serde_yaml::Value {
    service["envVars"]
        .as_sequence()
        .and_then(|vars| vars.iter().find(|v| v["key"] == key))
        .unwrap_or_else(|| panic!("{} lacks {key}", service["name"].as_str().unwrap_or("?")))
}

/// Renders `file` of `test` into its `out/` folder; the test fails unless render exits 0.
pub fn render_to_out(test: &Test, file: &str) {
    let run = test.run(&["render", file, "-o", "out"]);
    assert_eq!(run.code, 0, "{}", run.stderr);
}

/// The shared/ folder beside the repository (or DEPLOYGEN_SHARED).
pub fn shared() -> PathBuf {
    std::env::var_os("DEPLOYGEN_SHARED")
        .map(PathBuf::from)
        .unwrap_or_else(|| repo().join("../shared"))
}

/// Microsoft's built-in role catalogue (id -> role name), vendored in
/// shared/schemas-external/azure-built-in-roles.json.
pub fn built_in_roles() -> serde_json::Map<String, serde_json::Value> {
    let path = shared().join("schemas-external/azure-built-in-roles.json");
    let text = std::fs::read_to_string(&path)
        .unwrap_or_else(|e| panic!("{}: {e} (set DEPLOYGEN_SHARED to the shared/ folder)", path.display()));
    let mut roles: serde_json::Map<String, serde_json::Value> = serde_json::from_str(&text).unwrap();
    roles.retain(|id, _| !id.starts_with('_'));
    roles
}

/// The id of a built-in role, by its name in Microsoft's catalogue: tests
/// name roles, never pin GUIDs.
pub fn role_id(name: &str) -> String {
    built_in_roles()
        .into_iter()
        .find(|(_, n)| n.as_str() == Some(name))
        .map(|(id, _)| id)
        .unwrap_or_else(|| panic!("no built-in role named {name}"))
}

/// Renders every shipped environment (`environments/*.yaml`, not `_*.yaml`)
/// into `dir/<name>`, failing the test on any error; returns the names.
pub fn render_shipped_environments(dir: &Path) -> Vec<String> {
    let mut names: Vec<String> = std::fs::read_dir(repo().join("environments"))
        .unwrap()
        .flatten()
        .map(|e| e.file_name().to_string_lossy().into_owned())
        .filter(|n| n.ends_with(".yaml") && !n.starts_with('_'))
        .map(|n| n.trim_end_matches(".yaml").to_string())
        .collect();
    names.sort();
    for name in &names {
        let out = dir.join(name);
        let run = run_in(
            &repo(),
            &[
                "render",
                &format!("environments/{name}.yaml"),
                "-o",
                out.to_str().unwrap(),
            ],
        );
        assert_eq!(run.code, 0, "{name}: {}", run.stderr);
    }
    names
}
