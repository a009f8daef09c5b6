//! Rules every template follows, checked on the template sources.

use crate::support::repo;

fn templates() -> Vec<(String, String)> {
    let mut out = Vec::new();
    let mut dirs = vec![repo().join("templates")];
    while let Some(dir) = dirs.pop() {
        for entry in std::fs::read_dir(dir).unwrap().flatten() {
            let path = entry.path();
            if path.is_dir() {
                dirs.push(path);
            } else {
                out.push((path.display().to_string(), std::fs::read_to_string(&path).unwrap()));
            }
        }
    }
    assert!(out.len() >= 10, "templates not found");
    out
}

/// The escaper does not know it is inside a comment: a value printed there
/// must go through `|comment`, which keeps it on one line and unquoted.
#[test]
fn values_in_comments_go_through_the_comment_filter() {
    for (path, text) in templates() {
        for (n, line) in text.lines().enumerate() {
            let trimmed = line.trim_start();
            let is_comment = trimmed.starts_with("//") || (trimmed.starts_with('#') && !trimmed.starts_with("#!"));
            if !is_comment {
                continue;
            }
            for expression in line.split("{{").skip(1) {
                let expression = expression.split("}}").next().unwrap_or_default();
                assert!(
                    expression.contains("|comment"),
                    "{path}:{}: `{{{{{expression}}}}}` in a comment",
                    n + 1
                );
            }
        }
    }
}
