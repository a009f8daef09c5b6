//! Migration notes in the shape of the seeds: overview, files, env vars and
//! secrets to add or remove and where, ordered steps, verification, rollback,
//! and the warnings an operator needs. Steps keep the service up where the
//! platform allows it: create the new, switch, restart what caches old
//! values, verify, and only then delete the old. Every command is the
//! platform's own; a step nobody can run is not written.

use super::ops::{output_dir, Ops};
use super::shell::{path_arg, quote};
use super::{DiffReport, Origin, Side, Status};
use crate::backing::queue::queue_of;
use crate::model::*;
use crate::resolve::framework;
use crate::source::display_path;
use crate::target;
use serde::Serialize;

#[derive(Debug, Default, Serialize)]
pub struct Notes {
    pub title: String,
    pub overview: Vec<String>,
    pub warnings: Vec<String>,
    /// Env var names no service has any more, and where they were set.
    pub env_to_remove: Vec<String>,
    pub env_to_add: Vec<String>,
    pub env_location: String,
    pub steps: Vec<Step>,
    pub verification: Vec<Step>,
    pub rollback: Vec<Step>,
}

#[derive(Debug, Serialize)]
pub struct Step {
    pub text: String,
    pub commands: Vec<String>,
}

pub(crate) fn step(text: impl Into<String>, commands: Vec<String>) -> Step {
    Step {
        text: text.into(),
        commands,
    }
}

pub(crate) const RG: &str = "<resource-group>";

fn describe_cache(d: &Descriptor) -> String {
    crate::resolve::cache_backend(d).map_or_else(|| "no cache".into(), |b| b.describe(d))
}

/// The one server (or table) that holds the cache's data: when it differs
/// between the sides, nothing in the old one reaches the new one.
pub(super) fn cache_place(d: &Descriptor) -> Option<String> {
    crate::resolve::cache_place(d)
}

fn describe_broker(d: &Descriptor) -> String {
    crate::backing::queue::describe(d)
}

pub(crate) fn workers(d: &Descriptor) -> Vec<String> {
    crate::resolve::workers(d)
}

/// Services that put jobs on the queue by themselves (Celery beat).
fn schedulers(d: &Descriptor) -> Vec<String> {
    d.services
        .iter()
        .filter(|(_, s)| s.role() == Role::Scheduler)
        .map(|(n, _)| n.clone())
        .collect()
}

pub(crate) fn web(d: &Descriptor) -> Option<String> {
    d.services
        .iter()
        .find(|(_, s)| s.role() == Role::Web)
        .map(|(n, _)| n.clone())
}

fn env_location(d: &Descriptor) -> String {
    target::of(d).env_location(d)
}

/// Where Container Apps read their secrets from.
fn secret_mode(d: &Descriptor) -> Option<&'static str> {
    target::of(d).secret_mode(d)
}

/// The removed secrets the old side kept in its Key Vault (none off Azure):
/// the notes leave them there (see [`vault_secrets_stay`]).
fn vault_secrets_removed<'a>(b: &Descriptor, report: &'a DiffReport) -> Vec<&'a super::SecretEntry> {
    if !target::of(b).key_vault() {
        return Vec::new();
    }
    report
        .secrets
        .removed
        .iter()
        .filter(|s| s.stored_in.key_vault())
        .collect()
}

/// Why the notes never delete the secrets nothing reads any more: a
/// rollback stays a plain redeploy. Deleting them is a data-plane call the
/// operator's machine cannot make on a vault with public access off and RBAC
/// authorisation (MicrosoftDocs/azure-docs#68668: only ARM reaches the data
/// plane from outside; Key Vault RBAC guide: data actions need a Key Vault
/// data role such as Key Vault Secrets Officer), and while a deleted secret
/// is soft-deleted a deployment that creates one of the same name fails.
fn vault_secrets_stay(b: &Descriptor, removed: &[&super::SecretEntry]) -> String {
    let (vault, days, purge_protection) = vault_caveat(b);
    let ids: Vec<String> = removed.iter().map(|s| format!("`{}`", s.id)).collect();
    format!(
        "Key Vault `{vault}` keeps the secrets nothing reads any more ({}): the deployment does not delete them and \
         these notes leave them, so the rollback stays a redeploy. They cost nothing there. Deleting one is a \
         data-plane call (from inside the vault's network, with a time-boxed *Key Vault Secrets Officer* \
         assignment), and for {days} days after it (soft delete{}) a deployment that creates a secret of the same \
         name fails.",
        ids.join(", "),
        if purge_protection {
            "; purge protection forbids purging early"
        } else {
            ""
        }
    )
}

/// Key Vault's soft delete and purge protection, as the Plan decides them.
fn vault_caveat(d: &Descriptor) -> (String, u32, bool) {
    let vault = crate::target::project::azure::key_vault_model(d, false, false);
    (
        vault.resource_name.shown,
        vault.soft_delete_days,
        vault.purge_protection,
    )
}

pub fn write(before: &Side, after: &Side, report: &DiffReport) -> Notes {
    let (b, a) = (&before.descriptor, &after.descriptor);
    let mut notes = Notes {
        title: format!("Migration: {} → {}", before.label, after.label),
        env_location: env_location(a),
        ..Notes::default()
    };
    let cache_changed = describe_cache(b) != describe_cache(a);
    let broker_changed = describe_broker(b) != describe_broker(a);
    if cache_changed {
        notes
            .overview
            .push(format!("Cache: {} → {}.", describe_cache(b), describe_cache(a)));
        // A shared cache replaced by none: say why, in the framework's terms.
        if a.cache.kind == CacheKind::None && b.cache.kind != CacheKind::None {
            let (_, why) = framework::cache_without_redis(crate::resolve::framework(a), a.postgres.is_some());
            notes.overview.push(format!("No shared cache: {why}."));
        }
    }
    if broker_changed {
        notes
            .overview
            .push(format!("Task queue: {} → {}.", describe_broker(b), describe_broker(a)));
    }
    let secret_mode_changed = secret_mode(b) != secret_mode(a) && secret_mode(a).is_some();
    if let (true, Some(old), Some(new)) = (secret_mode_changed, secret_mode(b), secret_mode(a)) {
        notes.overview.push(format!("Container app secrets: {old} → {new}."));
    }
    for s in &report.services {
        match s.status {
            Status::Added => notes.overview.push(format!("Service `{}` is added.", s.service)),
            Status::Removed => notes.overview.push(format!("Service `{}` is removed.", s.service)),
            Status::Changed => {}
        }
    }
    let f = &report.files;
    notes.overview.push(format!(
        "Files: {} to add, {} to change, {} to remove.",
        f.added.len(),
        f.changed.len(),
        f.removed.len()
    ));
    if !report.changed {
        notes.overview = vec!["Nothing changes: both sides render the same files and the same Plan.".into()];
        return notes;
    }

    let names = |plan: &crate::plan::Plan| -> Vec<String> {
        let mut all: Vec<String> = plan
            .services
            .iter()
            .flat_map(|s| s.env.iter().map(|e| e.name.clone()))
            .collect();
        all.sort();
        all.dedup();
        all
    };
    let (old_names, new_names) = (names(&before.plan), names(&after.plan));
    let ordered = |plan: &crate::plan::Plan, keep: &dyn Fn(&str) -> bool| -> Vec<String> {
        let mut out: Vec<String> = Vec::new();
        for s in &plan.services {
            for e in &s.env {
                if keep(&e.name) && !out.contains(&e.name) {
                    out.push(e.name.clone());
                }
            }
        }
        out
    };
    notes.env_to_remove = ordered(&before.plan, &|n| !new_names.iter().any(|x| x == n));
    notes.env_to_add = ordered(&after.plan, &|n| !old_names.iter().any(|x| x == n));

    if !report.resources.replaced.is_empty() {
        refuse_replacements(&mut notes, report);
        return notes;
    }

    let old_ops = Ops::before(before, after);
    let new_ops = Ops::new(after);
    let same_platform = b.platform == a.platform;

    // What is lost, named.
    let (old_place, new_place) = (cache_place(b), cache_place(a));
    let cache_moves = old_place.is_some() && old_place != new_place;
    if cache_moves {
        let place = old_place.clone().unwrap_or_default();
        let fate = match &new_place {
            Some(new) => format!(
                "nothing in {place} is copied to {new}. The cache starts empty (its contents are rebuilt on demand, \
                 with more load on the database meanwhile)"
            ),
            None => format!("{place} goes, and its contents with it: the app runs without a cache"),
        };
        let sessions = match framework::of(b).cache_sessions {
            Some(engine) => format!("{engine}, a Redis session store"),
            None => "a Redis session store".into(),
        };
        notes.warnings.push(format!(
            "Data: {fate}. If the app keeps sessions in this cache ({sessions}), every signed-in user is signed out."
        ));
    }
    for r in report.resources.changed.iter().filter(|r| r.kind.is_azure_cache()) {
        notes.warnings.push(format!(
            "Data: the deployment scales `{}` in place ({} → {}); connections drop while it scales.{} See Microsoft \
             Learn, \"Scale an Azure Cache for Redis instance\", before doing this in production.",
            r.name,
            r.before,
            r.after,
            match (
                crate::target::project::azure::redis_model(b).is_some_and(|m| !m.managed && m.sku_name == "Basic"),
                b.broker.transport() == Some(Transport::Redis)
            ) {
                (true, true) =>
                    " A Basic cache has no replica: plan for it to be unavailable for a while and to come \
                                 back empty, its queued jobs included (let the workers empty the queue first).",
                (true, false) =>
                    " A Basic cache has no replica: plan for it to be unavailable for a while and to come back empty.",
                _ => "",
            }
        ));
    }
    let (old_queue, new_queue) = (queue_of(b), queue_of(a));
    let queue_moves = match (&old_queue, &new_queue) {
        (Some(o), Some(n)) => o.backend != n.backend || o.name != n.name,
        (Some(_), None) => true,
        _ => false,
    };
    let old_workers = workers(b);
    let drain = queue_moves && !old_workers.is_empty();
    if let (true, Some(q)) = (queue_moves, &old_queue) {
        let moves = match &new_queue {
            Some(n) => format!("moves from {} to {}", q.backend, n.backend),
            None => format!("in {} goes, with its workers", q.backend),
        };
        notes.warnings.push(format!(
            "Jobs: the {} queue {moves}. Lost if the old place goes while jobs wait in it: {}. Drain it first \
             (step below); what is still queued when the workers stop is never run.",
            q.name, q.lost
        ));
    }

    // Platform caveats, for the platforms involved only.
    let azure_removed: Vec<&crate::plan::Resource> =
        report.resources.removed.iter().filter(|r| r.kind.is_azure()).collect();
    if !azure_removed.is_empty() {
        notes.warnings.push(
            "`az deployment group create` deploys in incremental mode: resources removed from the Bicep are not deleted \
             (what-if reports them as Ignore). Delete them yourself once nothing uses them (step below)."
                .into(),
        );
    }
    let vault_removed = vault_secrets_removed(b, report);
    if !vault_removed.is_empty() {
        notes.warnings.push(vault_secrets_stay(b, &vault_removed));
    }
    notes.warnings.extend(target::of(a).secret_warnings(report));

    // Ordered steps: prepare, drain, create and switch, restart, verify, clean up.
    let supplied: Vec<String> = report
        .secrets
        .added
        .iter()
        .filter(|s| !after.plan.secrets.iter().any(|p| p.id == s.id && p.derived))
        .filter(|s| {
            !a.secrets
                .get(&s.id)
                .is_some_and(|d| d.generate && target::of(a).generates_secrets())
        })
        .map(|s| format!("{} in {}", s.markdown(), s.stored_in))
        .collect();
    if !after.origin.edits.is_empty() {
        let path = display_path(&after.origin.path);
        notes.steps.push(step(
            format!(
                "Make the change in `{path}` ({}), generate its files again, review and commit them.",
                after.origin.edits.join(" ")
            ),
            vec![format!("deploygen render {}", path_arg(&after.origin.path))],
        ));
    }
    if !supplied.is_empty() {
        notes.steps.push(step(
            format!("Provide the new secrets: {}.", supplied.join(", ")),
            vec![],
        ));
    }
    let code_steps_before = notes.steps.len();
    // The app's own changes first: the drain window below stays short.
    if let (true, None, Some(kind)) = (queue_moves, &new_queue, crate::resolve::queue_kind(&b.broker)) {
        notes
            .steps
            .extend(kind.app_without_queue(b).map(|text| step(text, vec![])));
    }
    if let (true, Some(setup)) = (
        moves_to_database_cache(b, a),
        framework::of(a).database_cache.as_ref().and_then(|c| c.setup),
    ) {
        notes.steps.push(step(setup, vec![]));
    }
    // Then the new code ships, before anything removes what the old code reads.
    let code_changes = notes.steps.len() > code_steps_before;
    notes.steps.extend(ship_new_code(&new_ops, report, code_changes));
    // A write-back cache the app leaves is flushed first (issue 19, L2).
    if let Some(s) = flush_write_back(b, a, &old_ops) {
        notes.steps.push(s);
    }
    if drain {
        let q = old_queue.as_ref().expect("drain needs a queue");
        let producers = schedulers(b);
        if !producers.is_empty() {
            let mut s = old_ops.stop(&producers);
            s.text = format!("{} It schedules jobs by itself: stop it first.", s.text);
            notes.steps.push(s);
        }
        let (commands, by_hand) = old_ops.pending(q, &old_workers[0]);
        notes.steps.push(step(
            format!(
                "Drain the {} queue in {}: keep {} running until nothing is running, scheduled or waiting \
                 ({}).{by_hand} Jobs the app enqueues until it is switched (below) still go there and are not run: \
                 keep this window short, or pause what enqueues.",
                q.name,
                q.backend,
                old_workers.join(", "),
                q.drained_when
            ),
            commands,
        ));
        notes.steps.push(old_ops.stop(&old_workers));
    }
    let by_hand = target::of(a).env_by_hand(before, after);
    notes.steps.extend(set_by_hand(&by_hand, &new_ops));
    notes.steps.push(new_ops.deploy());
    if same_platform {
        let mut touched: Vec<String> = report
            .services
            .iter()
            .filter(|s| s.status == Status::Changed)
            .filter(|s| a.services.contains_key(&s.service))
            .map(|s| s.service.clone())
            .collect();
        if secret_mode_changed {
            // Every app's secrets change source; none of that makes a revision.
            touched = a.services.keys().cloned().collect();
        }
        if drain {
            let stopped = schedulers(b);
            touched.retain(|s| !old_workers.contains(s) && !stopped.contains(s));
        }
        if let Some(s) = new_ops.restart(&touched) {
            notes.steps.push(s);
        }
    }
    if moves_to_database_cache(b, a) {
        let web = web(a).unwrap_or_else(|| "web".into());
        let cache = &framework::of(a).database_cache;
        let text = match cache {
            Some(cache) => cache.create_text.to_string(),
            None => "Run your migrations: the database cache needs its table (deploygen knows no command for this \
                     app's framework)."
                .into(),
        };
        let after_migrate = cache.iter().flat_map(|c| c.after_migrate.iter().copied());
        // A declared pre-deploy command is how every deploy migrates: say who
        // runs it rather than running the migrations a second time.
        let (text, mut commands) = match framework::declared_pre_deploy(a) {
            Some((service, line)) => {
                let (who, run) = target::of(a).pre_deploy(&new_ops, service);
                (
                    format!("{text} The pre-deploy command `{line}` runs the migrations: {who}."),
                    run,
                )
            }
            None => (
                text,
                framework::migrate_command(a)
                    .iter()
                    .map(|c| new_ops.exec(&web, c))
                    .collect(),
            ),
        };
        commands.extend(after_migrate.map(|c| new_ops.exec(&web, c)));
        notes.steps.push(step(text, commands));
    }
    // Stale variables go before the workers resume and before verification.
    notes.steps.extend(remove_by_hand(&by_hand));
    if drain {
        // Jobs for later, before the new workers start (issue 19, L3).
        notes.steps.extend(carry_jobs(b, a));
        let new_workers: Vec<String> = workers(a).into_iter().collect();
        let mut back = new_workers.clone();
        back.extend(schedulers(a));
        if !back.is_empty() {
            notes.steps.push(new_ops.start(&back));
        }
    }
    // Clean up what the new side no longer uses, once verified.
    let before_cleanup = notes.steps.len();
    notes.steps.extend(target::of(b).cleanup(before, after, report));
    let deletes = notes.steps.len() > before_cleanup;
    if deletes {
        notes.steps.insert(
            before_cleanup,
            step(
                "Verify (next section) before deleting anything: until then the old side still exists and the \
                 rollback is a redeploy.",
                vec![],
            ),
        );
    }
    if !notes.env_to_remove.is_empty() && by_hand.stale.is_empty() {
        notes.steps.push(step(
            format!(
                "Remove the env vars nothing reads any more from {} and wherever else they are set: {}.",
                env_location(b),
                notes
                    .env_to_remove
                    .iter()
                    .map(|n| format!("`{n}`"))
                    .collect::<Vec<_>>()
                    .join(", ")
            ),
            vec![],
        ));
    }

    verification(&mut notes, b, a, &new_ops, cache_changed);
    notes
        .verification
        .extend(processes_moved(report, b, a, &new_ops, &by_hand));
    rollback(&mut notes, before, after, report, drain, deletes);
    explain_name_suffix(&mut notes);
    notes
}

/// Item 26: a creation-only setting that changes is never an in-place
/// redeploy. The notes refuse the change as it stands (the deployment would
/// fail at that resource, or leave it as it was) and say how to make it a
/// move to a new resource, which `diff` then plans step by step.
fn refuse_replacements(notes: &mut Notes, report: &DiffReport) {
    for r in &report.resources.replaced {
        notes.warnings.push(format!(
            "Replace, not update: the {} of {} `{}` changes ({} → {}), and {}: a deployment of these files cannot \
             change it in place.",
            r.setting, r.kind, r.name, r.before, r.after, r.source
        ));
        notes.steps.push(step(
            format!(
                "Do not deploy this change as it stands. To get the new {} for `{}`, {}.",
                r.setting, r.name, r.way_out
            ),
            vec![],
        ));
    }
}

/// R1: the services whose new version needs new code: each one the deploy
/// takes a variable from (the old code reads it), and every one that stays
/// when the steps above ask for a code change. The platform says how that
/// code ships (a new image and its tag, or a build from the pushed commit)
/// and runs the pre-deploy command with it where the deploy does not.
fn ship_new_code(ops: &Ops, report: &DiffReport, code_changes: bool) -> Vec<Step> {
    let (added, a) = (added_services(report), ops.d);
    let services: Vec<String> = a
        .services
        .keys()
        .filter(|name| {
            let lost_a_variable = report
                .services
                .iter()
                .any(|s| &s.service == *name && s.status == Status::Changed && !s.env_removed.is_empty());
            lost_a_variable || (code_changes && !added.contains(name))
        })
        .cloned()
        .collect();
    if services.is_empty() {
        return Vec::new();
    }
    let mut steps = target::of(a).ship_code(ops, &services);
    // Say what the new code must do without, when a variable goes.
    let lost: Vec<(String, String)> = report
        .services
        .iter()
        .filter(|s| s.status == Status::Changed && a.services.contains_key(&s.service))
        .flat_map(|s| s.env_removed.iter().map(|e| (s.service.clone(), e.name.clone())))
        .collect();
    if let (Some(first), false) = (steps.first_mut(), lost.is_empty()) {
        let mut vars: Vec<String> = Vec::new();
        let mut owners: Vec<&str> = Vec::new();
        for (service, var) in &lost {
            let var = format!("`{var}`");
            if !vars.contains(&var) {
                vars.push(var);
            }
            if !owners.contains(&service.as_str()) {
                owners.push(service);
            }
        }
        first.text = format!(
            "The deploy removes {} from {}: the code they run must stop reading {} first. {}",
            vars.join(", "),
            owners.join(", "),
            if vars.len() == 1 { "it" } else { "them" },
            first.text
        );
    }
    steps
}

/// The services the new side adds (they have no old code to replace).
fn added_services(report: &DiffReport) -> Vec<String> {
    report
        .services
        .iter()
        .filter(|s| s.status == Status::Added)
        .map(|s| s.service.clone())
        .collect()
}

/// Global Azure names end in a suffix Bicep computes at deployment: say once
/// where to read it, wherever a command needs it.
fn explain_name_suffix(notes: &mut Notes) {
    let shown = crate::target::project::azure::NAME_SUFFIX_SHOWN;
    let all = notes.steps.iter().chain(&notes.verification).chain(&notes.rollback);
    if all.flat_map(|s| &s.commands).any(|c| c.contains(shown)) {
        notes.warnings.push(format!(
            "Names: `{shown}` in the commands below is the deployment's `nameSuffix` output (`az deployment group \
             show --resource-group {RG} --name <deployment> --query properties.outputs.nameSuffix.value -o tsv`)."
        ));
    }
}

fn verification(notes: &mut Notes, b: &Descriptor, a: &Descriptor, ops: &Ops, cache_changed: bool) {
    notes.verification.extend(target::of(a).verify(ops));
    let facts = framework::of(a);
    let web = web(a).unwrap_or_else(|| "web".into());
    match facts.cache_smoke {
        Some(smoke) if cache_changed && a.cache.kind != CacheKind::None => {
            notes
                .verification
                .push(step("The cache answers (prints 1).", vec![ops.exec(&web, smoke)]));
        }
        // No command of the framework's to try the cache: the app's own health check says it runs.
        None if cache_changed => {
            if let Some(path) = a
                .services
                .get(&web)
                .and_then(|s| s.healthcheck.as_ref())
                .and_then(|h| h.http.as_ref())
            {
                notes.verification.push(step(
                    format!(
                        "{web} answers its health check `{path}` with a success status (the platform's probe shows it \
                         healthy), and its logs show no cache connection errors."
                    ),
                    vec![],
                ));
            }
        }
        _ => {}
    }
    if let (true, Some(cache)) = (moves_to_database_cache(b, a), &facts.database_cache) {
        notes.verification.push(step(
            format!("The cache table exists (in `{}`).", cache.inspect),
            vec![format!("\\dt {}", cache.table)],
        ));
    }
}

/// `(service, VAR)` pairs as `` `VAR` on a, b``, one group per variable.
fn listed(pairs: &[(String, String)], on: &str) -> String {
    let mut groups: Vec<(&str, Vec<&str>)> = Vec::new();
    for (service, key) in pairs {
        match groups.iter_mut().find(|(k, _)| k == key) {
            Some((_, services)) => services.push(service),
            None => groups.push((key, vec![service])),
        }
    }
    groups
        .iter()
        .map(|(key, services)| format!("`{key}` {on} {}", services.join(", ")))
        .collect::<Vec<_>>()
        .join("; ")
}

/// R2: variables the deploy will not set, set by hand before it.
fn set_by_hand(by_hand: &target::EnvByHand, ops: &Ops) -> Option<Step> {
    if by_hand.set.is_empty() {
        return None;
    }
    let sources: Vec<String> = by_hand
        .set
        .iter()
        .filter_map(|(service, key)| {
            let secret = ops
                .side
                .plan
                .services
                .iter()
                .filter(|s| &s.name == service)
                .flat_map(|s| &s.env)
                .find(|e| &e.name == key)
                .and_then(|e| match &e.value {
                    crate::plan::EnvValue::Secret { secret } => Some(secret.clone()),
                    _ => None,
                })?;
            Some(format!("`{key}` holds secret `{secret}`"))
        })
        .collect();
    Some(step(
        format!(
            "Before the deploy step, set {} {}: {}, so the deploy would leave them unset or at their old values{}.",
            listed(&by_hand.set, "on"),
            by_hand.place,
            by_hand.why_set,
            if sources.is_empty() {
                String::new()
            } else {
                format!(" ({})", sources.join(", "))
            }
        ),
        vec![],
    ))
}

/// R3: variables the deploy no longer sets but leaves in place, removed by
/// hand before verification and before the old backend is deleted: a
/// process that still reads one would keep using what is about to go.
fn remove_by_hand(by_hand: &target::EnvByHand) -> Option<Step> {
    if by_hand.stale.is_empty() {
        return None;
    }
    Some(step(
        format!(
            "Remove {} {} now, before verifying and before anything is deleted: {}, and whatever still reads one \
             keeps using the old value. Remove them wherever else they are set too (local `.env` files).",
            listed(&by_hand.stale, "from"),
            by_hand.place,
            by_hand.why_stale
        ),
        vec![],
    ))
}

/// The check that each variable set by hand reached its service: a URL's host
/// and port, or that the variable is set (never its value).
fn check_set_by_hand(by_hand: &target::EnvByHand, ops: &Ops) -> Vec<Step> {
    by_hand
        .set
        .iter()
        .filter(|(service, _)| ops.d.services.contains_key(service))
        .filter_map(|(service, key)| {
            let command = if key.ends_with("_URL") {
                url_host_command(key)?
            } else {
                is_set_command(key)?
            };
            Some(step(
                format!(
                    "`{service}` runs with the `{key}` you set (for a URL, its host and port are the new backend's; \
                     the password is never printed)."
                ),
                vec![ops.exec(service, &command)],
            ))
        })
        .collect()
}

/// An env var name a shell reads as one (the schema's pattern).
fn shell_name(var: &str) -> bool {
    let mut chars = var.chars();
    chars.next().is_some_and(|c| c.is_ascii_uppercase() || c == '_')
        && chars.all(|c| c.is_ascii_uppercase() || c.is_ascii_digit() || c == '_')
}

/// Run in a service, prints the host and port of the URL in `var` and
/// nothing else: no password, path or query, and nothing at all for a value
/// that is not a URL. POSIX `sh` and `sed`, in every image with a shell.
fn url_host_command(var: &str) -> Option<String> {
    shell_name(var).then(|| {
        format!(
            "sh -c 'printf \"%s\\n\" \"${var}\" | sed -nE \"s|^[A-Za-z][A-Za-z0-9+.-]*://([^@/]*@)?([^/?#]*).*|\\2|p\"'"
        )
    })
}

/// Run in a service, says whether `var` is set, without its value.
fn is_set_command(var: &str) -> Option<String> {
    shell_name(var).then(|| format!("sh -c 'test -n \"${var}\" && echo {var} is set'"))
}

/// M2: the running processes moved, proved inside them: for a cache or queue
/// that moves, each remaining service prints the host and port of the URLs
/// that lead to it (from the variables that service really has); a variable
/// set by hand is checked the same way; Sidekiq's process set, read from the
/// web, shows a worker heartbeating into the new Redis.
fn processes_moved(
    report: &DiffReport,
    b: &Descriptor,
    a: &Descriptor,
    ops: &Ops,
    by_hand: &target::EnvByHand,
) -> Vec<Step> {
    let mut steps = Vec::new();
    let cache_moves = cache_place(b).is_some() && cache_place(a).is_some() && cache_place(b) != cache_place(a);
    let queue_moves = match (queue_of(b), queue_of(a)) {
        (Some(o), Some(n)) => o.backend != n.backend,
        _ => false,
    };
    let mut checked: Vec<(String, String)> = Vec::new();
    if cache_moves || queue_moves {
        let changed: Vec<&str> = report
            .services
            .iter()
            .flat_map(|s| s.env_changed.iter().map(|c| c.name.as_str()))
            .collect();
        let cache_url = crate::resolve::cache_expose(&a.cache).url;
        for service in ops
            .side
            .plan
            .services
            .iter()
            .filter(|s| b.services.contains_key(&s.name))
        {
            if a.services.get(&service.name).is_none_or(|d| d.schedule.is_some()) {
                continue; // a cron job has no running process to look into
            }
            for e in &service.env {
                let leads_to_backend = changed.contains(&e.name.as_str()) || cache_url.as_deref() == Some(&e.name);
                if leads_to_backend
                    && e.name.ends_with("_URL")
                    && !checked.iter().any(|(s, k)| *s == service.name && *k == e.name)
                {
                    checked.push((service.name.clone(), e.name.clone()));
                }
            }
        }
    }
    for (service, key) in &checked {
        if let Some(command) = url_host_command(key) {
            steps.push(step(
                format!(
                    "`{service}` reads the new backend: `{key}` in its running container shows the new host and port \
                     (the password is never printed)."
                ),
                vec![ops.exec(service, &command)],
            ));
        }
    }
    let unchecked = target::EnvByHand {
        set: by_hand.set.iter().filter(|p| !checked.contains(p)).cloned().collect(),
        ..Default::default()
    };
    steps.extend(check_set_by_hand(&unchecked, ops));
    if let (true, Some(web), Some(alive)) = (queue_moves, web(a), consumers_seen(a.broker.kind)) {
        if !workers(a).is_empty() {
            steps.push(step(
                "The resumed workers consume from the new backend: read from the web, which uses it, the count is 1 \
                 or more.",
                vec![ops.exec(&web, alive)],
            ));
        }
    }
    steps
}

/// A command, run where the app's code is, that counts the queue's live
/// consumers as the new backend sees them; `None` where deploygen knows none.
fn consumers_seen(kind: BrokerKind) -> Option<&'static str> {
    match kind {
        // Sidekiq's own API: every process heartbeats into Redis.
        BrokerKind::Sidekiq => {
            Some("bundle exec rails runner 'require \"sidekiq/api\"; puts Sidekiq::ProcessSet.new.size'")
        }
        BrokerKind::None
        | BrokerKind::Celery
        | BrokerKind::Pgqueuer
        | BrokerKind::Rq
        | BrokerKind::Bullmq
        | BrokerKind::Dramatiq
        | BrokerKind::Arq
        | BrokerKind::Generic => None,
    }
}

/// Copying the queue's jobs for later from `from`'s Redis to `to`'s, when the
/// same kind moves between two Redis servers (see `backing::queue::carry`).
fn carry_jobs(from: &Descriptor, to: &Descriptor) -> Option<Step> {
    use crate::backing::queue::carry::{script, Carry};
    let kind = crate::resolve::queue_kind(&from.broker)?;
    let same_kind = from.broker.kind == to.broker.kind;
    let on_redis = crate::resolve::queue_on_redis(from) && crate::resolve::queue_on_redis(to);
    let (old, new) = (queue_of(from)?, queue_of(to)?);
    if !same_kind || !on_redis || old.backend == new.backend {
        return None;
    }
    Some(match kind.carry() {
        Carry::Keys { patterns, what } => step(
            format!(
                "Carry the {} jobs for later from {} to {} while both exist, before any worker starts on the new \
                 one: {what}. Run this from a Linux shell with redis-cli 6 or later that reaches both servers, with \
                 the two URLs (password and database included) in place of the placeholders: each key is copied with \
                 DUMP and RESTORE, and merged into a key the new side already has.",
                old.name, old.backend, new.backend
            ),
            script(patterns),
        ),
        Carry::Cannot(why) => step(
            format!(
                "The {} jobs for later in {} (delayed, retried, dead) are not carried to {}: {why}.",
                old.name, old.backend, new.backend
            ),
            vec![],
        ),
    })
}

/// Flushing `from`'s write-back cache, when `to` leaves it (see `backing::write_back`).
fn flush_write_back(from: &Descriptor, to: &Descriptor, ops: &Ops) -> Option<Step> {
    let place = cache_place(from).filter(|p| Some(p) != cache_place(to).as_ref())?;
    let web = web(from).unwrap_or_else(|| "web".into());
    crate::backing::write_back::flush_step(from, &place, &web, |c| ops.exec(&web, c))
        .map(|(text, commands)| step(text, commands))
}

fn moves_to_database_cache(b: &Descriptor, a: &Descriptor) -> bool {
    a.cache.kind == CacheKind::Database && b.cache.kind != CacheKind::Database
}

/// Commands that bring back the files of the "before" side: its descriptor as
/// it was at a revision, the other descriptor, or the edited one reverted.
fn restore_files(before: &Side, after: &Side) -> Step {
    let Origin {
        path, files, revision, ..
    } = &before.origin;
    let shown = display_path(path);
    let edited_here = *path == after.origin.path && !after.origin.edits.is_empty();
    match revision {
        Some(rev) => {
            let listed: Vec<String> = files.iter().map(|p| path_arg(p)).collect();
            step(
                format!(
                    "Bring back the descriptor (and the files it extends) as they were at `{rev}`, and render them."
                ),
                vec![
                    format!("git checkout {} -- {}", quote(rev), listed.join(" ")),
                    format!("deploygen render {}", path_arg(path)),
                ],
            )
        }
        None if edited_here => step(
            format!(
                "Undo the change to `{shown}` ({}) by reverting the commit that made it, and render again.",
                after.origin.edits.join(" ")
            ),
            vec![
                format!(
                    "git revert --no-edit \"$(git log -1 --format=%H -- {})\"",
                    path_arg(path)
                ),
                format!("deploygen render {}", path_arg(path)),
            ],
        ),
        None => step(
            format!(
                "Generate the files of the previous descriptor `{shown}` again (into `{}`).",
                output_dir(before)
            ),
            vec![format!("deploygen render {}", path_arg(path))],
        ),
    }
}

fn rollback(notes: &mut Notes, before: &Side, after: &Side, report: &DiffReport, drain: bool, deletes: bool) {
    let (b, a) = (&before.descriptor, &after.descriptor);
    let old_ops = Ops::new(before);
    let new_ops = Ops::new(after);
    // A setting the cut-over changes in place may not go back in place.
    for r in super::replace::replacements(a, b) {
        notes.rollback.push(step(
            format!(
                "A redeploy does not take `{}` back to its {} {} ({}): to roll back, {}.",
                r.name, r.setting, r.after, r.source, r.way_out
            ),
            vec![],
        ));
    }
    if deletes {
        notes.rollback.push(step(
            "These steps work before and after the clean-up: the deployment recreates what was deleted (empty).",
            vec![],
        ));
    }
    if let Some(s) = flush_write_back(a, b, &new_ops) {
        notes.rollback.push(s);
    }
    if drain {
        if let Some(q) = queue_of(a) {
            let workers = workers(a);
            if let Some(w) = workers.first() {
                let (commands, by_hand) = new_ops.pending(&q, w);
                notes.rollback.push(step(
                    format!(
                        "Drain the {} queue in {} as for the cutover ({}).{by_hand}",
                        q.name, q.backend, q.drained_when
                    ),
                    commands,
                ));
                let mut stop = workers.clone();
                stop.extend(schedulers(a));
                notes.rollback.push(new_ops.stop(&stop));
            }
        }
    }
    for r in report
        .resources
        .changed
        .iter()
        .filter(|r| r.kind.is_azure_cache())
        .filter(|r| r.before.split(' ').next() != r.after.split(' ').next())
    {
        notes.rollback.push(step(
            format!(
                "Scaling `{}` back from {} to {} changes its tier: Azure may refuse to move a cache to a lower tier. \
                 If the deployment below fails on it, set the cache back to {} in the descriptor and roll back the rest.",
                r.name, r.after, r.before, r.after
            ),
            vec![],
        ));
    }
    notes.rollback.push(restore_files(before, after));
    let by_hand = target::of(b).env_by_hand(after, before);
    notes.rollback.extend(set_by_hand(&by_hand, &old_ops));
    notes.rollback.push(old_ops.deploy());
    let remaining: Vec<String> = b.services.keys().cloned().collect();
    if b.platform == a.platform {
        let restart: Vec<String> = report
            .services
            .iter()
            .filter(|s| s.status == Status::Changed && b.services.contains_key(&s.service))
            .map(|s| s.service.clone())
            .filter(|s| !drain || !(workers(b).contains(s) || schedulers(b).contains(s)))
            .collect();
        if let Some(s) = old_ops.restart(&restart) {
            notes.rollback.push(s);
        }
    }
    notes.rollback.extend(remove_by_hand(&by_hand));
    notes.rollback.extend(check_set_by_hand(&by_hand, &old_ops));
    if drain {
        notes.rollback.extend(carry_jobs(a, b));
        let mut back = workers(b);
        back.extend(schedulers(b));
        back.retain(|s| remaining.contains(s));
        if !back.is_empty() {
            let mut s = old_ops.start(&back);
            s.text = s.text.replace("on the new backend", "on the old backend");
            notes.rollback.push(s);
        }
    }
    notes.rollback.extend(target::of(a).undo(report));
    if cache_place(b).is_some() && cache_place(b) != cache_place(a) {
        notes.rollback.push(step(
            "The previous cache comes back empty if it was deleted: its contents (and any sessions kept there) are not restored.",
            vec![],
        ));
    }
}
