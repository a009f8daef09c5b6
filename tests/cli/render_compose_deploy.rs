//! Render and docker compose files that deploy and run as written (issue 11,
//! items 2 and 11-17): what the validators cannot see, read as an operator would.

use crate::support::{committed, render_service, render_to_out, repo, Test};
use serde_yaml::Value;

fn yaml(text: &str) -> Value {
    serde_yaml::from_str(text).unwrap()
}

fn env_var<'a>(service: &'a Value, key: &str) -> Option<&'a Value> {
    service["envVars"].as_sequence()?.iter().find(|v| v["key"] == key)
}

const RENDER: &str = "\
name: demo
platform: render
postgres:
  database: app
  user: app
  expose:
    url: DATABASE_URL
cache:
  kind: redis
  expose:
    url: REDIS_URL
    host: REDIS_HOST
    port: REDIS_PORT
broker:
  kind: celery
services:
  web:
    role: web
    image: example/web:1
    command: gunicorn app:app --bind 0.0.0.0:8000
    ports: [\"8000:8000\"]
    env:
      SECRET_KEY: {secret: secret-key}
  worker:
    role: worker
    image: example/web:1
    env:
      APP_SECRET: {secret: secret-key}
secrets:
  secret-key:
    generate: true
";

fn render(descriptor: &str) -> (Test, Value) {
    let test = Test::new().write("demo.yaml", descriptor);
    render_to_out(&test, "demo.yaml");
    let doc = yaml(&test.read("out/render.yaml"));
    (test, doc)
}

#[test]
fn a_generated_secret_shared_by_services_is_generated_once() {
    let doc = yaml(&committed("instructly", "render.yaml"));
    let api = env_var(render_service(&doc, "instructly-api"), "SECRET_KEY").unwrap();
    assert_eq!(api["generateValue"], Value::from(true));
    let worker = env_var(render_service(&doc, "instructly-celery-worker"), "SECRET_KEY").unwrap();
    assert!(worker.get("generateValue").is_none(), "a second value would differ");
    assert_eq!(worker["fromService"]["name"], "instructly-api");
    assert_eq!(worker["fromService"]["type"], "web");
    assert_eq!(worker["fromService"]["envVarKey"], "SECRET_KEY");

    // Under another key, the copy names the key of the service that generates it.
    let (_, doc) = render(RENDER);
    let copy = env_var(render_service(&doc, "worker"), "APP_SECRET").unwrap();
    assert_eq!(copy["fromService"]["envVarKey"], "SECRET_KEY");
    assert_eq!(copy["fromService"]["name"], "web");

    // In the descriptor-wide group: generated once, in the group.
    let shared = RENDER
        .replace("    env:\n      SECRET_KEY: {secret: secret-key}\n", "")
        .replace("    env:\n      APP_SECRET: {secret: secret-key}\n", "")
        .replace("services:\n", "env:\n  SECRET_KEY: {secret: secret-key}\nservices:\n");
    let (_, doc) = render(&shared);
    let group = &doc["envVarGroups"][0]["envVars"][0];
    assert_eq!(group["key"], "SECRET_KEY");
    assert_eq!(group["generateValue"], Value::from(true));
}

#[test]
fn render_postgres_is_private_unless_opened_and_then_linted() {
    let doc = yaml(&committed("instructly", "render.yaml"));
    assert_eq!(doc["databases"][0]["ipAllowList"], Value::Sequence(vec![]));

    let open = RENDER.replace(
        "platform: render\n",
        "platform: render\nrender:\n  database_ip_allow_list:\n    - source: 203.0.113.0/24\n      description: office VPN\n",
    );
    let test = Test::new().write("demo.yaml", &open);
    let run = test.run(&["validate", "demo.yaml"]);
    assert_eq!(run.code, 1, "{}", run.stdout);
    assert!(
        run.stdout.contains(
            "error: /render/database_ip_allow_list: PostgreSQL is reachable from outside Render (`deploygen explain render-postgres-public`)"
        ),
        "{}",
        run.stdout
    );
    let accepted = format!("{open}accept:\n  render-postgres-public: the office imports nightly\n");
    let (_, doc) = render(&accepted);
    let allow = &doc["databases"][0]["ipAllowList"][0];
    assert_eq!(allow["source"], "203.0.113.0/24");
    assert_eq!(allow["description"], "office VPN");
}

#[test]
fn the_redis_address_is_an_explicit_choice_and_the_rest_comes_from_render() {
    let text = committed("instructly", "render.yaml");
    assert!(
        text.contains(
            "# cannot join values into a URL, so each client's command assembles its Redis URLs when it starts,"
        ),
        "the operator is told where the URL comes from:\n{text}"
    );
    let (_, doc) = render(RENDER);
    let web = render_service(&doc, "web");
    assert!(env_var(web, "REDIS_URL").is_none());
    let command = web["dockerCommand"].as_str().unwrap();
    assert!(
        command.contains("@${REDIS_HOST}:6379"),
        "Render's host, the slug: {command}"
    );
    for (key, property) in [("REDIS_HOST", "host"), ("REDIS_PORT", "port")] {
        let var = env_var(web, key).unwrap();
        assert_eq!(var["fromService"]["type"], "pserv", "{key}");
        assert_eq!(var["fromService"]["name"], "demo-redis", "{key}");
        assert_eq!(var["fromService"]["property"], property, "{key}");
    }

    let slug = RENDER.replace(
        "platform: render\n",
        "platform: render\nrender:\n  redis_host: demo-redis-x8wd\n",
    );
    let (_, doc) = render(&slug);
    let web = render_service(&doc, "web");
    let command = web["dockerCommand"].as_str().unwrap();
    assert!(command.contains("@demo-redis-x8wd:6379"), "{command}");
    assert_eq!(
        render_service(&doc, "demo-redis")["type"],
        "pserv",
        "the service keeps its name"
    );
}

#[test]
fn web_services_listen_where_render_routes_and_auto_deploy_uses_the_current_field() {
    for env in ["instructly", "instructly-upstash"] {
        let text = committed(env, "render.yaml");
        assert!(
            !text.contains("autoDeploy:"),
            "{env}: `autoDeploy` is replaced by `autoDeployTrigger`"
        );
        let doc = yaml(&text);
        let api = render_service(&doc, "instructly-api");
        assert!(api["dockerCommand"].as_str().unwrap().contains("--port 8000"));
        assert_eq!(env_var(api, "PORT").unwrap()["value"], "8000", "{env}");
        let worker = render_service(&doc, "instructly-celery-worker");
        assert!(env_var(worker, "PORT").is_none(), "workers receive no traffic");
    }
    let doc = yaml(&committed("instructly", "render.yaml"));
    assert_eq!(render_service(&doc, "instructly-redis")["autoDeployTrigger"], "off");
}

#[test]
fn a_web_command_on_another_port_than_render_routes_to_is_refused() {
    let other = RENDER.replace("--bind 0.0.0.0:8000", "--bind 0.0.0.0:5000");
    let run = Test::new().write("demo.yaml", &other).run(&["validate", "demo.yaml"]);
    assert_eq!(run.code, 1, "{}", run.stdout);
    assert!(
        run.stdout.contains(
            "error: /services/web/command: `web` listens on 5000, but Render routes to PORT=8000 (from `ports`): make them agree"
        ),
        "{}",
        run.stdout
    );
    let unrouted = RENDER.replace("    ports: [\"8000:8000\"]\n", "");
    let run = Test::new()
        .write("demo.yaml", &unrouted)
        .run(&["validate", "demo.yaml"]);
    assert!(
        run.stdout
            .contains("`web` listens on 8000, but Render routes to `$PORT` (10000)"),
        "{}",
        run.stdout
    );
    let bound = unrouted.replace("0.0.0.0:8000", "0.0.0.0:$PORT");
    let run = Test::new().write("demo.yaml", &bound).run(&["validate", "demo.yaml"]);
    assert_eq!(run.code, 0, "binding $PORT is right: {}", run.stdout);
}

#[test]
fn a_scheduled_job_runs_from_cron_and_never_restarts_forever() {
    let text = committed("instructly", "docker-compose.celery.yml");
    let doc = yaml(&text);
    let job = &doc["services"]["instructly-nightly-cleanup"];
    assert_eq!(job["restart"], "no");
    assert_eq!(job["profiles"], Value::Sequence(vec![Value::from("jobs")]));
    assert!(
        text.contains(
            "#   0 3 * * * cd /path/to/this/folder && docker compose -f docker-compose.celery.yml run --rm -T instructly-nightly-cleanup\n"
        ),
        "{text}"
    );
    let env = committed("instructly", ".env.example");
    assert!(
        env.lines().nth(1)
            == Some("# For containers (docker-compose.celery.yml): copy to .env next to the compose file."),
        "the .env example names the compose file it feeds:\n{env}"
    );
    for name in ["instructly-celery-worker", "instructly-celery-beat"] {
        assert_eq!(doc["services"][name]["restart"], "unless-stopped", "{name}");
        assert!(doc["services"][name].get("profiles").is_none(), "{name}");
    }
    // The compose platform itself: the same form, in docker-compose.yml.
    let descriptor = format!("{COMPOSE}  cleanup:\n    image: python:3.12-slim\n    schedule: \"*/15 * * * *\"\n");
    let test = Test::new().write("demo.yaml", &descriptor);
    let run = test.run(&["render", "demo.yaml", "-o", "out"]);
    assert_eq!(run.code, 0, "{}", run.stderr);
    let text = test.read("out/docker-compose.yml");
    let job = &yaml(&text)["services"]["cleanup"];
    assert_eq!(
        (job["restart"].as_str(), job["profiles"][0].as_str()),
        (Some("no"), Some("jobs"))
    );
    assert!(text.contains(
        "#   */15 * * * * cd /path/to/this/folder && docker compose -f docker-compose.yml run --rm -T cleanup\n"
    ));
    let readme = std::fs::read_to_string(repo().join("templates/compose/README.md")).unwrap();
    assert!(readme.contains("run --rm -T"), "the README shows the crontab line");
}

#[test]
fn infrastructure_is_on_localhost_grafana_needs_a_password_and_alloy_ships_logs() {
    for (env, file) in [
        ("revisbali", "docker-compose.yml"),
        ("revisbali", "docker-compose-local.yml"),
    ] {
        let doc = yaml(&committed(env, file));
        for name in ["bs-loki", "bs-grafana", "bs-alloy"] {
            for port in doc["services"][name]["ports"].as_sequence().unwrap() {
                assert!(
                    port.as_str().unwrap().starts_with("127.0.0.1:"),
                    "{file}: {name} publishes {port:?}"
                );
            }
        }
        let password = doc["services"]["bs-grafana"]["environment"]["GF_SECURITY_ADMIN_PASSWORD"]
            .as_str()
            .unwrap();
        assert!(password.starts_with("${GRAFANA_ADMIN_PASSWORD:?"), "{password}");
        let volumes: Vec<&str> = doc["services"]["bs-alloy"]["volumes"]
            .as_sequence()
            .unwrap()
            .iter()
            .map(|v| v.as_str().unwrap())
            .collect();
        assert!(
            volumes.contains(&"./alloy/config.alloy:/etc/alloy/config.alloy:ro"),
            "{volumes:?}"
        );
        assert!(
            volumes.contains(&"/var/run/docker.sock:/var/run/docker.sock:ro"),
            "{volumes:?}"
        );
    }
    let env = committed("revisbali", ".env.example");
    assert!(env.contains("\nGRAFANA_ADMIN_PASSWORD=\n"), "{env}");
    let grafana = committed("revisbali", "grafana/datasources.yaml");
    assert!(
        grafana.contains("    type: loki\n    access: proxy\n    url: http://bs-loki:3100\n"),
        "{grafana}"
    );
    let alloy = committed("revisbali", "alloy/config.alloy");
    for line in [
        "discovery.docker \"containers\" {",
        "loki.source.docker \"containers\" {",
        "    regex         = \"revisbali|revisbali-local\"",
        "    url = \"http://bs-loki:3100/loki/api/v1/push\"",
    ] {
        assert!(
            alloy.lines().any(|l| l == line),
            "config.alloy lacks `{line}`:\n{alloy}"
        );
    }
}

const COMPOSE: &str = "\
name: demo
platform: compose
infrastructure:
  logs:
    kind: loki
services:
  api:
    image: python:3.12-slim
    ports: [\"8000:8000\"]
    healthcheck:
      http: /health
";

#[test]
fn alloy_without_a_loki_to_ship_to_is_refused() {
    let descriptor = COMPOSE.replace("    kind: loki\n", "    kind: alloy\n");
    let run = Test::new()
        .write("demo.yaml", &descriptor)
        .run(&["validate", "demo.yaml"]);
    assert_eq!(run.code, 1, "{}", run.stdout);
    assert!(
        run.stdout
            .contains("/infrastructure/logs/kind: an `alloy` service ships container logs to a `loki` service"),
        "{}",
        run.stdout
    );
}

#[test]
fn opening_an_infrastructure_port_is_a_finding() {
    for (descriptor, pointer) in [
        (
            COMPOSE.replace("    kind: loki\n", "    kind: loki\n    public_ports: true\n"),
            "/infrastructure/logs/public_ports",
        ),
        (
            COMPOSE.replace(
                "    kind: loki\n",
                "    kind: loki\n    ports: [\"0.0.0.0:3100:3100\"]\n",
            ),
            "/infrastructure/logs/ports",
        ),
    ] {
        let test = Test::new().write("demo.yaml", &descriptor);
        let run = test.run(&["validate", "demo.yaml"]);
        assert_eq!(run.code, 1, "{}", run.stdout);
        assert!(
            run.stdout
                .contains(&format!("error: {pointer}: `logs` is published beyond 127.0.0.1")),
            "{}",
            run.stdout
        );
    }
    let test = Test::new().write("demo.yaml", COMPOSE);
    test.run(&["validate", "demo.yaml"]).expect(0, "", "demo.yaml: ok\n");
}

fn compose_test(descriptor: &str) -> Vec<String> {
    let test = Test::new().write("demo.yaml", descriptor);
    let run = test.run(&["render", "demo.yaml", "-o", "out"]);
    assert_eq!(run.code, 0, "{}", run.stderr);
    let doc = yaml(&test.read("out/docker-compose.yml"));
    doc["services"]["api"]["healthcheck"]["test"]
        .as_sequence()
        .unwrap()
        .iter()
        .map(|v| v.as_str().unwrap().to_string())
        .collect()
}

#[test]
fn http_health_checks_run_with_what_the_image_has() {
    // No framework: no language to pick a client by (item 23); named, python.
    let test = compose_test(&COMPOSE.replace(
        "      http: /health\n",
        "      http: /health\n      http_client: python\n",
    ));
    assert_eq!(test[..3], ["CMD", "python3", "-c"]);
    assert!(
        test[3].contains("urllib.request.urlopen('http://127.0.0.1:8000/health'"),
        "{test:?}"
    );
    let node = compose_test(&COMPOSE.replace(
        "      http: /health\n",
        "      http: /health\n      http_client: node\n",
    ));
    assert_eq!(node[..3], ["CMD", "node", "-e"]);
    let own = compose_test(&COMPOSE.replace("      http: /health\n", "      command: /app/bin/healthy\n"));
    assert_eq!(own, ["CMD-SHELL", "/app/bin/healthy"]);
    for env in ["revisbali", "revisbali-memcached", "instructly", "magictoolbox-dev"] {
        for file in [
            "docker-compose.yml",
            "docker-compose-local.yml",
            "docker-compose.celery.yml",
        ] {
            let path = repo().join("environments").join(env).join(file);
            if let Ok(text) = std::fs::read_to_string(path) {
                assert!(!text.contains("curl"), "{env}/{file} assumes curl in an image");
            }
        }
    }
}

#[test]
fn secrets_inside_urls_say_how_to_choose_them() {
    let env = committed("instructly", ".env.example");
    let lines: Vec<&str> = env.lines().collect();
    let at = lines.iter().position(|l| *l == "POSTGRES_PASSWORD=").unwrap();
    assert!(
        lines[at - 1].starts_with("# goes into DATABASE_URL as is")
            && lines[at - 1].contains("use only letters, digits and `-._~`"),
        "{env}"
    );
    assert!(env.contains("DATABASE_URL=postgresql://instructly:${POSTGRES_PASSWORD}@db:5432/instructly"));
    let secret = lines.iter().position(|l| *l == "SECRET_KEY=").unwrap();
    assert!(!lines[secret - 1].contains("goes into"), "SECRET_KEY is no URL part");
    // Seed 002's placeholder URL, filled in by hand with a base64 access key.
    let chat = committed("chat", ".env.example");
    let lines: Vec<&str> = chat.lines().collect();
    let at = lines
        .iter()
        .position(|l| *l == "REDIS_CONNECTION_STRING=change-me")
        .unwrap();
    assert!(
        lines[at - 1].contains("percent-encoded: `/` as `%2F`, `+` as `%2B`"),
        "{chat}"
    );
}
