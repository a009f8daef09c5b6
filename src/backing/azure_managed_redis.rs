//! Azure Managed Redis (`Microsoft.Cache/redisEnterprise`): TLS on 10000, access keys.

use super::{Address, Auth, CacheBackend, CacheFacts, REDIS_ENV};
use crate::model::{CacheKind, CacheProvider, Descriptor, Platform};

pub struct AzureManagedRedis;

static FACTS: CacheFacts = CacheFacts {
    kind: CacheKind::Redis,
    provider: Some(CacheProvider::AzureManaged),
    address: Some(Address::DeployedResource),
    tls_only: true,
    auth: Auth::Always,
    self_hosted: false,
    port: Some(crate::resolve::AZURE_MANAGED_REDIS_PORT),
    // Microsoft Learn, "Memory management" for Azure Managed Redis.
    default_eviction: Some("volatile-lru"),
    platforms: &[Platform::AzureContainerApps, Platform::AzureAppService],
    public_network_switch: true,
    writes_redis_conf: false,
    retiring: false,
    env: REDIS_ENV,
};

impl CacheBackend for AzureManagedRedis {
    fn facts(&self) -> &'static CacheFacts {
        &FACTS
    }

    fn describe(&self, d: &Descriptor) -> String {
        format!(
            "Azure Managed Redis ({})",
            d.cache.sku.as_deref().unwrap_or("Balanced_B0")
        )
    }

    fn place(&self, d: &Descriptor) -> Option<String> {
        super::azure_place(d)
    }

    // Microsoft Learn, Azure Managed Redis architecture: high availability
    // (a replica per primary shard) is on unless turned off, and deploygen
    // never turns it off.
    fn replicated(&self, _d: &Descriptor) -> Option<bool> {
        Some(true)
    }
}
