//! No secret value is ever written; a failure in the middle of a render leaves
//! the previous output as it was; descriptor values cannot steer a path out
//! of the output folder.

use crate::support::{repo, Test, MINIMAL};
use assert_cmd::Command;
use std::path::Path;

fn files_under(dir: &Path, out: &mut Vec<std::path::PathBuf>) {
    for entry in std::fs::read_dir(dir).unwrap().flatten() {
        let path = entry.path();
        if path.is_dir() {
            files_under(&path, out);
        } else {
            out.push(path);
        }
    }
}

#[test]
fn secret_values_offered_through_every_input_never_reach_an_output() {
    let dir = tempfile::tempdir().unwrap();
    let envs: Vec<String> = std::fs::read_dir(repo().join("environments"))
        .unwrap()
        .flatten()
        .map(|e| e.file_name().to_string_lossy().into_owned())
        .filter(|n| n.ends_with(".yaml") && !n.starts_with('_'))
        .collect();
    let mut secret_names = Vec::new();
    for name in &envs {
        let plan = deploygen::pipeline::plan(&repo().join("environments").join(name))
            .unwrap()
            .1;
        secret_names.extend(plan.secrets.iter().map(|s| s.env_name.clone()));
        secret_names.extend(
            plan.services
                .iter()
                .flat_map(|s| s.env.iter())
                .filter(|e| !e.value.secrets().is_empty())
                .map(|e| e.name.clone()),
        );
    }
    secret_names.sort();
    secret_names.dedup();
    assert!(secret_names.len() >= 8, "{secret_names:?}");
    let fake = |name: &str| format!("FAKE-SECRET-{name}-7f3a9c");
    // A real .env beside the descriptors' copies and in each output folder.
    let env_file: String = secret_names.iter().map(|n| format!("{n}={}\n", fake(n))).collect();
    std::fs::write(dir.path().join(".env"), &env_file).unwrap();
    for name in &envs {
        let out = dir.path().join(name.trim_end_matches(".yaml"));
        std::fs::create_dir_all(&out).unwrap();
        std::fs::write(out.join(".env"), &env_file).unwrap();
        let mut cmd = Command::cargo_bin("deploygen").unwrap();
        cmd.current_dir(repo())
            .args(["render", &format!("environments/{name}"), "-o", out.to_str().unwrap()]);
        for n in &secret_names {
            cmd.env(n, fake(n));
        }
        let output = cmd.output().unwrap();
        assert!(
            output.status.success(),
            "{name}: {}",
            String::from_utf8_lossy(&output.stderr)
        );
        let diff = Command::cargo_bin("deploygen")
            .unwrap()
            .current_dir(repo())
            .args([
                "diff",
                &format!("environments/{name}"),
                "--set",
                "description=x",
                "--format",
                "json",
            ])
            .envs(secret_names.iter().map(|n| (n.clone(), fake(n))))
            .output()
            .unwrap();
        assert!(
            !String::from_utf8_lossy(&diff.stdout).contains("FAKE-SECRET"),
            "{name}: diff shows a secret value"
        );
    }
    let mut written = Vec::new();
    files_under(dir.path(), &mut written);
    let generated: Vec<_> = written.iter().filter(|p| p.file_name().unwrap() != ".env").collect();
    assert!(
        generated.len() > 40,
        "expected every environment's files, found {}",
        generated.len()
    );
    for path in generated {
        let text = std::fs::read_to_string(path).unwrap();
        assert!(!text.contains("FAKE-SECRET"), "{} holds a secret value", path.display());
    }
}

#[test]
fn a_template_failing_midway_leaves_the_previous_output_as_it_was() {
    let test = Test::new().write("demo.yaml", MINIMAL);
    test.run(&["render", "demo.yaml", "-o", "out"]);
    let before = test.read("out/docker-compose.yml");
    // A copy of the templates whose dotenv template (rendered after the compose files) breaks.
    let templates = test.path("templates");
    copy_dir(&repo().join("templates"), &templates);
    std::fs::write(templates.join("dotenv/env.dotenv.j2"), "{{ file.no_such_field }}\n").unwrap();
    let test = test.write("demo.yaml", &MINIMAL.replace("example/web:1.0", "example/web:2.0"));
    let run = test.run(&[
        "--templates",
        templates.to_str().unwrap(),
        "render",
        "demo.yaml",
        "-o",
        "out",
    ]);
    assert_eq!(run.code, 2);
    assert!(
        run.stderr
            .starts_with("error: template `dotenv/env.dotenv.j2` failed: undefined value"),
        "{}",
        run.stderr
    );
    assert_eq!(
        test.read("out/docker-compose.yml"),
        before,
        "the compose file rendered before the failure was not written"
    );
}

fn copy_dir(from: &Path, to: &Path) {
    std::fs::create_dir_all(to).unwrap();
    for entry in std::fs::read_dir(from).unwrap().flatten() {
        let target = to.join(entry.file_name());
        if entry.path().is_dir() {
            copy_dir(&entry.path(), &target);
        } else {
            std::fs::copy(entry.path(), target).unwrap();
        }
    }
}

#[test]
fn a_descriptor_cannot_write_outside_its_output_folder() {
    let descriptor = "name: demo\nplatform: azure-app-service\nazure:\n  location: westeurope\n  bicep_file: deploy/../../escape.bicep\nservices:\n  web:\n    image: example/web:1\n    ports: [\"8000:8000\"]\naccept:\n  key-vault-public-network-access: no VNet here in this test\n";
    let test = Test::new().write("demo.yaml", descriptor);
    test.run(&["render", "demo.yaml", "-o", "out"]).expect(
        2,
        "",
        "demo.yaml:5:15: error: /azure/bicep_file: `deploy/../../escape.bicep` must stay inside the output folder: no `..`, `.` or empty parts\n\
         error: the descriptor is invalid (1 error)\n",
    );
    assert!(!test.path("out").exists() && !test.dir.path().parent().unwrap().join("escape.bicep").exists());
}
