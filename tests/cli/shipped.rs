//! Every shipped environment validates, renders, and matches its committed output.

use crate::support::{repo, run_in};

fn environments() -> Vec<String> {
    let mut names: Vec<String> = std::fs::read_dir(repo().join("environments"))
        .unwrap()
        .flatten()
        .map(|e| e.file_name().to_string_lossy().into_owned())
        .filter(|n| n.ends_with(".yaml") && !n.starts_with('_'))
        .collect();
    names.sort();
    assert!(names.len() >= 2, "expected the shipped environments, found {names:?}");
    names
}

#[test]
fn every_shipped_environment_validates_cleanly() {
    for name in environments() {
        let run = run_in(&repo(), &["validate", &format!("environments/{name}")]);
        assert_eq!((run.code, run.stdout.as_str()), (0, ""), "{name}: {}", run.stderr);
    }
}

#[test]
fn every_shipped_environment_matches_its_committed_output() {
    let run = run_in(&repo(), &["check"]);
    assert_eq!(
        run.code, 0,
        "committed output is stale; run `deploygen render` for each:\n{}\n{}",
        run.stdout, run.stderr
    );
    for name in environments() {
        let stem = name.trim_end_matches(".yaml");
        assert!(
            run.stderr
                .contains(&format!("in sync: `environments/{stem}` matches `environments/{name}`")),
            "{name} was not checked: {}",
            run.stderr
        );
    }
}

#[test]
fn every_shipped_environment_renders_identically_into_a_fresh_folder() {
    let dir = tempfile::tempdir().unwrap();
    for name in environments() {
        let stem = name.trim_end_matches(".yaml");
        let out = dir.path().join(stem);
        let run = run_in(
            &repo(),
            &["render", &format!("environments/{name}"), "-o", out.to_str().unwrap()],
        );
        assert_eq!(run.code, 0, "{name}: {}", run.stderr);
        let committed = repo().join("environments").join(stem);
        let fresh_files = relative_files(&out);
        assert!(!fresh_files.is_empty());
        assert_eq!(
            fresh_files,
            relative_files(&committed),
            "{name}: the committed folder has other files"
        );
        for file in fresh_files {
            let fresh = std::fs::read_to_string(out.join(&file)).unwrap();
            let kept = std::fs::read_to_string(committed.join(&file)).unwrap();
            assert_eq!(fresh, kept, "{name}: {file} differs from the committed copy");
        }
    }
}

fn relative_files(root: &std::path::Path) -> Vec<String> {
    let mut out = Vec::new();
    let mut dirs = vec![root.to_path_buf()];
    while let Some(dir) = dirs.pop() {
        for entry in std::fs::read_dir(&dir).unwrap().flatten() {
            let path = entry.path();
            if path.is_dir() {
                dirs.push(path);
            } else {
                out.push(path.strip_prefix(root).unwrap().to_string_lossy().into_owned());
            }
        }
    }
    out.sort();
    out
}
