//! Invalid descriptors and exactly what `validate` says about them, byte for
//! byte, in each output format: `tests/fixtures/invalid/NAME.yaml` with
//! `NAME.human`, `NAME.json` and `NAME.github` beside it (exit code, stdout,
//! stderr). The expected files were written by the release before the speed
//! work (issue 25), so faster schema checking cannot change a message, a
//! position or a did-you-mean unnoticed. Files named `_*.yaml` are bases that
//! others extend. `DEPLOYGEN_BLESS=1` rewrites the expected files: only after
//! a deliberate change of wording, and read the diff.

use crate::support::{repo, run_in};

const FORMATS: [&str; 3] = ["human", "json", "github"];

#[test]
fn invalid_descriptors_give_the_same_messages_positions_and_suggestions() {
    let root = repo();
    let dir = root.join("tests/fixtures/invalid");
    let mut names: Vec<String> = std::fs::read_dir(&dir)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .filter(|n| n.ends_with(".yaml") && !n.starts_with('_'))
        .collect();
    names.sort();
    assert!(names.len() >= 10, "the fixture folder lost its files: {names:?}");
    let bless = std::env::var_os("DEPLOYGEN_BLESS").is_some();
    let mut differ = Vec::new();
    for name in &names {
        let rel = format!("tests/fixtures/invalid/{name}");
        for format in FORMATS {
            let run = run_in(&root, &["validate", "--format", format, &rel]);
            let got = format!(
                "exit {}\n--- stdout\n{}--- stderr\n{}",
                run.code, run.stdout, run.stderr
            );
            let expected_path = dir.join(name.replace(".yaml", &format!(".{format}")));
            if bless {
                std::fs::write(&expected_path, &got).unwrap();
                continue;
            }
            let expected =
                std::fs::read_to_string(&expected_path).unwrap_or_else(|e| panic!("{}: {e}", expected_path.display()));
            if got != expected {
                differ.push(format!(
                    "{} differs:\n--- expected\n{expected}\n--- got\n{got}",
                    expected_path.display()
                ));
            }
        }
    }
    assert!(differ.is_empty(), "\n{}", differ.join("\n"));
}
