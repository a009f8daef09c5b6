//! Every rule a finding can name, with its metadata: the one registry that
//! `validate`, `explain`, the README table and CI annotations read.
//!
//! A finding is built from a registry entry (`rules::CONTRADICTION`), never
//! from an id string, so an unregistered rule does not compile. Each entry is
//! declared inside a `rules!` list, which is what registers it: a rule cannot
//! exist without being listed. `tests/cli/rules.rs` runs a fixture that fires
//! each rule and one that stays quiet, and fails for a rule without them.

mod input;
mod lint;
mod semantic;

pub use input::*;
pub use lint::*;
pub use semantic::*;

use crate::findings::Severity;
use serde::Serialize;
use std::fmt;

/// Which stage finds it.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Kind {
    /// Reading the descriptor: YAML, `extends`, the JSON schema.
    Input,
    /// Cross references and what the platforms accept, on the typed descriptor.
    Semantic,
    /// Deployments that would validate but fail or leak, read from the Plan.
    Lint,
}

impl fmt::Display for Kind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Kind::Input => "input",
            Kind::Semantic => "semantic",
            Kind::Lint => "lint",
        })
    }
}

// Not `#[non_exhaustive]`: that leaves the rest of the crate free to build one.
#[allow(clippy::manual_non_exhaustive)]
pub struct Rule {
    pub id: &'static str,
    pub kind: Kind,
    pub severity: Severity,
    /// Whether a descriptor may accept it under `accept:` with a reason.
    pub acceptable: bool,
    /// One line: the README table, `deploygen explain`'s list.
    pub summary: &'static str,
    /// Why it matters and what to do: `deploygen explain RULE`.
    pub explanation: &'static str,
    /// Private: only the `rules!` lists below can make a rule.
    _registered: (),
}

impl Rule {
    /// The title of its GitHub annotation.
    pub fn title(&self) -> String {
        format!("deploygen {}", self.id)
    }
}

/// Findings name their rule by id, in text and in JSON.
impl fmt::Display for Rule {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.id)
    }
}

impl fmt::Debug for Rule {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Rule({})", self.id)
    }
}

impl Serialize for Rule {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(self.id)
    }
}

// Ids are unique (tested), so a rule is its id.
impl PartialEq for Rule {
    fn eq(&self, other: &Self) -> bool {
        self.id == other.id
    }
}
impl Eq for Rule {}
impl PartialOrd for Rule {
    fn partial_cmp(&self, other: &Self) -> Option<std::cmp::Ordering> {
        Some(self.cmp(other))
    }
}
impl Ord for Rule {
    fn cmp(&self, other: &Self) -> std::cmp::Ordering {
        self.id.cmp(other.id)
    }
}

/// Declares each rule as a constant and lists them all in `$list`.
macro_rules! rules {
    ($list:ident, $kind:ident, acceptable: $acceptable:expr;
     $($name:ident: $id:literal, $severity:ident, $summary:literal, $explanation:expr;)*) => {
        $(
            pub const $name: &$crate::rules::Rule = &$crate::rules::Rule {
                id: $id,
                kind: $crate::rules::Kind::$kind,
                severity: $crate::findings::Severity::$severity,
                acceptable: $acceptable,
                summary: $summary,
                explanation: $explanation,
                _registered: (),
            };
        )*
        pub const $list: &[&$crate::rules::Rule] = &[$($name),*];
    };
}
pub(crate) use rules;

/// Every rule, in the order `explain` lists them.
pub fn all() -> impl Iterator<Item = &'static Rule> {
    INPUT_RULES.iter().chain(SEMANTIC_RULES).chain(LINT_RULES).copied()
}

pub fn find(id: &str) -> Option<&'static Rule> {
    all().find(|r| r.id == id)
}

/// The README's rule table (checked against the README by `tests/cli/docs.rs`).
pub fn markdown_table() -> String {
    let mut out = String::from("| rule | kind | severity | `accept:` | finds |\n|---|---|---|---|---|\n");
    for r in all() {
        let accept = if r.acceptable { "yes" } else { "no" };
        let summary = r.summary.replace('|', "\\|");
        out.push_str(&format!(
            "| `{}` | {} | {} | {accept} | {summary} |\n",
            r.id, r.kind, r.severity
        ));
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ids_are_unique_kebab_case_and_only_lints_can_be_accepted() {
        let mut seen = std::collections::BTreeSet::new();
        for rule in all() {
            assert!(seen.insert(rule.id), "`{}` is registered twice", rule.id);
            assert!(
                rule.id.chars().all(|c| c.is_ascii_lowercase() || c == '-'),
                "{}",
                rule.id
            );
            assert!(!rule.summary.is_empty() && !rule.explanation.is_empty(), "{}", rule.id);
            assert!(!rule.acceptable || rule.kind == Kind::Lint, "{}", rule.id);
        }
        assert_eq!(find("contradiction"), Some(CONTRADICTION));
        assert_eq!(find("nope"), None);
    }
}
