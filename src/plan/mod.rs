//! Stage 4: the Plan, the single place where deployment knowledge lives:
//! which services exist, which env vars each one gets (plain value or secret
//! reference), which secrets exist, which resources, which files to emit.
//! Templates only lay the Plan out.

pub mod bicep;
pub mod wiring;

use crate::target::project::{azure, compose, render};

use crate::model::{Build, Command, Descriptor, Platform, Role};
use serde::Serialize;

/// Bumped when the JSON shape of the Plan changes incompatibly.
pub const PLAN_FORMAT_VERSION: u32 = 1;

#[derive(Debug, Clone, Serialize)]
pub struct Plan {
    pub version: u32,
    pub environment: String,
    pub description: Option<String>,
    pub platform: Platform,
    /// The descriptor as named in generated headers (relative to the output folder).
    pub descriptor: String,
    pub services: Vec<ServicePlan>,
    pub secrets: Vec<SecretPlan>,
    pub resources: Vec<Resource>,
    pub volumes: Vec<String>,
    pub files: Vec<FilePlan>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum ServiceKind {
    Application,
    Database,
    Cache,
    Infrastructure,
}

#[derive(Debug, Clone, Serialize)]
pub struct ServicePlan {
    pub name: String,
    pub kind: ServiceKind,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub role: Option<Role>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub image: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub build: Option<Build>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub command: Option<Command>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub container_name: Option<String>,
    /// The name other containers reach this one by.
    pub host: String,
    /// The port it listens on, where one is known.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub port: Option<u16>,
    /// Ports published on the host in production.
    pub ports: Vec<String>,
    /// Environment as the running container sees it.
    pub env: Vec<EnvVar>,
    pub depends_on: Vec<String>,
    pub volumes: Vec<Mount>,
    /// Host files mounted into the container (`HOST:CONTAINER[:ro]`), such as
    /// a generated config file or the Docker socket.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub binds: Vec<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub healthcheck: Option<Probe>,
    /// A cron schedule: the service is a job run on schedule, never kept running.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub schedule: Option<String>,
    /// Run once per deploy, before the new version starts (migrations).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub pre_deploy: Option<Command>,
    /// Seconds from SIGTERM to the kill when it stops; `None`: the platform's default.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub stop_grace_seconds: Option<u32>,
}

/// One environment variable and where its value comes from.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct EnvVar {
    pub name: String,
    pub value: EnvValue,
    /// The descriptor field that put it there (JSON pointer).
    pub origin: String,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum EnvValue {
    /// A literal, safe to write into any generated file.
    Plain { value: String },
    /// The whole value is a declared secret.
    Secret { secret: String },
    /// Literal text with secrets inside, such as a URL carrying a password.
    Template { parts: Vec<Part> },
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum Part {
    Text {
        text: String,
    },
    Secret {
        secret: String,
    },
    /// An attribute of a cloud resource known only at deployment, such as a Redis host name.
    Resource {
        attribute: String,
    },
}

impl EnvValue {
    pub fn plain(value: impl Into<String>) -> Self {
        EnvValue::Plain { value: value.into() }
    }

    pub fn parts(&self) -> Vec<Part> {
        match self {
            EnvValue::Plain { value } => vec![Part::Text { text: value.clone() }],
            EnvValue::Secret { secret } => vec![Part::Secret { secret: secret.clone() }],
            EnvValue::Template { parts } => parts.clone(),
        }
    }

    /// Build from parts, collapsing to the simplest variant.
    pub fn from_parts(parts: Vec<Part>) -> Self {
        match parts.as_slice() {
            [] => EnvValue::plain(""),
            [Part::Secret { secret }] => EnvValue::Secret { secret: secret.clone() },
            _ if parts.iter().all(|p| matches!(p, Part::Text { .. })) => EnvValue::Plain {
                value: parts
                    .iter()
                    .map(|p| match p {
                        Part::Text { text } => text.as_str(),
                        Part::Secret { .. } | Part::Resource { .. } => "",
                    })
                    .collect(),
            },
            _ => EnvValue::Template { parts },
        }
    }

    /// The value as a person reads it: secrets as `<secret ID>`, never a value.
    pub fn shown(&self) -> String {
        self.parts()
            .iter()
            .map(|p| match p {
                Part::Text { text } => text.clone(),
                Part::Secret { secret } => format!("<secret {secret}>"),
                Part::Resource { attribute } => format!("<{attribute}>"),
            })
            .collect()
    }

    pub fn secrets(&self) -> Vec<&str> {
        match self {
            EnvValue::Plain { .. } => vec![],
            EnvValue::Secret { secret } => vec![secret],
            EnvValue::Template { parts } => parts
                .iter()
                .filter_map(|p| match p {
                    Part::Secret { secret } => Some(secret.as_str()),
                    Part::Text { .. } | Part::Resource { .. } => None,
                })
                .collect(),
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Mount {
    pub volume: String,
    pub path: String,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum ProbeCheck {
    /// An argument vector run without a shell.
    Exec {
        args: Vec<String>,
    },
    /// A command line run by `sh -c`.
    Shell {
        command: String,
    },
    Http {
        path: String,
        port: u16,
    },
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Probe {
    pub check: ProbeCheck,
    pub interval_seconds: u32,
    pub timeout_seconds: u32,
    pub retries: u32,
    pub start_period_seconds: u32,
}

#[derive(Debug, Clone, Serialize)]
pub struct SecretPlan {
    pub id: String,
    /// The variable it travels in through `.env` files and compose interpolation.
    pub env_name: String,
    pub description: String,
    /// Where the operator keeps the value (serialised as its text).
    pub stored_in: SecretStore,
    pub used_by: Vec<String>,
    /// Built at deployment from other secrets or resources, not supplied by anyone.
    pub derived: bool,
}

/// Where a secret's value lives. Reports and JSON show it as [`fmt::Display`] text.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum SecretStore {
    /// An Azure Key Vault secret, written by the deployment (derived) or from
    /// a secure deployment parameter.
    KeyVault { vault: String, written_by_deployment: bool },
    /// Read from the cache with `listKeys()` at deployment, never stored.
    DeploymentOnly,
    /// A secure deployment parameter, not written to Key Vault.
    SecureParameter,
    /// Render makes the value (`generateValue`).
    RenderGenerated,
    /// Typed into the Render Dashboard (`sync: false`).
    RenderDashboard,
    /// The `.env` file docker compose reads.
    DotEnv,
}

impl std::fmt::Display for SecretStore {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            SecretStore::KeyVault {
                vault,
                written_by_deployment: true,
            } => write!(f, "Key Vault `{vault}` (written by the deployment)"),
            SecretStore::KeyVault {
                vault,
                written_by_deployment: false,
            } => write!(f, "Key Vault `{vault}` (from a secure deployment parameter)"),
            SecretStore::DeploymentOnly => {
                f.write_str("the deployment only (read from the cache with `listKeys()`, never stored)")
            }
            SecretStore::SecureParameter => {
                f.write_str("a secure deployment parameter only (not written to Key Vault)")
            }
            SecretStore::RenderGenerated => {
                f.write_str("Render (`generateValue`: Render makes the value when the Blueprint creates the service)")
            }
            SecretStore::RenderDashboard => {
                f.write_str("Render Dashboard (`sync: false`, prompted when the Blueprint is created)")
            }
            SecretStore::DotEnv => f.write_str(".env (read by docker compose)"),
        }
    }
}

impl Serialize for SecretStore {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> std::result::Result<S::Ok, S::Error> {
        serializer.collect_str(self)
    }
}

impl SecretStore {
    pub fn key_vault(&self) -> bool {
        matches!(self, SecretStore::KeyVault { .. })
    }
}

/// Something that exists (and may cost money) because of this environment.
impl Resource {
    pub fn new(kind: ResourceKind, name: impl Into<String>, detail: impl Into<String>) -> Self {
        Resource {
            kind,
            name: name.into(),
            detail: detail.into(),
            sku: None,
            monthly_usd: None,
            price_source: None,
        }
    }

    /// A resource whose detail is its SKU or plan (`Basic C0`, `starter`).
    pub fn sized(kind: ResourceKind, name: impl Into<String>, sku: impl Into<String>) -> Self {
        let sku = sku.into();
        Resource::new(kind, name, sku.clone()).with_sku(sku)
    }

    /// The SKU or plan it is priced by, as the typed model names it.
    pub fn with_sku(mut self, sku: impl Into<String>) -> Self {
        self.sku = Some(sku.into());
        self
    }
}

#[derive(Debug, Clone, Serialize)]
pub struct Resource {
    pub kind: ResourceKind,
    pub name: String,
    /// What `plan` and `diff` show about it; never read to price it.
    pub detail: String,
    /// The SKU or plan, where the price depends on one.
    #[serde(skip)]
    pub sku: Option<String>,
    /// Estimated price per month, set by `cost::price` after planning.
    pub monthly_usd: Option<f64>,
    pub price_source: Option<String>,
}

/// Every kind of resource deploygen creates: the ARM type on Azure, the
/// service type on Render, a container on compose. Serialised (and written in
/// the price table and `costs:`) as that type's own string.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ResourceKind {
    AzureCacheForRedis,
    AzureManagedRedis,
    PostgresFlexibleServer,
    AppServicePlan,
    WebApp,
    ContainerApp,
    ContainerAppsEnvironment,
    KeyVault,
    PrivateEndpoint,
    PrivateDnsZone,
    VirtualNetwork,
    UserAssignedIdentity,
    LogAnalyticsWorkspace,
    RenderWeb,
    RenderWorker,
    RenderCron,
    RenderPrivateService,
    RenderDatabase,
    RenderKeyValue,
    ExternalRedis,
    Container,
}

impl ResourceKind {
    pub const ALL: [ResourceKind; 21] = [
        ResourceKind::AzureCacheForRedis,
        ResourceKind::AzureManagedRedis,
        ResourceKind::PostgresFlexibleServer,
        ResourceKind::AppServicePlan,
        ResourceKind::WebApp,
        ResourceKind::ContainerApp,
        ResourceKind::ContainerAppsEnvironment,
        ResourceKind::KeyVault,
        ResourceKind::PrivateEndpoint,
        ResourceKind::PrivateDnsZone,
        ResourceKind::VirtualNetwork,
        ResourceKind::UserAssignedIdentity,
        ResourceKind::LogAnalyticsWorkspace,
        ResourceKind::RenderWeb,
        ResourceKind::RenderWorker,
        ResourceKind::RenderCron,
        ResourceKind::RenderPrivateService,
        ResourceKind::RenderDatabase,
        ResourceKind::RenderKeyValue,
        ResourceKind::ExternalRedis,
        ResourceKind::Container,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            ResourceKind::AzureCacheForRedis => "Microsoft.Cache/redis",
            ResourceKind::AzureManagedRedis => "Microsoft.Cache/redisEnterprise",
            ResourceKind::PostgresFlexibleServer => "Microsoft.DBforPostgreSQL/flexibleServers",
            ResourceKind::AppServicePlan => "Microsoft.Web/serverfarms",
            ResourceKind::WebApp => "Microsoft.Web/sites",
            ResourceKind::ContainerApp => "Microsoft.App/containerApps",
            ResourceKind::ContainerAppsEnvironment => "Microsoft.App/managedEnvironments",
            ResourceKind::KeyVault => "Microsoft.KeyVault/vaults",
            ResourceKind::PrivateEndpoint => "Microsoft.Network/privateEndpoints",
            ResourceKind::PrivateDnsZone => "Microsoft.Network/privateDnsZones",
            ResourceKind::VirtualNetwork => "Microsoft.Network/virtualNetworks",
            ResourceKind::UserAssignedIdentity => "Microsoft.ManagedIdentity/userAssignedIdentities",
            ResourceKind::LogAnalyticsWorkspace => "Microsoft.OperationalInsights/workspaces",
            ResourceKind::RenderWeb => "render web",
            ResourceKind::RenderWorker => "render worker",
            ResourceKind::RenderCron => "render cron",
            ResourceKind::RenderPrivateService => "render pserv",
            ResourceKind::RenderDatabase => "render database",
            ResourceKind::RenderKeyValue => "render keyvalue",
            ResourceKind::ExternalRedis => "external redis",
            ResourceKind::Container => "container",
        }
    }

    /// The kind a string names, exactly as [`ResourceKind::as_str`] writes it.
    pub fn parse(s: &str) -> Option<ResourceKind> {
        ResourceKind::ALL.into_iter().find(|k| k.as_str() == s)
    }

    /// Runs on the operator's own hosts: nothing to price.
    pub fn self_hosted(self) -> bool {
        self == ResourceKind::Container
    }

    /// An Azure resource (an ARM type).
    pub fn is_azure(self) -> bool {
        self.as_str().starts_with("Microsoft.")
    }

    /// Azure Cache for Redis or Azure Managed Redis.
    pub fn is_azure_cache(self) -> bool {
        matches!(self, ResourceKind::AzureCacheForRedis | ResourceKind::AzureManagedRedis)
    }

    /// What Render's dashboard calls a Render service of this kind.
    pub fn render_label(self) -> Option<&'static str> {
        Some(match self {
            ResourceKind::RenderPrivateService => "private service",
            ResourceKind::RenderWeb => "web service",
            ResourceKind::RenderWorker => "background worker",
            ResourceKind::RenderCron => "cron job",
            ResourceKind::RenderKeyValue => "Key Value instance",
            ResourceKind::RenderDatabase => "Postgres database",
            _ => return None,
        })
    }
}

impl std::fmt::Display for ResourceKind {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

impl Serialize for ResourceKind {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(self.as_str())
    }
}

impl<'de> serde::Deserialize<'de> for ResourceKind {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let s = String::deserialize(d)?;
        ResourceKind::parse(&s).ok_or_else(|| serde::de::Error::custom(format!("unknown resource kind `{s}`")))
    }
}

/// One file to emit: its path below the output folder, the template that lays
/// it out, and the model the template receives as `file`.
#[derive(Debug, Clone, Serialize)]
pub struct FilePlan {
    pub path: String,
    pub template: String,
    pub model: FileModel,
}

#[derive(Debug, Clone, Serialize)]
#[serde(untagged)]
pub enum FileModel {
    Compose(compose::ComposeFile),
    DotEnv(compose::DotEnvFile),
    ContainerApps(Box<azure::container_apps::ContainerAppsModel>),
    AppService(Box<azure::app_service::AppServiceModel>),
    Render(Box<render::RenderModel>),
    RedisConf(render::RedisConf),
    RedisDockerfile(render::RedisDockerfile),
    Alloy(compose::AlloyConfig),
    GrafanaDatasources(compose::GrafanaDatasources),
    Loki(compose::LokiConfig),
}

/// Build the Plan for a validated descriptor. `descriptor` is the name the
/// generated headers give the descriptor file.
pub fn build(d: &Descriptor, descriptor: String) -> Plan {
    let services = wiring::services(d);
    let secrets = wiring::secrets(d, &services);
    let volumes = services
        .iter()
        .flat_map(|s| s.volumes.iter().map(|m| m.volume.clone()))
        .collect();
    let mut plan = Plan {
        version: PLAN_FORMAT_VERSION,
        environment: d.name.clone(),
        description: d.description.clone(),
        platform: d.platform,
        descriptor,
        services,
        secrets,
        resources: Vec::new(),
        volumes,
        files: Vec::new(),
    };
    crate::target::of(d).project(d, &mut plan);
    plan
}

/// What both Azure targets plan alike: no volumes, the secrets the deployment
/// derives, where each secret lives, the resources. Returns the descriptor of
/// the developers' local compose variant (its platform is the caller's to set).
pub(crate) fn azure_project(d: &Descriptor, plan: &mut Plan, host: azure::Host) -> Descriptor {
    plan.volumes.clear();
    let derived = azure::derived_secrets(plan);
    plan.secrets.extend(derived);
    azure_secret_records(d, plan, host == azure::Host::ContainerApps);
    plan.resources = azure::resources(d, plan, host);
    azure::local_descriptor(d)
}

/// Who really reads each Azure secret, and where it really lives. An app uses
/// a secret it references, and every secret inside a derived one it
/// references (`redis-url` carries `redis-access-key`). Key Vault holds what
/// the Bicep writes there: the secrets apps reference and, on Container Apps,
/// the Redis access key; anything else exists only as a deployment parameter
/// or is read from the cache at deployment.
fn azure_secret_records(d: &Descriptor, plan: &mut Plan, vault_holds_redis_key: bool) {
    let delivery = azure::delivery(plan, &bicep::Symbols::default());
    let mut in_vault: Vec<&str> = delivery.secrets.iter().map(|(name, _)| name.as_str()).collect();
    if vault_holds_redis_key && azure::redis_model(d).is_some() {
        in_vault.push(wiring::REDIS_ACCESS_KEY_SECRET);
    }
    let inside = |name: &str| -> Vec<String> {
        let mut all = vec![name.to_string()];
        if let Some((_, value)) = delivery.secrets.iter().find(|(n, _)| n == name) {
            all.extend(value.secrets().into_iter().map(String::from));
        }
        all
    };
    let vault = azure::key_vault_name(d).shown;
    for secret in &mut plan.secrets {
        secret.used_by = delivery
            .apps
            .iter()
            .filter(|(_, env)| {
                env.iter()
                    .filter_map(|e| e.secret.as_deref())
                    .any(|name| inside(name).contains(&secret.id))
            })
            .map(|(name, _)| name.clone())
            .collect();
        secret.stored_in = match (in_vault.contains(&secret.id.as_str()), secret.derived) {
            (true, written_by_deployment) => SecretStore::KeyVault {
                vault: vault.clone(),
                written_by_deployment,
            },
            (false, true) => SecretStore::DeploymentOnly,
            (false, false) => SecretStore::SecureParameter,
        };
    }
}

pub(crate) fn render_resources(d: &Descriptor) -> Vec<Resource> {
    let settings = d.render.clone().unwrap_or_default();
    let plan = settings.plan.clone().unwrap_or_else(|| render::DEFAULT_PLAN.into());
    let mut out = Vec::new();
    if let Some(pg) = &d.postgres {
        let size = settings.database_plan.as_deref().unwrap_or("basic-256mb");
        let version = crate::resolve::postgres_version(pg);
        out.push(
            Resource::new(
                ResourceKind::RenderDatabase,
                crate::resolve::render_database_name(d),
                format!("PostgreSQL {version} {size}"),
            )
            .with_sku(size),
        );
    }
    let redis = wiring::render_redis_name(d);
    match d.cache.provider_on(d.platform) {
        Some(crate::model::CacheProvider::RenderPrivateService) => out.push(
            Resource::new(
                ResourceKind::RenderPrivateService,
                redis,
                format!("Redis (docker) {plan}"),
            )
            .with_sku(&plan),
        ),
        Some(crate::model::CacheProvider::RenderKeyValue) => {
            let size = settings
                .key_value_plan
                .clone()
                .unwrap_or_else(|| render::DEFAULT_PLAN.into());
            out.push(Resource::sized(ResourceKind::RenderKeyValue, redis, size))
        }
        Some(crate::model::CacheProvider::External) => out.push(Resource::new(
            ResourceKind::ExternalRedis,
            d.cache.url_secret.clone().unwrap_or_default(),
            "outside Render",
        )),
        _ => {}
    }
    for (name, s) in &d.services {
        let kind = if s.schedule.is_some() {
            ResourceKind::RenderCron
        } else if matches!(s.role(), crate::model::Role::Web | crate::model::Role::Frontend) {
            ResourceKind::RenderWeb
        } else {
            ResourceKind::RenderWorker
        };
        out.push(Resource::sized(
            kind,
            name.clone(),
            s.plan.clone().unwrap_or_else(|| plan.clone()),
        ));
    }
    out
}

pub(crate) fn container_resources(plan: &Plan) -> Vec<Resource> {
    plan.services
        .iter()
        .filter(|s| s.kind != ServiceKind::Application)
        .map(|s| {
            Resource::new(
                ResourceKind::Container,
                s.name.clone(),
                s.image.clone().unwrap_or_default(),
            )
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::SecretStore;

    /// JSON and the reports show where a secret lives as text, and the notes
    /// know a Key Vault secret by its type, not by that text.
    #[test]
    fn a_secret_store_serialises_as_its_text() {
        let vault = SecretStore::KeyVault {
            vault: "kv-app".into(),
            written_by_deployment: false,
        };
        assert_eq!(
            serde_json::to_value(&vault).unwrap(),
            serde_json::json!("Key Vault `kv-app` (from a secure deployment parameter)")
        );
        assert!(vault.key_vault() && !SecretStore::SecureParameter.key_vault());
        assert_eq!(
            serde_json::to_value(SecretStore::DotEnv).unwrap(),
            serde_json::json!(".env (read by docker compose)")
        );
    }
}
