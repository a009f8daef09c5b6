//! The shipped FastAPI example (issue 13): an async API and an RQ worker on
//! Azure Container Apps with Azure Managed Redis. What an operator of that
//! stack needs to be true of it, read from the committed Bicep.

use crate::support::{committed, migration_notes, repo};

fn apps() -> String {
    committed("fastapi-rq", "infra/modules/container-apps.bicep")
}

/// The text of a top-level Bicep declaration (`resource apiApp ...` up to its
/// closing brace at the start of a line).
fn block<'a>(bicep: &'a str, head: &str) -> &'a str {
    let start = bicep
        .find(&format!("\n{head} "))
        .unwrap_or_else(|| panic!("no `{head}`"));
    let end = bicep[start + 1..].find("\n}\n").expect("a closing brace") + start + 3;
    &bicep[start + 1..end]
}

/// The section of a resource from `key` to the next line at the same indent
/// that closes it (`env: [` ... `]`).
fn section<'a>(resource: &'a str, key: &str) -> &'a str {
    let start = resource.find(key).unwrap_or_else(|| panic!("no `{key}`"));
    let indent = resource[..start].rsplit('\n').next().unwrap().len();
    let close = format!("\n{}]", " ".repeat(indent));
    let end = resource[start..].find(&close).expect("closed") + start + close.len();
    &resource[start..end]
}

fn strings(section: &str) -> Vec<&str> {
    section
        .lines()
        .filter_map(|l| l.trim().strip_prefix('\'')?.strip_suffix('\''))
        .collect()
}

#[test]
fn alembic_runs_once_per_release_as_a_manual_job_on_the_apis_image_and_env() {
    let bicep = apps();
    let api = block(&bicep, "resource apiApp");
    let jobs = committed("fastapi-rq", "infra/modules/pre-deploy-jobs.bicep");
    let job = block(&jobs, "resource apiPreDeploy");
    assert!(job.contains("'Microsoft.App/jobs@"));
    assert!(job.contains("triggerType: 'Manual'"));
    assert!(
        job.contains("replicaRetryLimit: 0"),
        "a failed migration is not retried blindly"
    );
    assert_eq!(strings(section(job, "command: [")), ["alembic", "upgrade", "head"]);
    assert!(job.contains("image: 'orders.azurecr.io/orders-api:1.4.2'"));
    assert_eq!(
        section(job, "env: ["),
        section(api, "env: ["),
        "the job sees the app's settings"
    );
    assert!(job.contains("secrets: useKeyVaultReferences ? apiAppKeyVaultSecrets : apiAppValueSecrets"));
    assert!(!job.contains("ingress"));
    let script = committed("fastapi-rq", "infra/run-pre-deploy.sh");
    assert!(script.contains("run_job fastapi-rq-api-pre api\n"));
    assert!(script.contains("az containerapp job start"));
    assert!(
        script.contains("infra/deploy.sh runs it between its `jobs` and `apps` stages"),
        "the first deployment's empty database"
    );
}

#[test]
fn the_api_serves_uvicorn_behind_external_ingress_with_probes_on_healthz() {
    let bicep = apps();
    let api = block(&bicep, "resource apiApp");
    assert_eq!(
        strings(section(api, "command: [")),
        ["uvicorn", "app.main:app", "--host", "0.0.0.0", "--port", "8000"]
    );
    assert!(api.contains("external: true\n        targetPort: 8000"));
    for probe in ["Startup", "Liveness", "Readiness"] {
        assert!(api.contains(&format!("type: '{probe}'")), "{probe}");
    }
    assert_eq!(api.matches("path: '/healthz'").count(), 3);
}

/// `$REDIS_URL` is only expanded by a shell, and the shell must hand PID 1 to
/// RQ (`exec`): dash stays PID 1 otherwise, ignores the SIGTERM of a revision
/// stop, and RQ is killed mid-job at the end of the grace period.
#[test]
fn the_worker_has_no_ingress_and_runs_rq_through_a_shell_that_execs_it() {
    let bicep = apps();
    let worker = block(&bicep, "resource workerApp");
    assert!(!worker.contains("ingress"), "the worker listens on nothing");
    assert!(!worker.contains("probes"), "no HTTP endpoint to probe");
    assert_eq!(
        strings(section(worker, "command: [")),
        [
            "sh",
            "-c",
            r#"exec rq worker --url "\$REDIS_URL" --with-scheduler default"#
        ]
    );
    assert!(worker.contains("cpu: json('1')\n            memory: '2Gi'"));
    assert!(worker.contains("name: 'REDIS_URL'\n              secretRef: 'redis-url'"));
    let api = block(&bicep, "resource apiApp");
    assert!(api.contains("cpu: json('0.5')\n            memory: '1Gi'"));
    // Local compose runs the same line; `$$` keeps compose from expanding it.
    let compose = committed("fastapi-rq", "docker-compose.yml");
    assert!(compose.contains("- \"exec rq worker --url \\\"$$REDIS_URL\\\" --with-scheduler default\""));
}

/// asyncpg rejects `sslmode`; Azure's flexible server wants TLS, verified: `ssl=verify-full`,
/// the password percent-encoded by `uriComponent()`, as a value and in Key Vault.
#[test]
fn database_url_is_asyncpg_with_ssl_verify_full_and_an_encoded_password() {
    let url =
        "postgresql+asyncpg://orders:${uriComponent(postgresPassword)}@${postgresHostName}:5432/orders?ssl=verify-full";
    let bicep = apps();
    assert!(bicep.contains(&format!("name: 'database-url'\n    value: '{url}'")));
    assert!(bicep.contains("name: 'DATABASE_URL'\n              secretRef: 'database-url'"));
    let vault = committed("fastapi-rq", "infra/modules/keyvault.bicep");
    assert!(vault.contains(&format!("name: 'database-url'\n  properties: {{\n    value: '{url}'")));
    for folder in ["fastapi-rq", "fastapi-rq-azure-cache"] {
        for file in files(folder) {
            let text = std::fs::read_to_string(&file).unwrap();
            assert!(!text.contains("sslmode"), "{}", file.display());
        }
    }
}

#[test]
fn managed_redis_carries_the_queue_unclustered_without_eviction_over_tls() {
    let redis = committed("fastapi-rq", "infra/modules/redis.bicep");
    let database = block(&redis, "resource redisDatabase");
    for fact in [
        "clusteringPolicy: 'NoCluster'",
        "evictionPolicy: 'NoEviction'",
        "clientProtocol: 'Encrypted'",
        "port: 10000",
        "accessKeysAuthentication: 'Enabled'",
    ] {
        assert!(database.contains(fact), "{fact}");
    }
    assert!(redis.contains("publicNetworkAccess: 'Disabled'"));
    let url = "rediss://:${uriComponent(redisAccessKey)}@${redisHostName}:10000?ssl_cert_reqs=required";
    assert!(apps().contains(&format!("value: '{url}'")));
    let endpoints = committed("fastapi-rq", "infra/modules/private-endpoints.bicep");
    assert!(endpoints.contains("'redisEnterprise'") && endpoints.contains("'privatelink.redis.azure.net'"));
}

#[test]
fn images_are_pulled_with_the_identity_granted_acr_pull_first() {
    let main = committed("fastapi-rq", "infra/main.bicep");
    let apps_module = block(&main, "module containerApps");
    assert!(section(apps_module, "dependsOn: [").contains("acrPull"));
    let pull = committed("fastapi-rq", "infra/modules/acr-pull.bicep");
    assert!(pull.contains(&crate::support::role_id("AcrPull")), "AcrPull");
    assert!(section(block(&main, "module preDeployJobs"), "dependsOn: [").contains("acrPull"));
    // On the registry itself, in the resource group the descriptor names.
    assert!(pull.contains("resource registry 'Microsoft.ContainerRegistry/registries@2025-11-01' existing"));
    let grant = block(&main, "module acrPull");
    assert!(grant.contains("scope: resourceGroup('rg-orders-shared')") && grant.contains("registryName: 'orders'"));
    let bicep = apps() + &committed("fastapi-rq", "infra/modules/pre-deploy-jobs.bicep");
    for resource in ["resource apiApp", "resource apiPreDeploy", "resource workerApp"] {
        let registries = section(block(&bicep, resource), "registries: [");
        assert!(registries.contains("server: 'orders.azurecr.io'\n          identity: identityId"));
        assert!(!registries.contains("password"), "{resource}");
    }
}

fn files(folder: &str) -> Vec<std::path::PathBuf> {
    fn walk(dir: &std::path::Path, out: &mut Vec<std::path::PathBuf>) {
        for entry in std::fs::read_dir(dir).unwrap() {
            let path = entry.unwrap().path();
            if path.is_dir() {
                walk(&path, out)
            } else {
                out.push(path)
            }
        }
    }
    let mut out = Vec::new();
    walk(&repo().join("environments").join(folder), &mut out);
    assert!(out.len() > 10, "{folder} is rendered");
    out
}

const FOREIGN: [&str; 5] = ["django", "celery", "gunicorn", "manage.py", "curl"];

fn assert_no_foreign_word(what: &str, text: &str) {
    let lower = text.to_lowercase();
    for word in FOREIGN {
        assert!(!lower.contains(word), "{what} mentions {word}");
    }
}

#[test]
fn no_other_stacks_word_anywhere_in_the_output_or_the_notes() {
    for folder in ["fastapi-rq", "fastapi-rq-azure-cache"] {
        for file in files(folder) {
            assert_no_foreign_word(&file.display().to_string(), &std::fs::read_to_string(&file).unwrap());
        }
    }
    assert_no_foreign_word(
        "--without redis",
        &migration_notes(&["fastapi-rq", "--without", "redis"]),
    );
    assert_no_foreign_word(
        "--against",
        &migration_notes(&["fastapi-rq", "--against", "fastapi-rq-azure-cache"]),
    );
}

fn position(notes: &str, text: &str) -> usize {
    notes.find(text).unwrap_or_else(|| panic!("no {text:?} in\n{notes}"))
}

/// Without Redis RQ cannot run: the worker goes with its jobs, and FastAPI,
/// having no database cache, has no shared cache at all.
#[test]
fn without_redis_the_worker_and_its_jobs_go_and_no_database_cache_is_invented() {
    let notes = migration_notes(&["fastapi-rq", "--without", "redis"]);
    assert!(notes.contains("Task queue: RQ on Redis → no task queue."));
    assert!(notes.contains("Service `worker` is removed."));
    assert!(notes.contains("FastAPI has no database cache: the cache goes"));
    assert!(notes.contains("the failed job registry"));
    assert!(notes.contains("- remove Microsoft.Cache/redisEnterprise `amr-fastapi-rq-<suffix>` (Balanced_B1)"));
    assert!(notes.contains("- remove Microsoft.App/containerApps `fastapi-rq-worker`"));
    assert!(notes.contains("### Environment variables to remove\n\nNo service reads these any more; remove them from the container apps' settings (the deployment rewrites them; Key Vault `kv-fastapi-rq-<suffix>` keeps their secrets, see the warning):\n\n- `REDIS_URL`\n"));
    // Drained, then stopped, before the deployment that drops Redis.
    let steps = &notes[position(&notes, "## Migration steps")..position(&notes, "## Verification")];
    let drain = position(steps, "rq.Queue.all(connection=r)");
    let stop = position(steps, "az containerapp revision deactivate --name fastapi-rq-worker");
    let deploy = position(steps, "bash environments/fastapi-rq/infra/deploy.sh");
    assert!(drain < stop && stop < deploy);
    // `az containerapp exec --command` runs one program without arguments
    // (`"ls -la"` is looked up as one file): the notes open a shell and say
    // what to run in it, unescaped.
    assert!(steps.contains(
        "   az containerapp exec --name fastapi-rq-worker --resource-group '<resource-group>' --command sh  \
         # then, in that shell: python -c \"import os, redis, rq; r = redis.from_url(os.environ['REDIS_URL']); "
    ));
    assert!(!notes.contains("--command \""), "a command line with arguments");
    assert!(!notes.contains("createcachetable") && !notes.contains("alembic"));
}

/// Azure Cache for Redis -> Azure Managed Redis: the URL's port moves to
/// 10000, the queue is drained on the old cache and the worker started on
/// the new one after the deployment; the rollback drains the new one.
#[test]
fn azure_cache_to_managed_redis_moves_the_queue_with_a_drain_each_way() {
    let notes = migration_notes(&["fastapi-rq", "--against", "fastapi-rq-azure-cache"]);
    assert!(notes.contains("Cache: Azure Cache for Redis (Standard C1) → Azure Managed Redis (Balanced_B1)."));
    assert!(notes.contains(
        "- `REDIS_URL`: `rediss://:<secret redis-access-key>@<redis-host>:6380?ssl_cert_reqs=required` → \
         `rediss://:<secret redis-access-key>@<redis-host>:10000?ssl_cert_reqs=required`"
    ));
    assert!(
        notes.contains("the RQ queue moves from Redis database 0 of Azure Cache for Redis `red-fastapi-rq-<suffix>`")
    );
    let steps = &notes[position(&notes, "## Migration steps")..position(&notes, "## Verification")];
    let drain = position(steps, "rq.Queue.all(connection=r)");
    let deploy = position(steps, "bash environments/fastapi-rq/infra/deploy.sh");
    let restart = position(steps, "az containerapp revision restart --name fastapi-rq-api");
    let start = position(steps, "az containerapp revision activate --name fastapi-rq-worker");
    let delete = position(
        steps,
        "--resource-type Microsoft.Cache/redis --name 'red-fastapi-rq-<suffix>'",
    );
    assert!(drain < deploy && deploy < restart && restart < start && start < delete);
    let rollback = &notes[position(&notes, "## Rollback")..];
    assert!(
        position(
            rollback,
            "of Azure Managed Redis `amr-fastapi-rq-<suffix>` as for the cutover"
        ) < position(rollback, "bash environments/fastapi-rq-azure-cache/infra/deploy.sh")
    );
    // The app's schema does not change: no migration step is invented.
    assert!(!notes.contains("alembic") && !notes.contains("run-pre-deploy"));
}
