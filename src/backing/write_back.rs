//! Write-back caches (issue 19, L2): the app writes to the cache first and to
//! the database later, as seed 002's conversations do (`dirty:convs`, written
//! back on session end or "Save All to Database"). Until written back, an
//! entry exists only in the cache: the cache must keep it (a replica,
//! `noeviction`), and nothing may switch the app away from the cache before it
//! is flushed.

use super::queue::connect::{self, Conn};
use crate::model::{Descriptor, Language, WriteBackSpec};

/// The write-back settings, when the cache is one.
pub fn spec(d: &Descriptor) -> Option<WriteBackSpec> {
    d.cache.write_back.as_ref().and_then(|w| w.spec())
}

/// What keeps a write-back cache from holding its unflushed entries: each
/// finding's pointer and message (empty when it is not write-back or is safe).
pub fn unsafe_settings(d: &Descriptor) -> Vec<(String, String)> {
    if spec(d).is_none() {
        return vec![];
    }
    let mut out = Vec::new();
    let backend = crate::resolve::cache_backend(d);
    let name = backend.map_or_else(|| "this cache".into(), |b| b.describe(d));
    if backend.and_then(|b| b.replicated(d)) == Some(false) {
        out.push((
            "/cache/write_back".into(),
            format!(
                "the cache is write-back, but {name} keeps one copy: a node failure, patch or restart loses every \
                 entry not yet written back; use a replicated tier (Azure Cache for Redis Standard or Premium, Azure \
                 Managed Redis)"
            ),
        ));
    }
    let default = backend.and_then(|b| b.facts().default_eviction);
    match crate::resolve::maxmemory_policy(d, default).as_deref() {
        Some(crate::resolve::NO_EVICTION) => {}
        policy => {
            let pointer = if d.cache.maxmemory_policy.is_some() {
                "/cache/maxmemory_policy"
            } else {
                "/cache/write_back"
            };
            let said = match policy {
                Some(p) => format!("`maxmemory_policy: {p}` evicts keys when memory is full"),
                None => "deploygen does not know this cache's eviction policy".into(),
            };
            out.push((
                pointer.into(),
                format!(
                    "the cache is write-back, but {said}: an entry not yet written back can vanish without an \
                     error; use `noeviction`, so a full cache refuses writes instead"
                ),
            ));
        }
    }
    out
}

/// The step that flushes the cache before the app leaves it: its text and the
/// commands, each to run in `service` through `exec`. `place` names the cache.
pub fn flush_step(
    d: &Descriptor,
    place: &str,
    service: &str,
    exec: impl Fn(&str) -> String,
) -> Option<(String, Vec<String>)> {
    let spec = spec(d)?;
    let flush = match &spec.flush {
        Some(how) => format!("make the app write every pending entry back to the database ({how})"),
        None => "make the app write every pending entry back to the database, its own way (deploygen knows none: \
                 `cache.write_back.flush` names it)"
            .into(),
    };
    let check = spec
        .pending
        .as_deref()
        .and_then(|pending| check_command(d, service, pending).map(|c| (pending, c)));
    let (verify, commands) = match (&spec.pending, check) {
        (_, Some((pending, command))) => (
            format!("then check the flush: `{pending}` prints 0 (the command below, in {service})"),
            vec![exec(&command)],
        ),
        (Some(pending), None) => (
            format!("then check the flush: `{pending}` answers 0 (deploygen has no client for this app to run it)"),
            vec![],
        ),
        (None, None) => (
            "then check, the app's own way, that nothing is pending (`cache.write_back.pending` names a Redis \
             command deploygen would run)"
                .into(),
            vec![],
        ),
    };
    Some((
        format!(
            "Flush the write-back cache in {place} before anything switches the app away from it: {flush}, {verify}. \
             Until then its unflushed entries exist only there. Entries the app writes after the flush are pending \
             again: flush and check once more right before the deploy below, or pause writes; any expiry the app sets \
             on its pending entries keeps running meanwhile."
        ),
        commands,
    ))
}

/// A one-liner, in the app's own language, that prints what the read-only
/// `pending` command answers, through the variables `service` really has.
fn check_command(d: &Descriptor, service: &str, pending: &str) -> Option<String> {
    let conn: Conn = connect::cache_of(d, service);
    let args: Vec<&str> = pending.split_whitespace().collect();
    let quoted = |q: char| args.iter().map(|a| format!("{q}{a}{q}")).collect::<Vec<_>>().join(", ");
    let language = d
        .services
        .get(service)
        .map(|s| crate::resolve::service_framework(d, s))
        .unwrap_or_else(|| crate::resolve::framework(d))
        .language();
    match language {
        Language::Python => Some(format!(
            "python -c \"import os, redis; r = {}; print(r.execute_command({}))\"",
            conn.python()?,
            quoted('\'')
        )),
        Language::Node => Some(format!(
            "node -e \"const IORedis = require('ioredis'); const r = {}; r.call({}).then((n) => {{ console.log(n); \
             process.exit(0); }})\"",
            conn.node()?,
            quoted('\'')
        )),
        Language::Ruby => Some(format!(
            "bundle exec ruby -e 'require \"redis\"; puts {}.call({})'",
            conn.ruby()?,
            quoted('"')
        )),
        Language::Unknown => None,
    }
}
