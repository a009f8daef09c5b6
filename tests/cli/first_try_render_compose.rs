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

fn render_yaml(env: &str) -> serde_yaml::Value {
    serde_yaml::from_str(&committed(env, "render.yaml")).unwrap()
}

/// I2: the Redis private service requires a password Render generates on it;
/// redis-server gets it from the environment; every client copies it.
/// Item 27: the clients' host is Render's (`fromService` `host`), not the name.
#[test]
fn the_render_private_redis_requires_a_generated_password() {
    for (env, redis) in [
        ("instructly", "instructly-redis"),
        ("rails-sidekiq-pserv", "storefront-redis-private"),
    ] {
        let doc = render_yaml(env);
        let pserv = crate::support::render_service(&doc, redis);
        assert_eq!(
            crate::support::render_env_var(pserv, "REDIS_PASSWORD")["generateValue"],
            true
        );
        let dockerfile = committed(env, "redis/Dockerfile");
        assert!(
            dockerfile.contains(r#"--requirepass \"$REDIS_PASSWORD\""#)
                && dockerfile.contains("exec docker-entrypoint.sh redis-server"),
            "{dockerfile}"
        );
        assert!(!committed(env, "redis/redis.conf").contains("no password"), "{env}");
        for service in doc["services"]
            .as_sequence()
            .unwrap()
            .iter()
            .filter(|s| s["type"] != "pserv")
        {
            let name = service["name"].as_str().unwrap();
            let password = &crate::support::render_env_var(service, "REDIS_PASSWORD")["fromService"];
            assert_eq!(
                (password["type"].as_str(), password["name"].as_str()),
                (Some("pserv"), Some(redis)),
                "{name}"
            );
            assert_eq!(password["envVarKey"], "REDIS_PASSWORD", "{name}");
            for (key, property) in [("REDIS_HOST", "host"), ("REDIS_PORT", "port")] {
                let from = &crate::support::render_env_var(service, key)["fromService"];
                assert_eq!(
                    (from["name"].as_str(), from["property"].as_str()),
                    (Some(redis), Some(property)),
                    "{name}"
                );
            }
            // No URL with a literal host: the command assembles it from Render's values.
            assert!(
                !service["envVars"]
                    .as_sequence()
                    .unwrap()
                    .iter()
                    .any(|v| v["key"] == "REDIS_URL"),
                "{name}"
            );
            let command = service["dockerCommand"]
                .as_str()
                .or(service["startCommand"].as_str())
                .unwrap();
            assert!(
                command.contains(r#"export REDIS_URL="redis://:${redis_password_encoded}@${REDIS_HOST}:6379""#),
                "{name}: {command}"
            );
        }
    }
}

/// I2: the assembled URL, run by a real shell, carries a base64 password
/// percent-encoded, and Render's host.
#[test]
fn the_assembled_redis_url_percent_encodes_a_base64_password() {
    let doc = render_yaml("instructly");
    let worker = crate::support::render_service(&doc, "instructly-celery-worker");
    let command = worker["dockerCommand"].as_str().unwrap();
    // `sh -c '<line>'`: the line, with the program swapped for one that prints the URL.
    let line = command
        .strip_prefix("sh -c '")
        .and_then(|l| l.strip_suffix('\''))
        .unwrap()
        .replace(
            "exec celery -A app.tasks worker --loglevel=info --concurrency=2",
            "printf %s \"$REDIS_URL\"",
        );
    let out = std::process::Command::new("sh")
        .args(["-c", &line])
        .env("REDIS_PASSWORD", "ab+c/d=e==")
        .env("REDIS_HOST", "instructly-redis-x7k2")
        .output()
        .unwrap();
    assert_eq!(
        String::from_utf8_lossy(&out.stdout),
        "redis://:ab%2Bc%2Fd%3De%3D%3D@instructly-redis-x7k2:6379"
    );
}

/// M5: a Render worker or cron job can start before the web's pre-deploy
/// migration: the Blueprint says to write migrations expand/contract.
#[test]
fn the_blueprint_says_workers_can_start_before_the_migration() {
    let blueprint = committed("rails-sidekiq", "render.yaml");
    let header: String = blueprint
        .lines()
        .take_while(|l| l.starts_with('#'))
        .collect::<Vec<_>>()
        .join("\n");
    assert!(
        header.contains("storefront-web runs its preDeployCommand")
            && header.contains("storefront-sidekiq and storefront-nightly-cleanup on their own")
            && header.contains("expand/contract"),
        "{header}"
    );
    // No pre-deploy, nothing to race.
    assert!(!committed("instructly", "render.yaml").contains("expand/contract"));
}

/// M6: Loki's stock config keeps logs forever; the mounted one turns the
/// compactor's retention on, with the delete-request store Loki 3 requires.
#[test]
fn loki_deletes_old_logs() {
    let doc: serde_yaml::Value = serde_yaml::from_str(&committed("revisbali", "docker-compose.yml")).unwrap();
    let volumes: Vec<&str> = doc["services"]["bs-loki"]["volumes"]
        .as_sequence()
        .unwrap()
        .iter()
        .map(|v| v.as_str().unwrap())
        .collect();
    assert!(
        volumes.contains(&"./loki/config.yaml:/etc/loki/local-config.yaml:ro"),
        "{volumes:?}"
    );
    let config: serde_yaml::Value = serde_yaml::from_str(&committed("revisbali", "loki/config.yaml")).unwrap();
    assert_eq!(config["compactor"]["retention_enabled"], true);
    assert_eq!(config["compactor"]["delete_request_store"], "filesystem");
    assert_eq!(config["limits_config"]["retention_period"], "744h");
    // The image's own storage and schema, so existing logs still read.
    assert_eq!(config["common"]["path_prefix"], "/loki");
    assert_eq!(config["schema_config"]["configs"][0]["schema"], "v13");
}

/// Item 22: a worker built like the service that migrates waits for the
/// migration's one-shot, not only for the database.
#[test]
fn a_worker_of_the_same_build_waits_for_the_pre_deploy_one_shot() {
    let doc: serde_yaml::Value = serde_yaml::from_str(&committed("fastapi-rq", "docker-compose.yml")).unwrap();
    let services = doc["services"].as_mapping().unwrap();
    let migrating: Vec<&str> = services
        .iter()
        .filter(|(name, _)| name.as_str().unwrap().ends_with("-pre-deploy"))
        .map(|(name, _)| name.as_str().unwrap())
        .collect();
    assert_eq!(migrating, ["api-pre-deploy"]);
    let worker = &doc["services"]["worker"];
    assert_eq!(worker["build"], doc["services"]["api"]["build"], "the same code");
    assert_eq!(
        worker["depends_on"]["api-pre-deploy"]["condition"],
        "service_completed_successfully"
    );
}

/// Item 24: a host-run process reads its variables from the `.env` file: a
/// service's variable whose secret has another id is written under its own name.
#[test]
fn host_env_files_hold_every_secret_variable_of_the_services() {
    let t = crate::support::Test::new().write(
        "demo.yaml",
        "name: demo\nplatform: compose\nframework: flask\npostgres:\n  database: app\n  user: app\n  expose:\n    url: DATABASE_URL\nservices:\n  web:\n    build:\n      context: .\n    ports: [\"8000:8000\"]\n    env:\n      SECRET_KEY: {secret: flask-secret-key}\nsecrets:\n  flask-secret-key:\n    description: signs Flask sessions\n",
    );
    crate::support::render_to_out(&t, "demo.yaml");
    let host = t.read("out/.env.local.example");
    assert!(host.contains("\nFLASK_SECRET_KEY=\n"), "{host}");
    assert!(host.contains("\nSECRET_KEY=${FLASK_SECRET_KEY}\n"), "{host}");
}

/// I4: files for processes on a developer's machine never run production
/// mode nor ask for a production key.
#[test]
fn host_run_env_files_run_development_mode_without_production_keys() {
    for (env, file, mode) in [
        ("rails-sidekiq", ".env.example", "RAILS_ENV=development"),
        ("rails-sidekiq-pserv", ".env.example", "RAILS_ENV=development"),
        ("node-bullmq", ".env.local.example", "NODE_ENV=development"),
    ] {
        let text = committed(env, file);
        assert!(text.lines().any(|l| l == mode), "{env}/{file}:\n{text}");
        assert!(!text.contains("=production\n"), "{env}/{file}:\n{text}");
        assert!(!text.contains("\nRAILS_MASTER_KEY="), "{env}/{file}:\n{text}");
    }
    // Containers that run production keep it.
    assert!(committed("node-bullmq", ".env.example").contains("\nNODE_ENV=production\n"));
    // A `*_ENV` with no conventional development value is left out, not guessed.
    let t = crate::support::Test::new().write(
        "demo.yaml",
        "name: demo\nplatform: compose\nenv:\n  APP_ENV: production\nservices:\n  web:\n    image: example/web:1\n",
    );
    crate::support::render_to_out(&t, "demo.yaml");
    let host = t.read("out/.env.local.example");
    assert!(!host.lines().any(|l| l.starts_with("APP_ENV=")), "{host}");
    assert!(
        host.contains("left out, as production's only: `APP_ENV=production`"),
        "{host}"
    );
}

/// Item 23: the compose check runs a program the image has. No framework (a
/// Go image) gets no guessed `python3`: no check, a note, and dependents wait
/// for the start; `exec` runs with no shell (distroless), beside the `http`
/// path the platform probes; timeout and start period are the descriptor's.
#[test]
fn compose_health_checks_run_what_the_image_has() {
    let go = "name: demo\nplatform: compose\nservices:\n  api:\n    build:\n      context: .\n    ports: [\"8080:8080\"]\n    healthcheck:\n      http: /healthz\n  worker:\n    build:\n      context: .\n    depends_on: [api]\n";
    let t = crate::support::Test::new().write("demo.yaml", go);
    crate::support::render_to_out(&t, "demo.yaml");
    let compose = t.read("out/docker-compose.yml");
    assert!(!compose.contains("python3"), "{compose}");
    let doc: serde_yaml::Value = serde_yaml::from_str(&compose).unwrap();
    assert!(doc["services"]["api"].get("healthcheck").is_none(), "{compose}");
    assert_eq!(
        doc["services"]["worker"]["depends_on"]["api"]["condition"],
        "service_started"
    );
    assert!(
        compose.contains("# `api` has no check inside its container"),
        "{compose}"
    );

    let distroless = go.replace(
        "      http: /healthz\n",
        "      http: /healthz\n      exec: [\"/app/healthcheck\", \"--port\", \"8080\"]\n      timeout_seconds: 3\n      start_period_seconds: 30\n",
    );
    let t = crate::support::Test::new().write("demo.yaml", &distroless);
    crate::support::render_to_out(&t, "demo.yaml");
    let doc: serde_yaml::Value = serde_yaml::from_str(&t.read("out/docker-compose.yml")).unwrap();
    let check = &doc["services"]["api"]["healthcheck"];
    let test: Vec<&str> = check["test"]
        .as_sequence()
        .unwrap()
        .iter()
        .map(|v| v.as_str().unwrap())
        .collect();
    assert_eq!(test, ["CMD", "/app/healthcheck", "--port", "8080"]);
    assert_eq!(
        (check["timeout"].as_str(), check["start_period"].as_str()),
        (Some("3s"), Some("30s"))
    );
    assert_eq!(
        doc["services"]["worker"]["depends_on"]["api"]["condition"],
        "service_healthy"
    );

    // The platform keeps probing `http` from outside.
    let render = distroless.replace("platform: compose\n", "platform: render\n").replace(
        "    ports: [\"8080:8080\"]\n",
        "    role: web\n    ports: [\"8080:8080\"]\n    command: /app/server\n",
    );
    let t = crate::support::Test::new().write("demo.yaml", &render);
    crate::support::render_to_out(&t, "demo.yaml");
    let blueprint: serde_yaml::Value = serde_yaml::from_str(&t.read("out/render.yaml")).unwrap();
    assert_eq!(
        crate::support::render_service(&blueprint, "api")["healthCheckPath"],
        "/healthz"
    );
}
