//! S2 (revisbali, seed 001): the facts SEED-SYSTEMS.md lists, read back from
//! the committed files with an independent YAML parser.

use crate::support::repo;
use serde_yaml::Value;
use std::collections::BTreeMap;

fn compose(env: &str, file: &str) -> Value {
    let text = std::fs::read_to_string(repo().join("environments").join(env).join(file)).unwrap();
    serde_yaml::from_str(&text).unwrap()
}

fn service_names(doc: &Value) -> Vec<String> {
    doc["services"]
        .as_mapping()
        .unwrap()
        .keys()
        .map(|k| k.as_str().unwrap().to_string())
        .collect()
}

fn dotenv(env: &str, file: &str) -> BTreeMap<String, String> {
    std::fs::read_to_string(repo().join("environments").join(env).join(file))
        .unwrap()
        .lines()
        .filter(|l| !l.starts_with('#') && l.contains('='))
        .map(|l| {
            let (k, v) = l.split_once('=').unwrap();
            (k.to_string(), v.to_string())
        })
        .collect()
}

#[test]
fn production_compose_has_every_s2_service_and_bs_redis() {
    let doc = compose("revisbali", "docker-compose.yml");
    assert_eq!(
        service_names(&doc),
        [
            "db",
            "redis",
            "bs-core",
            "bs-frontend",
            "bs-worker",
            "bs-loki",
            "bs-grafana",
            "bs-alloy"
        ]
    );
    assert_eq!(doc["services"]["redis"]["container_name"], "bs-redis");
    for volume in ["db-data", "redis-data"] {
        assert!(doc["volumes"].get(volume).is_some(), "named volume {volume}");
    }
    for app in ["bs-core", "bs-worker"] {
        let s = &doc["services"][app];
        assert_eq!(s["restart"], "unless-stopped");
        assert_eq!(s["depends_on"]["db"]["condition"], "service_healthy");
        assert_eq!(s["depends_on"]["redis"]["condition"], "service_healthy");
        assert_eq!(s["environment"]["REDIS_URL"], "redis://bs-redis:6379/1");
        assert_eq!(s["environment"]["REDIS_HOST"], "bs-redis");
        assert_eq!(s["environment"]["REDIS_PORT"], "6379");
        assert_eq!(s["environment"]["PGQUEUE_CHANNEL"], "0");
        assert_eq!(s["environment"]["CACHE_KEY_PREFIX"], "revisbali");
        let secret = s["environment"]["DJANGO_SECRET_KEY"].as_str().unwrap();
        assert!(
            secret.starts_with("${DJANGO_SECRET_KEY:?"),
            "secrets come from .env, never inline: {secret}"
        );
    }
    assert!(doc["services"]["redis"]["healthcheck"]["test"].as_sequence().is_some());
    assert!(
        doc["services"]["db"]["ports"].is_null(),
        "the database is not published in production"
    );
}

#[test]
fn local_compose_is_infrastructure_only_with_backing_services_on_localhost() {
    let doc = compose("revisbali", "docker-compose-local.yml");
    assert_eq!(
        service_names(&doc),
        ["db", "redis", "bs-loki", "bs-grafana", "bs-alloy"]
    );
    assert_eq!(doc["services"]["redis"]["ports"][0], "127.0.0.1:6379:6379");
    assert_eq!(doc["services"]["db"]["ports"][0], "127.0.0.1:5432:5432");
}

#[test]
fn env_examples_carry_container_and_host_values() {
    let container = dotenv("revisbali", ".env.example");
    let host = dotenv("revisbali", ".env.local.example");
    let expect = |map: &BTreeMap<String, String>, key: &str, value: &str| {
        assert_eq!(map.get(key).map(String::as_str), Some(value), "{key}");
    };
    expect(&container, "REDIS_URL", "redis://bs-redis:6379/1");
    expect(&container, "REDIS_HOST", "bs-redis");
    expect(&host, "REDIS_URL", "redis://localhost:6379/1");
    expect(&host, "REDIS_HOST", "localhost");
    for map in [&container, &host] {
        expect(map, "REDIS_PORT", "6379");
        expect(map, "PGQUEUE_CHANNEL", "0");
        expect(map, "CACHE_KEY_PREFIX", "revisbali");
        expect(map, "POSTGRES_PASSWORD", "");
    }
}

#[test]
fn the_memcached_state_has_memcached_and_no_redis() {
    let doc = compose("revisbali-memcached", "docker-compose.yml");
    let names = service_names(&doc);
    assert!(
        names.contains(&"memcached".to_string()) && !names.contains(&"redis".to_string()),
        "{names:?}"
    );
    assert_eq!(
        doc["services"]["bs-core"]["environment"]["MEMCACHED_LOCATION"],
        "bs-memcached:11211"
    );
    let env = dotenv("revisbali-memcached", ".env.example");
    for gone in ["REDIS_URL", "REDIS_HOST", "REDIS_PORT", "PGQUEUE_CHANNEL"] {
        assert!(!env.contains_key(gone), "{gone} in the memcached state");
    }
    assert_eq!(env.get("CACHE_KEY_PREFIX").map(String::as_str), Some("revisbali"));
}
