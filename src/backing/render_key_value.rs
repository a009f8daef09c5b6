//! Render Key Value: Render runs it and hands out its URL (`fromService`).

use super::{Address, Auth, CacheBackend, CacheFacts, REDIS_ENV};
use crate::model::{CacheKind, CacheProvider, Descriptor, Platform};

pub struct RenderKeyValue;

static FACTS: CacheFacts = CacheFacts {
    kind: CacheKind::Redis,
    provider: Some(CacheProvider::RenderKeyValue),
    address: Some(Address::ProviderFacts),
    tls_only: false,
    // Internal connections need no password; the URL comes from Render.
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

impl CacheBackend for RenderKeyValue {
    fn facts(&self) -> &'static CacheFacts {
        &FACTS
    }

    fn describe(&self, _: &Descriptor) -> String {
        "Render Key Value".into()
    }

    fn place(&self, d: &Descriptor) -> Option<String> {
        Some(format!("Render Key Value `{}`", crate::resolve::render_redis_name(d)))
    }
}
