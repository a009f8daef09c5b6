//! Stage 3: the descriptor as typed Rust values. Only reached after schema
//! validation, so these types mirror `schemas/environment.schema.json`
//! (a test keeps the two in agreement).

use indexmap::IndexMap;
use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Descriptor {
    pub name: String,
    pub description: Option<String>,
    /// Unset: `none` (see [`crate::resolve::framework`]).
    pub framework: Option<Framework>,
    pub platform: Platform,
    pub output: Option<String>,
    #[serde(default)]
    pub naming: Naming,
    pub azure: Option<Azure>,
    pub render: Option<RenderSettings>,
    #[serde(default)]
    pub env: IndexMap<String, EnvValue>,
    #[serde(default)]
    pub services: IndexMap<String, Service>,
    pub postgres: Option<Postgres>,
    #[serde(default)]
    pub cache: Cache,
    #[serde(default)]
    pub broker: Broker,
    #[serde(default)]
    pub infrastructure: IndexMap<String, InfrastructureService>,
    #[serde(default)]
    pub secrets: IndexMap<String, SecretDecl>,
    /// Rule id -> the reason this environment accepts the finding.
    #[serde(default)]
    pub accept: IndexMap<String, String>,
    #[serde(default)]
    pub costs: Vec<CostOverride>,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CostOverride {
    pub kind: String,
    pub detail: Option<String>,
    pub monthly_usd: f64,
}

impl Descriptor {
    /// Every `env` map with the JSON pointer of its map: descriptor-wide,
    /// each application service's, each infrastructure service's.
    pub fn env_maps(&self) -> impl Iterator<Item = (String, &IndexMap<String, EnvValue>)> {
        let pointer = |kind: &str, name: &str| format!("/{kind}/{}/env", crate::load::node::escape_pointer(name));
        std::iter::once(("/env".to_string(), &self.env))
            .chain(self.services.iter().map(move |(n, s)| (pointer("services", n), &s.env)))
            .chain(
                self.infrastructure
                    .iter()
                    .map(move |(n, s)| (pointer("infrastructure", n), &s.env)),
            )
    }
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Azure {
    pub location: String,
    pub resource_name: Option<String>,
    pub stage: Option<String>,
    pub private_endpoints: Option<bool>,
    pub key_vault_references: Option<bool>,
    pub bicep_file: Option<String>,
    pub app_service: Option<AppServiceSettings>,
    pub postgres: Option<AzurePostgres>,
    /// Explicit names of the globally visible resources (default: base + unique suffix).
    pub names: Option<AzureNames>,
    /// Default: on for stage `prod`, off otherwise.
    pub purge_protection: Option<bool>,
    /// How Container Apps pull from private registries, keyed by server.
    #[serde(default)]
    pub registries: IndexMap<String, AzureRegistry>,
    pub redis_clustering_policy: Option<ClusteringPolicy>,
    /// Container Apps environment spread over availability zones (creation
    /// only). Default: on for stage `prod` with private endpoints.
    pub zone_redundant: Option<bool>,
}

#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct AzureNames {
    pub key_vault: Option<String>,
    pub redis: Option<String>,
    pub postgres: Option<String>,
    pub web_app: Option<String>,
}

#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct AzureRegistry {
    pub resource_group: Option<String>,
    pub username: Option<String>,
    pub password_secret: Option<String>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum ClusteringPolicy {
    NoCluster,
    EnterpriseCluster,
    OssCluster,
}

#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RenderSettings {
    pub region: Option<String>,
    pub plan: Option<String>,
    pub database_plan: Option<String>,
    pub key_value_plan: Option<String>,
    pub root: Option<String>,
    /// Addresses allowed to reach the PostgreSQL database from outside Render;
    /// none (private network only) unless set.
    pub database_ip_allow_list: Option<Vec<IpAllow>>,
    /// The Redis private service's internal hostname, where it differs from its name.
    pub redis_host: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct IpAllow {
    pub source: String,
    pub description: Option<String>,
}

#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct AppServiceSettings {
    pub sku: Option<String>,
    pub runtime: Option<String>,
    pub web_sockets: Option<bool>,
}

#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct AzurePostgres {
    pub sku: Option<String>,
    pub tier: Option<String>,
    pub storage_gb: Option<u32>,
    /// A zone-redundant standby. Default on Container Apps: on for stage
    /// `prod` outside the Burstable tier (which has no high availability).
    pub high_availability: Option<bool>,
    /// Geo-redundant backup storage (creation only). Default on Container
    /// Apps: on for stage `prod`.
    pub geo_redundant_backup: Option<bool>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum Platform {
    Compose,
    AzureContainerApps,
    AzureAppService,
    Render,
}

impl Platform {
    pub fn as_str(self) -> &'static str {
        match self {
            Platform::Compose => "compose",
            Platform::AzureContainerApps => "azure-container-apps",
            Platform::AzureAppService => "azure-app-service",
            Platform::Render => "render",
        }
    }
}

#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Naming {
    #[serde(default)]
    pub container_prefix: String,
    pub key_prefix: Option<String>,
}

/// A plain value or a reference to a declared secret.
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(untagged)]
pub enum EnvValue {
    Secret { secret: String },
    Plain(Scalar),
}

#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(untagged)]
pub enum Scalar {
    Bool(bool),
    Number(serde_json::Number),
    String(String),
}

impl Scalar {
    pub fn to_env_string(&self) -> String {
        match self {
            Scalar::Bool(b) => b.to_string(),
            Scalar::Number(n) => n.to_string(),
            Scalar::String(s) => s.clone(),
        }
    }
}

#[derive(Debug, Clone, PartialEq, Deserialize, Serialize)]
#[serde(untagged)]
pub enum Command {
    Shell(String),
    Args(Vec<String>),
}

impl Command {
    /// The command as one shell line: an argument list is quoted so a shell
    /// splits it back into the same arguments.
    pub fn shell_line(&self) -> String {
        match self {
            Command::Shell(line) => line.clone(),
            Command::Args(args) => crate::render::escape::shell_join(args),
        }
    }
}

/// The application framework a service runs: what the notes, `init` and the
/// defaults may assume about its commands and files.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Deserialize, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Framework {
    Django,
    Fastapi,
    Flask,
    Rails,
    Express,
    Streamlit,
    #[default]
    None,
}

/// The language a framework's images run, for the helpers deploygen writes
/// into them (health check one-liners, `.env` loaders).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Language {
    Python,
    Ruby,
    Node,
    Unknown,
}

impl Framework {
    pub fn language(self) -> Language {
        match self {
            Framework::Django | Framework::Fastapi | Framework::Flask | Framework::Streamlit => Language::Python,
            Framework::Rails => Language::Ruby,
            Framework::Express => Language::Node,
            Framework::None => Language::Unknown,
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Role {
    Web,
    Worker,
    Scheduler,
    Frontend,
}

impl Role {
    pub fn needs_broker(self) -> bool {
        matches!(self, Role::Worker | Role::Scheduler)
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Backing {
    Postgres,
    Cache,
    Broker,
}

#[derive(Debug, Clone, PartialEq, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct Build {
    pub context: String,
    pub dockerfile: Option<String>,
    pub target: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct Healthcheck {
    pub http: Option<String>,
    pub command: Option<String>,
    /// A check run in the container with no shell (a distroless image).
    pub exec: Option<Vec<String>>,
    pub http_client: Option<HttpClient>,
    pub interval_seconds: Option<u32>,
    pub retries: Option<u32>,
    pub timeout_seconds: Option<u32>,
    pub start_period_seconds: Option<u32>,
}

/// The program inside an image that runs an HTTP health check.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Deserialize, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum HttpClient {
    #[default]
    Python,
    Node,
    Ruby,
    Wget,
    Curl,
    /// No program in the image runs one: no check inside the container.
    None,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Service {
    pub role: Option<Role>,
    pub framework: Option<Framework>,
    pub image: Option<String>,
    pub build: Option<Build>,
    pub command: Option<Command>,
    #[serde(default)]
    pub ports: Vec<String>,
    #[serde(default)]
    pub depends_on: Vec<String>,
    #[serde(default)]
    pub env: IndexMap<String, EnvValue>,
    pub uses: Option<Vec<Backing>>,
    pub container_name: Option<String>,
    pub healthcheck: Option<Healthcheck>,
    pub ingress: Option<Ingress>,
    pub schedule: Option<String>,
    pub cpu: Option<f64>,
    pub memory: Option<String>,
    pub replicas: Option<Replicas>,
    /// Render: this service's instance type (default `render.plan`).
    pub plan: Option<String>,
    /// Run once per deploy before the new version starts (migrations).
    pub pre_deploy: Option<Command>,
    /// Render: `docker` (default) or a native runtime built from source.
    pub runtime: Option<Runtime>,
    /// Render native runtime: `buildCommand`.
    pub build_command: Option<String>,
    /// Seconds from SIGTERM to the kill when the service stops (default: the platform's).
    pub stop_grace_seconds: Option<u32>,
}

/// How Render builds and runs a service: from a Dockerfile or image, or
/// from source with one of its native runtimes.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Deserialize, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Runtime {
    #[default]
    Docker,
    Python,
    Node,
    Ruby,
    Go,
    Rust,
    Elixir,
}

impl Runtime {
    pub fn as_str(self) -> &'static str {
        match self {
            Runtime::Docker => "docker",
            Runtime::Python => "python",
            Runtime::Node => "node",
            Runtime::Ruby => "ruby",
            Runtime::Go => "go",
            Runtime::Rust => "rust",
            Runtime::Elixir => "elixir",
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Ingress {
    External,
    Internal,
    None,
}

#[derive(Debug, Clone, Copy, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Replicas {
    pub min: Option<u32>,
    pub max: Option<u32>,
}

impl Service {
    /// `role`, else `web` for a service that opens a port and `worker` for one
    /// that opens none (no `ports`, no ingress, no HTTP health check): Render
    /// fails a web service's deploy when no port opens.
    pub fn role(&self) -> Role {
        self.role.unwrap_or_else(|| {
            let opens_port = !self.ports.is_empty()
                || matches!(self.ingress, Some(Ingress::External | Ingress::Internal))
                || self.healthcheck.as_ref().is_some_and(|h| h.http.is_some());
            if opens_port {
                Role::Web
            } else {
                Role::Worker
            }
        })
    }

    pub fn uses(&self, backing: Backing) -> bool {
        match &self.uses {
            Some(list) => list.contains(&backing),
            None => self.role() != Role::Frontend,
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum InfrastructureKind {
    Loki,
    Grafana,
    Alloy,
    Custom,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct InfrastructureService {
    pub kind: InfrastructureKind,
    pub image: Option<String>,
    pub command: Option<Command>,
    pub ports: Option<Vec<String>>,
    #[serde(default)]
    pub depends_on: Vec<String>,
    #[serde(default)]
    pub env: IndexMap<String, EnvValue>,
    pub volumes: Option<IndexMap<String, String>>,
    pub container_name: Option<String>,
    pub healthcheck: Option<Healthcheck>,
    pub public_ports: Option<bool>,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Postgres {
    pub service: Option<String>,
    pub container_name: Option<String>,
    pub version: Option<String>,
    pub database: String,
    pub user: String,
    pub password_secret: Option<String>,
    #[serde(default)]
    pub expose: PostgresExpose,
    /// Scheme of `DATABASE_URL` (default `postgresql`).
    pub url_scheme: Option<String>,
    /// Query of `DATABASE_URL` without `?` (default per platform).
    pub url_query: Option<String>,
}

#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PostgresExpose {
    pub url: Option<String>,
    pub host: Option<String>,
    pub port: Option<String>,
    pub database: Option<String>,
    pub user: Option<String>,
    pub password: Option<String>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Deserialize, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum CacheKind {
    #[default]
    None,
    Database,
    Memcached,
    Redis,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum CacheProvider {
    Container,
    AzureCache,
    AzureManaged,
    RenderPrivateService,
    RenderKeyValue,
    External,
}

#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Cache {
    pub kind: CacheKind,
    pub provider: Option<CacheProvider>,
    pub service: Option<String>,
    pub container_name: Option<String>,
    pub image: Option<String>,
    pub port: Option<u16>,
    pub database: Option<u8>,
    pub password_secret: Option<String>,
    pub maxmemory: Option<String>,
    pub maxmemory_policy: Option<String>,
    pub ttl_seconds: Option<u64>,
    pub sku: Option<String>,
    pub capacity: Option<u8>,
    pub public_network_access: Option<bool>,
    pub url_query: Option<String>,
    pub url_secret: Option<String>,
    pub persistence: Option<Persistence>,
    pub disabled_commands: Option<Vec<String>>,
    pub loglevel: Option<String>,
    pub expose: Option<CacheExpose>,
    /// The app writes to the cache first and to the database later (seed
    /// 002's conversations): entries not yet written back live only here.
    pub write_back: Option<WriteBack>,
    /// Not in the schema: set when a local compose file builds the cache from
    /// the same Dockerfile as the cloud (a Render private service).
    #[serde(skip)]
    pub local_build: Option<Build>,
}

/// `cache.write_back`: `true`, or how to flush it and see that it is flushed.
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(untagged)]
pub enum WriteBack {
    Flag(bool),
    With(WriteBackSpec),
}

#[derive(Debug, Clone, Default, PartialEq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct WriteBackSpec {
    /// How to make the app write every pending entry back, in the app's own
    /// words (a button, a command): the notes quote it.
    pub flush: Option<String>,
    /// A read-only Redis command that answers 0 once nothing is pending
    /// (`SCARD dirty:convs`).
    pub pending: Option<String>,
}

impl WriteBack {
    /// The settings when the cache is write-back; `None` when it is not.
    pub fn spec(&self) -> Option<WriteBackSpec> {
        match self {
            WriteBack::Flag(true) => Some(WriteBackSpec::default()),
            WriteBack::Flag(false) => None,
            WriteBack::With(spec) => Some(spec.clone()),
        }
    }
}

#[derive(Debug, Clone, Copy, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Persistence {
    pub rdb: Option<bool>,
    pub aof: Option<bool>,
}

impl Cache {
    /// Who runs the cache, with the platform's default filled in (see [`crate::resolve`]).
    pub fn provider_on(&self, platform: Platform) -> Option<CacheProvider> {
        crate::resolve::cache_provider(self, platform)
    }
}

#[derive(Debug, Clone, Default, PartialEq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CacheExpose {
    pub url: Option<String>,
    pub location: Option<String>,
    pub host: Option<String>,
    pub port: Option<String>,
    pub password: Option<String>,
    pub key_prefix: Option<String>,
    pub ttl: Option<String>,
    pub enabled: Option<String>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Deserialize, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum BrokerKind {
    #[default]
    None,
    Celery,
    Pgqueuer,
    Rq,
    Sidekiq,
    Bullmq,
    Dramatiq,
    Arq,
    /// A worker of the app's own that reads jobs from this Redis or database.
    Generic,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Transport {
    Redis,
    Database,
}

#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Broker {
    pub kind: BrokerKind,
    pub transport: Option<Transport>,
    pub database: Option<u8>,
    pub channel: Option<String>,
    /// The prefix of the queue's Redis keys (BullMQ's `prefix`); `None`: the kind's default.
    pub prefix: Option<String>,
    #[serde(default)]
    pub expose: BrokerExpose,
}

impl Broker {
    /// Where the jobs wait, with the queue kind's default filled in (see [`crate::resolve`]).
    pub fn transport(&self) -> Option<Transport> {
        crate::resolve::transport(self)
    }
}

#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct BrokerExpose {
    pub url: Option<String>,
    pub result_backend: Option<String>,
    pub channel: Option<String>,
}

#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SecretDecl {
    pub description: Option<String>,
    #[serde(default)]
    pub generate: bool,
}

/// `django-secret-key` -> `DJANGO_SECRET_KEY`: the variable a secret travels in
/// through `.env` files and compose interpolation.
pub fn secret_env_name(id: &str) -> String {
    id.replace('-', "_").to_uppercase()
}
