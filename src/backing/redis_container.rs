//! Redis in a container beside the app (compose, and every local variant).

use super::{Address, Auth, CacheBackend, CacheFacts, REDIS_ENV};
use crate::model::{CacheKind, CacheProvider, Descriptor, Platform};

pub struct RedisContainer;

static FACTS: CacheFacts = CacheFacts {
    kind: CacheKind::Redis,
    provider: Some(CacheProvider::Container),
    address: Some(Address::Container),
    tls_only: false,
    auth: Auth::WhenPasswordSet,
    self_hosted: true,
    port: Some(crate::resolve::REDIS_PORT),
    // redis-server's own default when no `--maxmemory-policy` is given.
    default_eviction: Some("noeviction"),
    platforms: &[Platform::Compose],
    public_network_switch: false,
    writes_redis_conf: false,
    retiring: false,
    env: REDIS_ENV,
};

impl CacheBackend for RedisContainer {
    fn facts(&self) -> &'static CacheFacts {
        &FACTS
    }

    fn describe(&self, _: &Descriptor) -> String {
        "Redis (a container)".into()
    }

    fn place(&self, d: &Descriptor) -> Option<String> {
        Some(format!("the Redis container `{}`", super::container_service(d)))
    }
}
