//! `azure-container-apps` (S1, seeds 000 and 003): `infra/main.bicep` and its
//! modules, the parameters file, the `az containerapp` update script, and the
//! developers' local compose file and `.env.example`.

use super::*;
use crate::plan::bicep::{expr, BicepPart};
use crate::plan::wiring::{POSTGRES_HOST_ATTRIBUTE, REDIS_ACCESS_KEY_SECRET, REDIS_HOST_ATTRIBUTE};
use crate::plan::{FileModel, FilePlan};

#[derive(Debug, Clone, Serialize)]
pub struct ContainerAppsModel {
    /// How long `infra/deploy.sh` waits after creating a new identity before
    /// the stages that use its grants ([`ROLE_PROPAGATION_SECONDS`]).
    pub role_propagation_seconds: u32,
    pub location: String,
    pub stage: String,
    pub use_key_vault_references: bool,
    pub private_network: bool,
    pub network: Network,
    pub names: Names,
    pub secure_params: Vec<SecureParam>,
    /// Parameters the Key Vault and Container Apps modules both take, with what main passes.
    pub inputs: Vec<ModuleInput>,
    pub redis: Option<RedisModel>,
    pub postgres: Option<PostgresModel>,
    pub key_vault: KeyVaultModel,
    pub secrets: Vec<SecretValue>,
    pub apps: Vec<ContainerApp>,
    pub private_endpoints: Vec<PrivateEndpoint>,
    pub role_definition_id: &'static str,
    /// AcrPull grants for the apps' identity, deployed before the apps.
    pub acr_pulls: Vec<AcrPull>,
    pub acr_pull_role: &'static str,
    pub name_suffix_param: &'static str,
    pub name_suffix_length: usize,
    /// `zoneRedundant` on the environment (creation only; needs the VNet).
    pub zone_redundant: bool,
}

/// AcrPull for the apps' identity on one Azure Container Registry, granted
/// on the registry itself (an `existing` registries symbol as the scope), in
/// a module deployed to the registry's resource group (`None`: the
/// deployment's own, an assumption `validate` names: lint
/// `acr-registry-resource-group`). Scoping to the registry, not its resource
/// group, grants pull on that registry only.
#[derive(Debug, Clone, Serialize)]
pub struct AcrPull {
    pub symbol: String,
    pub deployment: String,
    pub resource_group: Option<String>,
    pub server: String,
    /// The registry's resource name: the server's first DNS label.
    pub registry_name: String,
}

/// `orders.azurecr.io` -> `orders`: an Azure Container Registry's login
/// server is `<registry name>.azurecr.io` (Microsoft Learn, "About
/// registries, repositories, and artifacts").
pub fn registry_name(server: &str) -> String {
    server.split('.').next().unwrap_or(server).to_string()
}

/// The resource group named for an identity-pulled registry, if any.
pub fn registry_resource_group(d: &Descriptor, server: &str) -> Option<String> {
    d.azure
        .as_ref()
        .and_then(|a| a.registries.get(server))
        .and_then(|r| r.resource_group.clone())
}

/// The Azure Container Registries the apps pull from with their identity,
/// each with the services that use it, in first-use order.
pub fn identity_registries(d: &Descriptor) -> Vec<(String, Vec<String>)> {
    let mut out: Vec<(String, Vec<String>)> = Vec::new();
    for (name, service) in &d.services {
        let image = service.image.clone().unwrap_or_default();
        let Some(r) = app_registry(d, &image).filter(|r| r.identity) else {
            continue;
        };
        match out.iter_mut().find(|(s, _)| *s == r.server) {
            Some((_, users)) => users.push(name.clone()),
            None => out.push((r.server, vec![name.clone()])),
        }
    }
    out
}

/// How one app logs in to the registry of its image.
#[derive(Debug, Clone, Serialize)]
pub struct AppRegistry {
    pub server: String,
    /// Pull with the user-assigned identity (Azure Container Registry).
    pub identity: bool,
    pub username: Option<String>,
    /// The app secret holding the password (a secret reference, never a value).
    pub password_secret: Option<String>,
}

/// A Container Apps health probe on the app's port.
#[derive(Debug, Clone, Serialize)]
pub struct AppProbe {
    /// `Startup`, `Liveness` or `Readiness`.
    pub kind: &'static str,
    pub path: String,
    pub port: u16,
    pub initial_delay_seconds: u32,
    pub period_seconds: u32,
    pub timeout_seconds: u32,
    pub failure_threshold: u32,
}

/// The VNet: a /23 delegated to the Container Apps environment (room for a
/// workload-profiles environment to grow) and a /24 for private endpoints.
#[derive(Debug, Clone, Serialize)]
pub struct Network {
    pub address_space: &'static str,
    pub apps_subnet: &'static str,
    pub endpoints_subnet: &'static str,
}

#[derive(Debug, Clone, Serialize)]
pub struct Names {
    pub vnet: String,
    pub log_analytics: String,
    pub environment: String,
    pub identity: String,
}

#[derive(Debug, Clone, Serialize)]
pub struct ModuleInput {
    pub name: String,
    pub secure: bool,
    pub description: String,
    pub from_main: BicepValue,
}

#[derive(Debug, Clone, Serialize)]
pub struct ContainerApp {
    /// Bicep symbol of the resource.
    pub symbol: String,
    pub name: String,
    pub service: String,
    pub image: String,
    pub command: Option<Vec<String>>,
    pub ingress: Option<AppIngress>,
    pub cpu: String,
    pub memory: String,
    pub min_replicas: u32,
    pub max_replicas: u32,
    pub env: Vec<AppEnv>,
    pub secrets: Vec<AppSecret>,
    pub registries: Vec<AppRegistry>,
    pub probes: Vec<AppProbe>,
    /// The service's pre-deploy command as a manual Container Apps job.
    pub pre_deploy: Option<PreDeployJob>,
    /// `template.terminationGracePeriodSeconds` (Azure's default, 30, where unset).
    /// Not on the pre-deploy job: `Microsoft.App/jobs` has no such property.
    pub termination_grace_seconds: Option<u32>,
}

/// A `Microsoft.App/jobs` with `triggerType: Manual`: the app's image,
/// environment and secrets, run once by `infra/run-pre-deploy.sh` before the
/// apps roll. Not an init container: that runs on every replica start, so a
/// migration would run concurrently on each replica and again at scale-out.
#[derive(Debug, Clone, Serialize)]
pub struct PreDeployJob {
    pub symbol: String,
    pub name: String,
    pub command: Vec<String>,
    /// Migrations run once: one replica, never retried (a half-applied
    /// migration is for the operator to look at, not to run again).
    pub parallelism: u32,
    pub retry_limit: u32,
    /// How long one run may take before Container Apps stops it.
    pub replica_timeout_seconds: u32,
}

#[derive(Debug, Clone, Serialize)]
pub struct AppIngress {
    pub external: bool,
    pub target_port: u16,
    /// Plain HTTP is redirected to HTTPS, never served.
    pub allow_insecure: bool,
}

/// A container app secret in both modes: a Key Vault reference, or the value.
#[derive(Debug, Clone, Serialize)]
pub struct AppSecret {
    pub name: String,
    pub key_vault_url: BicepValue,
    pub value: BicepValue,
    /// The variable the update script reads the value from in direct mode.
    pub env_name: String,
}

#[derive(Debug, Clone, Serialize)]
pub struct PrivateEndpoint {
    pub symbol: String,
    pub name: String,
    /// The private-endpoints module parameter holding the target's resource id.
    pub target_param: String,
    pub target_from_main: BicepValue,
    pub group_id: &'static str,
    pub dns_zone: &'static str,
}

/// How the shared modules name secrets and attributes: by their parameters.
fn module_symbols(params: &[SecureParam]) -> Symbols {
    let mut symbols = Symbols::default();
    for p in params {
        symbols.secrets.insert(p.secret.clone(), p.name.clone());
    }
    symbols
        .secrets
        .insert(REDIS_ACCESS_KEY_SECRET.into(), "redisAccessKey".into());
    symbols
        .resources
        .insert(REDIS_HOST_ATTRIBUTE.into(), "redisHostName".into());
    symbols
        .resources
        .insert(POSTGRES_HOST_ATTRIBUTE.into(), "postgresHostName".into());
    symbols
}

fn inputs(params: &[SecureParam], redis: &Option<RedisModel>, postgres: &Option<PostgresModel>) -> Vec<ModuleInput> {
    let mut out: Vec<ModuleInput> = params
        .iter()
        .map(|p| ModuleInput {
            name: p.name.clone(),
            secure: true,
            description: p.description.clone(),
            from_main: expr(&p.name),
        })
        .collect();
    if let Some(r) = redis {
        out.push(ModuleInput {
            name: "redisAccessKey".into(),
            secure: true,
            description: "Redis access key, read from the cache by main.bicep.".into(),
            from_main: expr(if r.managed {
                "redisDatabase.listKeys().primaryKey"
            } else {
                "redisCache.listKeys().primaryKey"
            }),
        });
        out.push(ModuleInput {
            name: "redisHostName".into(),
            secure: false,
            description: "Redis host name.".into(),
            from_main: expr("redis.outputs.hostName"),
        });
    }
    if postgres.is_some() {
        out.push(ModuleInput {
            name: "postgresHostName".into(),
            secure: false,
            description: "PostgreSQL server host name.".into(),
            from_main: expr("postgres.outputs.fullyQualifiedDomainName"),
        });
    }
    out
}

/// The manual job that runs a service's pre-deploy command.
pub fn pre_deploy_job_name(d: &Descriptor, service: &str) -> String {
    format!("{}-{service}-pre", resource_base(d))
}

/// Bicep identifier for a service: `bs-worker` -> `bsWorkerApp`.
fn app_symbol(service: &str) -> String {
    format!("{}App", camel(service))
}

/// A command line as an argument vector: split on spaces when that is
/// unambiguous, else run through `sh -c`.
fn command_args(command: &Command) -> Vec<String> {
    match command {
        Command::Args(args) => args.clone(),
        Command::Shell(line) => {
            let plain = line
                .chars()
                .all(|c| c.is_ascii_alphanumeric() || " _./:=@,+-".contains(c));
            if plain {
                line.split_whitespace().map(String::from).collect()
            } else {
                crate::plan::wiring::sh_c(line)
            }
        }
    }
}

/// The registry host of an image reference (`myteam.azurecr.io/app:1` ->
/// `myteam.azurecr.io`); Docker Hub images have none.
pub fn image_registry(image: &str) -> Option<String> {
    let (host, _) = image.split_once('/')?;
    (host.contains('.') || host.contains(':') || host == "localhost").then(|| host.to_lowercase())
}

fn app_registry(d: &Descriptor, image: &str) -> Option<AppRegistry> {
    let server = image_registry(image)?;
    let entry = d.azure.as_ref().and_then(|a| a.registries.get(&server));
    match entry {
        Some(AzureRegistry {
            username: Some(username),
            password_secret,
            ..
        }) => Some(AppRegistry {
            server,
            identity: false,
            username: Some(username.clone()),
            password_secret: password_secret.clone(),
        }),
        _ if server.ends_with(".azurecr.io") => Some(AppRegistry {
            server,
            identity: true,
            username: None,
            password_secret: None,
        }),
        _ => None,
    }
}

/// One AcrPull grant per registry the apps pull from with their identity.
fn acr_pulls(d: &Descriptor, apps: &[ContainerApp]) -> Vec<AcrPull> {
    let mut out: Vec<AcrPull> = Vec::new();
    for server in apps
        .iter()
        .flat_map(|a| &a.registries)
        .filter(|r| r.identity)
        .map(|r| &r.server)
    {
        if out.iter().any(|p| &p.server == server) {
            continue;
        }
        let n = out.len();
        out.push(AcrPull {
            symbol: if n == 0 {
                "acrPull".into()
            } else {
                format!("acrPull{}", n + 1)
            },
            deployment: if n == 0 {
                "acr-pull".into()
            } else {
                format!("acr-pull-{}", n + 1)
            },
            resource_group: registry_resource_group(d, server),
            server: server.clone(),
            registry_name: registry_name(server),
        });
    }
    out
}

/// Startup (a slow first boot is not a failure), liveness and readiness,
/// all on the app's port; Container Apps caps thresholds at 10 and periods at 240 s.
fn probes(check: Option<&Healthcheck>, port: Option<u16>) -> Vec<AppProbe> {
    let (Some(h), Some(port)) = (check, port) else {
        return vec![];
    };
    let Some(path) = &h.http else { return vec![] };
    let period = h.interval_seconds.unwrap_or(10).clamp(1, 240);
    let retries = h.retries.unwrap_or(3).clamp(1, 10);
    let probe = |kind, initial_delay_seconds, period_seconds, failure_threshold| AppProbe {
        kind,
        path: path.clone(),
        port,
        initial_delay_seconds,
        period_seconds,
        timeout_seconds: 5,
        failure_threshold,
    };
    vec![
        probe("Startup", 5, 10, 10),
        probe("Liveness", 0, period, retries),
        probe("Readiness", 0, period, retries),
    ]
}

/// The wait after a new identity's role assignments are created. Azure
/// Resource Manager caches role assignments, and a change can take "up to 30
/// minutes" to take effect (Microsoft Q&A, "Azure RBAC propagation latency");
/// a few minutes is usual, and a stage that still fails is run again.
pub const ROLE_PROPAGATION_SECONDS: u32 = 300;

pub fn model(d: &Descriptor, plan: &Plan) -> ContainerAppsModel {
    let azure = d.azure.clone().expect("validated: Azure platforms have `azure`");
    let base = resource_base(d);
    let private = azure.private_endpoints.unwrap_or(true);
    let redis = redis_model(d);
    let creation_only = creation_only(d);
    let postgres = postgres_model(d, !private).map(|mut pg| {
        pg.high_availability = creation_only.high_availability;
        pg.geo_redundant_backup = creation_only.geo_redundant_backup;
        // Not creation-only, but a full disk makes the server read-only.
        pg.auto_grow = is_prod(d);
        pg
    });
    let key_vault = key_vault_model(d, !private, false);
    let params = secure_params(plan);
    let symbols = module_symbols(&params);
    let delivery = delivery(plan, &symbols);

    let mut secret_values: Vec<(String, EnvValue)> = delivery.secrets.clone();
    if redis.is_some() && !secret_values.iter().any(|(n, _)| n == REDIS_ACCESS_KEY_SECRET) {
        secret_values.insert(
            0,
            (
                REDIS_ACCESS_KEY_SECRET.into(),
                EnvValue::Secret {
                    secret: REDIS_ACCESS_KEY_SECRET.into(),
                },
            ),
        );
    }
    // Registry passwords reach the apps as secrets too, with no env var.
    for service in d.services.values() {
        let image = service.image.clone().unwrap_or_default();
        if let Some(secret) = app_registry(d, &image).and_then(|r| r.password_secret) {
            if !secret_values.iter().any(|(n, _)| *n == secret) {
                secret_values.push((secret.clone(), EnvValue::Secret { secret }));
            }
        }
    }
    let about = |name: &str| {
        plan.secrets
            .iter()
            .find(|s| s.id == name)
            .map(|s| s.description.clone())
            .unwrap_or_default()
    };
    let secrets: Vec<SecretValue> = secret_values
        .iter()
        .map(|(name, value)| SecretValue {
            name: name.clone(),
            value: symbols.value(value),
            about: about(name),
        })
        .collect();

    let apps = delivery
        .apps
        .iter()
        .map(|(service_name, env)| {
            let service = &d.services[service_name];
            let mut app_secrets: Vec<AppSecret> = Vec::new();
            let image = service.image.clone().unwrap_or_default();
            let registry = app_registry(d, &image);
            let registry_secret = registry.as_ref().and_then(|r| r.password_secret.clone());
            for secret in env
                .iter()
                .filter_map(|e| e.secret.as_ref())
                .chain(registry_secret.as_ref())
            {
                if app_secrets.iter().any(|s| &s.name == secret) {
                    continue;
                }
                let value = secrets
                    .iter()
                    .find(|s| &s.name == secret)
                    .map(|s| s.value.clone())
                    .unwrap_or_default();
                app_secrets.push(AppSecret {
                    name: secret.clone(),
                    key_vault_url: vec![
                        BicepPart::Expr("keyVaultUri".into()),
                        BicepPart::Text(format!("secrets/{secret}")),
                    ],
                    value,
                    env_name: secret_env_name(secret),
                });
            }
            let port = service
                .ports
                .first()
                .and_then(|p| p.rsplit(':').next())
                .and_then(|p| p.parse().ok());
            let ingress_kind = service.ingress.unwrap_or(match (service.role(), port) {
                (Role::Web | Role::Frontend, Some(_)) => Ingress::External,
                _ => Ingress::None,
            });
            let ingress = match (ingress_kind, port) {
                (Ingress::None, _) | (_, None) => None,
                (kind, Some(target_port)) => Some(AppIngress {
                    external: kind == Ingress::External,
                    target_port,
                    allow_insecure: false,
                }),
            };
            let probe_port = ingress.as_ref().map(|i: &AppIngress| i.target_port).or(port);
            let cpu = service.cpu.unwrap_or(0.5);
            let replicas = service.replicas.unwrap_or_default();
            ContainerApp {
                symbol: app_symbol(service_name),
                name: format!("{base}-{service_name}"),
                service: service_name.clone(),
                image,
                command: service.command.as_ref().map(command_args),
                ingress,
                cpu: format!("{cpu}"),
                memory: service.memory.clone().unwrap_or_else(|| format!("{}Gi", cpu * 2.0)),
                min_replicas: replicas.min.unwrap_or(1),
                max_replicas: replicas.max.unwrap_or(3),
                env: env.clone(),
                secrets: app_secrets,
                registries: registry.into_iter().collect(),
                probes: probes(service.healthcheck.as_ref(), probe_port),
                pre_deploy: service.pre_deploy.as_ref().map(|command| PreDeployJob {
                    symbol: format!("{}PreDeploy", camel(service_name)),
                    name: pre_deploy_job_name(d, service_name),
                    command: command_args(command),
                    parallelism: 1,
                    retry_limit: 0,
                    replica_timeout_seconds: 1800,
                }),
                termination_grace_seconds: service.stop_grace_seconds,
            }
        })
        .collect::<Vec<ContainerApp>>();
    let acr_pulls = acr_pulls(d, &apps);

    let mut private_endpoints = Vec::new();
    if private {
        if let Some(r) = &redis {
            private_endpoints.push(PrivateEndpoint {
                symbol: "redis".into(),
                name: format!("pe-{}", r.name),
                target_param: "redisId".into(),
                target_from_main: expr("redis.outputs.id"),
                group_id: r.private_endpoint_group,
                dns_zone: r.private_dns_zone,
            });
        }
        if let Some(p) = &postgres {
            private_endpoints.push(PrivateEndpoint {
                symbol: "postgres".into(),
                name: format!("pe-{}", p.name),
                target_param: "postgresId".into(),
                target_from_main: expr("postgres.outputs.id"),
                group_id: "postgresqlServer",
                dns_zone: "privatelink.postgres.database.azure.com",
            });
        }
        private_endpoints.push(PrivateEndpoint {
            symbol: "keyVault".into(),
            name: format!("pe-{}", key_vault.name),
            target_param: "keyVaultId".into(),
            target_from_main: expr("keyVault.outputs.id"),
            group_id: "vault",
            dns_zone: "privatelink.vaultcore.azure.net",
        });
    }

    ContainerAppsModel {
        location: azure.location.clone(),
        stage: stage(d),
        use_key_vault_references: azure.key_vault_references.unwrap_or(true),
        private_network: private,
        network: Network {
            address_space: "10.42.0.0/16",
            apps_subnet: "10.42.0.0/23",
            endpoints_subnet: "10.42.2.0/24",
        },
        names: Names {
            vnet: format!("vnet-{base}"),
            log_analytics: format!("log-{base}"),
            environment: format!("cae-{base}"),
            identity: format!("id-{base}"),
        },
        inputs: inputs(&params, &redis, &postgres),
        secure_params: params,
        redis,
        postgres,
        key_vault,
        secrets,
        apps,
        private_endpoints,
        role_definition_id: KEY_VAULT_SECRETS_USER_ROLE,
        acr_pulls,
        acr_pull_role: ACR_PULL_ROLE,
        name_suffix_param: NAME_SUFFIX_PARAM,
        name_suffix_length: NAME_SUFFIX_LEN,
        role_propagation_seconds: ROLE_PROPAGATION_SECONDS,
        zone_redundant: creation_only.zone_redundant && private,
    }
}

pub fn files(d: &Descriptor, plan: &Plan) -> Vec<FilePlan> {
    let m = model(d, plan);
    let file = |path: String, template: &str| FilePlan {
        path,
        template: template.to_string(),
        model: FileModel::ContainerApps(Box::new(m.clone())),
    };
    let mut files = vec![file("infra/main.bicep".into(), "azure/container-apps/main.bicep.j2")];
    if m.private_network {
        files.push(file(
            "infra/modules/network.bicep".into(),
            "azure/container-apps/network.bicep.j2",
        ));
    }
    if m.postgres.is_some() {
        files.push(file(
            "infra/modules/postgres.bicep".into(),
            "azure/container-apps/postgres.bicep.j2",
        ));
    }
    if m.redis.is_some() {
        files.push(file(
            "infra/modules/redis.bicep".into(),
            "azure/container-apps/redis.bicep.j2",
        ));
    }
    files.push(file(
        "infra/modules/keyvault.bicep".into(),
        "azure/container-apps/keyvault.bicep.j2",
    ));
    if !m.acr_pulls.is_empty() {
        files.push(file(
            "infra/modules/acr-pull.bicep".into(),
            "azure/container-apps/acr-pull.bicep.j2",
        ));
    }
    files.push(file(
        "infra/modules/container-apps-environment.bicep".into(),
        "azure/container-apps/environment.bicep.j2",
    ));
    if m.apps.iter().any(|a| a.pre_deploy.is_some()) {
        files.push(file(
            "infra/modules/pre-deploy-jobs.bicep".into(),
            "azure/container-apps/pre-deploy-jobs.bicep.j2",
        ));
    }
    files.push(file(
        "infra/modules/container-apps.bicep".into(),
        "azure/container-apps/container-apps.bicep.j2",
    ));
    if m.private_network {
        files.push(file(
            "infra/modules/private-endpoints.bicep".into(),
            "azure/container-apps/private-endpoints.bicep.j2",
        ));
    }
    files.push(file(
        format!("infra/parameters.{}.json", m.stage),
        "azure/container-apps/parameters.json.j2",
    ));
    files.push(file("infra/deploy.sh".into(), "azure/container-apps/deploy.sh.j2"));
    files.push(file(
        "infra/update-container-app-secrets.sh".into(),
        "azure/container-apps/update-container-app-secrets.sh.j2",
    ));
    if m.apps.iter().any(|a| a.pre_deploy.is_some()) {
        files.push(file(
            "infra/run-pre-deploy.sh".into(),
            "azure/container-apps/run-pre-deploy.sh.j2",
        ));
    }
    files
}

#[cfg(test)]
mod tests {
    use super::command_args;
    use crate::model::Command;

    fn args(line: &str) -> Vec<String> {
        command_args(&Command::Shell(line.into()))
    }

    #[test]
    fn a_single_command_through_the_shell_is_execd_so_it_gets_sigterm() {
        assert_eq!(
            args(r#"rq worker --url "$REDIS_URL" default"#),
            ["sh", "-c", r#"exec rq worker --url "$REDIS_URL" default"#]
        );
        assert_eq!(
            args("uvicorn app.main:app --port 8000"),
            ["uvicorn", "app.main:app", "--port", "8000"]
        );
        for compound in [
            "alembic upgrade head && uvicorn app:app",
            "a; b",
            "x | y",
            "FOO=$BAR run",
            "exec run $X",
            "! check $X",
        ] {
            assert_eq!(args(compound), ["sh", "-c", compound], "{compound}");
        }
    }
}
