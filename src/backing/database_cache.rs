//! Django's database cache: a table in the app's PostgreSQL, no server of its own.

use super::{Auth, CacheBackend, CacheFacts};
use crate::model::{CacheKind, Descriptor};

pub struct DatabaseCache;

static FACTS: CacheFacts = CacheFacts {
    kind: CacheKind::Database,
    provider: None,
    address: None,
    tls_only: false,
    auth: Auth::WhenPasswordSet,
    self_hosted: false,
    port: None,
    // Django culls entries past `MAX_ENTRIES`; no server policy applies.
    default_eviction: None,
    platforms: &[],
    public_network_switch: false,
    writes_redis_conf: false,
    retiring: false,
    env: &[],
};

impl CacheBackend for DatabaseCache {
    fn facts(&self) -> &'static CacheFacts {
        &FACTS
    }

    fn describe(&self, _: &Descriptor) -> String {
        "the database cache (a table in PostgreSQL)".into()
    }

    fn place(&self, _: &Descriptor) -> Option<String> {
        Some("PostgreSQL (Django's cache table)".into())
    }
}
