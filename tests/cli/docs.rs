//! The README documents every command and every lint rule.

use crate::support::repo;

fn readme() -> String {
    std::fs::read_to_string(repo().join("README.md")).unwrap()
}

#[test]
fn the_readme_lists_every_lint_rule() {
    let text = readme();
    for rule in deploygen::lint::rules::RULES {
        assert!(
            text.contains(&format!("| `{}` | {} |", rule.id, rule.severity)),
            "README lacks rule `{}`",
            rule.id
        );
    }
}

#[test]
fn the_readme_lists_every_command() {
    let text = readme();
    let command = <deploygen::cli::Cli as clap::CommandFactory>::command();
    for sub in command.get_subcommands() {
        assert!(
            text.contains(&format!("`deploygen {}", sub.get_name())),
            "README lacks `deploygen {}`",
            sub.get_name()
        );
    }
}

#[test]
fn every_platform_doc_exists_and_is_linked() {
    let text = readme();
    for doc in [
        "templates/compose/README.md",
        "templates/azure/README.md",
        "templates/render/README.md",
    ] {
        assert!(
            repo().join(doc).is_file() && text.contains(&format!("({doc})")),
            "{doc}"
        );
    }
}
