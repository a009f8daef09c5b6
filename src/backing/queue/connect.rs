//! How a worker reaches its queue's Redis, read from the env the Plan gives
//! that worker (issue 19, item 21): the commands the notes run in a worker
//! name only variables it really has, whole URL or host, port and password.

use crate::model::Descriptor;
use crate::plan::EnvVar;

/// Where the worker's Redis address comes from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Conn {
    /// One variable with the whole URL; `db`: the queue's database when the
    /// URL names another one (the cache's URL while the queue has its own).
    Url { var: String, db: Option<u8> },
    /// Host, port and password in separate variables (`port` a literal when
    /// the worker has no port variable), TLS as the server demands.
    Parts {
        host: String,
        port: Port,
        password: Option<String>,
        tls: bool,
        db: u8,
    },
    /// The worker has no variable that says where Redis is.
    Missing,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Port {
    Var(String),
    Literal(u16),
}

/// The queue's database number (0-15).
fn queue_db(d: &Descriptor) -> u8 {
    d.broker.database.or(d.cache.database).unwrap_or(0)
}

/// How the first long-running worker reaches Redis, from its env in the Plan.
pub fn of(d: &Descriptor) -> Conn {
    let Some(worker) = crate::resolve::workers(d).into_iter().next() else {
        return Conn::Missing;
    };
    from_env(d, &service_env(d, &worker))
}

/// The env a service gets in the Plan (empty when it has none).
pub fn service_env(d: &Descriptor, service: &str) -> Vec<EnvVar> {
    crate::plan::wiring::services(d)
        .into_iter()
        .find(|s| s.name == service)
        .map(|s| s.env)
        .unwrap_or_default()
}

/// How `service` reaches the cache itself (its database, not the queue's).
pub fn cache_of(d: &Descriptor, service: &str) -> Conn {
    let env = service_env(d, service);
    cache_from_env(d, &env, d.cache.database.unwrap_or(0))
}

/// The connection a service with `env` has: the broker's URL first, then the
/// cache's URL, then the cache's host with its port and password.
pub fn from_env(d: &Descriptor, env: &[EnvVar]) -> Conn {
    let var = |origin: &str| env.iter().find(|e| e.origin == origin).map(|e| e.name.clone());
    if let Some(var) = var("/broker/expose/url") {
        return Conn::Url { var, db: None };
    }
    cache_from_env(d, env, queue_db(d))
}

/// The cache's URL, else its host, port and password, reaching database `db`.
fn cache_from_env(d: &Descriptor, env: &[EnvVar], db: u8) -> Conn {
    let var = |origin: &str| env.iter().find(|e| e.origin == origin).map(|e| e.name.clone());
    if let Some(var) = var("/cache/expose/url") {
        let url_db = d.cache.database.unwrap_or(0);
        return Conn::Url {
            var,
            db: (url_db != db).then_some(db),
        };
    }
    if let Some(host) = var("/cache/expose/host") {
        let facts = crate::resolve::cache_backend(d).map(|b| b.facts());
        let port = match var("/cache/expose/port") {
            Some(v) => Port::Var(v),
            None => Port::Literal(
                d.cache
                    .port
                    .or(facts.and_then(|f| f.port))
                    .unwrap_or_else(|| crate::resolve::cache_port(&d.cache)),
            ),
        };
        return Conn::Parts {
            host,
            port,
            password: var("/cache/expose/password"),
            tls: facts.is_some_and(|f| f.tls_only),
            db,
        };
    }
    Conn::Missing
}

impl Conn {
    /// A redis-py client (`redis.Redis`) built from the worker's env.
    pub fn python(&self) -> Option<String> {
        Some(match self {
            Conn::Url { var, db: None } => format!("redis.from_url(os.environ['{var}'])"),
            Conn::Url { var, db: Some(db) } => format!("redis.from_url(os.environ['{var}'], db={db})"),
            Conn::Parts {
                host,
                port,
                password,
                tls,
                db,
            } => {
                let port = match port {
                    Port::Var(v) => format!("int(os.environ['{v}'])"),
                    Port::Literal(p) => p.to_string(),
                };
                let password = match password {
                    Some(v) => format!(", password=os.environ['{v}']"),
                    None => String::new(),
                };
                let tls = if *tls { ", ssl=True" } else { "" };
                format!("redis.Redis(host=os.environ['{host}'], port={port}{password}, db={db}{tls})")
            }
            Conn::Missing => return None,
        })
    }

    /// An ioredis client built from the worker's env (BullMQ's connection).
    pub fn node(&self) -> Option<String> {
        // BullMQ requires `maxRetriesPerRequest: null` on a worker's connection.
        Some(match self {
            Conn::Url { var, db: None } => {
                format!("new IORedis(process.env.{var}, {{ maxRetriesPerRequest: null }})")
            }
            Conn::Url { var, db: Some(db) } => {
                format!("new IORedis(process.env.{var}, {{ db: {db}, maxRetriesPerRequest: null }})")
            }
            Conn::Parts {
                host,
                port,
                password,
                tls,
                db,
            } => {
                let port = match port {
                    Port::Var(v) => format!("Number(process.env.{v})"),
                    Port::Literal(p) => p.to_string(),
                };
                let password = match password {
                    Some(v) => format!(", password: process.env.{v}"),
                    None => String::new(),
                };
                let tls = if *tls { ", tls: {}" } else { "" };
                format!(
                    "new IORedis({{ host: process.env.{host}, port: {port}{password}, db: {db}{tls}, \
                     maxRetriesPerRequest: null }})"
                )
            }
            Conn::Missing => return None,
        })
    }

    /// A redis-rb client built from the worker's env, where it is one URL.
    pub fn ruby(&self) -> Option<String> {
        match self {
            Conn::Url { var, db: None } => Some(format!("Redis.new(url: ENV.fetch(\"{var}\"))")),
            Conn::Url { var, db: Some(db) } => Some(format!("Redis.new(url: ENV.fetch(\"{var}\"), db: {db})")),
            _ => None,
        }
    }

    /// The variables a command built from this connection reads.
    pub fn vars(&self) -> Vec<&str> {
        match self {
            Conn::Url { var, .. } => vec![var.as_str()],
            Conn::Parts {
                host, port, password, ..
            } => {
                let mut v = vec![host.as_str()];
                if let Port::Var(p) = port {
                    v.push(p.as_str());
                }
                v.extend(password.as_deref());
                v
            }
            Conn::Missing => vec![],
        }
    }
}
