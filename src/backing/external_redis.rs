//! A Redis outside the platform (Upstash, …): its URL, password included, is a secret.

use super::{Address, Auth, CacheBackend, CacheFacts, REDIS_ENV};
use crate::model::{CacheKind, CacheProvider, Descriptor, Platform};

pub struct ExternalRedis;

static FACTS: CacheFacts = CacheFacts {
    kind: CacheKind::Redis,
    provider: Some(CacheProvider::External),
    address: Some(Address::UrlSecret),
    tls_only: false,
    // The password travels inside the URL secret, not as a setting of ours.
    auth: Auth::WhenPasswordSet,
    self_hosted: false,
    port: None,
    default_eviction: None,
    platforms: &[Platform::Render],
    public_network_switch: false,
    writes_redis_conf: false,
    retiring: false,
    env: REDIS_ENV,
};

impl CacheBackend for ExternalRedis {
    fn facts(&self) -> &'static CacheFacts {
        &FACTS
    }

    fn describe(&self, _: &Descriptor) -> String {
        "an external Redis (its URL kept as a secret)".into()
    }

    fn place(&self, d: &Descriptor) -> Option<String> {
        Some(format!(
            "the outside Redis at secret `{}`",
            d.cache.url_secret.as_deref().unwrap_or("?")
        ))
    }

    // Someone else's server: its replication is the provider's business.
    fn replicated(&self, _d: &Descriptor) -> Option<bool> {
        None
    }
}
