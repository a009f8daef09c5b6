//! The "after" side of `diff ENV --without redis | --with redis | --set PATH=VALUE`:
//! edits of the merged descriptor, which then goes through validation like
//! any descriptor.

use crate::backing::queue::WithoutRedis;
use crate::error::{Error, Result};
use crate::rules::{self, Rule};
use serde_json::{json, Map, Value};

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Edit {
    WithoutRedis,
    WithRedis,
    /// A dotted path (`cache.provider`) or JSON pointer, and a YAML value (`null` removes).
    Set {
        path: String,
        value: String,
    },
}

impl Edit {
    pub fn describe(&self) -> String {
        match self {
            Edit::WithoutRedis => "--without redis".into(),
            Edit::WithRedis => "--with redis".into(),
            Edit::Set { path, value } => format!("--set {path}={value}"),
        }
    }
}

impl Edit {
    /// The parts of the document this edit writes (JSON pointers).
    fn writes(&self) -> Vec<String> {
        match self {
            Edit::WithoutRedis => vec![],
            Edit::WithRedis => vec!["/cache".into()],
            Edit::Set { path, .. } => vec![segments(path)
                .iter()
                .map(|s| format!("/{}", crate::load::node::escape_pointer(s)))
                .collect()],
        }
    }
}

/// Findings about values an option wrote name that option, not a line of a
/// file that never held them: `` `--set cache.kinnd=redis`: /cache/kinnd: unknown key ``.
pub fn blame(error: Error, edits: &[Edit]) -> Error {
    let Error::Invalid { mut findings } = error else {
        return error;
    };
    for finding in &mut findings {
        let under = |p: &String| finding.pointer == *p || finding.pointer.starts_with(&format!("{p}/"));
        if let Some(edit) = edits.iter().rev().find(|e| e.writes().iter().any(under)) {
            finding.message = format!("`{}`: {}: {}", edit.describe(), finding.pointer, finding.message);
            finding.pointer = String::new();
            finding.location = None;
        }
    }
    findings.sort();
    Error::Invalid { findings }
}

fn variant_error(message: impl Into<String>) -> Error {
    Error::Variant {
        message: message.into(),
    }
}

/// Edits read and write the document only through `get`, `get_mut` and
/// `Map` calls, never `doc["key"]`: an edit meets the document before
/// validation, whatever its shape. A document that is not a map is left as it
/// is, so validation reports it where the file says it.
pub fn apply(doc: &mut Value, edit: &Edit) -> Result<()> {
    if !doc.is_object() {
        return Ok(());
    }
    match edit {
        Edit::WithoutRedis => without_redis(doc),
        Edit::WithRedis => with_redis(doc),
        Edit::Set { path, value } => set(doc, path, value),
    }
}

/// Keys of `expose` that still mean something for a database cache.
const CACHE_NEUTRAL_EXPOSE: &[&str] = &["key_prefix", "ttl", "enabled"];
/// Lint acceptances that only ever concern a Redis.
const REDIS_ACCEPTANCES: &[&Rule] = &[
    rules::REDIS_PUBLIC_NETWORK_ACCESS,
    rules::AZURE_CACHE_RETIREMENT,
    rules::REDIS_DANGEROUS_COMMANDS,
    rules::REDIS_URL_WITHOUT_PASSWORD,
    rules::REDIS_URL_WITHOUT_TLS,
    rules::REDIS_URL_WRONG_PORT,
    rules::REDIS_QUEUE_EVICTION,
];

/// Redis out: the cache moves to the framework's database cache where it has
/// one (and there is PostgreSQL), else goes; a queue on Redis moves to the
/// database where its kind can, else goes with its workers.
fn without_redis(doc: &mut Value) -> Result<()> {
    let kind = doc.pointer("/cache/kind").and_then(Value::as_str).unwrap_or("none");
    if kind != "redis" {
        return Err(variant_error(format!(
            "`--without redis`: the cache is `{kind}`, there is no Redis to remove"
        )));
    }
    let has_postgres = doc.get("postgres").is_some();
    let (replacement, _) = crate::resolve::framework::cache_without_redis(framework(doc), has_postgres);
    let to_database = replacement == crate::model::CacheKind::Database;
    let old_cache = doc.get("cache").and_then(Value::as_object).cloned().unwrap_or_default();
    let mut cache = Map::new();
    cache.insert("kind".into(), json!(if to_database { "database" } else { "none" }));
    if to_database {
        if let Some(ttl) = old_cache.get("ttl_seconds") {
            cache.insert("ttl_seconds".into(), ttl.clone());
        }
        if let Some(Value::Object(expose)) = old_cache.get("expose") {
            let kept: Map<String, Value> = expose
                .iter()
                .filter(|(k, _)| CACHE_NEUTRAL_EXPOSE.contains(&k.as_str()))
                .filter(|(k, _)| *k != "ttl" || cache.contains_key("ttl_seconds"))
                .map(|(k, v)| (k.clone(), v.clone()))
                .collect();
            cache.insert("expose".into(), Value::Object(kept));
        }
    } else if let Some(enabled) = old_cache.get("expose").and_then(|e| e.get("enabled")) {
        cache.insert("expose".into(), json!({ "enabled": enabled }));
    }
    insert(doc, "cache", Value::Object(cache));

    let broker = crate::model::Broker {
        kind: typed(doc, "/broker/kind").unwrap_or_default(),
        transport: typed(doc, "/broker/transport"),
        ..Default::default()
    };
    let queue = crate::resolve::queue_kind(&broker);
    if crate::resolve::transport(&broker) == Some(crate::model::Transport::Redis) {
        let moves = queue.is_some_and(|q| q.without_redis() == WithoutRedis::MovesToDatabase);
        let sql_queue = match doc.get_mut("broker") {
            Some(Value::Object(broker)) if moves && has_postgres => Some(broker),
            _ => None,
        };
        if let Some(broker) = sql_queue {
            broker.insert("transport".into(), json!("database"));
            broker.remove("database");
        } else {
            remove_key(doc, "broker");
            remove_workers(doc);
        }
    }
    if let Some(Value::Object(accept)) = doc.get_mut("accept") {
        accept.retain(|rule, _| !REDIS_ACCEPTANCES.iter().any(|r| r.id == rule));
    }
    Ok(())
}

/// The document's framework, read as [`crate::resolve::framework`] reads a descriptor's.
fn framework(doc: &Value) -> crate::model::Framework {
    typed(doc, "/framework")
        .or_else(|| {
            let services = doc.get("services")?.as_object()?;
            // As `Service::role` reads it: no role and no port is a worker.
            let web = services
                .values()
                .find(|s| match typed::<crate::model::Service>(s, "") {
                    Some(service) => service.role() == crate::model::Role::Web,
                    None => s.get("role").is_none_or(|r| r.as_str() == Some("web")),
                })?;
            typed(web, "/framework")
        })
        .unwrap_or_default()
}

/// The value at `pointer` as a model type, if it is one.
fn typed<T: serde::de::DeserializeOwned>(doc: &Value, pointer: &str) -> Option<T> {
    doc.pointer(pointer).and_then(|v| T::deserialize(v).ok())
}

/// Services that consume a broker go when the broker goes; so do references to them.
fn remove_workers(doc: &mut Value) {
    let platform = typed(doc, "/platform").unwrap_or(crate::model::Platform::Compose);
    let Some(Value::Object(services)) = doc.get_mut("services") else {
        return;
    };
    let workers: Vec<String> = services
        .iter()
        // A scheduled job (a cron job) runs on its own clock, not off the queue: it stays.
        .filter(|(_, s)| {
            typed::<crate::model::Service>(s, "").is_some_and(|s| {
                s.role().needs_broker() && s.schedule.is_none() && crate::resolve::role_counts(platform, &s)
            })
        })
        .map(|(name, _)| name.clone())
        .collect();
    services.retain(|name, _| !workers.contains(name));
    for service in services.values_mut() {
        if let Some(Value::Array(deps)) = service.get_mut("depends_on") {
            deps.retain(|d| !d.as_str().is_some_and(|d| workers.contains(&d.to_string())));
        }
    }
}

/// Redis in, with the platform's default provider, exposed as `REDIS_URL`.
fn with_redis(doc: &mut Value) -> Result<()> {
    let kind = doc.pointer("/cache/kind").and_then(Value::as_str).unwrap_or("none");
    if kind == "redis" {
        return Err(variant_error("`--with redis`: the cache is Redis already"));
    }
    let old_cache = doc.get("cache").and_then(Value::as_object).cloned().unwrap_or_default();
    let mut cache = Map::new();
    cache.insert("kind".into(), json!("redis"));
    if let Some(ttl) = old_cache.get("ttl_seconds") {
        cache.insert("ttl_seconds".into(), ttl.clone());
    }
    let mut expose: Map<String, Value> = old_cache
        .get("expose")
        .and_then(Value::as_object)
        .map(|e| {
            e.iter()
                .filter(|(k, _)| CACHE_NEUTRAL_EXPOSE.contains(&k.as_str()))
                .map(|(k, v)| (k.clone(), v.clone()))
                .collect()
        })
        .unwrap_or_default();
    expose.entry("url").or_insert(json!(
        crate::backing::default_expose(crate::model::CacheKind::Redis).url
    ));
    cache.insert("expose".into(), Value::Object(expose));
    insert(doc, "cache", Value::Object(cache));
    Ok(())
}

fn insert(doc: &mut Value, key: &str, value: Value) {
    if let Value::Object(map) = doc {
        map.insert(key.to_string(), value);
    }
}

fn remove_key(doc: &mut Value, key: &str) {
    if let Value::Object(map) = doc {
        map.remove(key);
    }
}

/// `cache.provider` or `/cache/provider` -> pointer segments.
fn segments(path: &str) -> Vec<String> {
    if let Some(pointer) = path.strip_prefix('/') {
        pointer
            .split('/')
            .map(|s| s.replace("~1", "/").replace("~0", "~"))
            .collect()
    } else {
        path.split('.').map(String::from).collect()
    }
}

/// A command-line value read as YAML would read it: `true`, `6380`, `null`, text.
fn parse_value(text: &str) -> Value {
    match crate::load::yaml::parse(text, crate::source::FileId(0)) {
        Ok(node) => node.to_json(),
        Err(_) => Value::String(text.to_string()),
    }
}

fn set(doc: &mut Value, path: &str, text: &str) -> Result<()> {
    let segs = segments(path);
    if segs.iter().any(String::is_empty) {
        return Err(variant_error(format!(
            "`--set {path}=...`: not a path (write `cache.provider` or `/cache/provider`)"
        )));
    }
    let value = parse_value(text);
    let (last, parents) = segs.split_last().expect("at least one segment");
    let mut node = doc;
    for seg in parents {
        node = match node {
            Value::Object(map) => map.entry(seg.clone()).or_insert_with(|| Value::Object(Map::new())),
            Value::Array(items) => {
                let index: usize = seg
                    .parse()
                    .map_err(|_| variant_error(format!("`--set {path}`: `{seg}` is not an index of a list")))?;
                items
                    .get_mut(index)
                    .ok_or_else(|| variant_error(format!("`--set {path}`: the list has no item {index}")))?
            }
            _ => {
                return Err(variant_error(format!(
                    "`--set {path}`: `{seg}` is inside a plain value"
                )))
            }
        };
    }
    match node {
        Value::Object(map) if value.is_null() => {
            map.remove(last);
        }
        Value::Object(map) => {
            map.insert(last.clone(), value);
        }
        Value::Array(items) => {
            let index: usize = last
                .parse()
                .map_err(|_| variant_error(format!("`--set {path}`: `{last}` is not an index of a list")))?;
            let slot = items
                .get_mut(index)
                .ok_or_else(|| variant_error(format!("`--set {path}`: the list has no item {index}")))?;
            *slot = value;
        }
        _ => return Err(variant_error(format!("`--set {path}`: the parent is a plain value"))),
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn without_redis_moves_the_cache_to_the_database_and_drops_celery_workers() {
        let mut doc = json!({
            "framework": "django",
            "postgres": {"database": "a", "user": "a"},
            "cache": {"kind": "redis", "database": 0, "expose": {"url": "REDIS_URL", "key_prefix": "K"}},
            "broker": {"kind": "celery", "database": 1},
            "services": {"web": {"image": "x", "ports": ["80"], "depends_on": ["worker"]}, "worker": {"image": "x", "role": "worker"}},
            "accept": {"azure-cache-retirement": "reason reason"}
        });
        apply(&mut doc, &Edit::WithoutRedis).unwrap();
        assert_eq!(doc["cache"], json!({"kind": "database", "expose": {"key_prefix": "K"}}));
        assert!(doc.get("broker").is_none());
        assert_eq!(
            doc["services"],
            json!({"web": {"image": "x", "ports": ["80"], "depends_on": []}})
        );
        assert_eq!(doc["accept"], json!({}));
    }

    #[test]
    fn without_redis_replaces_the_cache_by_what_the_framework_supports() {
        let cache_after = |framework: &str, postgres: bool| {
            let mut doc = json!({
                "framework": framework,
                "cache": {"kind": "redis", "ttl_seconds": 60, "expose": {"url": "REDIS_URL", "ttl": "TTL"}},
            });
            if postgres {
                doc["postgres"] = json!({"database": "a", "user": "a"});
            }
            apply(&mut doc, &Edit::WithoutRedis).unwrap();
            doc["cache"].clone()
        };
        let database = json!({"kind": "database", "ttl_seconds": 60, "expose": {"ttl": "TTL"}});
        assert_eq!(cache_after("django", true), database);
        assert_eq!(cache_after("rails", true), database);
        for framework in ["fastapi", "flask", "express", "streamlit", "none"] {
            assert_eq!(cache_after(framework, true), json!({"kind": "none"}), "{framework}");
        }
        assert_eq!(cache_after("django", false), json!({"kind": "none"}));
        // The web service's framework counts when the environment declares none.
        let mut doc = json!({
            "postgres": {"database": "a", "user": "a"},
            "cache": {"kind": "redis"},
            "services": {"w": {"role": "worker", "framework": "express"}, "web": {"ports": ["80"], "framework": "rails"}}
        });
        apply(&mut doc, &Edit::WithoutRedis).unwrap();
        assert_eq!(doc["cache"]["kind"], "database");
        // A worker known by its missing port is not the web service either.
        let mut doc = json!({
            "postgres": {"database": "a", "user": "a"},
            "cache": {"kind": "redis"},
            "services": {"w": {"image": "x", "framework": "express"}, "web": {"ports": ["80"], "framework": "rails"}}
        });
        apply(&mut doc, &Edit::WithoutRedis).unwrap();
        assert_eq!(doc["cache"]["kind"], "database");
    }

    #[test]
    fn no_worker_outlives_the_redis_its_queue_was_on() {
        for name in crate::backing::queue::kind_names() {
            let kind = name.trim_matches('`');
            for postgres in [true, false] {
                let mut doc = json!({
                    "framework": "express",
                    "cache": {"kind": "redis"},
                    "broker": {"kind": kind, "transport": "redis"},
                    "services": {"web": {"image": "x"}, "worker": {"image": "x", "role": "worker"}}
                });
                if postgres {
                    doc["postgres"] = json!({"database": "a", "user": "a"});
                }
                apply(&mut doc, &Edit::WithoutRedis).unwrap();
                let on_database = doc.pointer("/broker/transport") == Some(&json!("database"));
                let has_worker = doc.pointer("/services/worker").is_some();
                assert!(
                    on_database == has_worker && (!on_database || postgres),
                    "{kind} (postgres: {postgres}): {doc:#}"
                );
            }
        }
    }

    #[test]
    fn pgqueuer_falls_back_to_its_sql_queue() {
        let mut doc = json!({
            "postgres": {"database": "a", "user": "a"},
            "cache": {"kind": "redis"},
            "broker": {"kind": "pgqueuer", "transport": "redis", "database": 1, "channel": "0"}
        });
        apply(&mut doc, &Edit::WithoutRedis).unwrap();
        assert_eq!(
            doc["broker"],
            json!({"kind": "pgqueuer", "transport": "database", "channel": "0"})
        );
    }

    #[test]
    fn set_takes_dotted_paths_pointers_and_yaml_values() {
        let mut doc = json!({"cache": {"kind": "redis", "capacity": 0}});
        apply(
            &mut doc,
            &Edit::Set {
                path: "cache.provider".into(),
                value: "azure-managed".into(),
            },
        )
        .unwrap();
        apply(
            &mut doc,
            &Edit::Set {
                path: "/cache/capacity".into(),
                value: "null".into(),
            },
        )
        .unwrap();
        apply(
            &mut doc,
            &Edit::Set {
                path: "cache.public_network_access".into(),
                value: "true".into(),
            },
        )
        .unwrap();
        assert_eq!(
            doc["cache"],
            json!({"kind": "redis", "provider": "azure-managed", "public_network_access": true})
        );
        assert!(apply(
            &mut doc,
            &Edit::Set {
                path: "cache.kind.x".into(),
                value: "1".into()
            }
        )
        .is_err());
    }

    #[test]
    fn the_variants_refuse_what_makes_no_sense() {
        let mut doc = json!({"cache": {"kind": "memcached"}});
        assert!(apply(&mut doc, &Edit::WithoutRedis).is_err());
        apply(&mut doc, &Edit::WithRedis).unwrap();
        assert_eq!(doc["cache"], json!({"kind": "redis", "expose": {"url": "REDIS_URL"}}));
        assert!(apply(&mut doc, &Edit::WithRedis).is_err());
    }

    #[test]
    fn edits_never_panic_whatever_the_shape_of_the_document() {
        let shapes = [
            json!(["a", "b"]),
            json!("text"),
            json!(null),
            json!(7),
            json!({"cache": ["redis"], "broker": "celery", "services": [1]}),
            json!({"postgres": 1, "cache": {"kind": "redis", "expose": 3}, "broker": {"kind": "pgqueuer", "transport": "redis"}}),
            json!({"postgres": {}, "cache": {"kind": "redis"}, "broker": ["x"], "services": {"a": 1, "b": {"depends_on": 2}}, "accept": 1}),
            json!({"cache": {"kind": "redis"}, "broker": {"kind": "pgqueuer", "transport": "redis"}, "postgres": {}}),
        ];
        let edits = [
            Edit::WithRedis,
            Edit::WithoutRedis,
            Edit::Set {
                path: "cache.kind".into(),
                value: "redis".into(),
            },
            Edit::Set {
                path: "/services/0/x".into(),
                value: "1".into(),
            },
            Edit::Set {
                path: "a.b.c".into(),
                value: "null".into(),
            },
        ];
        for shape in &shapes {
            for edit in &edits {
                let mut doc = shape.clone();
                let _ = apply(&mut doc, edit);
            }
        }
        let mut list = json!(["a"]);
        apply(&mut list, &Edit::WithRedis).unwrap();
        assert_eq!(list, json!(["a"]), "not a descriptor: left for validation to report");
    }

    #[test]
    fn findings_under_a_set_path_name_the_option() {
        let finding = |pointer: &str| {
            crate::findings::Finding::new(
                crate::rules::SCHEMA,
                Some(crate::source::Location {
                    path: "env.yaml".into(),
                    line: 3,
                    col: 1,
                }),
                pointer,
                "unknown key",
            )
        };
        let edits = [Edit::Set {
            path: "cache.kinnd".into(),
            value: "redis".into(),
        }];
        let Error::Invalid { findings } = blame(
            Error::Invalid {
                findings: vec![finding("/cache/kinnd"), finding("/cache/kind")],
            },
            &edits,
        ) else {
            panic!("still invalid")
        };
        assert_eq!(
            findings[0].to_string(),
            "error: `--set cache.kinnd=redis`: /cache/kinnd: unknown key"
        );
        assert_eq!(findings[1].to_string(), "env.yaml:3:1: error: /cache/kind: unknown key");
    }
}
