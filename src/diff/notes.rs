//! Migration notes in the shape of the seeds: overview, files, env vars and
//! secrets to add or remove and where, ordered steps, verification, rollback,
//! and the warnings an operator needs.

use super::{DiffReport, Side};
use crate::model::*;
use crate::plan::azure::{key_vault_name, web_app_name};
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

fn describe_broker(d: &Descriptor) -> String {
    match (d.broker.kind, d.broker.transport()) {
        (BrokerKind::None, _) => "no task queue".into(),
        (BrokerKind::Celery, Some(Transport::Redis)) => "Celery on Redis".into(),
        (BrokerKind::Celery, _) => "Celery on PostgreSQL".into(),
        (BrokerKind::Pgqueuer, Some(Transport::Redis)) => "PgQueuer on Redis".into(),
        (BrokerKind::Pgqueuer, _) => "PgQueuer on PostgreSQL (SQL queue)".into(),
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
        .filter(|(_, s)| s.role().needs_broker())
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
        Platform::AzureContainerApps => format!(
            "the container apps' settings and Key Vault `{}`",
            key_vault_name(d).shown
        ),
        Platform::AzureAppService => format!("the App Service settings and Key Vault `{}`", key_vault_name(d).shown),
        Platform::Render => "the Render Dashboard (each service's Environment) and render.yaml".into(),
    }
}

fn deploy_step(d: &Descriptor, plan: &crate::plan::Plan) -> Step {
    match d.platform {
        Platform::Compose => step(
            "Deploy: recreate what changed and remove services that are gone.",
            vec!["docker compose up -d --remove-orphans".into()],
        ),
        Platform::AzureContainerApps | Platform::AzureAppService => {
            let bicep = plan
                .files
                .iter()
                .find(|f| f.path.ends_with(".bicep"))
                .map(|f| f.path.clone())
                .unwrap_or_default();
            let params = plan
                .files
                .iter()
                .find(|f| f.path.ends_with(".json"))
                .map(|f| f.path.clone())
                .unwrap_or_default();
            step(
                "Deploy the infrastructure (check it first: what-if lists every change).",
                vec![
                    format!("az bicep build --file {bicep}"),
                    format!("az deployment group what-if --resource-group {RG} --template-file {bicep} --parameters {params}"),
                    format!("az deployment group create --resource-group {RG} --template-file {bicep} --parameters {params}"),
                ],
            )
        }
        Platform::Render => step(
            "Deploy: commit render.yaml (and redis/); Render syncs the Blueprint, or use Blueprints → Manual Sync.",
            vec!["git add render.yaml redis && git commit -m \"Update the Render Blueprint\" && git push".into()],
        ),
    }
}

fn django_command(d: &Descriptor, command: &str) -> String {
    let web = web(d).unwrap_or_else(|| "web".into());
    match d.platform {
        Platform::Compose => format!("docker compose exec {web} python manage.py {command}"),
        // The command travels inside double quotes: escape the ones it has.
        Platform::AzureContainerApps => format!(
            "az containerapp exec --name {}-{web} --resource-group {RG} --command \"python manage.py {}\"",
            resource_base(d),
            command.replace('\\', "\\\\").replace('"', "\\\"")
        ),
        Platform::AzureAppService => format!(
            "az webapp ssh --name {} --resource-group {RG}  # then: python manage.py {command}",
            web_app_name(d).shown
        ),
        Platform::Render => format!("python manage.py {command}  # in the Shell of {web}, Render Dashboard"),
    }
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

    // Warnings an operator needs before touching anything.
    let azure = a.is_azure() || b.is_azure();
    if azure && !report.resources.removed.is_empty() {
        notes.warnings.push(
            "`az deployment group create` deploys in incremental mode: resources removed from the Bicep are not deleted \
             (what-if reports them as Ignore). Delete them yourself once nothing uses them (step below)."
                .into(),
        );
    }
    if a.platform == Platform::Render {
        let new_secrets: Vec<String> = report
            .secrets
            .added
            .iter()
            .map(|s| format!("`{}`", s.env_name))
            .collect();
        if !new_secrets.is_empty() {
            notes.warnings.push(format!(
                "Render prompts for `sync: false` variables only when a Blueprint is first created: set {} by hand in the \
                 Dashboard (each service → Environment) before the sync.",
                new_secrets.join(", ")
            ));
        }
        if report.resources.removed.iter().any(|r| r.kind.starts_with("render")) {
            notes.warnings.push(
                "Removing a service from render.yaml does not delete it from Render: delete it in the Dashboard once nothing uses it."
                    .into(),
            );
        }
    }

    // Ordered steps.
    let old_workers = workers(b);
    let stop_workers = broker_changed && !old_workers.is_empty();
    if stop_workers {
        let commands = if b.platform == Platform::Compose {
            vec![format!("docker compose stop {}", old_workers.join(" "))]
        } else {
            vec![]
        };
        notes.steps.push(step(
            format!(
                "Stop the workers ({}) before the broker cutover, so no job is taken from the old queue while the new one starts.",
                old_workers.join(", ")
            ),
            commands,
        ));
    }
    if !report
        .secrets
        .added
        .iter()
        .all(|s| after.plan.secrets.iter().any(|p| p.id == s.id && p.derived))
    {
        let supplied: Vec<String> = report
            .secrets
            .added
            .iter()
            .filter(|s| !after.plan.secrets.iter().any(|p| p.id == s.id && p.derived))
            .map(|s| format!("`{}` ({})", s.env_name, s.stored_in))
            .collect();
        notes.steps.push(step(
            format!("Provide the new secrets: {}.", supplied.join(", ")),
            vec![],
        ));
    }
    notes.steps.push(deploy_step(a, &after.plan));
    if a.cache.kind == CacheKind::Database && b.cache.kind != CacheKind::Database {
        if is_django(a) {
            notes.steps.push(step(
                "Create Django's cache table (the database cache needs it; `migrate` first, `createcachetable` is idempotent).",
                vec![django_command(a, "migrate --noinput"), django_command(a, "createcachetable")],
            ));
        } else {
            notes.steps.push(step(
                "Create the cache table your framework's database cache needs.",
                vec![],
            ));
        }
    }
    if stop_workers {
        let new_workers = workers(a);
        if !new_workers.is_empty() && a.platform == Platform::Compose {
            notes.steps.push(step(
                "Start the workers on the new broker.",
                vec![format!("docker compose up -d {}", new_workers.join(" "))],
            ));
        }
    }
    let mut cleanup = Vec::new();
    for r in &report.resources.removed {
        if r.kind.starts_with("Microsoft.") {
            cleanup.push(format!(
                "az resource delete --resource-group {RG} --resource-type {} --name {}",
                r.kind, r.name
            ));
        }
    }
    if a.is_azure() {
        for s in &report.secrets.removed {
            cleanup.push(format!(
                "az keyvault secret delete --vault-name {} --name {}",
                key_vault_name(a).shown,
                s.id
            ));
        }
    }
    if b.platform == Platform::Compose || before.plan.platform == Platform::Compose {
        for volume in before.plan.volumes.iter().filter(|v| !after.plan.volumes.contains(v)) {
            cleanup.push(format!("docker volume rm {}_{}", b.name, volume));
        }
    }
    if !cleanup.is_empty() {
        let suffix = if cleanup
            .iter()
            .any(|c| c.contains(crate::plan::azure::NAME_SUFFIX_SHOWN))
        {
            // Global names end in the suffix Bicep computed at deployment.
            " `<suffix>` is the deployment's `nameSuffix` output (`az deployment group show --resource-group <resource-group> --name <deployment> --query properties.outputs.nameSuffix.value`)."
        } else {
            ""
        };
        notes.steps.push(step(
            format!("Remove what is no longer deployed (after the new version runs; Key Vault keeps deleted secrets for 90 days).{suffix}"),
            cleanup,
        ));
    }
    if !notes.env_to_remove.is_empty() {
        notes.steps.push(step(
            format!(
                "Remove the env vars nothing reads any more from {} and wherever else they are set: {}.",
                notes.env_location,
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

    // Verification.
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
                        "az containerapp logs show --name {}-{name} --resource-group {RG} --follow",
                        resource_base(a)
                    )],
                ));
            }
            if let Some(w) = web(a) {
                notes.verification.push(step(
                    "The secrets the app references exist.",
                    vec![format!(
                        "az containerapp show --name {}-{w} --resource-group {RG} --query \"properties.configuration.secrets[].name\"",
                        resource_base(a)
                    )],
                ));
            }
        }
        Platform::AzureAppService => {
            let app = web_app_name(a).shown;
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
    if is_django(a) && cache_changed {
        let smoke = "shell -c \"from django.core.cache import cache; cache.set('deploygen_smoke', 1, 60); print(cache.get('deploygen_smoke'))\"";
        notes
            .verification
            .push(step("The cache answers (prints 1).", vec![django_command(a, smoke)]));
    }
    if a.cache.kind == CacheKind::Database && b.cache.kind != CacheKind::Database {
        notes.verification.push(step(
            "The cache table exists (in `python manage.py dbshell`).",
            vec!["\\dt django_cache_table".into()],
        ));
    }

    // Rollback.
    notes.rollback.push(step(
        "Revert the commit that changed the descriptor and the generated files, render, and deploy again.",
        vec![
            "git revert <commit>".into(),
            format!("deploygen render {}", before.label),
        ],
    ));
    if stop_workers {
        notes
            .rollback
            .push(step("Stop the workers first, as for the cutover.", vec![]));
    }
    if cache_changed {
        notes.rollback.push(step(
            "Cache contents are ephemeral: a rollback starts with an empty cache; PostgreSQL keeps the durable data.",
            vec![],
        ));
    }
    notes
}
