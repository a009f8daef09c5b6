//! A framework's database cache (Django's, Rails' Solid Cache): a table in the
//! app's PostgreSQL, no server of its own.

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
    // The framework culls entries (Django's `MAX_ENTRIES`); no server policy applies.
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

    fn describe(&self, d: &Descriptor) -> String {
        match &crate::resolve::framework::of(d).database_cache {
            Some(cache) => format!("{} (a table in PostgreSQL)", cache.name),
            None => "the database cache (a table in PostgreSQL)".into(),
        }
    }

    fn place(&self, d: &Descriptor) -> Option<String> {
        Some(match &crate::resolve::framework::of(d).database_cache {
            Some(cache) => format!("PostgreSQL ({})", cache.place),
            None => "PostgreSQL (the cache table)".into(),
        })
    }
}
