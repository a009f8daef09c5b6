//! Which services exist and what each one's environment holds: connection
//! URLs, hosts and ports for PostgreSQL, the cache and the broker, as seen from
//! inside a container or from a process run on the host.

use super::{EnvValue, EnvVar, Mount, Part, Probe, ProbeCheck, SecretPlan, ServiceKind, ServicePlan};
use crate::backing::Address;
use crate::model::*;
use crate::target::PostgresHost;

/// Where the process reading the environment runs.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum View {
    /// In a container beside the backing services: hosts are container names.
    Container,
    /// On the developer's machine: backing services are published on localhost.
    Host,
}

pub use crate::resolve::{
    cache_expose, postgres_password_secret, postgres_service, render_redis_host, render_redis_name,
    AZURE_CACHE_TLS_PORT, AZURE_MANAGED_REDIS_PORT, MEMCACHED_PORT, POSTGRES_PORT, REDIS_PORT,
};
use crate::resolve::{cache_port, cache_service_name};
const DEFAULT_REDIS_IMAGE: &str = "redis:7.4-alpine";
const DEFAULT_MEMCACHED_IMAGE: &str = "memcached:1.6-alpine";
/// Placeholder written into `.env` examples where a secret's value goes.
pub const SECRET_PLACEHOLDER: &str = "change-me";

/// `<prefix><name>` unless set explicitly or the name already carries the prefix.
pub fn container_name(d: &Descriptor, service: &str, explicit: &Option<String>) -> Option<String> {
    if let Some(name) = explicit {
        return Some(name.clone());
    }
    let prefix = &d.naming.container_prefix;
    match prefix.as_str() {
        "" => None,
        _ if service.starts_with(prefix.as_str()) => Some(service.to_string()),
        _ => Some(format!("{prefix}{service}")),
    }
}

/// How to reach a backing service from where the reading process runs.
struct Endpoint {
    /// Literal text (`bs-redis`, `localhost`) or a resource attribute known at deploy time.
    host: Part,
    port: u16,
    tls: bool,
    /// The secret holding the password, when the service requires one.
    password: Option<String>,
    query: Option<String>,
}

/// The access key Azure generates for its Redis; read at deployment, never written.
pub const REDIS_ACCESS_KEY_SECRET: &str = "redis-access-key";
/// Resource attributes a Plan refers to; each target maps them to its own expression.
pub const REDIS_HOST_ATTRIBUTE: &str = "redis-host";
pub const POSTGRES_HOST_ATTRIBUTE: &str = "postgres-host";
const DEFAULT_TLS_QUERY: &str = "ssl_cert_reqs=required";

fn local_endpoint(d: &Descriptor, service: String, explicit: &Option<String>, port: u16, view: View) -> Endpoint {
    let host = match view {
        View::Host => "localhost".to_string(),
        View::Container => container_name(d, &service, explicit).unwrap_or(service),
    };
    Endpoint {
        host: text(host),
        port,
        tls: false,
        password: None,
        query: None,
    }
}

/// The name other containers reach a service by.
fn service_host(d: &Descriptor, service: &str, explicit: &Option<String>) -> String {
    container_name(d, service, explicit).unwrap_or_else(|| service.to_string())
}

fn postgres_endpoint(d: &Descriptor, view: View) -> Option<Endpoint> {
    let pg = d.postgres.as_ref()?;
    if crate::target::of(d).on_azure() {
        return Some(Endpoint {
            host: Part::Resource {
                attribute: POSTGRES_HOST_ATTRIBUTE.into(),
            },
            port: POSTGRES_PORT,
            tls: true,
            password: None,
            query: None,
        });
    }
    Some(local_endpoint(
        d,
        postgres_service(pg),
        &pg.container_name,
        POSTGRES_PORT,
        view,
    ))
}

fn cache_endpoint(d: &Descriptor, view: View) -> Option<Endpoint> {
    let cache = &d.cache;
    let facts = crate::resolve::cache_backend(d)?.facts();
    match facts.address? {
        Address::DeployedResource => Some(Endpoint {
            host: Part::Resource {
                attribute: REDIS_HOST_ATTRIBUTE.into(),
            },
            port: facts.port?,
            tls: facts.tls_only,
            password: Some(REDIS_ACCESS_KEY_SECRET.into()),
            query: Some(cache.url_query.clone().unwrap_or_else(|| DEFAULT_TLS_QUERY.into())),
        }),
        Address::Container => {
            let service = cache_service_name(d)?;
            let mut at = local_endpoint(d, service, &cache.container_name, cache_port(cache), view);
            at.password = cache.password_secret.clone();
            Some(at)
        }
        // The host is Render's own (`fromService` `host`: the slug, right even
        // where it differs from the name), unless `render.redis_host` names it;
        // the password is the one Render generates on the private service.
        Address::RenderPrivateService => Some(Endpoint {
            host: match d.render.as_ref().and_then(|r| r.redis_host.as_ref()) {
                Some(host) => text(host.clone()),
                None => Part::Resource {
                    attribute: REDIS_HOST_ATTRIBUTE.into(),
                },
            },
            port: cache_port(cache),
            tls: false,
            password: Some(render_redis_password_secret(d)),
            query: None,
        }),
        Address::ProviderFacts | Address::UrlSecret => None,
    }
}

/// The secret `requirepass` of a Redis private service on Render: the
/// descriptor's `cache.password_secret`, else one Render generates on the
/// private service (a workspace's services all reach its private network).
pub const RENDER_REDIS_PASSWORD_SECRET: &str = "redis-password";

pub fn render_redis_password_secret(d: &Descriptor) -> String {
    d.cache
        .password_secret
        .clone()
        .unwrap_or_else(|| RENDER_REDIS_PASSWORD_SECRET.into())
}

/// Render attributes (`fromDatabase` / `fromService` properties).
pub const RENDER_DATABASE_PREFIX: &str = "postgres-";
pub const REDIS_CONNECTION_STRING_ATTRIBUTE: &str = "redis-connection-string";

fn resource(attribute: &str) -> EnvValue {
    EnvValue::Template {
        parts: vec![Part::Resource {
            attribute: attribute.to_string(),
        }],
    }
}

/// How each connection fact of the cache reaches the app, for one database number.
struct CacheFacts {
    url: Option<EnvValue>,
    location: Option<EnvValue>,
    host: Option<EnvValue>,
    port: Option<EnvValue>,
    password: Option<EnvValue>,
}

fn cache_facts(d: &Descriptor, view: View, db: Option<u8>) -> Option<CacheFacts> {
    let cache = &d.cache;
    match crate::resolve::cache_backend(d)?.facts().address? {
        Address::ProviderFacts => Some(CacheFacts {
            url: Some(resource(REDIS_CONNECTION_STRING_ATTRIBUTE)),
            location: Some(resource("redis-hostport")),
            host: Some(resource("redis-host")),
            port: Some(resource("redis-port")),
            password: None,
        }),
        // Everything but the URL comes from Render itself, so it is always right.
        Address::RenderPrivateService if crate::target::of(d).hands_out_cache_address() => Some(CacheFacts {
            url: cache_endpoint(d, view)
                .filter(|_| cache.kind == CacheKind::Redis)
                .map(|at| redis_url(&at, db)),
            location: Some(resource("redis-hostport")),
            host: Some(resource("redis-host")),
            port: Some(resource("redis-port")),
            password: None,
        }),
        Address::UrlSecret => Some(CacheFacts {
            url: cache
                .url_secret
                .as_ref()
                .map(|secret| EnvValue::Secret { secret: secret.clone() }),
            location: None,
            host: None,
            port: None,
            password: None,
        }),
        _ => {
            let at = cache_endpoint(d, view)?;
            Some(CacheFacts {
                url: (cache.kind == CacheKind::Redis).then(|| redis_url(&at, db)),
                location: Some(EnvValue::from_parts(join([
                    at.host.clone(),
                    text(format!(":{}", at.port)),
                ]))),
                host: Some(host_value(&at)),
                port: Some(EnvValue::plain(at.port.to_string())),
                password: at
                    .password
                    .as_ref()
                    .map(|secret| EnvValue::Secret { secret: secret.clone() }),
            })
        }
    }
}

/// Concatenate parts, merging neighbouring text.
fn join(parts: impl IntoIterator<Item = Part>) -> Vec<Part> {
    let mut out: Vec<Part> = Vec::new();
    for part in parts {
        match (out.last_mut(), part) {
            (Some(Part::Text { text }), Part::Text { text: more }) => text.push_str(&more),
            (_, part) => out.push(part),
        }
    }
    out.retain(|p| !matches!(p, Part::Text { text } if text.is_empty()));
    out
}

fn text(s: impl Into<String>) -> Part {
    Part::Text { text: s.into() }
}

/// `redis[s]://[:password@]host:port/db[?query]`: the password is part of the
/// URL wherever the server requires one (seed 003 is the outage caused by leaving it out).
fn redis_url(at: &Endpoint, db: Option<u8>) -> EnvValue {
    let scheme = if at.tls { "rediss://" } else { "redis://" };
    let auth = match &at.password {
        Some(secret) => vec![text(":"), Part::Secret { secret: secret.clone() }, text("@")],
        None => vec![],
    };
    let query = at.query.as_ref().map(|q| format!("?{q}")).unwrap_or_default();
    EnvValue::from_parts(join(std::iter::once(text(scheme)).chain(auth).chain([
        at.host.clone(),
        text(format!(
            ":{}{}{query}",
            at.port,
            db.map(|db| format!("/{db}")).unwrap_or_default()
        )),
    ])))
}

fn host_value(at: &Endpoint) -> EnvValue {
    EnvValue::from_parts(vec![at.host.clone()])
}

fn var(name: &Option<String>, value: EnvValue, origin: &str) -> Option<EnvVar> {
    name.as_ref().map(|name| EnvVar {
        name: name.clone(),
        value,
        origin: origin.to_string(),
    })
}

/// Connection env vars from each backing service, in the given view.
#[derive(Debug, Default)]
pub struct BackingEnv {
    pub postgres: Vec<EnvVar>,
    pub cache: Vec<EnvVar>,
    pub broker: Vec<EnvVar>,
}

pub fn backing_env(d: &Descriptor, view: View) -> BackingEnv {
    let mut env = BackingEnv::default();
    if let Some(pg) = &d.postgres {
        let e = &pg.expose;
        let facts = postgres_facts(d, pg, view);
        env.postgres = [
            var(&e.url, facts.url, "/postgres/expose/url"),
            var(&e.host, facts.host, "/postgres/expose/host"),
            var(&e.port, facts.port, "/postgres/expose/port"),
            var(&e.database, facts.database, "/postgres/expose/database"),
            var(&e.user, facts.user, "/postgres/expose/user"),
            var(&e.password, facts.password, "/postgres/expose/password"),
        ]
        .into_iter()
        .flatten()
        .collect();
    }

    let cache = &d.cache;
    let expose = cache_expose(cache);
    let key_prefix = crate::resolve::key_prefix(d);
    let enabled = matches!(cache.kind, CacheKind::Redis | CacheKind::Memcached);
    let mut cache_vars = vec![var(
        &expose.enabled,
        EnvValue::plain(enabled.to_string()),
        "/cache/expose/enabled",
    )];
    if let Some(facts) = cache_facts(d, view, cache.database) {
        let mut add = |name: &Option<String>, value: Option<EnvValue>, origin: &str| {
            if let Some(value) = value {
                cache_vars.push(var(name, value, origin));
            }
        };
        add(&expose.url, facts.url, "/cache/expose/url");
        add(&expose.location, facts.location, "/cache/expose/location");
        add(&expose.host, facts.host, "/cache/expose/host");
        add(&expose.port, facts.port, "/cache/expose/port");
        add(&expose.password, facts.password, "/cache/expose/password");
    }
    cache_vars.push(var(
        &expose.key_prefix,
        EnvValue::plain(key_prefix),
        "/cache/expose/key_prefix",
    ));
    if let Some(ttl) = cache.ttl_seconds {
        cache_vars.push(var(&expose.ttl, EnvValue::plain(ttl.to_string()), "/cache/expose/ttl"));
    }
    env.cache = cache_vars.into_iter().flatten().collect();

    let broker = &d.broker;
    let e = &broker.expose;
    match broker.transport() {
        Some(Transport::Redis) => {
            let db = broker.database.or(cache.database);
            if let Some(url) = cache_facts(d, view, db).and_then(|f| f.url) {
                env.broker.extend(var(&e.url, url.clone(), "/broker/expose/url"));
                env.broker
                    .extend(var(&e.result_backend, url, "/broker/expose/result_backend"));
            }
        }
        Some(Transport::Database) => {
            let schemes = crate::resolve::queue_kind(broker).and_then(|q| q.database_url_schemes());
            if let (Some(pg), Some((broker_scheme, backend_scheme))) = (&d.postgres, schemes) {
                let f = postgres_facts(d, pg, view);
                let url = |scheme: &str| {
                    let mut parts = vec![text(format!("{scheme}://"))];
                    parts.extend(f.user.parts());
                    parts.push(text(":"));
                    parts.extend(f.password.parts());
                    parts.push(text("@"));
                    parts.extend(f.host.parts());
                    parts.push(text(":"));
                    parts.extend(f.port.parts());
                    parts.push(text("/"));
                    parts.extend(f.database.parts());
                    EnvValue::from_parts(join(parts))
                };
                env.broker.extend(var(&e.url, url(broker_scheme), "/broker/expose/url"));
                env.broker.extend(var(
                    &e.result_backend,
                    url(backend_scheme),
                    "/broker/expose/result_backend",
                ));
            }
        }
        None => {}
    }
    if let Some(channel) = &broker.channel {
        env.broker
            .extend(var(&e.channel, EnvValue::plain(channel), "/broker/expose/channel"));
    }
    env
}

/// Each PostgreSQL connection fact, as the app in `view` receives it.
struct PostgresFacts {
    url: EnvValue,
    host: EnvValue,
    port: EnvValue,
    database: EnvValue,
    user: EnvValue,
    password: EnvValue,
}

/// The scheme of the connection URL: `postgresql` unless the app's driver
/// wants its own (`postgresql+asyncpg`).
pub fn postgres_url_scheme(pg: &Postgres) -> &str {
    pg.url_scheme.as_deref().unwrap_or("postgresql")
}

/// The query of the connection URL (without `?`) to a managed database
/// reached over TLS: the descriptor's, else one that verifies the server on
/// Container Apps (`sslmode=verify-full`; the apps get `PGSSLROOTCERT`, see
/// [`POSTGRES_ROOT_CERT`]) and `sslmode=require` elsewhere. A local container
/// speaks no TLS, so its URL has none (a `ssl=require` would fail).
pub fn postgres_url_query(d: &Descriptor, pg: &Postgres, tls: bool) -> String {
    match &pg.url_query {
        _ if !tls => String::new(),
        Some(query) => query.clone(),
        None if verifies_postgres_server(d) => "sslmode=verify-full".into(),
        None => "sslmode=require".into(),
    }
}

/// Container Apps: clients verify the PostgreSQL server's certificate and
/// host name (the review's I3; App Service keeps `require` until its own pass).
pub fn verifies_postgres_server(d: &Descriptor) -> bool {
    d.platform == crate::model::Platform::AzureContainerApps
}

/// Where `verify-full` finds the roots: libpq (psycopg, Ruby pg, PHP), asyncpg
/// and pgx read `PGSSLROOTCERT` (libpq otherwise looks for
/// `~/.postgresql/root.crt` and refuses to connect without it). This is the CA
/// bundle of Debian, Ubuntu, Alpine and distroless images, which carries the
/// roots Azure Database for PostgreSQL chains to (DigiCert Global Root G2,
/// Microsoft RSA Root Certificate Authority 2017).
pub const POSTGRES_ROOT_CERT: &str = "/etc/ssl/certs/ca-certificates.crt";

fn postgres_facts(d: &Descriptor, pg: &Postgres, view: View) -> PostgresFacts {
    if crate::target::of(d).postgres_host() == PostgresHost::RenderDatabase {
        // Render creates the database and hands out every fact itself.
        let fact = |name: &str| resource(&format!("{RENDER_DATABASE_PREFIX}{name}"));
        return PostgresFacts {
            url: fact("connectionString"),
            host: fact("host"),
            port: fact("port"),
            database: fact("database"),
            user: fact("user"),
            password: fact("password"),
        };
    }
    let at = postgres_endpoint(d, view).expect("postgres exists");
    let password = Part::Secret {
        secret: postgres_password_secret(pg),
    };
    let query = match postgres_url_query(d, pg, at.tls) {
        q if q.is_empty() => String::new(),
        q => format!("?{q}"),
    };
    PostgresFacts {
        url: EnvValue::from_parts(join([
            text(format!("{}://{}:", postgres_url_scheme(pg), pg.user)),
            password.clone(),
            text("@"),
            at.host.clone(),
            text(format!(":{}/{}{query}", at.port, pg.database)),
        ])),
        host: host_value(&at),
        port: EnvValue::plain(at.port.to_string()),
        database: EnvValue::plain(&pg.database),
        user: EnvValue::plain(&pg.user),
        password: EnvValue::from_parts(vec![password]),
    }
}

/// A command as a container runs it, with no shell between: a command line
/// that reads a variable (`$REDIS_URL`) runs through `sh -c`, or the
/// variable would reach the program as literal text.
pub fn through_shell(command: &Command) -> Command {
    match command {
        Command::Shell(line) if line.contains('$') => Command::Args(sh_c(line)),
        command => command.clone(),
    }
}

/// `sh -c <line>`, a single command `exec`'d: dash (Debian's `/bin/sh`)
/// forks it and stays PID 1, which ignores the SIGTERM of a stop, so the
/// program (a worker mid-job) is killed at the end of the grace period.
pub fn sh_c(line: &str) -> Vec<String> {
    let first = line.split_whitespace().next().unwrap_or_default();
    let single = !line.contains(|c| ";&|()<>`\n".contains(c)) && !matches!(first, "exec" | "!") && !first.contains('=');
    let line = if single {
        format!("exec {line}")
    } else {
        line.to_string()
    };
    vec!["sh".into(), "-c".into(), line]
}

fn plain_env(map: &indexmap::IndexMap<String, crate::model::EnvValue>, base: &str) -> Vec<EnvVar> {
    map.iter()
        .map(|(name, value)| EnvVar {
            name: name.clone(),
            value: match value {
                crate::model::EnvValue::Secret { secret } => EnvValue::Secret { secret: secret.clone() },
                crate::model::EnvValue::Plain(s) => EnvValue::plain(s.to_env_string()),
            },
            origin: format!("{base}/{}", crate::load::node::escape_pointer(name)),
        })
        .collect()
}

/// The full environment of an application service: the backing services it
/// uses, then the descriptor-wide `env`, then its own `env`.
pub fn app_env(d: &Descriptor, name: &str, service: &Service, backing: &BackingEnv) -> Vec<EnvVar> {
    let mut env = Vec::new();
    if service.uses(Backing::Postgres) {
        env.extend(backing.postgres.iter().cloned());
    }
    if service.uses(Backing::Cache) {
        env.extend(backing.cache.iter().cloned());
    }
    if service.uses(Backing::Broker) {
        env.extend(backing.broker.iter().cloned());
    }
    env.extend(plain_env(&d.env, "/env"));
    env.extend(plain_env(
        &service.env,
        &format!("/services/{}/env", crate::load::node::escape_pointer(name)),
    ));
    env
}

fn probe(check: ProbeCheck, h: Option<&Healthcheck>) -> Probe {
    Probe {
        check,
        interval_seconds: h.and_then(|h| h.interval_seconds).unwrap_or(10),
        timeout_seconds: h.and_then(|h| h.timeout_seconds).unwrap_or(5),
        retries: h.and_then(|h| h.retries).unwrap_or(5),
        start_period_seconds: h.and_then(|h| h.start_period_seconds).unwrap_or(10),
    }
}

fn declared_probe(h: &Option<Healthcheck>, port: Option<u16>) -> Option<Probe> {
    let h = h.as_ref()?;
    let check = match (&h.http, &h.command, port) {
        (Some(path), _, Some(port)) => ProbeCheck::Http {
            path: path.clone(),
            port,
        },
        (_, Some(command), _) => ProbeCheck::Shell {
            command: command.clone(),
        },
        _ => match &h.exec {
            Some(args) => ProbeCheck::Exec { args: args.clone() },
            None => return None,
        },
    };
    Some(probe(check, Some(h)))
}

/// The container port of the first published mapping.
fn first_port(ports: &[String]) -> Option<u16> {
    ports
        .first()
        .and_then(|p| p.rsplit(':').next())
        .and_then(|p| p.parse().ok())
}

fn data_volume(service: &str, path: &str) -> Mount {
    Mount {
        volume: format!("{service}-data"),
        path: path.to_string(),
    }
}

fn postgres_plan(d: &Descriptor, pg: &Postgres) -> ServicePlan {
    let name = postgres_service(pg);
    let version = crate::resolve::postgres_version(pg);
    ServicePlan {
        container_name: container_name(d, &name, &pg.container_name),
        host: service_host(d, &name, &pg.container_name),
        port: Some(POSTGRES_PORT),
        kind: ServiceKind::Database,
        role: None,
        image: Some(format!("postgres:{version}-alpine")),
        build: None,
        command: None,
        ports: vec![],
        env: vec![
            EnvVar {
                name: "POSTGRES_DB".into(),
                value: EnvValue::plain(&pg.database),
                origin: "/postgres/database".into(),
            },
            EnvVar {
                name: "POSTGRES_USER".into(),
                value: EnvValue::plain(&pg.user),
                origin: "/postgres/user".into(),
            },
            EnvVar {
                name: "POSTGRES_PASSWORD".into(),
                value: EnvValue::Secret {
                    secret: postgres_password_secret(pg),
                },
                origin: "/postgres/password_secret".into(),
            },
        ],
        depends_on: vec![],
        volumes: vec![data_volume(&name, "/var/lib/postgresql/data")],
        binds: vec![],
        schedule: None,
        pre_deploy: None,
        stop_grace_seconds: None,
        healthcheck: Some(probe(
            ProbeCheck::Exec {
                args: vec![
                    "pg_isready".into(),
                    "-U".into(),
                    pg.user.clone(),
                    "-d".into(),
                    pg.database.clone(),
                ],
            },
            None,
        )),
        name,
    }
}

fn cache_plan(d: &Descriptor) -> Option<ServicePlan> {
    let cache = &d.cache;
    let name = cache_service_name(d)?;
    let port = cache_port(cache);
    let mut env = Vec::new();
    let (image, command, volumes, check) = match cache.kind {
        CacheKind::Redis => {
            let mut args: Vec<String> = vec![
                "redis-server".into(),
                "--port".into(),
                port.to_string(),
                "--appendonly".into(),
                "yes".into(),
            ];
            if let Some(m) = &cache.maxmemory {
                args.extend(["--maxmemory".into(), m.clone()]);
            }
            if let Some(p) = &crate::resolve::maxmemory_policy(d, None) {
                args.extend(["--maxmemory-policy".into(), p.clone()]);
            }
            let command = match &cache.password_secret {
                // The password reaches redis-server through the environment, so
                // it is in neither the compose file nor the process list.
                Some(secret) => {
                    env.push(EnvVar {
                        name: "REDIS_PASSWORD".into(),
                        value: EnvValue::Secret { secret: secret.clone() },
                        origin: "/cache/password_secret".into(),
                    });
                    env.push(EnvVar {
                        name: "REDISCLI_AUTH".into(),
                        value: EnvValue::Secret { secret: secret.clone() },
                        origin: "/cache/password_secret".into(),
                    });
                    Command::Args(vec![
                        "sh".into(),
                        "-c".into(),
                        format!("exec {} --requirepass \"$REDIS_PASSWORD\"", args.join(" ")),
                    ])
                }
                None => Command::Args(args),
            };
            let check = ProbeCheck::Exec {
                args: vec!["redis-cli".into(), "-p".into(), port.to_string(), "ping".into()],
            };
            (
                DEFAULT_REDIS_IMAGE,
                Some(command),
                vec![data_volume(&name, "/data")],
                check,
            )
        }
        _ => {
            let command = Command::Args(vec![
                "memcached".into(),
                "-p".into(),
                port.to_string(),
                "-m".into(),
                "64".into(),
            ]);
            let check = ProbeCheck::Shell {
                command: format!("echo stats | nc -w 2 127.0.0.1 {port} | grep -q uptime"),
            };
            (DEFAULT_MEMCACHED_IMAGE, Some(command), vec![], check)
        }
    };
    Some(ServicePlan {
        container_name: container_name(d, &name, &cache.container_name),
        host: service_host(d, &name, &cache.container_name),
        port: Some(port),
        kind: ServiceKind::Cache,
        role: None,
        // Built from the cloud's own Dockerfile (and its redis.conf) when there is one.
        image: match &cache.local_build {
            Some(_) => None,
            None => Some(cache.image.clone().unwrap_or_else(|| image.to_string())),
        },
        command: if cache.local_build.is_some() { None } else { command },
        build: cache.local_build.clone(),
        ports: vec![],
        env,
        depends_on: vec![],
        volumes,
        binds: vec![],
        schedule: None,
        pre_deploy: None,
        stop_grace_seconds: None,
        healthcheck: Some(probe(check, None)),
        name,
    })
}

pub const GRAFANA_PASSWORD_SECRET: &str = "grafana-admin-password";
const GRAFANA_PASSWORD_ENV: &str = "GF_SECURITY_ADMIN_PASSWORD";
/// The Alloy config deploygen writes next to the compose files.
pub const ALLOY_CONFIG: &str = "alloy/config.alloy";
/// Loki's config (the image's own, plus retention), next to the compose files.
pub const LOKI_CONFIG: &str = "loki/config.yaml";
/// Where the grafana/loki image reads its config (`-config.file`, its Dockerfile's CMD).
pub const LOKI_CONFIG_IN_IMAGE: &str = "/etc/loki/local-config.yaml";
/// Grafana's provisioned data sources (Loki), next to the compose files.
pub const GRAFANA_DATASOURCES: &str = "grafana/datasources.yaml";

/// deploygen writes a Loki's config unless the descriptor runs its own
/// (a `command` or `image` of its choosing may read another file or version).
pub fn writes_loki_config(infra: &InfrastructureService) -> bool {
    infra.kind == InfrastructureKind::Loki && infra.command.is_none() && infra.image.is_none()
}

pub fn has_loki(d: &Descriptor) -> bool {
    d.infrastructure.values().any(|i| i.kind == InfrastructureKind::Loki)
}

/// Defaults for the well-known infrastructure services.
struct InfraDefaults {
    image: &'static str,
    command: Option<Vec<&'static str>>,
    ports: Vec<&'static str>,
    data_path: Option<&'static str>,
    health: Option<&'static str>,
}

fn infra_defaults(kind: InfrastructureKind) -> InfraDefaults {
    match kind {
        InfrastructureKind::Loki => InfraDefaults {
            image: "grafana/loki:3.3.2",
            command: Some(vec!["-config.file=/etc/loki/local-config.yaml"]),
            ports: vec!["3100:3100"],
            data_path: Some("/loki"),
            // 127.0.0.1, not localhost: busybox wget tries ::1 only and fails.
            health: Some("wget --no-verbose --tries=1 --spider http://127.0.0.1:3100/ready || exit 1"),
        },
        InfrastructureKind::Grafana => InfraDefaults {
            image: "grafana/grafana:11.4.0",
            command: None,
            ports: vec!["3000:3000"],
            data_path: Some("/var/lib/grafana"),
            health: Some("wget --no-verbose --tries=1 --spider http://127.0.0.1:3000/api/health || exit 1"),
        },
        InfrastructureKind::Alloy => InfraDefaults {
            image: "grafana/alloy:v1.5.1",
            command: Some(vec![
                "run",
                "--server.http.listen-addr=0.0.0.0:12345",
                "--storage.path=/var/lib/alloy/data",
                "/etc/alloy/config.alloy",
            ]),
            ports: vec!["12345:12345"],
            data_path: Some("/var/lib/alloy/data"),
            health: None,
        },
        InfrastructureKind::Custom => InfraDefaults {
            image: "",
            command: None,
            ports: vec![],
            data_path: None,
            health: None,
        },
    }
}

/// Published ports of an infrastructure service: its own, or its kind's defaults.
pub fn infra_ports(infra: &InfrastructureService) -> Vec<String> {
    infra
        .ports
        .clone()
        .unwrap_or_else(|| infra_defaults(infra.kind).ports.into_iter().map(String::from).collect())
}

/// The host address a port mapping is published on: the one it names, else
/// `127.0.0.1` (Loki and Alloy have no authentication of their own) unless the
/// descriptor opens the service with `public_ports`; `None` is every interface.
pub fn publish_address<'a>(infra: &InfrastructureService, mapping: &'a str) -> Option<&'a str> {
    match mapping.split(':').collect::<Vec<_>>().as_slice() {
        [address, _, _] => Some(address).filter(|a| **a != "0.0.0.0").copied(),
        _ if infra.public_ports == Some(true) => None,
        _ => Some("127.0.0.1"),
    }
}

/// A port mapping as published: with the bind address `publish_address` chose.
fn published_mapping(infra: &InfrastructureService, mapping: &str) -> String {
    let parts: Vec<&str> = mapping.split(':').collect();
    match (publish_address(infra, mapping), parts.as_slice()) {
        (_, [_, _, _]) | (None, _) => mapping.to_string(),
        (Some(address), [host, container]) => format!("{address}:{host}:{container}"),
        (Some(address), _) => format!("{address}:{mapping}:{mapping}"),
    }
}

fn infra_plan(d: &Descriptor, name: &str, infra: &InfrastructureService) -> ServicePlan {
    let defaults = infra_defaults(infra.kind);
    let ports: Vec<String> = infra_ports(infra).iter().map(|p| published_mapping(infra, p)).collect();
    let volumes = match &infra.volumes {
        Some(v) => v
            .iter()
            .map(|(volume, path)| Mount {
                volume: volume.clone(),
                path: path.clone(),
            })
            .collect(),
        None => defaults.data_path.map(|p| data_volume(name, p)).into_iter().collect(),
    };
    let mut env = plain_env(
        &infra.env,
        &format!("/infrastructure/{}/env", crate::load::node::escape_pointer(name)),
    );
    // Grafana's default login is admin/admin: the password is a secret the operator must set.
    if infra.kind == InfrastructureKind::Grafana && !infra.env.contains_key(GRAFANA_PASSWORD_ENV) {
        env.push(EnvVar {
            name: GRAFANA_PASSWORD_ENV.into(),
            value: EnvValue::Secret {
                secret: GRAFANA_PASSWORD_SECRET.into(),
            },
            origin: format!("/infrastructure/{}/kind", crate::load::node::escape_pointer(name)),
        });
    }
    // Alloy reads its generated config, and container logs through the Docker
    // socket; Grafana gets Loki as its data source. Both files exist only with a Loki.
    let binds = match infra.kind {
        _ if !has_loki(d) => vec![],
        InfrastructureKind::Alloy => vec![
            format!("./{ALLOY_CONFIG}:/etc/alloy/config.alloy:ro"),
            "/var/run/docker.sock:/var/run/docker.sock:ro".to_string(),
        ],
        InfrastructureKind::Grafana => vec![format!(
            "./{GRAFANA_DATASOURCES}:/etc/grafana/provisioning/datasources/deploygen.yaml:ro"
        )],
        // The image's stock config keeps logs forever (no compactor retention).
        InfrastructureKind::Loki if writes_loki_config(infra) => {
            vec![format!("./{LOKI_CONFIG}:{LOKI_CONFIG_IN_IMAGE}:ro")]
        }
        _ => vec![],
    };
    let healthcheck = match &infra.healthcheck {
        Some(_) => declared_probe(&infra.healthcheck, first_port(&ports)),
        None => defaults
            .health
            .map(|c| probe(ProbeCheck::Shell { command: c.into() }, None)),
    };
    ServicePlan {
        name: name.to_string(),
        kind: ServiceKind::Infrastructure,
        role: None,
        image: Some(infra.image.clone().unwrap_or_else(|| defaults.image.to_string())),
        build: None,
        command: infra.command.clone().or_else(|| {
            defaults
                .command
                .map(|c| Command::Args(c.into_iter().map(String::from).collect()))
        }),
        container_name: container_name(d, name, &infra.container_name),
        host: service_host(d, name, &infra.container_name),
        port: first_port(&ports),
        ports,
        env,
        depends_on: infra.depends_on.clone(),
        volumes,
        binds,
        schedule: None,
        pre_deploy: None,
        stop_grace_seconds: None,
        healthcheck,
    }
}

fn app_plan(d: &Descriptor, name: &str, service: &Service, backing: &BackingEnv) -> ServicePlan {
    let mut depends_on = Vec::new();
    if service.uses(Backing::Postgres) {
        depends_on.extend(d.postgres.as_ref().map(postgres_service));
    }
    let cache_service = cache_service_name(d);
    if service.uses(Backing::Cache) {
        depends_on.extend(cache_service.clone());
    }
    if service.uses(Backing::Broker) {
        match d.broker.transport() {
            Some(Transport::Redis) => depends_on.extend(cache_service),
            Some(Transport::Database) => depends_on.extend(d.postgres.as_ref().map(postgres_service)),
            None => {}
        }
    }
    depends_on.extend(service.depends_on.iter().cloned());
    let mut seen = std::collections::HashSet::new();
    depends_on.retain(|s| seen.insert(s.clone()));
    ServicePlan {
        name: name.to_string(),
        kind: ServiceKind::Application,
        role: Some(service.role()),
        image: service.image.clone(),
        build: service.build.clone(),
        command: service.command.clone(),
        container_name: container_name(d, name, &service.container_name),
        host: service_host(d, name, &service.container_name),
        port: first_port(&service.ports),
        ports: service.ports.clone(),
        env: app_env(d, name, service, backing),
        depends_on,
        volumes: vec![],
        binds: vec![],
        schedule: service.schedule.clone(),
        healthcheck: declared_probe(&service.healthcheck, first_port(&service.ports)),
        pre_deploy: service.pre_deploy.clone(),
        stop_grace_seconds: service.stop_grace_seconds,
    }
}

/// Every service of the environment: database, cache, application, infrastructure.
pub fn services(d: &Descriptor) -> Vec<ServicePlan> {
    let backing = backing_env(d, View::Container);
    let mut out = Vec::new();
    // Elsewhere the database is a managed resource, not a service of ours.
    if crate::target::of(d).postgres_host() == PostgresHost::Container {
        out.extend(d.postgres.as_ref().map(|pg| postgres_plan(d, pg)));
    }
    out.extend(cache_plan(d));
    out.extend(d.services.iter().map(|(name, s)| app_plan(d, name, s, &backing)));
    out.extend(d.infrastructure.iter().map(|(name, s)| infra_plan(d, name, s)));
    out
}

/// Declared secrets plus the ones backing services bring (database and Redis passwords).
pub fn secrets(d: &Descriptor, services: &[ServicePlan]) -> Vec<SecretPlan> {
    let mut list: Vec<(String, String)> = Vec::new();
    if let Some(url) = &d.cache.url_secret {
        list.push((
            url.clone(),
            "Redis URL from the hosted provider, with its password".into(),
        ));
    }
    // Render creates the database and its password itself.
    let supplied = crate::target::of(d).postgres_host() != PostgresHost::RenderDatabase;
    if let Some(pg) = d.postgres.as_ref().filter(|_| supplied) {
        list.push((
            postgres_password_secret(pg),
            format!("PostgreSQL password of user `{}`", pg.user),
        ));
    }
    if let Some(id) = &d.cache.password_secret {
        list.push((id.clone(), "Redis password (`requirepass`)".into()));
    } else if d.cache.kind == CacheKind::Redis
        && d.cache.provider_on(d.platform) == Some(CacheProvider::RenderPrivateService)
    {
        list.push((
            RENDER_REDIS_PASSWORD_SECRET.into(),
            "Redis password (`requirepass`), generated by Render on the private service".into(),
        ));
    }
    let grafana = services.iter().any(|s| {
        s.env
            .iter()
            .any(|e| e.value.secrets().contains(&GRAFANA_PASSWORD_SECRET))
    });
    if grafana {
        list.push((
            GRAFANA_PASSWORD_SECRET.into(),
            "Grafana `admin` password, applied when Grafana first creates its database".into(),
        ));
    }
    for (id, decl) in &d.secrets {
        match list.iter_mut().find(|(known, _)| known == id) {
            Some((_, description)) => {
                if let Some(text) = &decl.description {
                    *description = text.clone();
                }
            }
            None => list.push((id.clone(), decl.description.clone().unwrap_or_default())),
        }
    }
    list.into_iter()
        .map(|(id, description)| SecretPlan {
            env_name: secret_env_name(&id),
            used_by: services
                .iter()
                .filter(|s| s.env.iter().any(|e| e.value.secrets().contains(&id.as_str())))
                .map(|s| s.name.clone())
                .collect(),
            stored_in: super::SecretStore::DotEnv,
            derived: false,
            description,
            id,
        })
        .collect()
}
