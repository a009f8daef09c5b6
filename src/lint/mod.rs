//! Stage 5: lint the Plan (and the descriptor behind it) for deployments that
//! would validate but fail or leak in production. Each finding has a rule id;
//! a descriptor accepts one with a written reason under `accept:`.

mod secret_shapes;

use crate::findings::Finding;
use crate::load::node::{escape_pointer, PositionIndex};
use crate::model::{CacheKind, Descriptor, EnvValue as DescriptorValue};
use crate::plan::{Part, Plan};
use crate::rules::{self, Rule};
use crate::source::Sources;
use crate::target::{Field, PrivateEndpoints};
use crate::validate::suggest::did_you_mean;

struct Hit {
    rule: &'static Rule,
    pointer: String,
    message: String,
}

/// Every lint finding for the environment, minus the ones it accepts.
/// `descriptor`: the file's path, for the lints that look at the repository
/// around it (the paths a Render Blueprint builds from).
pub fn run(
    d: &Descriptor,
    plan: &Plan,
    descriptor: &std::path::Path,
    index: &PositionIndex,
    sources: &Sources,
) -> Vec<Finding> {
    let mut hits = Vec::new();
    blueprint_paths(d, plan, descriptor, &mut hits);
    redis_urls(d, plan, &mut hits);
    public_access(d, &mut hits);
    postgres_firewall(plan, &mut hits);
    secret_literals(d, &mut hits);
    unused_secrets(d, plan, &mut hits);
    retirement(d, &mut hits);
    dangerous_commands(d, &mut hits);
    queue_eviction(d, &mut hits);
    published(d, &mut hits);
    stop_grace(d, &mut hits);
    acr_resource_group(d, &mut hits);
    queue_persistence(d, &mut hits);
    postgres_admin(d, plan, &mut hits);
    creation_only(d, &mut hits);
    write_back(d, &mut hits);

    let locate = |pointer: &str| index.value(pointer).map(|p| sources.locate(p));
    let mut findings = Vec::new();
    for hit in &hits {
        if d.accept.contains_key(hit.rule.id) {
            continue;
        }
        findings.push(Finding::new(
            hit.rule,
            locate(&hit.pointer),
            hit.pointer.clone(),
            format!("{} (`deploygen explain {}`)", hit.message, hit.rule),
        ));
    }
    for rule in d.accept.keys() {
        let pointer = format!("/accept/{}", escape_pointer(rule));
        let location = index.key(&pointer).map(|p| sources.locate(p));
        match rules::find(rule) {
            None => {
                let acceptable = rules::all().filter(|r| r.acceptable).map(|r| r.id);
                let hint = did_you_mean(rule, acceptable)
                    .map(|s| format!("; did you mean `{s}`?"))
                    .unwrap_or_else(|| "; `deploygen explain` lists the rules".into());
                findings.push(Finding::new(
                    rules::ACCEPT,
                    location,
                    pointer,
                    format!("no lint rule `{rule}`{hint}"),
                ));
            }
            Some(known) if !known.acceptable => findings.push(Finding::new(
                rules::ACCEPT,
                location,
                pointer,
                format!("`{rule}` cannot be accepted: only lint rules can, and a {} rule means the descriptor cannot deploy as written; fix it instead (`deploygen explain {rule}`)", known.kind),
            )),
            Some(known) if !hits.iter().any(|h| h.rule == known) => findings.push(Finding {
                severity: crate::findings::Severity::Warning,
                ..Finding::new(
                    rules::ACCEPT,
                    location,
                    pointer,
                    format!("`{rule}` is accepted but no longer occurs; remove it"),
                )
            }),
            Some(_) => {}
        }
    }
    findings
}

/// A write-back cache that can lose entries not yet written back.
fn write_back(d: &Descriptor, hits: &mut Vec<Hit>) {
    for (pointer, message) in crate::backing::write_back::unsafe_settings(d) {
        hits.push(Hit {
            rule: rules::WRITE_BACK_CACHE,
            pointer,
            message,
        });
    }
}

/// A Render Blueprint path (`dockerfilePath`, `dockerContext`) that names
/// nothing in the repository Render builds from.
fn blueprint_paths(d: &Descriptor, plan: &Plan, descriptor: &std::path::Path, hits: &mut Vec<Hit>) {
    for (pointer, message) in crate::validate::render::missing_blueprint_paths(d, plan, descriptor) {
        hits.push(Hit {
            rule: rules::RENDER_BLUEPRINT_PATH,
            pointer,
            message,
        });
    }
}

/// A queue worker the platform kills before it can finish or hand back its job.
fn stop_grace(d: &Descriptor, hits: &mut Vec<Hit>) {
    for (pointer, message) in crate::validate::stop_grace::short_workers(d) {
        hits.push(Hit {
            rule: rules::WORKER_STOP_GRACE,
            pointer,
            message,
        });
    }
}

/// An identity-pulled Azure Container Registry whose resource group is assumed.
fn acr_resource_group(d: &Descriptor, hits: &mut Vec<Hit>) {
    use crate::target::project::azure::container_apps as aca;
    if d.platform != crate::model::Platform::AzureContainerApps {
        return;
    }
    for (server, services) in aca::identity_registries(d) {
        if aca::registry_resource_group(d, &server).is_some() {
            continue;
        }
        hits.push(Hit {
            rule: rules::ACR_REGISTRY_RESOURCE_GROUP,
            pointer: format!("/services/{}/image", escape_pointer(&services[0])),
            message: format!(
                "{} {} from `{server}` with the apps' identity: AcrPull is granted on registry `{}` in the \
                 deployment's own resource group, assumed because `azure.registries.\"{server}\".resource_group` is not set",
                services.join(", "),
                if services.len() == 1 { "pulls" } else { "pull" },
                aca::registry_name(&server),
            ),
        });
    }
}

/// A `prod` Container Apps environment without the settings only creation can choose.
fn creation_only(d: &Descriptor, hits: &mut Vec<Hit>) {
    use crate::target::project::azure;
    if d.platform != crate::model::Platform::AzureContainerApps || !azure::is_prod(d) {
        return;
    }
    let on = azure::creation_only(d);
    let mut off = Vec::new();
    if d.postgres.is_some() {
        if !on.high_availability {
            off.push("PostgreSQL high availability (`azure.postgres.high_availability`)");
        }
        if !on.geo_redundant_backup {
            off.push("PostgreSQL geo-redundant backup (`azure.postgres.geo_redundant_backup`)");
        }
    }
    if !on.zone_redundant {
        off.push("the Container Apps environment's zone redundancy (`azure.zone_redundant`)");
    }
    if off.is_empty() {
        return;
    }
    hits.push(Hit {
        rule: rules::AZURE_CREATION_ONLY,
        pointer: "/azure/stage".into(),
        message: format!(
            "stage `{}` leaves off {}; geo-redundant backup and zone redundancy can only be chosen when the resource is \
             created: changing them later means a new resource and a data move",
            azure::stage(d),
            off.join(", ")
        ),
    });
}

/// Container Apps connect to PostgreSQL with the server's administrator login.
fn postgres_admin(d: &Descriptor, plan: &Plan, hits: &mut Vec<Hit>) {
    let Some(pg) = &d.postgres else { return };
    if d.platform != crate::model::Platform::AzureContainerApps {
        return;
    }
    let password = crate::resolve::postgres_password_secret(pg);
    let users: Vec<&str> = plan
        .services
        .iter()
        .filter(|s| s.env.iter().any(|e| e.value.secrets().contains(&password.as_str())))
        .map(|s| s.name.as_str())
        .collect();
    if users.is_empty() {
        return;
    }
    hits.push(Hit {
        rule: rules::POSTGRES_ADMIN_CONNECTION,
        pointer: "/postgres/user".into(),
        message: format!(
            "{} {} to PostgreSQL as `{}`, the server's administrator login (azure_pg_admin); give the apps an \
             application role (the explanation has the recipe)",
            users.join(", "),
            if users.len() == 1 { "connects" } else { "connect" },
            pg.user
        ),
    });
}

/// A job queue on an Azure Cache for Redis tier without persistence.
fn queue_persistence(d: &Descriptor, hits: &mut Vec<Hit>) {
    if d.cache.kind != CacheKind::Redis
        || d.cache.provider_on(d.platform) != Some(crate::model::CacheProvider::AzureCache)
    {
        return;
    }
    if !crate::resolve::queue_on_redis(d) {
        return;
    }
    let sku = d.cache.sku.as_deref().unwrap_or("Basic");
    if sku == "Premium" {
        return;
    }
    let queue = crate::resolve::queue_kind(&d.broker)
        .map(|q| q.name())
        .unwrap_or("the job queue");
    hits.push(Hit {
        rule: rules::REDIS_QUEUE_NOT_PERSISTED,
        pointer: if d.cache.sku.is_some() { "/cache/sku" } else { "/cache/provider" }.into(),
        message: format!(
            "{queue} keeps its jobs in Azure Cache for Redis {sku}, which never writes them to disk (persistence is Premium only): \
             jobs do not survive a node loss; use Azure Managed Redis (`provider: azure-managed`, AOF persistence) or Premium"
        ),
    });
}

/// A job queue on a Redis told to evict keys under memory pressure.
fn queue_eviction(d: &Descriptor, hits: &mut Vec<Hit>) {
    let Some(policy) = d.cache.maxmemory_policy.as_deref() else {
        return;
    };
    if !crate::resolve::queue_on_redis(d) || policy == crate::resolve::NO_EVICTION {
        return;
    }
    let Some(queue) = crate::resolve::queue_kind(&d.broker).filter(|q| !q.tolerates_eviction()) else {
        return;
    };
    let queue = queue.name();
    hits.push(Hit {
        rule: rules::REDIS_QUEUE_EVICTION,
        pointer: "/cache/maxmemory_policy".into(),
        message: format!(
            "{queue} keeps its jobs in this Redis, but `maxmemory_policy: {policy}` evicts keys when memory is full: \
             jobs, their locks or their results vanish without an error; use `noeviction` (the default when a queue rides the Redis)"
        ),
    });
}

/// A Redis URL broken down far enough to check it.
struct RedisUrl {
    tls: bool,
    password: bool,
    port: Option<u16>,
}

fn parse_redis_url(url: &str) -> Option<RedisUrl> {
    let (tls, rest) = if let Some(rest) = url.strip_prefix("rediss://") {
        (true, rest)
    } else {
        (false, url.strip_prefix("redis://")?)
    };
    let authority = rest.split(['/', '?']).next().unwrap_or_default();
    let (userinfo, hostport) = match authority.rsplit_once('@') {
        Some((user, host)) => (Some(user), host),
        None => (None, authority),
    };
    let password = userinfo.is_some_and(|u| u.split_once(':').is_some_and(|(_, p)| !p.is_empty()));
    let port = hostport.rsplit_once(':').and_then(|(_, p)| p.parse().ok());
    Some(RedisUrl { tls, password, port })
}

/// The seed-003 class: URLs that cannot work against the environment's Redis.
/// Checked on the values the Plan will deliver, so a hand-written URL and a
/// deploygen bug are caught alike.
fn redis_urls(d: &Descriptor, plan: &Plan, hits: &mut Vec<Hit>) {
    if d.cache.kind != CacheKind::Redis {
        return;
    }
    let Some(facts) = crate::resolve::cache_backend(d).map(|b| b.facts()) else {
        return;
    };
    let auth = facts.requires_password(&d.cache);
    let mut seen = Vec::new();
    let mut queries_seen = Vec::new();
    for service in &plan.services {
        for var in &service.env {
            let url: String = var
                .value
                .parts()
                .iter()
                .map(|p| match p {
                    Part::Text { text } => text.as_str(),
                    Part::Secret { .. } => "SECRET",
                    Part::Resource { .. } => "host",
                })
                .collect();
            let Some(parsed) = parse_redis_url(&url) else { continue };
            if let Some(hit) = url_query(d, &url, &var.name, &var.origin) {
                if !queries_seen.contains(&hit.message) {
                    queries_seen.push(hit.message.clone());
                    hits.push(hit);
                }
            }
            if seen.contains(&var.origin) {
                continue;
            }
            seen.push(var.origin.clone());
            let name = &var.name;
            if auth && !parsed.password {
                hits.push(Hit {
                    rule: rules::REDIS_URL_WITHOUT_PASSWORD,
                    pointer: var.origin.clone(),
                    message: format!(
                        "`{name}` has no password, but this Redis requires one: the app will fail to authenticate"
                    ),
                });
            }
            if facts.tls_only && !parsed.tls {
                hits.push(Hit {
                    rule: rules::REDIS_URL_WITHOUT_TLS,
                    pointer: var.origin.clone(),
                    message: format!("`{name}` uses `redis://`, but Azure's Redis only accepts TLS (`rediss://`)"),
                });
            }
            if let Some(expected) = facts.port.filter(|_| facts.tls_only && parsed.port == Some(6379)) {
                hits.push(Hit {
                    rule: rules::REDIS_URL_WRONG_PORT,
                    pointer: var.origin.clone(),
                    message: format!("`{name}` uses port 6379; this Redis listens on {expected} (TLS)"),
                });
            }
        }
    }
}

/// Query parameters redis-py's `from_url` (and so kombu and Celery) passes to
/// the connection as keyword arguments it does not take; each with the
/// reason. `rediss://` already means TLS.
const REJECTED_QUERY: &[(&str, &str)] = &[
    (
        "ssl",
        "redis-py's `from_url` fails with `unexpected keyword argument 'ssl'`",
    ),
    (
        "tls",
        "redis-py's `from_url` fails with `unexpected keyword argument 'tls'`",
    ),
    (
        "abortConnect",
        "a StackExchange.Redis (.NET) option; redis-py's `from_url` fails with `unexpected keyword argument`",
    ),
];

/// Query parameters the common Python clients reject, and TLS broker URLs
/// without the `ssl_cert_reqs` Celery insists on.
fn url_query(d: &Descriptor, url: &str, name: &str, origin: &str) -> Option<Hit> {
    let query = url.split_once('?').map(|(_, q)| q).unwrap_or_default();
    let keys: Vec<&str> = query
        .split('&')
        .filter(|p| !p.is_empty())
        .map(|p| p.split('=').next().unwrap_or_default())
        .collect();
    let pointer = if d.cache.url_query.is_some() && !origin.contains("/env/") {
        "/cache/url_query".to_string()
    } else {
        origin.to_string()
    };
    if let Some((key, why)) = REJECTED_QUERY.iter().find(|(k, _)| keys.contains(k)) {
        return Some(Hit {
            rule: rules::REDIS_URL_QUERY,
            pointer,
            message: format!("`{name}` has `?{key}=` in its query: {why}; `rediss://` already means TLS"),
        });
    }
    let broker = origin.starts_with("/broker/expose/");
    if broker && url.starts_with("rediss://") && !keys.contains(&"ssl_cert_reqs") {
        return Some(Hit {
            rule: rules::REDIS_URL_QUERY,
            pointer,
            message: format!(
                "`{name}` is a `rediss://` URL without `ssl_cert_reqs`: Celery refuses it (`A rediss:// URL must have parameter ssl_cert_reqs`)"
            ),
        });
    }
    None
}

/// The 0.0.0.0 rule opens the server to every Azure customer's resources:
/// found wherever a generated file writes it (Container Apps without private
/// endpoints; App Service admits its own outbound addresses instead).
fn postgres_firewall(plan: &Plan, hits: &mut Vec<Hit>) {
    use crate::plan::FileModel;
    let writes_rule = plan.files.iter().any(|f| match &f.model {
        FileModel::ContainerApps(m) => m.postgres.as_ref().is_some_and(|p| p.allow_azure_services),
        FileModel::AppService(m) => m.postgres.as_ref().is_some_and(|p| p.allow_azure_services),
        FileModel::Compose(_)
        | FileModel::DotEnv(_)
        | FileModel::Render(_)
        | FileModel::RedisConf(_)
        | FileModel::RedisDockerfile(_)
        | FileModel::Alloy(_)
        | FileModel::GrafanaDatasources(_)
        | FileModel::Loki(_) => false,
    });
    if writes_rule {
        hits.push(Hit {
            rule: rules::POSTGRES_AZURE_SERVICES_FIREWALL,
            pointer: "/azure/private_endpoints".into(),
            message: "PostgreSQL gets the 0.0.0.0 firewall rule (\"allow Azure services\"), which admits every Azure customer's resources, not only yours".into(),
        });
    }
}

fn public_access(d: &Descriptor, hits: &mut Vec<Hit>) {
    let azure_redis = crate::resolve::cache_backend(d).is_some_and(|b| b.facts().public_network_switch);
    if azure_redis && d.cache.kind == CacheKind::Redis && d.cache.public_network_access == Some(true) {
        hits.push(Hit {
            rule: rules::REDIS_PUBLIC_NETWORK_ACCESS,
            pointer: "/cache/public_network_access".into(),
            message: "Redis is reachable from the internet".into(),
        });
    }
    let private = d.azure.as_ref().and_then(|a| a.private_endpoints).unwrap_or(true);
    match crate::target::of(d).private_endpoints() {
        PrivateEndpoints::Optional if !private => hits.push(Hit {
            rule: rules::KEY_VAULT_PUBLIC_NETWORK_ACCESS,
            pointer: "/azure/private_endpoints".into(),
            message: "without private endpoints, Key Vault must accept public connections".into(),
        }),
        PrivateEndpoints::Optional | PrivateEndpoints::NotAzure => {}
    }
}

const SECRET_WORDS: &[&str] = &[
    "PASSWORD",
    "PASSWD",
    "SECRET",
    "TOKEN",
    "API_KEY",
    "ACCESS_KEY",
    "PRIVATE_KEY",
];

/// Name endings that mean a credential: `RAILS_MASTER_KEY`, `FERNET_KEY`,
/// `SMTP_PASS`, `DB_PWD`, `GOOGLE_CREDENTIALS`, `SENTRY_DSN`.
const SECRET_ENDINGS: &[&str] = &["_KEY", "_PASS", "_PWD", "_CREDENTIALS", "_DSN"];

/// Named like a key but public by design (a Stripe publishable key, a
/// public key): never a secret by its name alone.
const PUBLIC_WORDS: &[&str] = &["PUBLIC", "PUBLISHABLE"];

fn secret_name(name: &str) -> bool {
    let upper = name.to_ascii_uppercase();
    SECRET_WORDS.iter().any(|w| upper.contains(w))
        || (SECRET_ENDINGS.iter().any(|e| upper.ends_with(e)) && !PUBLIC_WORDS.iter().any(|w| upper.contains(w)))
}

/// A URL with a password in it: `scheme://user:password@host`.
fn credentials_in_url(value: &str) -> bool {
    value.match_indices("://").any(|(at, _)| {
        let rest = &value[at + 3..];
        let authority = rest.split(['/', '?', ' ', '\'', '"']).next().unwrap_or_default();
        authority
            .rsplit_once('@')
            .is_some_and(|(user, _)| user.split_once(':').is_some_and(|(_, p)| !p.is_empty()))
    })
}

fn looks_secret(name: &str, value: &str) -> bool {
    let named = secret_name(name) && !value.is_empty();
    named || credentials_in_url(value) || secret_shapes::token_shape(value).is_some()
}

/// What in a command line gives a credential away: a token's shape, a URL
/// with a password, or `NAME=value` for a secret-named NAME (a reference
/// such as `$DB_PASSWORD` is fine).
fn secret_in_command(line: &str) -> Option<String> {
    if let Some(shape) = secret_shapes::token_shape(line) {
        return Some(shape.to_string());
    }
    if credentials_in_url(line) {
        return Some("a URL with a password".into());
    }
    line.split_whitespace()
        .filter_map(|word| {
            word.trim_start_matches(['\'', '"'])
                .trim_start_matches("--")
                .split_once('=')
        })
        .find(|(name, value)| {
            let value = value.trim_matches(['"', '\'']);
            secret_name(&name.replace('-', "_")) && !value.is_empty() && !value.starts_with('$')
        })
        .map(|(name, _)| format!("a value for `{name}`"))
}

fn secret_literals(d: &Descriptor, hits: &mut Vec<Hit>) {
    for (base, env) in d.env_maps() {
        for (name, value) in env {
            // Numbers and booleans too: `SMTP_PASSWORD: 90210443117` is a secret
            // written in plain text just the same.
            let DescriptorValue::Plain(scalar) = value else {
                continue;
            };
            if looks_secret(name, &scalar.to_env_string()) {
                hits.push(Hit {
                    rule: rules::SECRET_LITERAL,
                    pointer: format!("{base}/{}", escape_pointer(name)),
                    message: format!("`{name}` holds what looks like a secret as a plain value; declare it under `secrets` and use `{{secret: ID}}`"),
                });
            }
        }
    }
    // Commands are written into generated files as they are.
    let mut commands: Vec<(String, String)> = Vec::new();
    for (name, s) in &d.services {
        let base = format!("/services/{}", escape_pointer(name));
        let fields = [
            ("command", s.command.as_ref().map(|c| c.shell_line())),
            ("pre_deploy", s.pre_deploy.as_ref().map(|c| c.shell_line())),
            ("build_command", s.build_command.clone()),
        ];
        for (field, line) in fields {
            if let Some(line) = line {
                commands.push((format!("{base}/{field}"), line));
            }
        }
    }
    for (name, s) in &d.infrastructure {
        if let Some(c) = &s.command {
            commands.push((
                format!("/infrastructure/{}/command", escape_pointer(name)),
                c.shell_line(),
            ));
        }
    }
    for (pointer, line) in commands {
        if let Some(what) = secret_in_command(&line) {
            hits.push(Hit {
                rule: rules::SECRET_LITERAL,
                pointer,
                message: format!("the command holds {what} in plain text; pass it as an env var from `secrets` (`{{secret: ID}}`) and refer to it as `$NAME`"),
            });
        }
    }
}

fn unused_secrets(d: &Descriptor, plan: &Plan, hits: &mut Vec<Hit>) {
    let registry_logins: Vec<&String> = d
        .azure
        .iter()
        .flat_map(|a| a.registries.values())
        .filter_map(|r| r.password_secret.as_ref())
        .collect();
    for id in d.secrets.keys() {
        let used = registry_logins.contains(&id)
            || plan
                .services
                .iter()
                .any(|s| s.env.iter().any(|e| e.value.secrets().contains(&id.as_str())));
        if !used {
            hits.push(Hit {
                rule: rules::UNUSED_SECRET,
                pointer: format!("/secrets/{}", escape_pointer(id)),
                message: format!("secret `{id}` is declared but no service uses it"),
            });
        }
    }
}

fn dangerous_commands(d: &Descriptor, hits: &mut Vec<Hit>) {
    if !crate::resolve::cache_backend(d).is_some_and(|b| b.facts().writes_redis_conf) {
        return;
    }
    let disabled = crate::target::project::render::redis_conf(d).disabled_commands;
    let enabled: Vec<&str> = ["FLUSHDB", "FLUSHALL"]
        .into_iter()
        .filter(|c| !disabled.iter().any(|d| d == c))
        .collect();
    if !enabled.is_empty() {
        hits.push(Hit {
            rule: rules::REDIS_DANGEROUS_COMMANDS,
            pointer: "/cache/disabled_commands".into(),
            message: format!("{} stay enabled on the self-hosted Redis", enabled.join(" and ")),
        });
    }
}

/// Databases and infrastructure containers opened beyond the host or Render's private network.
fn published(d: &Descriptor, hits: &mut Vec<Hit>) {
    let allow = d.render.as_ref().and_then(|r| r.database_ip_allow_list.as_ref());
    if crate::target::reads(d, Field::Render) && d.postgres.is_some() && allow.is_some_and(|list| !list.is_empty()) {
        hits.push(Hit {
            rule: rules::RENDER_POSTGRES_PUBLIC,
            pointer: "/render/database_ip_allow_list".into(),
            message: "PostgreSQL is reachable from outside Render".into(),
        });
    }
    for (name, infra) in &d.infrastructure {
        let base = format!("/infrastructure/{}", escape_pointer(name));
        let open = crate::plan::wiring::infra_ports(infra)
            .iter()
            .any(|p| crate::plan::wiring::publish_address(infra, p) != Some("127.0.0.1"));
        if open {
            let pointer = if infra.public_ports == Some(true) {
                format!("{base}/public_ports")
            } else {
                format!("{base}/ports")
            };
            hits.push(Hit {
                rule: rules::INFRASTRUCTURE_PUBLISHED,
                pointer,
                message: format!("`{name}` is published beyond 127.0.0.1: anyone who reaches the host reaches it"),
            });
        }
    }
}

fn retirement(d: &Descriptor, hits: &mut Vec<Hit>) {
    if crate::resolve::cache_backend(d).is_some_and(|b| b.facts().retiring) {
        hits.push(Hit {
            rule: rules::AZURE_CACHE_RETIREMENT,
            pointer: "/cache/provider".into(),
            message: "Azure Cache for Redis retires on 2028-09-30; plan the move to Azure Managed Redis (`provider: azure-managed`)".into(),
        });
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn redis_urls_are_taken_apart() {
        let u = parse_redis_url("rediss://default@red.redis.cache.windows.net:6380/0?ssl_cert_reqs=required").unwrap();
        assert!(u.tls && !u.password && u.port == Some(6380));
        let u = parse_redis_url("rediss://:SECRET@host:6380/0").unwrap();
        assert!(u.password);
        let u = parse_redis_url("redis://host:6379").unwrap();
        assert!(!u.tls && !u.password && u.port == Some(6379));
        assert!(parse_redis_url("postgres://x").is_none());
    }

    #[test]
    fn secret_looking_values() {
        assert!(looks_secret("DB_PASSWORD", "hunter2"));
        assert!(looks_secret("CACHE", "redis://:hunter2@host:6379/0"));
        assert!(!looks_secret("CACHE_KEY_PREFIX", "revisbali"));
        assert!(!looks_secret("REDIS_URL", "redis://host:6379/0"));
        for name in [
            "RAILS_MASTER_KEY",
            "FERNET_KEY",
            "SMTP_PASS",
            "DB_PWD",
            "GOOGLE_CREDENTIALS",
            "SENTRY_DSN",
        ] {
            assert!(looks_secret(name, "x"), "{name}");
        }
        assert!(!looks_secret("STRIPE_PUBLISHABLE_KEY", "pk_live_x"));
        assert!(looks_secret(
            "GREETING",
            concat!("ghp_", "aBcDeFgHiJkLmNoPqRsTuVwXyZ0123456789")
        ));
    }

    #[test]
    fn credentials_in_commands() {
        assert!(secret_in_command("celery -A app worker --broker redis://:hunter2@cache:6379/0").is_some());
        assert!(secret_in_command("DB_PASSWORD=hunter2 ./migrate").is_some());
        assert!(secret_in_command("./deploy --api-key=abc123").is_some());
        assert!(secret_in_command(concat!(
            "curl -H 'Authorization: token ghp_",
            "aBcDeFgHiJkLmNoPqRsTuVwXyZ0123456789'"
        ))
        .is_some());
        assert!(secret_in_command("DB_PASSWORD=$DB_PASSWORD ./migrate").is_none());
        assert!(secret_in_command("gunicorn app.wsgi --bind 0.0.0.0:8000").is_none());
        assert!(secret_in_command("bundle exec rails db:migrate").is_none());
    }
}
