//! Azure Cache for Redis (`Microsoft.Cache/redis`): TLS on 6380, access keys.

use super::{Address, Auth, CacheBackend, CacheFacts, REDIS_ENV};
use crate::model::{CacheKind, CacheProvider, Descriptor, Platform};

pub struct AzureCache;

static FACTS: CacheFacts = CacheFacts {
    kind: CacheKind::Redis,
    provider: Some(CacheProvider::AzureCache),
    address: Some(Address::DeployedResource),
    tls_only: true,
    auth: Auth::Always,
    self_hosted: false,
    port: Some(crate::resolve::AZURE_CACHE_TLS_PORT),
    // Microsoft Learn, "Memory management" for Azure Cache for Redis.
    default_eviction: Some("volatile-lru"),
    platforms: &[Platform::AzureContainerApps, Platform::AzureAppService],
    public_network_switch: true,
    writes_redis_conf: false,
    retiring: true,
    env: REDIS_ENV,
};

impl CacheBackend for AzureCache {
    fn facts(&self) -> &'static CacheFacts {
        &FACTS
    }

    fn describe(&self, d: &Descriptor) -> String {
        format!(
            "Azure Cache for Redis ({} C{})",
            d.cache.sku.as_deref().unwrap_or("Basic"),
            d.cache.capacity.unwrap_or(0)
        )
    }

    fn place(&self, d: &Descriptor) -> Option<String> {
        super::azure_place(d)
    }

    // Microsoft Learn (RedisSkuName: "Basic SKU does not have an availability
    // SLA"; Azure Cache for Redis high availability): Basic is one node with
    // no replica; Standard and Premium run a primary and a replica.
    fn replicated(&self, d: &Descriptor) -> Option<bool> {
        Some(d.cache.sku.as_deref().unwrap_or("Basic") != "Basic")
    }
}
