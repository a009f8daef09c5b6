//! The `render` platform (S4, seed 004): `render.yaml` (a Render Blueprint),
//! a self-hosted Redis private service with its `redis/redis.conf` and
//! `redis/Dockerfile`, and the local compose companion (see `templates/render/README.md`).

use crate::model::*;
use crate::plan::wiring::{
    render_redis_name, render_redis_password_secret, REDIS_CONNECTION_STRING_ATTRIBUTE, REDIS_HOST_ATTRIBUTE,
    RENDER_DATABASE_PREFIX,
};
use crate::plan::ServicePlan;
use crate::plan::{EnvValue, FileModel, FilePlan, Part, Plan, ServiceKind};
use serde::Serialize;

pub const DEFAULT_REGION: &str = "oregon";
pub const DEFAULT_PLAN: &str = "starter";
const DEFAULT_DATABASE_PLAN: &str = "basic-256mb";
/// Seed 004's redis.conf, the defaults for a self-hosted Redis.
const DEFAULT_MAXMEMORY: &str = "256mb";
pub const DEFAULT_POLICY: &str = "allkeys-lru";
const DEFAULT_LOGLEVEL: &str = "warning";
pub const DEFAULT_DISABLED_COMMANDS: &[&str] = &["FLUSHDB", "FLUSHALL", "DEBUG", "CONFIG", "SHUTDOWN"];
const REDIS_IMAGE: &str = "redis:7.4-alpine";
const REDIS_DATA: &str = "/data";
const REDIS_CONF_IN_IMAGE: &str = "/usr/local/etc/redis/redis.conf";

#[derive(Debug, Clone, Serialize)]
pub struct RenderModel {
    /// Comment lines for the operator, under the header.
    pub notes: Vec<String>,
    pub databases: Vec<Database>,
    pub env_groups: Vec<EnvGroup>,
    pub services: Vec<Service>,
}

#[derive(Debug, Clone, Serialize)]
pub struct Database {
    pub name: String,
    pub database_name: String,
    pub user: String,
    pub plan: String,
    pub region: String,
    pub postgres_major_version: String,
    /// Always written: without it Render opens the database to the internet.
    pub ip_allow_list: Vec<IpAllow>,
}

#[derive(Debug, Clone, Serialize)]
pub struct EnvGroup {
    pub name: String,
    pub vars: Vec<Env>,
}

/// One `envVars` entry of a service.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum Env {
    Value {
        key: String,
        value: String,
    },
    /// `sync: false`: the value is entered in the Render Dashboard, never written.
    Secret {
        key: String,
    },
    /// `generateValue: true`: Render makes the value up.
    Generate {
        key: String,
    },
    FromDatabase {
        key: String,
        name: String,
        property: String,
    },
    FromService {
        key: String,
        service_type: String,
        name: String,
        property: String,
    },
    /// A value generated once, in another service, copied by key: every
    /// service sharing a `generate: true` secret reads the same value.
    CopyFromService {
        key: String,
        service_type: String,
        name: String,
        env_var_key: String,
    },
}

#[derive(Debug, Clone, Serialize)]
pub struct Disk {
    pub name: String,
    pub mount_path: String,
    pub size_gb: u32,
}

#[derive(Debug, Clone, Serialize)]
pub struct Service {
    /// `web`, `worker`, `pserv`, `cron` or `keyvalue`.
    pub service_type: String,
    pub name: String,
    pub runtime: Option<String>,
    pub plan: String,
    pub region: String,
    pub image_url: Option<String>,
    pub dockerfile_path: Option<String>,
    pub docker_context: Option<String>,
    pub docker_command: Option<String>,
    /// Native runtimes: `buildCommand` and `startCommand` (run by a shell).
    pub build_command: Option<String>,
    pub start_command: Option<String>,
    /// `preDeployCommand`: once per deploy, before the new version starts.
    pub pre_deploy_command: Option<String>,
    pub schedule: Option<String>,
    pub health_check_path: Option<String>,
    /// `autoDeployTrigger` (`off`, `commit`, `checksPass`): replaces `autoDeploy`.
    pub auto_deploy_trigger: Option<&'static str>,
    pub disk: Option<Disk>,
    pub env_groups: Vec<String>,
    pub env: Vec<Env>,
    /// Key Value only; Render requires it (empty: reachable from Render services only).
    pub ip_allow_list: Option<Vec<String>>,
    pub maxmemory_policy: Option<String>,
    /// `maxShutdownDelaySeconds` (web, worker, pserv; Render's default 30 where unset).
    pub max_shutdown_delay_seconds: Option<u32>,
}

#[derive(Debug, Clone, Serialize)]
pub struct RedisConf {
    /// Listening on every interface without a password is safe only because a
    /// Render private service is reachable from the workspace's services alone.
    pub bind: &'static str,
    pub protected_mode: bool,
    pub port: u16,
    pub maxmemory: String,
    pub maxmemory_policy: String,
    /// What the policy does at the limit, for the comment above it.
    pub at_limit: &'static str,
    /// `save <seconds> <changes>` rules; empty disables RDB snapshots.
    pub save: Vec<SaveRule>,
    pub appendonly: bool,
    /// fsync the append-only file once a second: at most a second of writes lost.
    pub appendfsync: &'static str,
    pub loglevel: String,
    pub disabled_commands: Vec<String>,
    pub dir: &'static str,
}

#[derive(Debug, Clone, Serialize)]
pub struct SaveRule {
    pub seconds: u32,
    pub changes: u32,
}

#[derive(Debug, Clone, Serialize)]
pub struct RedisDockerfile {
    pub image: &'static str,
    pub conf_source: &'static str,
    pub conf_target: &'static str,
    pub port: u16,
    /// The variable holding `requirepass` (Render generates it on the private
    /// service); a container started without it (the local one) has no password.
    pub password_env: &'static str,
}

/// What every client of the Redis private service gets beside its URLs:
/// Render's own address of the service (`fromService` `host`/`port`, the
/// slug, right even when it differs from the name) and the password the
/// private service generated (`fromService` `envVarKey`). Blueprint spec,
/// "Referencing values from other services" (render.com/docs/blueprint-spec);
/// `pserv` is a `serviceType` of `fromService` in Render's JSON schema.
pub const REDIS_PASSWORD_ENV: &str = "REDIS_PASSWORD";
const REDIS_HOST_ENV: &str = "REDIS_HOST";
const REDIS_PORT_ENV: &str = "REDIS_PORT";
/// The shell variable the percent-encoded password is kept in while URLs are assembled.
const ENCODED_PASSWORD: &str = "redis_password_encoded";

fn settings(d: &Descriptor) -> RenderSettings {
    d.render.clone().unwrap_or_default()
}

fn database_name(d: &Descriptor) -> String {
    crate::resolve::render_database_name(d)
}

/// `./backend` below `root`, as Render wants paths: from the repository root.
fn from_root(root: &str, path: &str) -> String {
    let path = path.trim_start_matches("./");
    match (root.trim_end_matches('/'), path) {
        (".", "" | ".") => ".".into(),
        (root, "" | ".") => root.to_string(),
        (".", path) => format!("./{path}"),
        (root, path) => format!("{root}/{path}"),
    }
}

/// How a Plan env value reaches a Render service.
fn env_entry(d: &Descriptor, key: &str, value: &EnvValue) -> Env {
    let key = key.to_string();
    match value {
        EnvValue::Plain { value } => Env::Value {
            key,
            value: value.clone(),
        },
        EnvValue::Secret { secret } if on_private_service(d) && *secret == render_redis_password_secret(d) => {
            Env::CopyFromService {
                key,
                service_type: "pserv".into(),
                name: render_redis_name(d),
                env_var_key: REDIS_PASSWORD_ENV.into(),
            }
        }
        EnvValue::Secret { secret } if d.secrets.get(secret).is_some_and(|s| s.generate) => Env::Generate { key },
        EnvValue::Secret { .. } => Env::Secret { key },
        EnvValue::Template { parts } => match parts.as_slice() {
            [Part::Resource { attribute }] => {
                if let Some(property) = attribute.strip_prefix(RENDER_DATABASE_PREFIX) {
                    Env::FromDatabase {
                        key,
                        name: database_name(d),
                        property: property.to_string(),
                    }
                } else {
                    let property = match attribute.as_str() {
                        REDIS_CONNECTION_STRING_ATTRIBUTE => "connectionString",
                        "redis-hostport" => "hostport",
                        "redis-port" => "port",
                        _ => "host",
                    };
                    let service_type = match d.cache.provider_on(d.platform) {
                        Some(CacheProvider::RenderPrivateService) => "pserv",
                        Some(
                            CacheProvider::RenderKeyValue
                            | CacheProvider::Container
                            | CacheProvider::AzureCache
                            | CacheProvider::AzureManaged
                            | CacheProvider::External,
                        )
                        | None => "keyvalue",
                    };
                    Env::FromService {
                        key,
                        service_type: service_type.into(),
                        name: render_redis_name(d),
                        property: property.into(),
                    }
                }
            }
            // Render cannot assemble a value from pieces: the operator enters it.
            _ => Env::Secret { key },
        },
    }
}

fn on_private_service(d: &Descriptor) -> bool {
    d.cache.kind == CacheKind::Redis && d.cache.provider_on(d.platform) == Some(CacheProvider::RenderPrivateService)
}

/// Text inside a double-quoted shell word.
fn sh_double_quoted(text: &str) -> String {
    text.chars()
        .flat_map(|c| {
            let escape = matches!(c, '\\' | '"' | '$' | '`');
            escape.then_some('\\').into_iter().chain(std::iter::once(c))
        })
        .collect()
}

/// A Redis URL of the private service as a shell word, assembled when the
/// process starts: a Blueprint cannot join a `fromService` host and a
/// generated password into one value. `None`: not such a URL.
fn assembled_word(d: &Descriptor, value: &EnvValue) -> Option<String> {
    let EnvValue::Template { parts } = value else {
        return None;
    };
    let password = render_redis_password_secret(d);
    let ours = |p: &Part| match p {
        Part::Secret { secret } => *secret == password,
        Part::Resource { attribute } => attribute == REDIS_HOST_ATTRIBUTE,
        Part::Text { .. } => false,
    };
    if !on_private_service(d) || parts.len() < 2 || !parts.iter().any(ours) {
        return None;
    }
    let mut word = String::from("\"");
    for part in parts {
        match part {
            Part::Text { text } => word.push_str(&sh_double_quoted(text)),
            Part::Secret { secret } if *secret == password => word.push_str(&format!("${{{ENCODED_PASSWORD}}}")),
            Part::Resource { attribute } if attribute == REDIS_HOST_ATTRIBUTE => {
                word.push_str(&format!("${{{REDIS_HOST_ENV}}}"))
            }
            Part::Secret { .. } | Part::Resource { .. } => return None,
        }
    }
    word.push('"');
    Some(word)
}

/// The shell line that sets the assembled URLs, then runs `line`. The
/// password is percent-encoded first: Render generates base64 (Blueprint
/// spec: "a base64-encoded 256-bit value"), whose `+`, `/` and `=` end a
/// URL's userinfo early; sed is in Debian, Alpine (busybox) and Ruby images.
fn with_assembled_urls(assembled: &[(String, String)], line: &str) -> String {
    let mut steps = Vec::new();
    if assembled.iter().any(|(_, word)| word.contains(ENCODED_PASSWORD)) {
        steps.push(format!(
            "{ENCODED_PASSWORD}=\"$(printf %s \"${REDIS_PASSWORD_ENV}\" | sed \"s/%/%25/g;s/+/%2B/g;s|/|%2F|g;s/=/%3D/g\")\""
        ));
    }
    steps.extend(assembled.iter().map(|(key, word)| format!("export {key}={word}")));
    // `exec` a single command, so it is PID 1 and gets the stop signal.
    let run = crate::plan::wiring::sh_c(line).pop().unwrap_or_default();
    steps.push(run);
    steps.join(" && ")
}

/// A shell line (`startCommand`, `preDeployCommand`) that sets the assembled URLs first.
fn shell_line_with(assembled: &[(String, String)], command: &Command) -> String {
    match assembled.is_empty() {
        true => command.shell_line(),
        false => with_assembled_urls(assembled, &command.shell_line()),
    }
}

/// The variables an assembled URL reads, each unless the service has it already.
fn private_service_address(d: &Descriptor, env: &[Env]) -> Vec<Env> {
    let name = render_redis_name(d);
    let has = |key: &str| {
        env.iter().any(|e| match e {
            Env::Value { key: k, .. }
            | Env::Secret { key: k }
            | Env::Generate { key: k }
            | Env::FromDatabase { key: k, .. }
            | Env::FromService { key: k, .. }
            | Env::CopyFromService { key: k, .. } => k == key,
        })
    };
    let mut out = Vec::new();
    for (key, property) in [(REDIS_HOST_ENV, "host"), (REDIS_PORT_ENV, "port")] {
        if !has(key) {
            out.push(Env::FromService {
                key: key.into(),
                service_type: "pserv".into(),
                name: name.clone(),
                property: property.into(),
            });
        }
    }
    if !has(REDIS_PASSWORD_ENV) {
        out.push(Env::CopyFromService {
            key: REDIS_PASSWORD_ENV.into(),
            service_type: "pserv".into(),
            name,
            env_var_key: REDIS_PASSWORD_ENV.into(),
        });
    }
    out
}

/// `dockerCommand` replaces the image's command without a shell, so a `$VAR`
/// in a command line would reach the program literally: such a line runs
/// through `sh -c`.
fn docker_command(command: &Command) -> String {
    crate::plan::wiring::through_shell(command).shell_line()
}

/// M5: Render deploys each service on its own, so a worker or cron job built
/// from the same commit can start before the web service's `preDeployCommand`
/// has migrated. Not a second migration in the worker's pre-deploy: two
/// migrations at once race each other where the tool takes no lock (Django,
/// Alembic), and a cron job takes no `preDeployCommand` at all. What holds for
/// every stack is expand/contract migrations, so the header says so.
fn migration_notes(d: &Descriptor) -> Vec<String> {
    let migrating: Vec<&str> = d
        .services
        .iter()
        .filter(|(_, s)| s.pre_deploy.is_some())
        .map(|(n, _)| n.as_str())
        .collect();
    let others: Vec<&str> = d
        .services
        .iter()
        .filter(|(_, s)| s.pre_deploy.is_none())
        .map(|(n, _)| n.as_str())
        .collect();
    if migrating.is_empty() || others.is_empty() {
        return vec![];
    }
    let and = |names: &[&str]| match names {
        [.., last] if names.len() > 1 => format!("{} and {last}", names[..names.len() - 1].join(", ")),
        _ => names.join(""),
    };
    vec![
        format!(
            "Migrations: {} runs its preDeployCommand before its new version starts, but Render",
            and(&migrating)
        ),
        format!("deploys {} on their own, from the same commit:", and(&others)),
        "they can start new code on the old schema. Write migrations expand/contract: add tables".into(),
        "and columns in one deploy, use them in the next, drop the old ones once no running code".into(),
        "reads them; then either order works.".into(),
    ]
}

/// What the operator must know that the Blueprint cannot say for itself.
fn notes(d: &Descriptor) -> Vec<String> {
    let mut notes = migration_notes(d);
    if on_private_service(d) {
        let name = render_redis_name(d);
        notes.extend([
            format!("Redis `{name}` requires the password Render generates on it (REDIS_PASSWORD). A Blueprint"),
            "cannot join values into a URL, so each client's command assembles its Redis URLs when it starts,".into(),
            "from REDIS_HOST (Render's own host of the service, its slug), REDIS_PORT and REDIS_PASSWORD".into(),
            "(percent-encoded: Render generates base64).".into(),
        ]);
        let bare: Vec<&str> = d
            .services
            .iter()
            .filter(|(_, s)| s.command.is_none())
            .map(|(n, _)| n.as_str())
            .collect();
        if !bare.is_empty() {
            notes.push(format!(
                "{} run their image's own command: they get REDIS_HOST, REDIS_PORT and REDIS_PASSWORD, no URL.",
                bare.join(", ")
            ));
        }
    }
    notes
}

/// Render routes a web service's traffic to `$PORT` (10000 unless set). A
/// command that listens on a fixed port gets `PORT` set to that port, so the
/// two agree; without a known port the app must bind `$PORT` itself.
fn port_env(service_type: &str, service: &ServicePlan) -> Option<Env> {
    let port = service.port.filter(|_| service_type == "web")?;
    if service.env.iter().any(|e| e.name == "PORT") {
        return None;
    }
    Some(Env::Value {
        key: "PORT".into(),
        value: port.to_string(),
    })
}

pub fn model(d: &Descriptor, plan: &Plan) -> RenderModel {
    let s = settings(d);
    let region = s.region.clone().unwrap_or_else(|| DEFAULT_REGION.into());
    let plan_name = s.plan.clone().unwrap_or_else(|| DEFAULT_PLAN.into());
    let root = s.root.clone().unwrap_or_else(|| ".".into());

    let databases = d
        .postgres
        .iter()
        .map(|pg| Database {
            name: database_name(d),
            database_name: pg.database.clone(),
            user: pg.user.clone(),
            plan: s.database_plan.clone().unwrap_or_else(|| DEFAULT_DATABASE_PLAN.into()),
            region: region.clone(),
            postgres_major_version: crate::resolve::postgres_version(pg),
            ip_allow_list: s.database_ip_allow_list.clone().unwrap_or_default(),
        })
        .collect();

    // The descriptor-wide `env` is shared by every application service: one group.
    let group_name = format!("{}-shared", d.name);
    let group_vars: Vec<Env> = d
        .env
        .iter()
        .map(|(key, value)| match value {
            crate::model::EnvValue::Plain(v) => Env::Value {
                key: key.clone(),
                value: v.to_env_string(),
            },
            // A group is generated once and shared by every service that links it.
            crate::model::EnvValue::Secret { secret } if d.secrets.get(secret).is_some_and(|s| s.generate) => {
                Env::Generate { key: key.clone() }
            }
            crate::model::EnvValue::Secret { .. } => Env::Secret { key: key.clone() },
        })
        .collect();
    let env_groups = if group_vars.is_empty() {
        vec![]
    } else {
        vec![EnvGroup {
            name: group_name.clone(),
            vars: group_vars,
        }]
    };

    let mut services = Vec::new();
    match d.cache.provider_on(d.platform) {
        Some(CacheProvider::RenderPrivateService) => services.push(Service {
            service_type: "pserv".into(),
            name: render_redis_name(d),
            runtime: Some("docker".into()),
            plan: plan_name.clone(),
            region: region.clone(),
            image_url: None,
            dockerfile_path: Some(from_root(&root, "redis/Dockerfile")),
            docker_context: Some(from_root(&root, ".")),
            docker_command: None,
            build_command: None,
            start_command: None,
            pre_deploy_command: None,
            schedule: None,
            health_check_path: None,
            // Redis restarts drop connections: deploy it on purpose, not on every push.
            auto_deploy_trigger: Some("off"),
            disk: Some(Disk {
                name: "redis-data".into(),
                mount_path: REDIS_DATA.into(),
                size_gb: 1,
            }),
            env_groups: vec![],
            // `requirepass`, generated once here and copied by every client.
            env: vec![match d.secrets.get(&render_redis_password_secret(d)) {
                Some(secret) if !secret.generate => Env::Secret {
                    key: REDIS_PASSWORD_ENV.into(),
                },
                _ => Env::Generate {
                    key: REDIS_PASSWORD_ENV.into(),
                },
            }],
            ip_allow_list: None,
            maxmemory_policy: None,
            max_shutdown_delay_seconds: None,
        }),
        Some(CacheProvider::RenderKeyValue) => services.push(Service {
            service_type: "keyvalue".into(),
            name: render_redis_name(d),
            runtime: None,
            plan: s.key_value_plan.clone().unwrap_or_else(|| DEFAULT_PLAN.into()),
            region: region.clone(),
            image_url: None,
            dockerfile_path: None,
            docker_context: None,
            docker_command: None,
            build_command: None,
            start_command: None,
            pre_deploy_command: None,
            schedule: None,
            health_check_path: None,
            auto_deploy_trigger: None,
            disk: None,
            env_groups: vec![],
            env: vec![],
            ip_allow_list: Some(vec![]),
            maxmemory_policy: crate::resolve::maxmemory_policy(d, Some(DEFAULT_POLICY)),
            max_shutdown_delay_seconds: None,
        }),
        _ => {}
    }
    // Secret id -> the service (type, name) and key that generates it, or
    // whose Dashboard entry holds it: declared once, copied by the others.
    let mut generated: Vec<(String, &'static str, String, String)> = Vec::new();
    for service in plan.services.iter().filter(|s| s.kind == ServiceKind::Application) {
        let declared = &d.services[&service.name];
        let service_type = if declared.schedule.is_some() {
            "cron"
        } else if service.role == Some(Role::Web) || service.role == Some(Role::Frontend) {
            "web"
        } else {
            "worker"
        };
        let mut env = Vec::new();
        let mut assembled: Vec<(String, String)> = Vec::new();
        for e in service.env.iter().filter(|e| !e.origin.starts_with("/env/")) {
            if let Some(word) = assembled_word(d, &e.value) {
                assembled.push((e.name.clone(), word));
                continue;
            }
            let entry = match (&e.value, env_entry(d, &e.name, &e.value)) {
                (EnvValue::Secret { secret }, first @ (Env::Generate { .. } | Env::Secret { .. })) => {
                    let key = e.name.clone();
                    // The holder's entry under the same key first: a worker's
                    // CELERY_BROKER_URL reads the web's CELERY_BROKER_URL, the one
                    // its publisher reads, not its REDIS_URL (typed separately).
                    let holder = generated
                        .iter()
                        .find(|(id, _, _, from_key)| id == secret && *from_key == key)
                        .or_else(|| generated.iter().find(|(id, ..)| id == secret));
                    match holder {
                        // A second key of the same service: entered beside the first
                        // rather than read from the service itself.
                        Some((_, _, name, _)) if *name == service.name && matches!(first, Env::Secret { .. }) => {
                            generated.push((secret.clone(), service_type, service.name.clone(), key));
                            first
                        }
                        Some((_, ty, name, from_key)) => Env::CopyFromService {
                            key,
                            service_type: ty.to_string(),
                            name: name.clone(),
                            env_var_key: from_key.clone(),
                        },
                        None => {
                            generated.push((secret.clone(), service_type, service.name.clone(), key));
                            first
                        }
                    }
                }
                (_, entry) => entry,
            };
            env.push(entry);
        }
        env.extend(port_env(service_type, service));
        if !assembled.is_empty() {
            env.extend(private_service_address(d, &env));
        }
        let native = declared.runtime.filter(|r| *r != Runtime::Docker);
        let (runtime, image_url, dockerfile_path, docker_context) = match (&declared.image, &declared.build) {
            // Render builds the source itself: no image, no Dockerfile.
            _ if native.is_some() => (native.map_or("docker", Runtime::as_str), None, None, None),
            (_, Some(build)) => (
                "docker",
                None,
                Some(from_root(
                    &root,
                    &format!(
                        "{}/{}",
                        build.context.trim_end_matches('/'),
                        build.dockerfile.as_deref().unwrap_or("Dockerfile")
                    ),
                )),
                Some(from_root(&root, &build.context)),
            ),
            (image, None) => ("image", image.clone(), None, None),
        };
        services.push(Service {
            service_type: service_type.into(),
            name: service.name.clone(),
            runtime: Some(runtime.into()),
            plan: declared.plan.clone().unwrap_or_else(|| plan_name.clone()),
            region: region.clone(),
            image_url,
            dockerfile_path,
            docker_context,
            docker_command: declared.command.as_ref().filter(|_| native.is_none()).map(|c| {
                match assembled.is_empty() {
                    true => docker_command(c),
                    false => crate::render::escape::shell_join(&[
                        "sh".into(),
                        "-c".into(),
                        with_assembled_urls(&assembled, &c.shell_line()),
                    ]),
                }
            }),
            build_command: declared.build_command.clone().filter(|_| native.is_some()),
            start_command: declared
                .command
                .as_ref()
                .filter(|_| native.is_some())
                .map(|c| shell_line_with(&assembled, c)),
            pre_deploy_command: declared.pre_deploy.as_ref().map(|c| shell_line_with(&assembled, c)),
            schedule: declared.schedule.clone(),
            health_check_path: declared.healthcheck.as_ref().and_then(|h| h.http.clone()),
            auto_deploy_trigger: None,
            disk: None,
            env_groups: if env_groups.is_empty() {
                vec![]
            } else {
                vec![group_name.clone()]
            },
            env,
            ip_allow_list: None,
            maxmemory_policy: None,
            max_shutdown_delay_seconds: declared.stop_grace_seconds,
        });
    }
    RenderModel {
        notes: notes(d),
        databases,
        env_groups,
        services,
    }
}

pub fn redis_conf(d: &Descriptor) -> RedisConf {
    let cache = &d.cache;
    let persistence = cache.persistence.unwrap_or_default();
    let maxmemory_policy = crate::resolve::maxmemory_policy(d, Some(DEFAULT_POLICY)).unwrap_or_default();
    RedisConf {
        at_limit: if maxmemory_policy == "noeviction" {
            "refuse writes at the limit instead of evicting keys (a job queue's)"
        } else {
            "evict keys instead of refusing writes at the limit"
        },
        bind: "0.0.0.0",
        protected_mode: false,
        port: cache.port.unwrap_or(crate::plan::wiring::REDIS_PORT),
        maxmemory: cache.maxmemory.clone().unwrap_or_else(|| DEFAULT_MAXMEMORY.into()),
        maxmemory_policy,
        save: if persistence.rdb.unwrap_or(true) {
            [(900, 1), (300, 10), (60, 10000)]
                .into_iter()
                .map(|(seconds, changes)| SaveRule { seconds, changes })
                .collect()
        } else {
            vec![]
        },
        appendonly: persistence.aof.unwrap_or(true),
        appendfsync: "everysec",
        loglevel: cache.loglevel.clone().unwrap_or_else(|| DEFAULT_LOGLEVEL.into()),
        disabled_commands: cache
            .disabled_commands
            .clone()
            .unwrap_or_else(|| DEFAULT_DISABLED_COMMANDS.iter().map(|c| c.to_string()).collect()),
        dir: REDIS_DATA,
    }
}

pub fn files(d: &Descriptor, plan: &Plan) -> Vec<FilePlan> {
    let mut files = vec![FilePlan {
        path: "render.yaml".into(),
        template: "render/render.yaml.j2".into(),
        model: FileModel::Render(Box::new(model(d, plan))),
    }];
    if d.cache.kind == CacheKind::Redis && d.cache.provider_on(d.platform) == Some(CacheProvider::RenderPrivateService)
    {
        let conf = redis_conf(d);
        files.push(FilePlan {
            path: "redis/redis.conf".into(),
            template: "redis/redis.conf.j2".into(),
            model: FileModel::RedisConf(conf.clone()),
        });
        files.push(FilePlan {
            path: "redis/Dockerfile".into(),
            template: "redis/Dockerfile.j2".into(),
            model: FileModel::RedisDockerfile(RedisDockerfile {
                image: REDIS_IMAGE,
                conf_source: "redis/redis.conf",
                conf_target: REDIS_CONF_IN_IMAGE,
                port: conf.port,
                password_env: REDIS_PASSWORD_ENV,
            }),
        });
    }
    files
}

/// Descriptor for the local compose file: the Redis private service becomes a
/// container built from the same Dockerfile; Key Value becomes a plain Redis.
pub fn local_descriptor(d: &Descriptor) -> Descriptor {
    let mut local = d.clone();
    local.render = None;
    match d.cache.provider_on(d.platform) {
        Some(CacheProvider::RenderPrivateService) => {
            local.cache.provider = Some(CacheProvider::Container);
            local.cache.service = Some(render_redis_name(d));
            local.cache.local_build = Some(Build {
                context: ".".into(),
                dockerfile: Some("redis/Dockerfile".into()),
                target: None,
            });
        }
        Some(CacheProvider::RenderKeyValue) => {
            local.cache.provider = Some(CacheProvider::Container);
            local.cache.service = Some(render_redis_name(d));
        }
        // An outside Redis (Upstash) is production's: a laptop's workers would
        // take production's jobs and ack them. Locally it is a Redis container,
        // and the outside URL is in no local file.
        Some(CacheProvider::External) => {
            local.cache.provider = Some(CacheProvider::Container);
            local.cache.service = Some(render_redis_name(d));
            local.cache.url_secret = None;
        }
        Some(CacheProvider::Container | CacheProvider::AzureCache | CacheProvider::AzureManaged) | None => {}
    }
    // A native-runtime service without an image or Dockerfile cannot run in a container.
    local
        .services
        .retain(|_, s| s.runtime.is_none_or(|r| r == Runtime::Docker) || s.image.is_some() || s.build.is_some());
    local.cache.persistence = None;
    local.cache.disabled_commands = None;
    local.cache.loglevel = None;
    // Scheduled jobs keep their schedule: compose runs them from the host's cron.
    local
}
