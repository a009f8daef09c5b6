//! The resolve stage: every default the descriptor leaves out and every name
//! derived from it, in one place. The Plan, the semantic checks, the lints and
//! the notes all read these instead of writing their own `unwrap_or`s, so a
//! default changes here or nowhere. Backends (which provider runs the cache,
//! which queue kind reads the broker) come from the [`crate::backing`] registry.

pub mod framework;

use crate::backing::{self, queue::QueueKind, CacheBackend};
use crate::model::*;

pub const POSTGRES_PORT: u16 = 5432;
pub const REDIS_PORT: u16 = 6379;
pub const MEMCACHED_PORT: u16 = 11211;
/// Azure Cache for Redis and Azure Managed Redis listen on TLS only.
pub const AZURE_CACHE_TLS_PORT: u16 = 6380;
pub const AZURE_MANAGED_REDIS_PORT: u16 = 10000;
pub const POSTGRES_VERSION: &str = "16";
pub const POSTGRES_SERVICE: &str = "db";
pub const POSTGRES_PASSWORD_SECRET: &str = "postgres-password";

/// The compose service (and host name) of the database.
pub fn postgres_service(pg: &Postgres) -> String {
    pg.service.clone().unwrap_or_else(|| POSTGRES_SERVICE.into())
}

/// The secret holding the database password.
pub fn postgres_password_secret(pg: &Postgres) -> String {
    pg.password_secret
        .clone()
        .unwrap_or_else(|| POSTGRES_PASSWORD_SECRET.into())
}

/// The PostgreSQL major version every target deploys.
pub fn postgres_version(pg: &Postgres) -> String {
    pg.version.clone().unwrap_or_else(|| POSTGRES_VERSION.into())
}

/// The framework a service runs: its own `framework`, else the environment's, else `none`.
pub fn service_framework(d: &Descriptor, service: &Service) -> Framework {
    service.framework.or(d.framework).unwrap_or_default()
}

/// The environment's application framework: `framework`, else the one its web
/// service declares, else `none`.
pub fn framework(d: &Descriptor) -> Framework {
    d.framework
        .or_else(|| {
            d.services
                .values()
                .find(|s| s.role() == Role::Web)
                .and_then(|s| s.framework)
        })
        .unwrap_or_default()
}

/// Who runs the cache when `cache.provider` is unset.
pub fn default_cache_provider(platform: Platform) -> CacheProvider {
    crate::target::target(platform).default_cache()
}

/// Who runs the cache, with the platform's default filled in; `None` when the
/// cache is no server (none, or the database cache).
pub fn cache_provider(cache: &Cache, platform: Platform) -> Option<CacheProvider> {
    if !matches!(cache.kind, CacheKind::Redis | CacheKind::Memcached) {
        return None;
    }
    Some(cache.provider.unwrap_or_else(|| default_cache_provider(platform)))
}

/// The registered backend of the environment's cache.
pub fn cache_backend(d: &Descriptor) -> Option<&'static dyn CacheBackend> {
    backing::cache_backend(d.cache.kind, cache_provider(&d.cache, d.platform))
}

/// The one server (or table) that holds the cache's data: when it differs
/// between two descriptors, nothing in the old one reaches the new one.
pub fn cache_place(d: &Descriptor) -> Option<String> {
    cache_backend(d)?.place(d)
}

/// Where the broker's jobs wait, with the queue kind's default filled in.
pub fn transport(broker: &Broker) -> Option<Transport> {
    let kind = queue_kind(broker)?;
    broker.transport.or_else(|| kind.default_transport())
}

/// A job queue keeps its jobs in the environment's Redis cache.
pub fn queue_on_redis(d: &Descriptor) -> bool {
    d.cache.kind == CacheKind::Redis && transport(&d.broker) == Some(Transport::Redis)
}

/// The `maxmemory-policy` deploygen writes where it sets one: the
/// descriptor's, else `noeviction` when a job queue rides this Redis or the
/// cache is write-back (an evicting policy silently drops jobs or unflushed
/// entries), else `default` (`None`: the server's own).
pub fn maxmemory_policy(d: &Descriptor, default: Option<&str>) -> Option<String> {
    d.cache.maxmemory_policy.clone().or_else(|| {
        if queue_on_redis(d) || backing::write_back::spec(d).is_some() {
            Some(NO_EVICTION.into())
        } else {
            default.map(String::from)
        }
    })
}

pub const NO_EVICTION: &str = "noeviction";

/// The registered kind of the environment's job queue.
pub fn queue_kind(broker: &Broker) -> Option<&'static dyn QueueKind> {
    backing::queue::queue_kind(broker.kind)
}

/// The compose service that runs the cache, when the cache is a container.
pub fn cache_service_name(d: &Descriptor) -> Option<String> {
    let cache = &d.cache;
    if cache_provider(cache, d.platform) != Some(CacheProvider::Container) {
        return None;
    }
    match cache.kind {
        CacheKind::Redis => Some(cache.service.clone().unwrap_or_else(|| "redis".into())),
        CacheKind::Memcached => Some(cache.service.clone().unwrap_or_else(|| "memcached".into())),
        CacheKind::None | CacheKind::Database => None,
    }
}

/// The cache's port when the descriptor sets none.
pub fn cache_port(cache: &Cache) -> u16 {
    cache.port.unwrap_or(match cache.kind {
        CacheKind::Memcached => MEMCACHED_PORT,
        CacheKind::Redis | CacheKind::None | CacheKind::Database => REDIS_PORT,
    })
}

/// The cache's env var names, with the defaults for its kind filled in.
pub fn cache_expose(cache: &Cache) -> CacheExpose {
    match &cache.expose {
        Some(expose) => expose.clone(),
        None => backing::default_expose(cache.kind),
    }
}

/// The prefix the app puts before its cache keys.
pub fn key_prefix(d: &Descriptor) -> String {
    d.naming.key_prefix.clone().unwrap_or_else(|| d.name.clone())
}

/// The base of Azure resource names.
pub fn resource_base(d: &Descriptor) -> String {
    d.azure
        .as_ref()
        .and_then(|a| a.resource_name.clone())
        .unwrap_or_else(|| d.name.clone())
}

/// Azure resource names before the unique suffix (`kv-shop`); the target
/// cuts them to each resource's length limit.
pub fn key_vault_base(d: &Descriptor) -> String {
    format!("kv-{}", resource_base(d))
}

pub fn web_app_base(d: &Descriptor) -> String {
    format!("app-{}", resource_base(d))
}

pub fn postgres_server_base(d: &Descriptor) -> String {
    format!("psql-{}", resource_base(d))
}

/// `amr-…` for Azure Managed Redis, `red-…` for Azure Cache for Redis.
pub fn azure_redis_base(d: &Descriptor, managed: bool) -> String {
    format!("{}-{}", if managed { "amr" } else { "red" }, resource_base(d))
}

/// The PostgreSQL database Render creates.
pub fn render_database_name(d: &Descriptor) -> String {
    format!("{}-db", d.name)
}

/// The name of the Redis private service (or Key Value instance) on Render.
pub fn render_redis_name(d: &Descriptor) -> String {
    d.cache.service.clone().unwrap_or_else(|| format!("{}-redis", d.name))
}

/// The Redis private service's internal hostname as written into `REDIS_URL`:
/// `render.redis_host`, else the service name (seed 004). Render's internal
/// hostname is the service's slug, which can carry a suffix the name lacks.
pub fn render_redis_host(d: &Descriptor) -> String {
    d.render
        .as_ref()
        .and_then(|r| r.redis_host.clone())
        .unwrap_or_else(|| render_redis_name(d))
}

/// Services that take jobs off the queue (a scheduled worker is a cron job).
pub fn workers(d: &Descriptor) -> Vec<String> {
    d.services
        .iter()
        .filter(|(_, s)| s.role() == Role::Worker && role_counts(d.platform, s) && s.schedule.is_none())
        .map(|(n, _)| n.clone())
        .collect()
}

/// Whether a service's role counts when the queue goes (drained, stopped,
/// removed with it): a declared `role`, or one inferred from no port (see
/// [`Service::role`]) except on compose. There a service without a port is
/// often reached over the compose network (an internal API behind a proxy),
/// and before workers were inferred it was no worker: taking it for one
/// would stop the app with the queue.
pub fn role_counts(platform: Platform, s: &Service) -> bool {
    s.role.is_some() || platform != Platform::Compose
}

#[cfg(test)]
mod tests {
    use super::*;

    fn descriptor(platform: &str, cache: serde_json::Value, broker: serde_json::Value) -> Descriptor {
        serde_json::from_value(serde_json::json!({
            "name": "shop", "platform": platform, "cache": cache, "broker": broker,
            "postgres": {"database": "app", "user": "app"},
        }))
        .unwrap()
    }

    #[test]
    fn defaults_come_from_the_platform_and_the_queue_kind() {
        let d = descriptor(
            "render",
            serde_json::json!({"kind": "redis"}),
            serde_json::json!({"kind": "pgqueuer"}),
        );
        assert_eq!(
            cache_provider(&d.cache, d.platform),
            Some(CacheProvider::RenderPrivateService)
        );
        assert_eq!(transport(&d.broker), Some(Transport::Database));
        assert_eq!(render_redis_name(&d), "shop-redis");
        assert_eq!(cache_service_name(&d), None);
        let pg = d.postgres.as_ref().unwrap();
        assert_eq!((postgres_service(pg), postgres_version(pg)), ("db".into(), "16".into()));
        let d = descriptor(
            "compose",
            serde_json::json!({"kind": "memcached"}),
            serde_json::json!({"kind": "celery"}),
        );
        assert_eq!(cache_service_name(&d).as_deref(), Some("memcached"));
        assert_eq!(transport(&d.broker), Some(Transport::Redis));
        assert_eq!(cache_expose(&d.cache).location.as_deref(), Some("MEMCACHED_LOCATION"));
        assert_eq!(cache_port(&d.cache), MEMCACHED_PORT);
        let d: Descriptor = serde_json::from_value(serde_json::json!({
            "name": "shop", "platform": "azure-container-apps", "azure": {"location": "x", "resource_name": "acme"},
            "cache": {"kind": "redis", "provider": "azure-managed"},
        }))
        .unwrap();
        assert_eq!(
            (key_vault_base(&d), azure_redis_base(&d, true)),
            ("kv-acme".into(), "amr-acme".into())
        );
        assert_eq!(cache_backend(&d).unwrap().facts().port, Some(AZURE_MANAGED_REDIS_PORT));
        let d = descriptor(
            "compose",
            serde_json::json!({"kind": "database"}),
            serde_json::json!({"kind": "none"}),
        );
        assert_eq!(
            (cache_provider(&d.cache, d.platform), transport(&d.broker)),
            (None, None)
        );
    }
}
