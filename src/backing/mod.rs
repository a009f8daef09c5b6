//! Backing services as a registry: each cache backend and each job queue
//! kind is one file that declares its facts (TLS, auth, who runs it, default
//! port, eviction, env var names) and its words for the migration notes.
//! Lints, notes and `diff --without` ask here instead of matching providers.
//! Adding a backend is one file plus one line in [`CACHES`].

mod azure_cache;
mod azure_managed_redis;
mod database_cache;
mod external_redis;
mod memcached;
pub mod queue;
mod redis_container;
mod render_key_value;
mod render_private_service;
pub mod write_back;

use crate::model::{CacheExpose, CacheKind, CacheProvider, Descriptor, Platform};

/// Who asks for the password a client must send.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Auth {
    /// The server always requires one (a generated access key).
    Always,
    /// Only when the descriptor sets `cache.password_secret`.
    WhenPasswordSet,
    /// The server has no password (or the URL from the provider carries it).
    Never,
}

/// How the app finds a cache: what the Plan builds its connection env vars from.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Address {
    /// A container beside the app: its service name, or localhost from the host.
    Container,
    /// A server the deployment creates: host read from the resource at deploy
    /// time, password its generated access key.
    DeployedResource,
    /// A Render private service: the URL names its host literally, Render hands out the rest.
    RenderPrivateService,
    /// The provider hands out every fact itself (Render `fromService`).
    ProviderFacts,
    /// One URL, password included, kept whole in a secret.
    UrlSecret,
}

/// What one cache backend is, as the lints, notes and plan need to know it.
#[derive(Debug)]
pub struct CacheFacts {
    pub kind: CacheKind,
    /// The provider it is; `None` where the kind alone decides (memcached, the database cache).
    pub provider: Option<CacheProvider>,
    /// How the app reaches it; `None` when it is no server (the database cache).
    pub address: Option<Address>,
    /// The server accepts TLS connections only (`rediss://`).
    pub tls_only: bool,
    pub auth: Auth,
    /// deploygen writes how it runs (a container, a Render private service),
    /// as opposed to a managed service or someone else's server.
    pub self_hosted: bool,
    /// The port clients reach it on when the descriptor sets none; `None`
    /// where deploygen never builds an address (the provider hands out a URL).
    pub port: Option<u16>,
    /// What the server evicts under memory pressure when the descriptor sets
    /// no policy; `None` where deploygen does not know it.
    pub default_eviction: Option<&'static str>,
    /// The platforms that can use it as `cache.provider` (empty: chosen by kind, not provider).
    pub platforms: &'static [Platform],
    /// It has a switch (`cache.public_network_access`) that opens it to the internet.
    pub public_network_switch: bool,
    /// deploygen writes its redis.conf (persistence, log level, and the
    /// `disabled_commands` it renames away).
    pub writes_redis_conf: bool,
    /// Announced for retirement (Azure Cache for Redis): the lints say so.
    pub retiring: bool,
    /// Env var names it exposes by default (`cache.expose` unset): fact, name.
    pub env: &'static [(&'static str, &'static str)],
}

pub const REDIS_ENV: &[(&str, &str)] = &[("url", "REDIS_URL")];

pub trait CacheBackend: Sync {
    fn facts(&self) -> &'static CacheFacts;
    /// How the notes name it (`Azure Cache for Redis (Basic C0)`).
    fn describe(&self, d: &Descriptor) -> String;
    /// The one server (or table) that holds its data, named precisely enough
    /// that a change of place shows as a different string.
    fn place(&self, d: &Descriptor) -> Option<String>;
    /// Whether a second node holds a copy of the data, so one node's loss or
    /// patch keeps it; `None`: deploygen cannot tell (someone else's server).
    fn replicated(&self, _d: &Descriptor) -> Option<bool> {
        Some(false)
    }
}

impl CacheFacts {
    /// Whether a client URL must carry a password for this cache.
    pub fn requires_password(&self, cache: &crate::model::Cache) -> bool {
        self.auth == Auth::Always || cache.password_secret.is_some()
    }
}

/// The compose service a container backend runs as.
fn container_service(d: &Descriptor) -> String {
    crate::resolve::cache_service_name(d).unwrap_or_else(|| "cache".into())
}

/// The Azure Redis resource, by the name the deployment gives it.
fn azure_place(d: &Descriptor) -> Option<String> {
    let model = crate::target::project::azure::redis_model(d)?;
    let kind = if model.managed {
        "Azure Managed Redis"
    } else {
        "Azure Cache for Redis"
    };
    Some(format!("{kind} `{}`", model.resource_name.shown))
}

/// Every cache backend. One line per backend.
static CACHES: &[&dyn CacheBackend] = &[
    &redis_container::RedisContainer,
    &memcached::Memcached,
    &database_cache::DatabaseCache,
    &azure_cache::AzureCache,
    &azure_managed_redis::AzureManagedRedis,
    &render_private_service::RenderPrivateService,
    &render_key_value::RenderKeyValue,
    &external_redis::ExternalRedis,
];

/// The backend for a cache kind run by `provider` (`None`: any provider of that kind).
pub fn cache_backend(kind: CacheKind, provider: Option<CacheProvider>) -> Option<&'static dyn CacheBackend> {
    CACHES.iter().copied().find(|b| {
        let f = b.facts();
        f.kind == kind && (f.provider.is_none() || provider.is_none() || f.provider == provider)
    })
}

/// The providers a platform offers, in registry order.
pub fn providers_on(platform: Platform) -> Vec<CacheProvider> {
    CACHES
        .iter()
        .filter(|b| b.facts().platforms.contains(&platform))
        .filter_map(|b| b.facts().provider)
        .collect()
}

/// The env var names a cache kind exposes when `cache.expose` is unset.
pub fn default_expose(kind: CacheKind) -> CacheExpose {
    let mut expose = CacheExpose::default();
    for (fact, name) in cache_backend(kind, None).map(|b| b.facts().env).unwrap_or_default() {
        let slot = match *fact {
            "url" => &mut expose.url,
            "location" => &mut expose.location,
            "host" => &mut expose.host,
            "port" => &mut expose.port,
            "password" => &mut expose.password,
            _ => continue,
        };
        *slot = Some(name.to_string());
    }
    expose
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_kind_and_provider_has_exactly_one_backend() {
        let providers = [
            CacheProvider::Container,
            CacheProvider::AzureCache,
            CacheProvider::AzureManaged,
            CacheProvider::RenderPrivateService,
            CacheProvider::RenderKeyValue,
            CacheProvider::External,
        ];
        for p in providers {
            let b = cache_backend(CacheKind::Redis, Some(p)).expect("a Redis backend per provider");
            assert_eq!(b.facts().provider, Some(p));
        }
        for kind in [CacheKind::Memcached, CacheKind::Database] {
            assert_eq!(cache_backend(kind, None).unwrap().facts().kind, kind);
        }
        assert!(cache_backend(CacheKind::None, None).is_none());
        let keys: Vec<_> = CACHES.iter().map(|b| (b.facts().kind, b.facts().provider)).collect();
        for (i, k) in keys.iter().enumerate() {
            assert!(!keys[i + 1..].contains(k), "{k:?} registered twice");
        }
    }

    #[test]
    fn each_platform_offers_its_providers_and_defaults_to_one_of_them() {
        use Platform::*;
        assert_eq!(providers_on(Compose), [CacheProvider::Container]);
        assert_eq!(
            providers_on(Render),
            [
                CacheProvider::RenderPrivateService,
                CacheProvider::RenderKeyValue,
                CacheProvider::External
            ]
        );
        for p in [Compose, AzureContainerApps, AzureAppService, Render] {
            assert!(
                providers_on(p).contains(&crate::resolve::default_cache_provider(p)),
                "{p:?}"
            );
        }
    }

    #[test]
    fn tls_only_backends_always_ask_for_a_password() {
        for b in CACHES {
            let f = b.facts();
            if f.tls_only {
                assert_eq!(f.auth, Auth::Always, "{:?}", f.provider);
                assert!(!f.self_hosted && f.port.is_some());
            }
        }
    }

    /// Only a self-hosted Redis has a redis.conf of ours; only a managed
    /// service can be retired under the environment.
    #[test]
    fn redis_conf_and_retirement_belong_to_the_right_backends() {
        let conf: Vec<_> = CACHES
            .iter()
            .filter(|b| b.facts().writes_redis_conf)
            .map(|b| b.facts())
            .collect();
        assert_eq!(conf.len(), 1);
        assert!(conf[0].self_hosted && conf[0].kind == CacheKind::Redis);
        let retiring: Vec<_> = CACHES
            .iter()
            .filter(|b| b.facts().retiring)
            .map(|b| b.facts().provider)
            .collect();
        assert_eq!(retiring, [Some(CacheProvider::AzureCache)]);
    }
}
