//! S4 (instructly, seed 004): render.yaml with a Redis private service,
//! redis.conf and its Dockerfile, the Celery compose file; the Upstash state;
//! and Render's own constraints, checked by `validate`.

use crate::support::{committed, repo, Test};
use serde_yaml::Value;

fn yaml(env: &str, file: &str) -> Value {
    serde_yaml::from_str(&committed(env, file)).unwrap()
}

fn services(doc: &Value) -> Vec<Value> {
    doc["services"].as_sequence().unwrap().clone()
}

fn env_vars(service: &Value) -> Vec<Value> {
    service["envVars"].as_sequence().cloned().unwrap_or_default()
}

#[test]
fn the_redis_private_service_is_as_in_seed_004() {
    let doc = yaml("instructly", "render.yaml");
    let redis = services(&doc)
        .into_iter()
        .find(|s| s["name"] == "instructly-redis")
        .expect("instructly-redis");
    for (key, value) in [
        ("type", "pserv"),
        ("runtime", "docker"),
        ("plan", "starter"),
        ("region", "ohio"),
        // From the repository root, where Render reads them (D4): the
        // folder the Blueprint and redis/ are committed in.
        ("dockerfilePath", "./environments/instructly/redis/Dockerfile"),
        ("dockerContext", "./environments/instructly"),
    ] {
        assert_eq!(redis[key], Value::from(value), "{key}");
    }
    // Seed 004's `autoDeploy: false`, in the field the current Blueprint spec uses.
    assert_eq!(redis["autoDeployTrigger"], Value::from("off"));
    assert!(redis.get("autoDeploy").is_none(), "replaced by autoDeployTrigger");
}

#[test]
fn every_service_gets_one_redis_url_and_no_celery_broker_url() {
    let doc = yaml("instructly", "render.yaml");
    let apps: Vec<Value> = services(&doc).into_iter().filter(|s| s["type"] != "pserv").collect();
    assert_eq!(apps.len(), 4, "web, worker, beat and the cron job");
    assert!(apps.iter().any(|s| s["type"] == "cron") && apps.iter().any(|s| s["type"] == "web"));
    for app in apps {
        let vars = env_vars(&app);
        // One REDIS_URL, assembled by the command from Render's host and the
        // private service's password (I2), not a literal in envVars.
        assert!(!vars.iter().any(|v| v["key"] == "REDIS_URL"), "{:?}", app["name"]);
        let command = app["dockerCommand"].as_str().unwrap();
        assert_eq!(command.matches("export REDIS_URL=").count(), 1, "{command}");
        assert!(
            !vars.iter().any(|v| v["key"] == "CELERY_BROKER_URL"),
            "{:?}",
            app["name"]
        );
        let database = vars.iter().find(|v| v["key"] == "DATABASE_URL").unwrap();
        assert_eq!(database["fromDatabase"]["property"], "connectionString");
        assert_eq!(vars[0]["fromGroup"], "instructly-shared");
    }
    assert_eq!(doc["envVarGroups"][0]["envVars"][0]["key"], "ENVIRONMENT");
}

#[test]
fn secrets_are_generated_or_sync_false_never_values() {
    let doc = yaml("instructly", "render.yaml");
    let api = services(&doc)
        .into_iter()
        .find(|s| s["name"] == "instructly-api")
        .unwrap();
    let secret = env_vars(&api).into_iter().find(|v| v["key"] == "SECRET_KEY").unwrap();
    assert_eq!(
        secret["generateValue"],
        Value::from(true),
        "`generate: true` lets Render make it up"
    );
    assert!(secret.get("value").is_none());
    let upstash = yaml("instructly-upstash", "render.yaml");
    let api = services(&upstash)
        .into_iter()
        .find(|s| s["name"] == "instructly-api")
        .unwrap();
    let url = env_vars(&api).into_iter().find(|v| v["key"] == "REDIS_URL").unwrap();
    assert_eq!(
        url["sync"],
        Value::from(false),
        "a secret only the operator knows is prompted for"
    );
    assert!(url.get("value").is_none());
}

#[test]
fn redis_conf_holds_the_seed_settings_and_the_dockerfile_runs_it() {
    let conf = committed("instructly", "redis/redis.conf");
    for line in [
        "maxmemory 256mb",
        "maxmemory-policy allkeys-lru",
        "save 900 1",
        "appendonly yes",
        "loglevel warning",
        "rename-command FLUSHDB \"\"",
        "rename-command FLUSHALL \"\"",
    ] {
        assert!(conf.lines().any(|l| l == line), "redis.conf lacks `{line}`");
    }
    let dockerfile = committed("instructly", "redis/Dockerfile");
    assert!(dockerfile.contains("COPY redis/redis.conf /usr/local/etc/redis/redis.conf"));
    assert!(
        dockerfile.contains("exec docker-entrypoint.sh redis-server \\\"$@\\\""),
        "{dockerfile}"
    );
    assert!(
        dockerfile.contains("set -- /usr/local/etc/redis/redis.conf;"),
        "{dockerfile}"
    );
}

#[test]
fn the_celery_compose_file_uses_the_same_single_redis_url() {
    let doc = yaml("instructly", "docker-compose.celery.yml");
    let names: Vec<&str> = doc["services"]
        .as_mapping()
        .unwrap()
        .keys()
        .map(|k| k.as_str().unwrap())
        .collect();
    assert!(
        names.contains(&"instructly-celery-worker") && names.contains(&"instructly-celery-beat"),
        "{names:?}"
    );
    assert_eq!(
        doc["services"]["instructly-redis"]["build"]["dockerfile"],
        "redis/Dockerfile"
    );
    for worker in ["instructly-celery-worker", "instructly-celery-beat"] {
        let env = &doc["services"][worker]["environment"];
        assert_eq!(env["REDIS_URL"], "redis://instructly-redis:6379");
        assert!(env.get("CELERY_BROKER_URL").is_none());
    }
}

#[test]
fn the_upstash_state_keeps_the_url_secret_and_a_separate_broker_url() {
    let doc = yaml("instructly-upstash", "render.yaml");
    assert!(
        !services(&doc).iter().any(|s| s["type"] == "pserv"),
        "no Redis service before seed 004"
    );
    let worker = services(&doc)
        .into_iter()
        .find(|s| s["name"] == "instructly-celery-worker")
        .unwrap();
    let vars = env_vars(&worker);
    for key in ["REDIS_URL", "CELERY_BROKER_URL"] {
        let var = vars.iter().find(|v| v["key"] == key).unwrap_or_else(|| panic!("{key}"));
        // Entered in the Dashboard on the web service, copied here under the
        // same key: publisher and consumer of the broker read one entry (M1).
        assert_eq!(var["fromService"]["name"], Value::from("instructly-api"), "{key}");
        assert_eq!(var["fromService"]["envVarKey"], Value::from(key), "{key}");
        assert!(var.get("value").is_none(), "{key} is a secret");
    }
    assert!(!repo().join("environments/instructly-upstash/redis").exists());
}

const RENDER: &str = "\
name: demo
platform: render
cache:
  kind: redis
services:
  web:
    image: example/web:1
";

#[test]
fn render_constraints_are_checked_by_validate() {
    let descriptor =
        format!(
        "{}  bad_name:\n    image: example/web:1\nenv:\n  API_KEY: {{secret: api-key}}\nsecrets:\n  api-key: {{}}\n",
        RENDER.replace("  kind: redis\n", "  kind: redis\n  provider: render-key-value\n  database: 2\n")
    );
    Test::new().write("demo.yaml", &descriptor).run(&["validate", "demo.yaml"]).expect(
        1,
        "demo.yaml:6:3: error: /cache/database: a Key Value connection string has no database number to set\n\
         demo.yaml:10:3: error: /services/bad_name: Render rejects the service name `bad_name`: use lower-case letters, digits and dashes (it is also a host name)\n\
         demo.yaml:13:12: error: /env/API_KEY: `API_KEY`: the descriptor-wide `env` becomes a Render environment group, and Render does not allow `sync: false` secrets in groups; set it in each service's `env`, or let Render generate it (`generate: true`)\n",
        "demo.yaml: 3 errors, 0 warnings\n",
    );
}

#[test]
fn a_key_value_cache_always_gets_an_ip_allow_list() {
    let descriptor = RENDER.replace("  kind: redis\n", "  kind: redis\n  provider: render-key-value\n");
    let test = Test::new().write("demo.yaml", &descriptor);
    let run = test.run(&["render", "demo.yaml", "-o", "out"]);
    assert_eq!(run.code, 0, "{}", run.stderr);
    let doc: Value = serde_yaml::from_str(&test.read("out/render.yaml")).unwrap();
    let kv = services(&doc).into_iter().find(|s| s["type"] == "keyvalue").unwrap();
    assert_eq!(
        kv["ipAllowList"],
        Value::Sequence(vec![]),
        "Render requires ipAllowList"
    );
    let web = services(&doc).into_iter().find(|s| s["name"] == "web").unwrap();
    let url = env_vars(&web).into_iter().find(|v| v["key"] == "REDIS_URL").unwrap();
    assert_eq!(url["fromService"]["type"], "keyvalue");
    assert_eq!(url["fromService"]["property"], "connectionString");
}

#[test]
fn leaving_flushall_enabled_is_a_warning() {
    let descriptor = RENDER.replace("  kind: redis\n", "  kind: redis\n  disabled_commands: [DEBUG]\n");
    Test::new().write("demo.yaml", &descriptor).run(&["validate", "demo.yaml"]).expect(
        0,
        "demo.yaml:5:22: warning: /cache/disabled_commands: FLUSHDB and FLUSHALL stay enabled on the self-hosted Redis (`deploygen explain redis-dangerous-commands`)\n",
        "demo.yaml: ok (1 warning)\n",
    );
}
