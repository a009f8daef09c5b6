//! memcached in a container (compose only: no platform here hosts it).

use super::{Address, Auth, CacheBackend, CacheFacts};
use crate::model::{CacheKind, Descriptor};

pub struct Memcached;

static FACTS: CacheFacts = CacheFacts {
    kind: CacheKind::Memcached,
    provider: None,
    address: Some(Address::Container),
    tls_only: false,
    auth: Auth::WhenPasswordSet,
    self_hosted: true,
    port: Some(crate::resolve::MEMCACHED_PORT),
    // memcached always evicts least recently used items when full.
    default_eviction: Some("lru"),
    platforms: &[],
    public_network_switch: false,
    writes_redis_conf: false,
    retiring: false,
    env: &[("location", "MEMCACHED_LOCATION")],
};

impl CacheBackend for Memcached {
    fn facts(&self) -> &'static CacheFacts {
        &FACTS
    }

    fn describe(&self, _: &Descriptor) -> String {
        "memcached (a container)".into()
    }

    fn place(&self, d: &Descriptor) -> Option<String> {
        Some(format!("the memcached container `{}`", super::container_service(d)))
    }
}
