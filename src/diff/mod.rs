//! `deploygen diff`: what a change to the descriptor does. Two full pipeline
//! runs (before, after); the summary compares their Plans, the file diffs
//! their renders, and the migration notes say what an operator must do.

pub mod git;
pub mod notes;
pub(crate) mod ops;
pub mod replace;
pub(crate) mod shell;
pub mod variant;

use crate::cost;
use crate::model::Descriptor;
use crate::plan::{EnvValue, Plan, Resource};
use crate::render::RenderedFile;
use serde::Serialize;
use std::collections::BTreeMap;

/// Bumped when the JSON shape of the report changes incompatibly.
pub const DIFF_FORMAT_VERSION: u32 = 1;

/// One side of a diff, fully planned and rendered.
pub struct Side {
    pub label: String,
    pub descriptor: Descriptor,
    pub plan: Plan,
    pub files: Vec<RenderedFile>,
    pub origin: Origin,
}

/// Where a side comes from, so that the notes can give commands that bring
/// it back (a rollback must run, not just read well).
#[derive(Debug, Clone, Default)]
pub struct Origin {
    /// The descriptor file, as the user would type it.
    pub path: std::path::PathBuf,
    /// Every file read for it (the descriptor and its `extends` chain).
    pub files: Vec<std::path::PathBuf>,
    /// The git revision it was read at (`--against REV`).
    pub revision: Option<String>,
    /// The command-line edits applied to it (`--without redis`, `--set ...`).
    pub edits: Vec<String>,
}

#[derive(Debug, Serialize)]
pub struct DiffReport {
    pub version: u32,
    pub before: String,
    pub after: String,
    pub changed: bool,
    pub files: FileSummary,
    pub services: Vec<ServiceChange>,
    pub secrets: SecretChanges,
    pub resources: ResourceChanges,
    pub cost: CostChange,
    pub notes: notes::Notes,
    pub diffs: Vec<FileDiff>,
}

#[derive(Debug, Default, Serialize)]
pub struct FileSummary {
    pub added: Vec<String>,
    pub changed: Vec<String>,
    pub removed: Vec<String>,
}

/// What happened to a file or a service between the two sides.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Status {
    Added,
    Changed,
    Removed,
}

#[derive(Debug, Serialize)]
pub struct FileDiff {
    pub path: String,
    pub status: Status,
    pub diff: String,
}

#[derive(Debug, Serialize)]
pub struct EnvEntry {
    pub name: String,
    /// The value as a person reads it; secrets appear as `<secret ID>`, never their value.
    pub value: String,
}

#[derive(Debug, Serialize)]
pub struct EnvChange {
    pub name: String,
    pub before: String,
    pub after: String,
}

#[derive(Debug, Serialize)]
pub struct ServiceChange {
    pub service: String,
    pub status: Status,
    pub env_added: Vec<EnvEntry>,
    pub env_removed: Vec<EnvEntry>,
    pub env_changed: Vec<EnvChange>,
}

#[derive(Debug, Serialize)]
pub struct SecretEntry {
    pub id: String,
    /// The name it travels in through `.env` files, which may be no env var
    /// of the platform (a Key Vault secret built into a URL).
    pub env_name: String,
    pub stored_in: crate::plan::SecretStore,
    /// The env vars that really carry it into a service on its platform.
    pub carried_by: Vec<String>,
}

impl SecretEntry {
    /// The names a list gives after its id: its `.env` line where `.env`
    /// keeps it, else the env vars that carry it (none: no variable does).
    pub fn carriers(&self) -> &[String] {
        match self.stored_in {
            crate::plan::SecretStore::DotEnv => std::slice::from_ref(&self.env_name),
            _ => &self.carried_by,
        }
    }

    /// `` `id` (`A`, `B`)`` in markdown: the id, then the names that carry it.
    pub fn markdown(&self) -> String {
        let names: Vec<String> = self.carriers().iter().map(|n| format!("`{n}`")).collect();
        if names.is_empty() {
            format!("`{}`", self.id)
        } else {
            format!("`{}` ({})", self.id, names.join(", "))
        }
    }
}

#[derive(Debug, Default, Serialize)]
pub struct SecretChanges {
    pub added: Vec<SecretEntry>,
    pub removed: Vec<SecretEntry>,
}

#[derive(Debug, Serialize)]
pub struct ResourceDetailChange {
    pub kind: crate::plan::ResourceKind,
    pub name: String,
    pub before: String,
    pub after: String,
}

#[derive(Debug, Default, Serialize)]
pub struct ResourceChanges {
    pub added: Vec<Resource>,
    pub removed: Vec<Resource>,
    pub changed: Vec<ResourceDetailChange>,
    /// Resources both sides have whose creation-only setting differs: a new
    /// resource, never an in-place update.
    pub replaced: Vec<replace::Replacement>,
}

#[derive(Debug, Serialize)]
pub struct CostChange {
    pub currency: String,
    pub prices_as_of: String,
    pub before_monthly: f64,
    pub after_monthly: f64,
    pub delta_monthly: f64,
    /// How many resources the price table and the descriptor have no price for.
    pub unpriced_before: usize,
    pub unpriced_after: usize,
    /// Those resources, each with the reason it has no price.
    pub unpriced_resources_before: Vec<cost::Unpriced>,
    pub unpriced_resources_after: Vec<cost::Unpriced>,
    /// The totals leave resources out: the delta is partial.
    pub partial: bool,
    /// Resources without a price that are added, removed or changed: the
    /// change itself is unknown (empty: `delta_monthly` is the change).
    pub delta_unpriced: Vec<String>,
    /// Every resource on both sides runs on the operator's own hosts (compose).
    pub self_hosted: bool,
}

impl CostChange {
    /// One line per resource left out of the totals, with the side(s) it is
    /// on and why it has no price.
    pub fn unpriced_lines(&self) -> Vec<String> {
        let mut out = Vec::new();
        let line = |u: &cost::Unpriced, side: &str| {
            let what = [u.kind.as_str(), u.detail.as_str()]
                .iter()
                .filter(|s| !s.is_empty())
                .copied()
                .collect::<Vec<_>>()
                .join(", ");
            format!("`{}` ({what}; {side}): {}", u.name, u.reason)
        };
        let same = |a: &cost::Unpriced, b: &cost::Unpriced| a.kind == b.kind && a.name == b.name;
        for u in &self.unpriced_resources_before {
            let both = self.unpriced_resources_after.iter().any(|a| same(a, u));
            out.push(line(u, if both { "both sides" } else { "before" }));
        }
        for u in &self.unpriced_resources_after {
            if !self.unpriced_resources_before.iter().any(|b| same(b, u)) {
                out.push(line(u, "after"));
            }
        }
        out
    }
}

fn show_value(value: &EnvValue) -> String {
    value.shown()
}

fn files(before: &[RenderedFile], after: &[RenderedFile]) -> (FileSummary, Vec<FileDiff>) {
    let old: BTreeMap<&str, &str> = before.iter().map(|f| (f.path.as_str(), f.contents.as_str())).collect();
    let new: BTreeMap<&str, &str> = after.iter().map(|f| (f.path.as_str(), f.contents.as_str())).collect();
    let mut summary = FileSummary::default();
    let mut diffs = Vec::new();
    let mut paths: Vec<&str> = old.keys().chain(new.keys()).copied().collect();
    paths.sort();
    paths.dedup();
    for path in paths {
        let (status, a, b) = match (old.get(path), new.get(path)) {
            (None, Some(b)) => (Status::Added, "", *b),
            (Some(a), None) => (Status::Removed, *a, ""),
            (Some(a), Some(b)) if a != b => (Status::Changed, *a, *b),
            _ => continue,
        };
        match status {
            Status::Added => summary.added.push(path.into()),
            Status::Removed => summary.removed.push(path.into()),
            Status::Changed => summary.changed.push(path.into()),
        }
        diffs.push(FileDiff {
            path: path.into(),
            status,
            diff: crate::emit::unified_diff(a, b, path),
        });
    }
    (summary, diffs)
}

fn services(before: &Plan, after: &Plan) -> Vec<ServiceChange> {
    let mut names: Vec<&str> = before.services.iter().map(|s| s.name.as_str()).collect();
    for s in &after.services {
        if !names.contains(&s.name.as_str()) {
            names.push(&s.name);
        }
    }
    let entries = |env: &[crate::plan::EnvVar]| -> Vec<EnvEntry> {
        env.iter()
            .map(|e| EnvEntry {
                name: e.name.clone(),
                value: show_value(&e.value),
            })
            .collect()
    };
    let mut out = Vec::new();
    for name in names {
        let old = before.services.iter().find(|s| s.name == name);
        let new = after.services.iter().find(|s| s.name == name);
        let change = match (old, new) {
            (Some(o), None) => ServiceChange {
                service: name.into(),
                status: Status::Removed,
                env_added: vec![],
                env_removed: entries(&o.env),
                env_changed: vec![],
            },
            (None, Some(n)) => ServiceChange {
                service: name.into(),
                status: Status::Added,
                env_added: entries(&n.env),
                env_removed: vec![],
                env_changed: vec![],
            },
            (Some(o), Some(n)) => {
                let find = |env: &[crate::plan::EnvVar], name: &str| {
                    env.iter().find(|e| e.name == name).map(|e| show_value(&e.value))
                };
                let env_added = entries(&n.env)
                    .into_iter()
                    .filter(|e| find(&o.env, &e.name).is_none())
                    .collect();
                let env_removed = entries(&o.env)
                    .into_iter()
                    .filter(|e| find(&n.env, &e.name).is_none())
                    .collect();
                let env_changed = o
                    .env
                    .iter()
                    .filter_map(|e| {
                        let after = find(&n.env, &e.name)?;
                        let before = show_value(&e.value);
                        (before != after).then(|| EnvChange {
                            name: e.name.clone(),
                            before,
                            after,
                        })
                    })
                    .collect();
                ServiceChange {
                    service: name.into(),
                    status: Status::Changed,
                    env_added,
                    env_removed,
                    env_changed,
                }
            }
            (None, None) => continue,
        };
        let quiet = change.status == Status::Changed
            && change.env_added.is_empty()
            && change.env_removed.is_empty()
            && change.env_changed.is_empty();
        if !quiet {
            out.push(change);
        }
    }
    out
}

/// The env vars of `plan` that carry secret `s`: the whole value, or (Azure)
/// a value built from secrets, which goes as a secret named after the variable.
fn carried_by(plan: &Plan, s: &crate::plan::SecretPlan) -> Vec<String> {
    let mut names: Vec<String> = Vec::new();
    for e in plan.services.iter().flat_map(|service| &service.env) {
        let carries = match &e.value {
            EnvValue::Secret { secret } => *secret == s.id,
            EnvValue::Template { .. } => s.derived && crate::plan::bicep::kebab(&e.name) == s.id,
            EnvValue::Plain { .. } => false,
        };
        if carries && !names.contains(&e.name) {
            names.push(e.name.clone());
        }
    }
    names
}

fn secrets(before: &Plan, after: &Plan) -> SecretChanges {
    let entry = |plan: &Plan, s: &crate::plan::SecretPlan| SecretEntry {
        id: s.id.clone(),
        env_name: s.env_name.clone(),
        stored_in: s.stored_in.clone(),
        carried_by: carried_by(plan, s),
    };
    SecretChanges {
        added: after
            .secrets
            .iter()
            .filter(|s| !before.secrets.iter().any(|o| o.id == s.id))
            .map(|s| entry(after, s))
            .collect(),
        removed: before
            .secrets
            .iter()
            .filter(|s| !after.secrets.iter().any(|n| n.id == s.id))
            .map(|s| entry(before, s))
            .collect(),
    }
}

fn resources(before: &Plan, after: &Plan) -> ResourceChanges {
    let same = |a: &Resource, b: &Resource| a.kind == b.kind && a.name == b.name;
    ResourceChanges {
        added: after
            .resources
            .iter()
            .filter(|r| !before.resources.iter().any(|o| same(o, r)))
            .cloned()
            .collect(),
        removed: before
            .resources
            .iter()
            .filter(|r| !after.resources.iter().any(|n| same(r, n)))
            .cloned()
            .collect(),
        changed: before
            .resources
            .iter()
            .filter_map(|o| {
                let n = after.resources.iter().find(|n| same(o, n))?;
                (n.detail != o.detail).then(|| ResourceDetailChange {
                    kind: o.kind,
                    name: o.name.clone(),
                    before: o.detail.clone(),
                    after: n.detail.clone(),
                })
            })
            .collect(),
        replaced: Vec::new(),
    }
}

pub fn compare(before: &Side, after: &Side) -> DiffReport {
    let (file_summary, diffs) = files(&before.files, &after.files);
    let services = services(&before.plan, &after.plan);
    let secrets = secrets(&before.plan, &after.plan);
    let mut resources = resources(&before.plan, &after.plan);
    resources.replaced = replace::replacements(&before.descriptor, &after.descriptor);
    let (before_cost, unpriced_before) = cost::total(&before.plan.resources);
    let (after_cost, unpriced_after) = cost::total(&after.plan.resources);
    let table = cost::table();
    let self_hosted = before
        .plan
        .resources
        .iter()
        .chain(&after.plan.resources)
        .all(|r| r.kind.self_hosted());
    let cost = CostChange {
        currency: table.currency.clone(),
        prices_as_of: table.as_of.clone(),
        before_monthly: round(before_cost),
        after_monthly: round(after_cost),
        delta_monthly: round(after_cost - before_cost),
        unpriced_before: unpriced_before.len(),
        unpriced_after: unpriced_after.len(),
        partial: !unpriced_before.is_empty() || !unpriced_after.is_empty(),
        delta_unpriced: cost::delta_unpriced(&before.plan.resources, &after.plan.resources),
        unpriced_resources_before: unpriced_before,
        unpriced_resources_after: unpriced_after,
        self_hosted,
    };
    let changed = !diffs.is_empty()
        || !services.is_empty()
        || !secrets.added.is_empty()
        || !secrets.removed.is_empty()
        || !resources.added.is_empty()
        || !resources.removed.is_empty()
        || !resources.changed.is_empty()
        || !resources.replaced.is_empty();
    let mut report = DiffReport {
        version: DIFF_FORMAT_VERSION,
        before: before.label.clone(),
        after: after.label.clone(),
        changed,
        files: file_summary,
        services,
        secrets,
        resources,
        cost,
        notes: notes::Notes::default(),
        diffs,
    };
    report.notes = notes::write(before, after, &report);
    report
}

fn round(x: f64) -> f64 {
    (x * 100.0).round() / 100.0
}
