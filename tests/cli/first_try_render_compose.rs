//! Issue 19, the Render and compose items of the second platform review:
//! files that deploy on the first try and stay on the developer's machine.

use crate::support::{committed, repo};

/// Every committed `.env` example of every environment, as (path, text).
fn env_examples() -> Vec<(String, String)> {
    let mut out = Vec::new();
    for entry in std::fs::read_dir(repo().join("environments")).unwrap() {
        let dir = entry.unwrap().path();
        if !dir.is_dir() {
            continue;
        }
        for name in [".env.example", ".env.local.example"] {
            if let Ok(text) = std::fs::read_to_string(dir.join(name)) {
                out.push((format!("{}/{name}", dir.display()), text));
            }
        }
    }
    assert!(out.len() > 10, "found {} examples", out.len());
    out
}

/// I1: a placeholder is a value, so `cp .env.example .env && docker compose up`
/// started with a known password; an empty line makes `${VAR:?}` refuse.
#[test]
fn secret_lines_in_env_examples_are_empty() {
    for (path, text) in env_examples() {
        let mut in_secrets = false;
        for line in text.lines() {
            if line == "# Secrets: never commit real values" {
                in_secrets = true;
            } else if line.is_empty() {
                in_secrets = false;
            } else if in_secrets && !line.starts_with('#') {
                assert!(line.ends_with('='), "{path}: secret line with a value: {line}");
            }
        }
    }
    let env = committed("node-bullmq", ".env.example");
    assert!(
        env.contains("# make one with `openssl rand -hex 32`\nSESSION_SECRET=\n"),
        "{env}"
    );
    let compose = committed("node-bullmq", "docker-compose.yml");
    assert!(
        compose.contains("${SESSION_SECRET:?"),
        "the guard that the empty line fires"
    );
}

/// L4: the local compose file of an environment whose Redis is outside
/// (Upstash) runs its own Redis: workers on a laptop never take production's jobs.
#[test]
fn a_local_compose_file_never_reaches_an_outside_redis() {
    let compose = committed("instructly-upstash", "docker-compose.celery.yml");
    let env = committed("instructly-upstash", ".env.example");
    for text in [&compose, &env] {
        assert!(!text.contains("UPSTASH"), "{text}");
    }
    let doc: serde_yaml::Value = serde_yaml::from_str(&compose).unwrap();
    let redis = &doc["services"]["instructly-redis"];
    assert_eq!(redis["image"], "redis:7.4-alpine", "{compose}");
    let worker = &doc["services"]["instructly-celery-worker"];
    assert_eq!(
        worker["environment"]["CELERY_BROKER_URL"],
        "redis://instructly-redis:6379"
    );
    assert_eq!(worker["depends_on"]["instructly-redis"]["condition"], "service_healthy");
    assert!(env.contains("\nREDIS_URL=redis://instructly-redis:6379\n"), "{env}");
}

/// M1: the broker's publisher (the web) and its consumers (worker, beat, the
/// cron job) read one Dashboard entry: the web's CELERY_BROKER_URL.
#[test]
fn render_workers_copy_the_broker_url_under_its_own_key() {
    let doc: serde_yaml::Value = serde_yaml::from_str(&committed("instructly-upstash", "render.yaml")).unwrap();
    let web = crate::support::render_service(&doc, "instructly-api");
    assert_eq!(crate::support::render_env_var(web, "CELERY_BROKER_URL")["sync"], false);
    for name in [
        "instructly-celery-worker",
        "instructly-celery-beat",
        "instructly-nightly-cleanup",
    ] {
        let service = crate::support::render_service(&doc, name);
        let broker = &crate::support::render_env_var(service, "CELERY_BROKER_URL")["fromService"];
        assert_eq!(broker["name"], "instructly-api", "{name}");
        assert_eq!(broker["envVarKey"], "CELERY_BROKER_URL", "{name}");
        let redis = &crate::support::render_env_var(service, "REDIS_URL")["fromService"];
        assert_eq!(redis["envVarKey"], "REDIS_URL", "{name}");
    }
}

/// D4: Render reads `dockerfilePath` and `dockerContext` from the repository
/// root (Blueprint spec: "relative to the repo root"): the shipped Blueprints
/// name the redis/ folder where it is committed.
#[test]
fn render_builds_the_redis_private_service_from_where_it_is_committed() {
    for env in ["instructly", "rails-sidekiq-pserv"] {
        let doc: serde_yaml::Value = serde_yaml::from_str(&committed(env, "render.yaml")).unwrap();
        let pserv = doc["services"]
            .as_sequence()
            .unwrap()
            .iter()
            .find(|s| s["type"] == "pserv")
            .unwrap();
        let dockerfile = pserv["dockerfilePath"].as_str().unwrap();
        let context = pserv["dockerContext"].as_str().unwrap();
        assert!(repo().join(dockerfile).is_file(), "{env}: {dockerfile}");
        assert!(
            repo().join(context).join("redis/redis.conf").is_file(),
            "{env}: {context}"
        );
    }
}

/// D4: `validate` finds the repository around the descriptor (the folder
/// with `.git`), and warns when a Blueprint path names nothing there; without
/// `render.root` the paths start at the output folder.
#[test]
fn validate_warns_when_a_blueprint_path_is_not_in_the_repository() {
    let descriptor =
        "name: demo\nplatform: render\ncache:\n  kind: redis\nservices:\n  web:\n    image: example/web:1\n";
    let t = crate::support::Test::new()
        .write("deploy/demo.yaml", descriptor)
        .write("deploy/wrong.yaml", &format!("{descriptor}render:\n  root: .\n"));
    crate::support::git_in(t.dir.path(), &["init", "-q"]);
    let run = t.run(&["validate", "deploy/demo.yaml"]);
    assert_eq!(
        (run.code, run.stderr.as_str()),
        (0, "deploy/demo.yaml: ok\n"),
        "{}",
        run.stdout
    );
    let run = t.run(&["render", "deploy/demo.yaml"]);
    assert_eq!(run.code, 0, "{}", run.stderr);
    let blueprint = t.read("deploy/demo/render.yaml");
    assert!(
        blueprint.contains("dockerfilePath: ./deploy/demo/redis/Dockerfile\n"),
        "{blueprint}"
    );
    let run = t.run(&["validate", "deploy/wrong.yaml"]);
    assert!(
        run.stdout
            .contains("warning: /cache: Render builds `demo-redis` from `dockerfilePath: ./redis/Dockerfile`")
            && run
                .stdout
                .contains("`render.root: ./deploy/wrong` points the Blueprint at it"),
        "{}",
        run.stdout
    );
}
