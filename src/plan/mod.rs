//! Stage 4: the Plan, the single place where deployment knowledge lives:
//! which services exist, which env vars each one gets (plain value or secret
//! reference), which secrets exist, which resources, which files to emit.
//! Templates only lay the Plan out.

pub mod azure;
pub mod bicep;
pub mod compose;
pub mod render;
pub mod wiring;

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
    /// Where the operator keeps the value.
    pub stored_in: String,
    pub used_by: Vec<String>,
    /// Built at deployment from other secrets or resources, not supplied by anyone.
    pub derived: bool,
}

/// Something that exists (and may cost money) because of this environment.
impl Resource {
    pub fn new(kind: impl Into<String>, name: impl Into<String>, detail: impl Into<String>) -> Self {
        Resource {
            kind: kind.into(),
            name: name.into(),
            detail: detail.into(),
            monthly_usd: None,
            price_source: None,
        }
    }
}

#[derive(Debug, Clone, Serialize)]
pub struct Resource {
    pub kind: String,
    pub name: String,
    pub detail: String,
    /// Estimated price per month, where the price table or the descriptor knows one.
    pub monthly_usd: Option<f64>,
    pub price_source: Option<String>,
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
    let mut resources = std::mem::take(&mut plan.resources);
    crate::cost::price(d, &plan, &mut resources);
    plan.resources = resources;
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
            (true, true) => format!("Key Vault `{vault}` (written by the deployment)"),
            (true, false) => format!("Key Vault `{vault}` (from a secure deployment parameter)"),
            (false, true) => "the deployment only (read from the cache with `listKeys()`, never stored)".into(),
            (false, false) => "a secure deployment parameter only (not written to Key Vault)".into(),
        };
    }
}

pub(crate) fn render_resources(d: &Descriptor) -> Vec<Resource> {
    let settings = d.render.clone().unwrap_or_default();
    let plan = settings.plan.clone().unwrap_or_else(|| render::DEFAULT_PLAN.into());
    let mut out = Vec::new();
    if let Some(pg) = &d.postgres {
        let size = settings.database_plan.as_deref().unwrap_or("basic-256mb");
        let version = pg.version.as_deref().unwrap_or("16");
        out.push(Resource::new(
            "render database",
            format!("{}-db", d.name),
            format!("PostgreSQL {version} {size}"),
        ));
    }
    let redis = wiring::render_redis_name(d);
    match d.cache.provider_on(d.platform) {
        Some(crate::model::CacheProvider::RenderPrivateService) => {
            out.push(Resource::new("render pserv", redis, format!("Redis (docker) {plan}")))
        }
        Some(crate::model::CacheProvider::RenderKeyValue) => {
            let size = settings
                .key_value_plan
                .clone()
                .unwrap_or_else(|| render::DEFAULT_PLAN.into());
            out.push(Resource::new("render keyvalue", redis, size))
        }
        Some(crate::model::CacheProvider::External) => out.push(Resource::new(
            "external redis",
            d.cache.url_secret.clone().unwrap_or_default(),
            "outside Render",
        )),
        _ => {}
    }
    for (name, s) in &d.services {
        let kind = if s.schedule.is_some() {
            "render cron"
        } else if matches!(s.role(), crate::model::Role::Web | crate::model::Role::Frontend) {
            "render web"
        } else {
            "render worker"
        };
        out.push(Resource::new(kind, name.clone(), plan.clone()));
    }
    out
}

pub(crate) fn container_resources(plan: &Plan) -> Vec<Resource> {
    plan.services
        .iter()
        .filter(|s| s.kind != ServiceKind::Application)
        .map(|s| Resource {
            kind: "container".into(),
            name: s.name.clone(),
            detail: s.image.clone().unwrap_or_default(),
            monthly_usd: None,
            price_source: None,
        })
        .collect()
}
