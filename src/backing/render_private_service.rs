//! Redis run as a Render private service from deploygen's Dockerfile and redis.conf.

use super::{Address, Auth, CacheBackend, CacheFacts, REDIS_ENV};
use crate::model::{CacheKind, CacheProvider, Descriptor, Platform};

pub struct RenderPrivateService;

static FACTS: CacheFacts = CacheFacts {
    kind: CacheKind::Redis,
    provider: Some(CacheProvider::RenderPrivateService),
    address: Some(Address::RenderPrivateService),
    tls_only: false,
    auth: Auth::WhenPasswordSet,
    self_hosted: true,
    port: Some(crate::resolve::REDIS_PORT),
    // What the generated redis.conf sets when the descriptor names no policy and no queue rides it.
    default_eviction: Some(crate::target::project::render::DEFAULT_POLICY),
    platforms: &[Platform::Render],
    public_network_switch: false,
    writes_redis_conf: true,
    retiring: false,
    env: REDIS_ENV,
};

impl CacheBackend for RenderPrivateService {
    fn facts(&self) -> &'static CacheFacts {
        &FACTS
    }

    fn describe(&self, _: &Descriptor) -> String {
        "Redis as a Render private service".into()
    }

    fn place(&self, d: &Descriptor) -> Option<String> {
        Some(format!(
            "the Render private service `{}`",
            crate::resolve::render_redis_name(d)
        ))
    }
}
