//! Migration notes in the shape of the seeds: overview, files, env vars and
//! secrets to add or remove and where, ordered steps, verification, rollback,
//! and the warnings an operator needs. Steps keep the service up where the
//! platform allows it: create the new, switch, restart what caches old
//! values, verify, and only then delete the old. Every command is the
//! platform's own; a step nobody can run is not written.

use super::{DiffReport, Origin, Side};
use crate::model::*;
use crate::source::display_path;
use crate::validate::azure::resource_base;
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

fn step(text: impl Into<String>, commands: Vec<String>) -> Step {
    Step {
        text: text.into(),
        commands,
    }
}

const RG: &str = "<resource-group>";

fn describe_cache(d: &Descriptor) -> String {
    let cache = &d.cache;
    match (cache.kind, cache.provider_on(d.platform)) {
        (CacheKind::None, _) => "no cache".into(),
        (CacheKind::Database, _) => "the database cache (a table in PostgreSQL)".into(),
        (CacheKind::Memcached, _) => "memcached (a container)".into(),
        (CacheKind::Redis, Some(CacheProvider::AzureCache)) => format!(
            "Azure Cache for Redis ({} C{})",
            cache.sku.as_deref().unwrap_or("Basic"),
            cache.capacity.unwrap_or(0)
        ),
        (CacheKind::Redis, Some(CacheProvider::AzureManaged)) => {
            format!(
                "Azure Managed Redis ({})",
                cache.sku.as_deref().unwrap_or("Balanced_B0")
            )
        }
        (CacheKind::Redis, Some(CacheProvider::RenderPrivateService)) => "Redis as a Render private service".into(),
        (CacheKind::Redis, Some(CacheProvider::RenderKeyValue)) => "Render Key Value".into(),
        (CacheKind::Redis, Some(CacheProvider::External)) => "an external Redis (its URL kept as a secret)".into(),
        (CacheKind::Redis, _) => "Redis (a container)".into(),
    }
}

/// The one server (or table) that holds the cache's data: when it differs
/// between the sides, nothing in the old one reaches the new one.
fn cache_place(d: &Descriptor) -> Option<String> {
    let cache = &d.cache;
    let container = || crate::validate::semantic::cache_service_name(d).unwrap_or_else(|| "cache".into());
    Some(match (cache.kind, cache.provider_on(d.platform)) {
        (CacheKind::None, _) => return None,
        (CacheKind::Database, _) => "PostgreSQL (Django's cache table)".into(),
        (_, Some(CacheProvider::AzureCache | CacheProvider::AzureManaged)) => {
            let model = crate::plan::azure::redis_model(d)?;
            let kind = if model.managed {
                "Azure Managed Redis"
            } else {
                "Azure Cache for Redis"
            };
            format!("{kind} `{}`", model.name)
        }
        (_, Some(CacheProvider::RenderPrivateService)) => format!(
            "the Render private service `{}`",
            crate::plan::wiring::render_redis_name(d)
        ),
        (_, Some(CacheProvider::RenderKeyValue)) => {
            format!("Render Key Value `{}`", crate::plan::wiring::render_redis_name(d))
        }
        (_, Some(CacheProvider::External)) => format!(
            "the outside Redis at secret `{}`",
            cache.url_secret.as_deref().unwrap_or("?")
        ),
        (CacheKind::Memcached, _) => format!("the memcached container `{}`", container()),
        (_, _) => format!("the Redis container `{}`", container()),
    })
}

fn describe_broker(d: &Descriptor) -> String {
    match (d.broker.kind, d.broker.transport()) {
        (BrokerKind::None, _) => "no task queue".into(),
        (BrokerKind::Celery, Some(Transport::Redis)) => "Celery on Redis".into(),
        (BrokerKind::Celery, _) => "Celery on PostgreSQL".into(),
        (BrokerKind::Pgqueuer, Some(Transport::Redis)) => "PgQueuer on Redis".into(),
        (BrokerKind::Pgqueuer, _) => "PgQueuer on PostgreSQL (SQL queue)".into(),
    }
}

/// What the notes need to know about one job queue: where its jobs wait, what
/// is lost if that place goes while jobs wait in it, and how to see what is
/// still waiting. One function per broker kind today; the queue registry
/// planned for other stacks replaces [`queue_of`] and nothing else changes.
#[derive(Debug, Clone)]
pub struct Queue {
    pub name: &'static str,
    /// Where waiting jobs live, precise enough that a change means a new place.
    pub backend: String,
    /// What is lost if `backend` goes while jobs wait in it.
    pub lost: String,
    /// Commands, run in a worker, that show what is still waiting or running.
    pub pending: Vec<String>,
    /// Extra commands that need the database rather than a worker (SQL).
    pub pending_sql: Option<String>,
    /// What those commands print once the queue is empty.
    pub drained_when: &'static str,
}

pub fn queue_of(d: &Descriptor) -> Option<Queue> {
    match d.broker.kind {
        BrokerKind::None => None,
        BrokerKind::Celery => Some(celery(d)),
        BrokerKind::Pgqueuer => Some(pgqueuer(d)),
    }
}

/// Where a Redis-backed queue's jobs wait: a database number on one server.
fn redis_backend(d: &Descriptor) -> String {
    let db = d.broker.database.or(d.cache.database).unwrap_or(0);
    format!(
        "Redis database {db} of {}",
        cache_place(d).unwrap_or_else(|| "the cache".into())
    )
}

/// The `-A APP` a worker's command names, for Celery's own commands.
fn celery_app(d: &Descriptor) -> String {
    let words: Vec<String> = workers(d)
        .iter()
        .filter_map(|w| d.services[w].command.as_ref())
        .flat_map(|c| match c {
            Command::Shell(line) => line.split_whitespace().map(String::from).collect(),
            Command::Args(args) => args.clone(),
        })
        .collect();
    for (i, w) in words.iter().enumerate() {
        if let Some(app) = w.strip_prefix("--app=") {
            return app.to_string();
        }
        if (w == "-A" || w == "--app") && i + 1 < words.len() {
            return words[i + 1].clone();
        }
    }
    "<app>".into()
}

fn celery(d: &Descriptor) -> Queue {
    let app = celery_app(d);
    let mut pending = vec![
        format!("celery -A {app} inspect active"),
        format!("celery -A {app} inspect scheduled"),
    ];
    let on_redis = d.broker.transport() == Some(Transport::Redis);
    if on_redis {
        let var = d
            .broker
            .expose
            .url
            .clone()
            .or_else(|| crate::plan::wiring::cache_expose(&d.cache).url)
            .unwrap_or_else(|| "CELERY_BROKER_URL".into());
        pending.push(format!(
            "python -c \"import os, redis; print(redis.from_url(os.environ['{var}']).llen('celery'))\""
        ));
    }
    Queue {
        name: "Celery",
        backend: if on_redis {
            redis_backend(d)
        } else {
            "PostgreSQL (kombu's SQL transport tables)".into()
        },
        lost: "the jobs still waiting in it (the `celery` list and any other queue), tasks held back by an ETA or \
               countdown, and the task results stored there"
            .into(),
        pending,
        pending_sql: None,
        drained_when: "every count is 0",
    }
}

fn pgqueuer(d: &Descriptor) -> Queue {
    let on_redis = d.broker.transport() == Some(Transport::Redis);
    Queue {
        name: "PgQueuer",
        backend: if on_redis {
            redis_backend(d)
        } else {
            "PostgreSQL (PgQueuer's `pgqueuer` table)".into()
        },
        lost: if on_redis {
            "the jobs still waiting in it".into()
        } else {
            "nothing at once (the `pgqueuer` table stays), but jobs still queued there are no longer read by any worker"
                .into()
        },
        pending: vec![],
        pending_sql: (!on_redis).then(|| "SELECT status, count(*) FROM pgqueuer GROUP BY status".into()),
        drained_when: "no `queued` or `picked` row is left",
    }
}

/// The app reads Django settings: the notes can name Django's commands.
fn is_django(d: &Descriptor) -> bool {
    let has = |env: &indexmap::IndexMap<String, crate::model::EnvValue>| env.keys().any(|k| k.starts_with("DJANGO_"));
    has(&d.env) || d.services.values().any(|s| has(&s.env))
}

fn workers(d: &Descriptor) -> Vec<String> {
    d.services
        .iter()
        .filter(|(_, s)| s.role() == Role::Worker && s.schedule.is_none())
        .map(|(n, _)| n.clone())
        .collect()
}

/// Services that put jobs on the queue by themselves (Celery beat).
fn schedulers(d: &Descriptor) -> Vec<String> {
    d.services
        .iter()
        .filter(|(_, s)| s.role() == Role::Scheduler)
        .map(|(n, _)| n.clone())
        .collect()
}

fn web(d: &Descriptor) -> Option<String> {
    d.services
        .iter()
        .find(|(_, s)| s.role() == Role::Web)
        .map(|(n, _)| n.clone())
}

fn env_location(d: &Descriptor) -> String {
    match d.platform {
        Platform::Compose => "`.env` and the compose files".into(),
        Platform::AzureContainerApps => format!("the container apps' settings and Key Vault `kv-{}`", resource_base(d)),
        Platform::AzureAppService => format!("the App Service settings and Key Vault `kv-{}`", resource_base(d)),
        Platform::Render => "the Render Dashboard (each service's Environment) and render.yaml".into(),
    }
}

/// The rendered folder of a side, as the user would type it.
fn output_dir(side: &Side) -> String {
    let dir = crate::emit::paths::output_dir(&side.origin.path, side.descriptor.output.as_deref(), None);
    let shown = display_path(&dir);
    if shown.is_empty() {
        ".".into()
    } else {
        shown
    }
}

/// The platform's commands the steps are made of, for one side.
struct Ops<'a> {
    d: &'a Descriptor,
    side: &'a Side,
}

impl Ops<'_> {
    fn app(&self, service: &str) -> String {
        match self.d.platform {
            Platform::AzureAppService => format!("app-{}", resource_base(self.d)),
            _ => format!("{}-{service}", resource_base(self.d)),
        }
    }

    fn latest_revision(&self, service: &str) -> String {
        format!(
            "$(az containerapp show --name {} --resource-group {RG} --query properties.latestRevisionName -o tsv)",
            self.app(service)
        )
    }

    /// `command` run inside a running instance of `service`.
    fn exec(&self, service: &str, command: &str) -> String {
        match self.d.platform {
            Platform::Compose => format!("docker compose exec {service} {command}"),
            // The command travels inside double quotes: escape the ones it has.
            Platform::AzureContainerApps => format!(
                "az containerapp exec --name {} --resource-group {RG} --command \"{}\"",
                self.app(service),
                command.replace('\\', "\\\\").replace('"', "\\\"")
            ),
            Platform::AzureAppService => format!(
                "az webapp ssh --name {} --resource-group {RG}  # then: {command}",
                self.app(service)
            ),
            Platform::Render => format!("{command}  # in the Shell of {service}, Render Dashboard"),
        }
    }

    /// A query run against the environment's PostgreSQL, where the platform
    /// gives a way in; elsewhere the step says to run it in `psql`.
    fn sql(&self, query: &str) -> Option<String> {
        let pg = self.d.postgres.as_ref()?;
        (self.d.platform == Platform::Compose).then(|| {
            format!(
                "docker compose exec {} psql -U {} -d {} -c \"{query}\"",
                crate::plan::wiring::postgres_service(pg),
                pg.user,
                pg.database
            )
        })
    }

    /// The commands that show what a queue still holds, and any query to run by hand.
    fn pending(&self, q: &Queue, worker: &str) -> (Vec<String>, String) {
        let mut commands: Vec<String> = q.pending.iter().map(|c| self.exec(worker, c)).collect();
        let mut by_hand = String::new();
        if let Some(query) = &q.pending_sql {
            match self.sql(query) {
                Some(command) => commands.push(command),
                None => by_hand = format!(" In `psql` on the database: `{query};`."),
            }
        }
        if commands.is_empty() && by_hand.is_empty() {
            by_hand = format!(
                " deploygen knows no command that counts {}'s jobs here: watch the workers' logs until they are idle.",
                q.name
            );
        }
        (commands, by_hand)
    }

    fn stop(&self, services: &[String]) -> Step {
        let list = services.join(", ");
        match self.d.platform {
            Platform::Compose => step(
                format!("Stop {list}."),
                vec![format!("docker compose stop {}", services.join(" "))],
            ),
            Platform::AzureContainerApps => step(
                format!("Stop {list}: deactivate the running revision, so no replica takes jobs."),
                services
                    .iter()
                    .map(|s| {
                        format!(
                            "az containerapp revision deactivate --name {} --resource-group {RG} --revision {}",
                            self.app(s),
                            self.latest_revision(s)
                        )
                    })
                    .collect(),
            ),
            Platform::AzureAppService => step(format!("Stop {list}."), vec![]),
            Platform::Render => step(
                format!("Suspend {list} (Render Dashboard → the service → Settings → Suspend Service)."),
                vec![],
            ),
        }
    }

    fn start(&self, services: &[String]) -> Step {
        let list = services.join(", ");
        match self.d.platform {
            Platform::Compose => step(
                format!("Start {list} on the new backend."),
                vec![format!("docker compose up -d {}", services.join(" "))],
            ),
            Platform::AzureContainerApps => step(
                format!("Start {list} on the new backend: activate the latest revision and restart it."),
                services
                    .iter()
                    .flat_map(|s| {
                        let (app, rev) = (self.app(s), self.latest_revision(s));
                        [
                            format!(
                                "az containerapp revision activate --name {app} --resource-group {RG} --revision {rev}"
                            ),
                            format!(
                                "az containerapp revision restart --name {app} --resource-group {RG} --revision {rev}"
                            ),
                        ]
                    })
                    .collect(),
            ),
            Platform::AzureAppService => step(format!("Start {list}."), vec![]),
            Platform::Render => step(
                format!("Resume {list} (Render Dashboard → the service → Resume Service)."),
                vec![],
            ),
        }
    }

    /// Create what is new and switch the apps to it; what is gone keeps running
    /// until the clean-up step (compose orphans, Azure incremental mode, Render).
    fn deploy(&self) -> Step {
        let out = output_dir(self.side);
        let plan = &self.side.plan;
        match self.d.platform {
            Platform::Compose => step(
                "Deploy, from the rendered folder with your `.env` beside the compose file: start the new services \
                 and recreate those whose settings changed. Services no longer in the file keep running until they \
                 are removed.",
                vec![format!("cd {out} && docker compose up -d")],
            ),
            Platform::AzureContainerApps | Platform::AzureAppService => {
                let find = |ext: &str| {
                    plan.files
                        .iter()
                        .find(|f| f.path.ends_with(ext) && (ext != ".bicep" || !f.path.contains("/modules/")))
                        .map(|f| f.path.clone())
                        .unwrap_or_default()
                };
                let (bicep, params) = (find(".bicep"), find(".json"));
                step(
                    "Deploy the infrastructure from the rendered folder (check it first: what-if lists every change). \
                     New resources are created and the apps switched to them; resources no longer in the Bicep are \
                     left in place (incremental mode).",
                    vec![
                        format!("cd {out}"),
                        format!("az bicep build --file {bicep}"),
                        format!("az deployment group what-if --resource-group {RG} --template-file {bicep} --parameters {params}"),
                        format!("az deployment group create --resource-group {RG} --template-file {bicep} --parameters {params}"),
                    ],
                )
            }
            Platform::Render => step(
                format!(
                    "Deploy: push the rendered Blueprint `{out}/render.yaml` (and what it builds) to the branch Render \
                     watches; Render syncs the Blueprint file it was set up with (or Blueprints → Manual Sync), so if \
                     that is another path, copy this file there first. New services are created and the services \
                     whose environment changed are redeployed."
                ),
                vec![format!(
                    "git add {out} && git commit -m \"Update the Render Blueprint\" && git push"
                )],
            ),
        }
    }

    /// Running instances that keep old secret values until restarted.
    fn restart(&self, services: &[String]) -> Option<Step> {
        if services.is_empty() {
            return None;
        }
        let list = services.join(", ");
        match self.d.platform {
            Platform::AzureContainerApps => Some(step(
                format!(
                    "Restart the revisions of {list}: changing a secret does not create a revision, so running \
                     replicas keep the old values (with Key Vault references too) until restarted."
                ),
                services
                    .iter()
                    .map(|s| {
                        format!(
                            "az containerapp revision restart --name {} --resource-group {RG} --revision {}",
                            self.app(s),
                            self.latest_revision(s)
                        )
                    })
                    .collect(),
            )),
            Platform::AzureAppService => Some(step(
                "Restart the app, so it reads its settings and Key Vault references again.",
                vec![format!(
                    "az webapp restart --name {} --resource-group {RG}",
                    self.app("")
                )],
            )),
            Platform::Render => Some(step(
                format!(
                    "Check that {list} redeployed with the new environment (Dashboard → the service → Events); \
                     otherwise Manual Deploy → Deploy latest commit."
                ),
                vec![],
            )),
            Platform::Compose => None,
        }
    }
}

/// Key Vault's soft delete and purge protection, as the Plan decides them.
fn vault_caveat(d: &Descriptor) -> (String, u32, bool) {
    let vault = crate::plan::azure::key_vault_model(d, false, false);
    (vault.name, vault.soft_delete_days, vault.purge_protection)
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
    }
    if broker_changed {
        notes
            .overview
            .push(format!("Task queue: {} → {}.", describe_broker(b), describe_broker(a)));
    }
    for s in &report.services {
        match s.status {
            "added" => notes.overview.push(format!("Service `{}` is added.", s.service)),
            "removed" => notes.overview.push(format!("Service `{}` is removed.", s.service)),
            _ => {}
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

    let old_ops = Ops { d: b, side: before };
    let new_ops = Ops { d: a, side: after };
    let same_platform = b.platform == a.platform;

    // What is lost, named.
    let (old_place, new_place) = (cache_place(b), cache_place(a));
    let cache_moves = old_place.is_some() && old_place != new_place;
    if cache_moves {
        let place = old_place.clone().unwrap_or_default();
        notes.warnings.push(format!(
            "Data: nothing in {place} is copied to {}. The cache starts empty (its contents are rebuilt on demand, \
             with more load on the database meanwhile). If the app keeps sessions in this cache (Django's `cache` \
             session engine, a Redis session store), every signed-in user is signed out.",
            new_place.clone().unwrap_or_else(|| "the new side".into())
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
    let azure_removed: Vec<&crate::plan::Resource> = report
        .resources
        .removed
        .iter()
        .filter(|r| r.kind.starts_with("Microsoft."))
        .collect();
    if !azure_removed.is_empty() {
        notes.warnings.push(
            "`az deployment group create` deploys in incremental mode: resources removed from the Bicep are not deleted \
             (what-if reports them as Ignore). Delete them yourself once nothing uses them (step below)."
                .into(),
        );
    }
    let vault_removed: Vec<&super::SecretEntry> = report
        .secrets
        .removed
        .iter()
        .filter(|s| s.stored_in.starts_with("Key Vault"))
        .collect();
    if b.is_azure() && !vault_removed.is_empty() {
        let (vault, days, purge_protection) = vault_caveat(b);
        notes.warnings.push(format!(
            "Key Vault `{vault}` keeps deleted secrets for {days} days (soft delete){}. Until then a deployment that \
             creates a secret of the same name fails, so a rollback must first recover them (`az keyvault secret \
             recover`, in the rollback below). Delete the old secrets only once you will not roll back.",
            if purge_protection {
                " and purge protection forbids purging them early"
            } else {
                ""
            }
        ));
    }
    if a.platform == Platform::Render {
        let new_secrets: Vec<String> = report
            .secrets
            .added
            .iter()
            .filter(|s| s.stored_in.contains("sync: false"))
            .map(|s| format!("`{}`", s.env_name))
            .collect();
        if !new_secrets.is_empty() {
            notes.warnings.push(format!(
                "Render prompts for `sync: false` variables only when a Blueprint is first created: set {} by hand in the \
                 Dashboard (each service → Environment) before the sync.",
                new_secrets.join(", ")
            ));
        }
    }

    // Ordered steps: prepare, drain, create and switch, restart, verify, clean up.
    let supplied: Vec<String> = report
        .secrets
        .added
        .iter()
        .filter(|s| !after.plan.secrets.iter().any(|p| p.id == s.id && p.derived))
        .map(|s| format!("`{}` ({})", s.env_name, s.stored_in))
        .collect();
    if !supplied.is_empty() {
        notes.steps.push(step(
            format!("Provide the new secrets: {}.", supplied.join(", ")),
            vec![],
        ));
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
    notes.steps.push(new_ops.deploy());
    if same_platform {
        let mut touched: Vec<String> = report
            .services
            .iter()
            .filter(|s| s.status == "changed")
            .filter(|s| a.services.contains_key(&s.service))
            .map(|s| s.service.clone())
            .collect();
        if drain {
            let stopped = schedulers(b);
            touched.retain(|s| !old_workers.contains(s) && !stopped.contains(s));
        }
        if let Some(s) = new_ops.restart(&touched) {
            notes.steps.push(s);
        }
    }
    if a.cache.kind == CacheKind::Database && b.cache.kind != CacheKind::Database {
        let web = web(a).unwrap_or_else(|| "web".into());
        if is_django(a) {
            notes.steps.push(step(
                "Create Django's cache table (the database cache needs it; `migrate` first, `createcachetable` is idempotent).",
                vec![
                    new_ops.exec(&web, "python manage.py migrate --noinput"),
                    new_ops.exec(&web, "python manage.py createcachetable"),
                ],
            ));
        } else {
            notes.steps.push(step(
                "Create the cache table your framework's database cache needs.",
                vec![],
            ));
        }
    }
    if drain {
        let new_workers: Vec<String> = workers(a).into_iter().collect();
        let mut back = new_workers.clone();
        back.extend(schedulers(a));
        if !back.is_empty() {
            notes.steps.push(new_ops.start(&back));
        }
    }
    // Clean up what the new side no longer uses, once verified.
    let before_cleanup = notes.steps.len();
    let mut cleanup = Vec::new();
    for r in &azure_removed {
        cleanup.push(format!(
            "az resource delete --resource-group {RG} --resource-type {} --name {}",
            r.kind, r.name
        ));
    }
    if b.platform == Platform::Compose {
        if report.services.iter().any(|s| s.status == "removed") {
            cleanup.push(format!(
                "cd {} && docker compose up -d --remove-orphans",
                output_dir(after)
            ));
        }
        for volume in before.plan.volumes.iter().filter(|v| !after.plan.volumes.contains(v)) {
            cleanup.push(format!("docker volume rm {}_{}", b.name, volume));
        }
    }
    if !cleanup.is_empty() {
        let what = if b.platform == Platform::Compose {
            "Remove the services the new version no longer has, and their volumes (their data goes with them)."
        } else {
            "Delete the resources the new version no longer uses (the old cache goes with its contents)."
        };
        notes.steps.push(step(what, cleanup));
    }
    if b.platform == Platform::Render {
        let gone: Vec<String> = report
            .resources
            .removed
            .iter()
            .filter(|r| r.kind.starts_with("render "))
            .map(|r| format!("`{}`", r.name))
            .collect();
        if !gone.is_empty() {
            notes.steps.push(step(
                format!(
                    "Delete {} in the Render Dashboard (Settings → Delete): removing a service from render.yaml does \
                     not delete it.",
                    gone.join(", ")
                ),
                vec![],
            ));
        }
        for r in report.resources.removed.iter().filter(|r| r.kind == "external redis") {
            notes.steps.push(step(
                format!(
                    "Close the outside Redis behind secret `{}` at its provider once nothing reads it.",
                    r.name
                ),
                vec![],
            ));
        }
    }
    if b.is_azure() && !vault_removed.is_empty() {
        let (vault, days, _) = vault_caveat(b);
        notes.steps.push(step(
            format!(
                "Optional, once you will not roll back: delete the Key Vault secrets nothing reads any more. They stay \
                 recoverable for {days} days and block a secret of the same name until then (see the warning)."
            ),
            vault_removed
                .iter()
                .map(|s| format!("az keyvault secret delete --vault-name {vault} --name {}", s.id))
                .collect(),
        ));
    }
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
    if !notes.env_to_remove.is_empty() {
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
    rollback(&mut notes, before, after, report, drain, deletes);
    notes
}

fn verification(notes: &mut Notes, b: &Descriptor, a: &Descriptor, ops: &Ops, cache_changed: bool) {
    match a.platform {
        Platform::Compose => {
            notes.verification.push(step(
                "The services are up and healthy.",
                vec!["docker compose ps".into()],
            ));
            for w in workers(a) {
                notes.verification.push(step(
                    format!("`{w}` consumes jobs."),
                    vec![format!("docker compose logs -f {w}")],
                ));
            }
        }
        Platform::AzureContainerApps => {
            for name in a.services.keys() {
                notes.verification.push(step(
                    format!("`{name}` starts and connects."),
                    vec![format!(
                        "az containerapp logs show --name {} --resource-group {RG} --follow",
                        ops.app(name)
                    )],
                ));
            }
            if let Some(w) = web(a) {
                notes.verification.push(step(
                    "The secrets the app references exist.",
                    vec![format!(
                        "az containerapp show --name {} --resource-group {RG} --query \"properties.configuration.secrets[].name\"",
                        ops.app(&w)
                    )],
                ));
            }
        }
        Platform::AzureAppService => {
            let app = ops.app("");
            notes.verification.push(step(
                "The app settings and their Key Vault references resolve.",
                vec![
                    format!("az webapp config appsettings list --name {app} --resource-group {RG} --query \"[].name\""),
                    format!("az webapp log tail --name {app} --resource-group {RG}"),
                ],
            ));
        }
        Platform::Render => notes.verification.push(step(
            "Each service deploys and its logs show the connections (Render Dashboard → service → Logs).",
            vec![],
        )),
    }
    if is_django(a) && cache_changed && a.cache.kind != CacheKind::None {
        let smoke = "python manage.py shell -c \"from django.core.cache import cache; cache.set('deploygen_smoke', 1, 60); print(cache.get('deploygen_smoke'))\"";
        let web = web(a).unwrap_or_else(|| "web".into());
        notes
            .verification
            .push(step("The cache answers (prints 1).", vec![ops.exec(&web, smoke)]));
    }
    if a.cache.kind == CacheKind::Database && b.cache.kind != CacheKind::Database && is_django(a) {
        notes.verification.push(step(
            "The cache table exists (in `python manage.py dbshell`).",
            vec!["\\dt django_cache_table".into()],
        ));
    }
}

/// Commands that bring back the files of a side: its descriptor as it was,
/// rendered again.
fn restore_files(side: &Side) -> Step {
    let Origin {
        path,
        files,
        revision,
        edits,
    } = &side.origin;
    let shown = display_path(path);
    let out = output_dir(side);
    match (revision, edits.is_empty()) {
        (Some(rev), _) => {
            let listed: Vec<String> = files.iter().map(|p| display_path(p)).collect();
            step(
                format!(
                    "Bring back the descriptor (and the files it extends) as they were at `{rev}`, and render them."
                ),
                vec![
                    format!("git checkout {rev} -- {}", listed.join(" ")),
                    format!("deploygen render {shown}"),
                ],
            )
        }
        (None, true) => step(
            format!("Generate the files of the previous descriptor `{shown}` again (into `{out}`)."),
            vec![format!("deploygen render {shown}")],
        ),
        (None, false) => step(
            format!(
                "Undo the descriptor change ({}) by reverting the commit that made it, and render again.",
                edits.join(" ")
            ),
            vec![
                format!("git revert --no-edit $(git log -1 --format=%H -- {shown})"),
                format!("deploygen render {shown}"),
            ],
        ),
    }
}

fn rollback(notes: &mut Notes, before: &Side, after: &Side, report: &DiffReport, drain: bool, deletes: bool) {
    let (b, a) = (&before.descriptor, &after.descriptor);
    let old_ops = Ops { d: b, side: before };
    let new_ops = Ops { d: a, side: after };
    if deletes {
        notes.rollback.push(step(
            "These steps work before and after the clean-up: the deployment recreates what was deleted (empty).",
            vec![],
        ));
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
    let vault_removed: Vec<&super::SecretEntry> = report
        .secrets
        .removed
        .iter()
        .filter(|s| s.stored_in.starts_with("Key Vault"))
        .collect();
    if b.is_azure() && !vault_removed.is_empty() {
        let (vault, _, _) = vault_caveat(b);
        notes.rollback.push(step(
            "If you deleted the old Key Vault secrets, recover them first: the deployment cannot create a secret of the \
             same name while it is soft-deleted.",
            vault_removed
                .iter()
                .map(|s| format!("az keyvault secret recover --vault-name {vault} --name {}", s.id))
                .collect(),
        ));
    }
    notes.rollback.push(restore_files(before));
    notes.rollback.push(old_ops.deploy());
    let remaining: Vec<String> = b.services.keys().cloned().collect();
    if b.platform == a.platform {
        let restart: Vec<String> = report
            .services
            .iter()
            .filter(|s| s.status == "changed" && b.services.contains_key(&s.service))
            .map(|s| s.service.clone())
            .filter(|s| !drain || !(workers(b).contains(s) || schedulers(b).contains(s)))
            .collect();
        if let Some(s) = old_ops.restart(&restart) {
            notes.rollback.push(s);
        }
    }
    if drain {
        let mut back = workers(b);
        back.extend(schedulers(b));
        back.retain(|s| remaining.contains(s));
        if !back.is_empty() {
            let mut s = old_ops.start(&back);
            s.text = s.text.replace("on the new backend", "on the old backend");
            notes.rollback.push(s);
        }
    }
    let added: Vec<String> = report
        .resources
        .added
        .iter()
        .filter(|r| r.kind.starts_with("Microsoft."))
        .map(|r| {
            format!(
                "az resource delete --resource-group {RG} --resource-type {} --name {}",
                r.kind, r.name
            )
        })
        .collect();
    if !added.is_empty() {
        notes.rollback.push(step(
            "Once the previous version runs, delete what the migration created (incremental mode leaves it).",
            added,
        ));
    }
    let render_added: Vec<String> = report
        .resources
        .added
        .iter()
        .filter(|r| r.kind.starts_with("render "))
        .map(|r| format!("`{}`", r.name))
        .collect();
    if !render_added.is_empty() {
        notes.rollback.push(step(
            format!(
                "Once the previous version runs, delete {} in the Render Dashboard (Settings → Delete).",
                render_added.join(", ")
            ),
            vec![],
        ));
    }
    if cache_place(b).is_some() && cache_place(b) != cache_place(a) {
        notes.rollback.push(step(
            "The previous cache comes back empty if it was deleted: its contents (and any sessions kept there) are not restored.",
            vec![],
        ));
    }
}
