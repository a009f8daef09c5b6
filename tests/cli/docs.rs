//! The README documents every command and every rule.

use crate::support::repo;

fn readme() -> String {
    std::fs::read_to_string(repo().join("README.md")).unwrap()
}

/// The table between the markers is the registry's, word for word;
/// `DEPLOYGEN_BLESS=1` rewrites it after a rule changes.
#[test]
fn the_readme_rule_table_is_the_registry() {
    let text = readme();
    let (begin, end) = ("<!-- rules:begin -->\n", "<!-- rules:end -->");
    let start = text.find(begin).expect("README lacks the rules:begin marker") + begin.len();
    let stop = text.find(end).expect("README lacks the rules:end marker");
    let table = deploygen::rules::markdown_table();
    if std::env::var_os("DEPLOYGEN_BLESS").is_some() {
        let blessed = format!("{}{table}{}", &text[..start], &text[stop..]);
        std::fs::write(repo().join("README.md"), blessed).unwrap();
        return;
    }
    assert_eq!(
        &text[start..stop],
        table,
        "the README's rule table differs from the registry (src/rules/); rerun with DEPLOYGEN_BLESS=1"
    );
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
