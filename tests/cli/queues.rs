//! Job queues as an open set (issue 13): every kind validates where it can
//! keep its jobs, gets `noeviction` on its Redis, and its workers render as
//! workers on every platform, named by their queue in Render's compose file.

use crate::support::{render_service, Run, Test};
use serde_yaml::Value;

/// Every queue kind, with the `transport` it needs spelled out where it must be.
const KINDS: &[&str] = &[
    "celery",
    "rq",
    "sidekiq",
    "bullmq",
    "dramatiq",
    "arq",
    "pgqueuer\n  transport: redis",
    "generic\n  transport: redis",
];

fn descriptor(platform: &str, cache: &str, broker: &str) -> String {
    let image = if platform == "compose" || platform == "render" {
        "    build: {context: .}\n"
    } else {
        "    image: example.azurecr.io/app:1\n"
    };
    let azure = if platform.starts_with("azure") {
        "azure:\n  location: westeurope\n"
    } else {
        ""
    };
    format!(
        "name: demo\nplatform: {platform}\n{azure}postgres: {{database: app, user: app}}\ncache:\n{cache}broker:\n  kind: {broker}\n\
         services:\n  web:\n{image}    ports: [\"8000:8000\"]\n  jobs:\n    role: worker\n{image}    command: [\"run-worker\"]\n"
    )
}

fn render(descriptor: &str) -> (Test, Run) {
    let t = Test::new().write("demo.yaml", descriptor);
    let run = t.run(&["render", "demo.yaml", "-o", "out"]);
    (t, run)
}

/// The Bicep block of one container app, up to the next declaration.
fn bicep_block<'a>(text: &'a str, start: &str) -> &'a str {
    let from = text.find(start).unwrap_or_else(|| panic!("no `{start}`"));
    let rest = &text[from + start.len()..];
    let to = ["\nresource ", "\noutput ", "\nvar "]
        .iter()
        .filter_map(|m| rest.find(m))
        .min()
        .unwrap_or(rest.len());
    &rest[..to]
}

#[test]
fn a_worker_is_a_worker_on_every_platform_whatever_its_queue() {
    let redis = "  kind: redis\n";
    for kind in KINDS.iter().copied().chain(["none"]) {
        let (t, run) = render(&descriptor("compose", redis, kind));
        assert_eq!(run.code, 0, "{kind}: {}", run.stderr);
        let compose: Value = serde_yaml::from_str(&t.read("out/docker-compose.yml")).unwrap();
        assert!(
            compose["services"]["jobs"].get("ports").is_none(),
            "{kind}: compose worker publishes a port"
        );
        assert!(compose["services"]["web"].get("ports").is_some());

        let (t, run) = render(&descriptor("render", redis, kind));
        assert_eq!(run.code, 0, "{kind}: {}", run.stderr);
        let blueprint: Value = serde_yaml::from_str(&t.read("out/render.yaml")).unwrap();
        assert_eq!(
            render_service(&blueprint, "jobs")["type"],
            Value::from("worker"),
            "{kind}"
        );
        assert_eq!(render_service(&blueprint, "web")["type"], Value::from("web"), "{kind}");

        let (t, run) = render(&descriptor(
            "azure-container-apps",
            "  kind: redis\n  provider: azure-managed\n",
            kind,
        ));
        assert_eq!(run.code, 0, "{kind}: {}", run.stderr);
        let apps = t.read("out/infra/modules/container-apps.bicep");
        assert!(
            !bicep_block(&apps, "resource jobsApp ").contains("ingress"),
            "{kind}: the worker has ingress"
        );
        assert!(bicep_block(&apps, "resource webApp ").contains("ingress"), "{kind}");
    }
}

#[test]
fn app_service_still_refuses_a_worker_and_a_queue() {
    for kind in ["rq", "none"] {
        let t = Test::new().write(
            "demo.yaml",
            &descriptor("azure-app-service", "  kind: redis\n  provider: azure-cache\n", kind),
        );
        let run = t.run(&["validate", "demo.yaml"]);
        assert_eq!(run.code, 1, "{kind}");
        assert!(
            run.stdout
                .contains("`azure-app-service` runs exactly one `web` service"),
            "{}",
            run.stdout
        );
    }
}

/// Render fails a `web` service's deploy when no port opens: a service with
/// no role that opens none is a worker.
#[test]
fn a_service_without_a_role_or_a_port_is_a_worker() {
    let text = descriptor("render", "  kind: redis\n", "sidekiq").replace("    role: worker\n", "");
    let (t, run) = render(&text);
    assert_eq!(run.code, 0, "{}", run.stderr);
    let blueprint: Value = serde_yaml::from_str(&t.read("out/render.yaml")).unwrap();
    assert_eq!(render_service(&blueprint, "jobs")["type"], Value::from("worker"));
    // A port, an ingress or an HTTP health check still makes it web.
    let text = text.replace(
        "    command: [\"run-worker\"]\n",
        "    healthcheck: {http: /healthz}\n    ports: [\"9000:9000\"]\n",
    );
    let (t, run) = render(&text);
    assert_eq!(run.code, 0, "{}", run.stderr);
    let blueprint: Value = serde_yaml::from_str(&t.read("out/render.yaml")).unwrap();
    assert_eq!(render_service(&blueprint, "jobs")["type"], Value::from("web"));
}

#[test]
fn a_kind_on_a_transport_it_cannot_use_is_refused_where_it_is_set() {
    let text = descriptor("compose", "  kind: redis\n", "sidekiq\n  transport: database");
    Test::new().write("demo.yaml", &text).run(&["validate", "demo.yaml"]).expect(
        1,
        "demo.yaml:8:14: error: /broker/transport: Sidekiq keeps its jobs in Redis only, not in the database; set `transport: redis` or leave it out\n",
        "demo.yaml: 1 error, 0 warnings\n",
    );
    let text = descriptor("compose", "  kind: redis\n", "generic");
    Test::new().write("demo.yaml", &text).run(&["validate", "demo.yaml"]).expect(
        1,
        "demo.yaml:7:9: error: /broker/kind: `generic` needs `broker.transport`: `redis` or `database`, whichever its worker reads jobs from\n",
        "demo.yaml: 1 error, 0 warnings\n",
    );
    for ok in ["generic\n  transport: database", "celery\n  transport: database", "rq"] {
        let run = Test::new()
            .write("demo.yaml", &descriptor("compose", "  kind: redis\n", ok))
            .run(&["validate", "demo.yaml"]);
        assert_eq!(run.code, 0, "{ok}: {}", run.stdout);
    }
}

/// Wherever deploygen sets the eviction policy, a queue on the Redis gets
/// `noeviction` unless the descriptor names a policy; without a queue the
/// defaults stay.
#[test]
fn a_queue_on_redis_gets_noeviction_wherever_deploygen_sets_the_policy() {
    for kind in KINDS {
        let (t, run) = render(&descriptor("compose", "  kind: redis\n", kind));
        assert_eq!(run.code, 0, "{kind}: {}", run.stderr);
        let compose = t.read("out/docker-compose.yml");
        assert!(
            compose.contains("- \"--maxmemory-policy\"\n      - noeviction\n"),
            "{kind}:\n{compose}"
        );

        let (t, _) = render(&descriptor("render", "  kind: redis\n", kind));
        assert!(
            t.read("out/redis/redis.conf")
                .contains("\nmaxmemory-policy noeviction\n"),
            "{kind}"
        );
        let (t, _) = render(&descriptor(
            "render",
            "  kind: redis\n  provider: render-key-value\n",
            kind,
        ));
        let blueprint: Value = serde_yaml::from_str(&t.read("out/render.yaml")).unwrap();
        assert_eq!(
            render_service(&blueprint, "demo-redis")["maxmemoryPolicy"],
            Value::from("noeviction"),
            "{kind}"
        );

        let (t, _) = render(&descriptor(
            "azure-container-apps",
            "  kind: redis\n  provider: azure-cache\n",
            kind,
        ));
        assert!(
            t.read("out/infra/modules/redis.bicep")
                .contains("'maxmemory-policy': 'noeviction'"),
            "{kind}"
        );
        let (t, _) = render(&descriptor(
            "azure-container-apps",
            "  kind: redis\n  provider: azure-managed\n",
            kind,
        ));
        let amr = t.read("out/infra/modules/redis.bicep");
        assert!(amr.contains("evictionPolicy: 'NoEviction'"), "{kind}:\n{amr}");
        assert!(amr.contains("clusteringPolicy: 'NoCluster'"), "{kind}");
    }
    // No queue on the Redis: the cache's defaults.
    let (t, _) = render(&descriptor("render", "  kind: redis\n", "pgqueuer"));
    assert!(t
        .read("out/redis/redis.conf")
        .contains("\nmaxmemory-policy allkeys-lru\n"));
    let (t, _) = render(&descriptor("compose", "  kind: redis\n", "none"));
    assert!(!t.read("out/docker-compose.yml").contains("maxmemory-policy"));
    // A policy the descriptor names is kept, and the lint says what it costs.
    let text = descriptor("render", "  kind: redis\n  maxmemory_policy: allkeys-lru\n", "rq");
    let (t, _) = render(&text);
    assert!(t
        .read("out/redis/redis.conf")
        .contains("\nmaxmemory-policy allkeys-lru\n"));
    let run = t.run(&["validate", "demo.yaml"]);
    assert!(
        run.stdout.starts_with("demo.yaml:6:21: warning: /cache/maxmemory_policy: RQ keeps its jobs in this Redis, but `maxmemory_policy: allkeys-lru` evicts keys"),
        "{}",
        run.stdout
    );
}

/// Render's local companion file is named by the queue; S4 keeps `celery`.
#[test]
fn the_render_workers_compose_file_is_named_by_its_queue() {
    for (kind, file, label) in [
        (
            "celery",
            "docker-compose.celery.yml",
            "# Celery workers with their Redis and database, for local runs.",
        ),
        (
            "sidekiq",
            "docker-compose.sidekiq.yml",
            "# Sidekiq workers with their Redis and database, for local runs.",
        ),
        (
            "generic\n  transport: redis",
            "docker-compose.generic.yml",
            "# Workers with their Redis and database, for local runs.",
        ),
        (
            "none",
            "docker-compose.workers.yml",
            "# Workers with their Redis and database, for local runs.",
        ),
    ] {
        let (t, run) = render(&descriptor("render", "  kind: redis\n", kind));
        assert_eq!(run.code, 0, "{kind}: {}", run.stderr);
        let text = t.read(&format!("out/{file}"));
        assert!(text.lines().nth(1) == Some(label), "{kind}:\n{text}");
        assert!(t.read("out/.env.example").contains(&format!("({file})")), "{kind}");
        if kind != "celery" {
            assert!(!t.path("out/docker-compose.celery.yml").exists(), "{kind}");
            assert!(!text.to_lowercase().contains("celery"), "{kind}:\n{text}");
        }
    }
}

/// `broker.database` without a URL of its own would reach no worker.
#[test]
fn a_queue_database_no_service_reads_is_refused() {
    let text = descriptor("compose", "  kind: redis\n", "rq\n  database: 2");
    Test::new().write("demo.yaml", &text).run(&["validate", "demo.yaml"]).expect(
        1,
        "demo.yaml:8:13: error: /broker/database: the queue is in Redis database 2, but no service is told so: set `broker.expose.url` to the variable its worker reads (the cache's URL points at database 0)\n",
        "demo.yaml: 1 error, 0 warnings\n",
    );
    let text = descriptor(
        "compose",
        "  kind: redis\n",
        "rq\n  database: 2\n  expose: {url: RQ_REDIS_URL}",
    );
    let run = Test::new().write("demo.yaml", &text).run(&["validate", "demo.yaml"]);
    assert_eq!(run.code, 0, "{}", run.stdout);
}

/// A service that asks for the queue's settings needs a queue; a worker does not.
#[test]
fn uses_broker_without_a_queue_is_refused_at_uses() {
    let text = descriptor("compose", "  kind: redis\n", "none")
        .replace("    role: worker\n", "    role: worker\n    uses: [cache, broker]\n");
    let run = Test::new().write("demo.yaml", &text).run(&["validate", "demo.yaml"]);
    assert_eq!(run.code, 1);
    assert!(
        run.stdout.starts_with("demo.yaml:14:11: error: /services/jobs/uses: `uses: [broker]` asks for the queue's settings, but `broker.kind` is `none`"),
        "{}",
        run.stdout
    );
}

/// `--without redis` takes a Redis-only queue's workers with it, a worker
/// known by its missing port included.
#[test]
fn without_redis_a_redis_only_queue_goes_with_its_workers() {
    let text = descriptor("render", "  kind: redis\n", "sidekiq").replace("    role: worker\n", "");
    let t = Test::new().write("demo.yaml", &text);
    let run = t.run(&["diff", "demo.yaml", "--without", "redis", "--format", "markdown"]);
    assert_eq!(run.code, 1, "{}", run.stderr);
    for expected in [
        "Task queue: Sidekiq on Redis → no task queue.",
        "Service `jobs` is removed.",
        "Lost if the old place goes while jobs wait in it: the jobs enqueued in it (every queue), the scheduled set",
        "Sidekiq::ProcessSet.new.each(&:quiet!)",
        "Suspend jobs (Render Dashboard",
    ] {
        assert!(run.stdout.contains(expected), "missing {expected:?}:\n{}", run.stdout);
    }
    assert!(!run.stdout.contains("docker-compose.workers.yml"), "{}", run.stdout);
}

/// The commands in a block of the notes, as an operator's shell reads them.
fn bash_lines(notes: &str) -> Vec<String> {
    let mut out = Vec::new();
    let mut inside = false;
    for line in notes.lines() {
        match line.trim() {
            "```bash" => inside = true,
            "```" => inside = false,
            l if inside && !l.is_empty() => out.push(l.to_string()),
            _ => {}
        }
    }
    out
}

/// Every drain and count command of every queue kind is runnable as written
/// from an operator's interactive bash (history expansion on): on Container
/// Apps the command `az containerapp exec --command` receives is exactly the
/// one Render's notes ask to run in the worker's Shell (written as is), with
/// no `$`, backquote or `!` taken by the local shell.
#[test]
fn drain_commands_reach_the_worker_as_written_on_every_platform() {
    let cache = "  kind: redis\n  expose: {url: REDIS_URL}\n";
    for kind in KINDS {
        let notes = |platform: &str| {
            let t = Test::new().write("demo.yaml", &descriptor(platform, cache, kind));
            let run = t.run(&["diff", "demo.yaml", "--without", "redis", "--format", "markdown"]);
            assert_eq!(run.code, 1, "{kind} on {platform}: {}", run.stderr);
            bash_lines(&run.stdout)
        };
        let on_render: Vec<String> = notes("render")
            .iter()
            .filter_map(|l| l.split_once("  # in the Shell of ").map(|(c, _)| c.to_string()))
            .collect();
        let on_azure: Vec<String> = notes("azure-container-apps")
            .into_iter()
            .filter(|l| l.starts_with("az containerapp exec "))
            .collect();
        assert_eq!(on_render.len(), on_azure.len(), "{kind}: {on_render:?} {on_azure:?}");
        for (expected, line) in on_render.iter().zip(&on_azure) {
            // `az containerapp exec` runs one program without arguments: it
            // opens a shell, and the operator types the same line as on Render.
            let (line, typed) = line
                .split_once("  # then, in that shell: ")
                .unwrap_or_else(|| panic!("{kind}: {line}"));
            assert_eq!(typed, expected, "{kind}");
            let script = format!(
                "set -o history -H\naz() {{ while [ \"$1\" != --command ]; do shift; done; printf '%s' \"$2\"; }}\n{}\n",
                // The placeholder the operator fills in.
                line.replace("<resource-group>", "rg")
            );
            let mut child = std::process::Command::new("bash")
                .stdin(std::process::Stdio::piped())
                .stdout(std::process::Stdio::piped())
                .stderr(std::process::Stdio::piped())
                .spawn()
                .unwrap();
            use std::io::Write;
            child.stdin.take().unwrap().write_all(script.as_bytes()).unwrap();
            let out = child.wait_with_output().unwrap();
            assert!(
                out.stderr.is_empty(),
                "{kind}: {line}\n{}",
                String::from_utf8_lossy(&out.stderr)
            );
            assert_eq!(String::from_utf8_lossy(&out.stdout), "sh", "{kind}: {line}");
        }
    }
}

/// On compose a service without a port is often reached over the compose
/// network (an internal API behind a proxy): only a declared worker takes
/// jobs there, so `--without redis` neither removes, drains nor stops it.
/// Render and Container Apps keep the inference (a process without a port
/// can be nothing else there).
#[test]
fn on_compose_a_service_without_a_port_is_not_taken_for_a_worker() {
    let text = "\
name: shop
platform: compose
framework: fastapi
postgres: {database: shop, user: shop}
cache:
  kind: redis
  expose: {url: REDIS_URL}
broker:
  kind: celery
services:
  proxy:
    image: nginx
    ports: [\"80:80\"]
    depends_on: [api]
  api:
    image: example/api:1
    command: uvicorn app.main:app --host 0.0.0.0 --port 8000
  jobs:
    role: worker
    image: example/api:1
    command: celery -A app worker
";
    let t = Test::new().write("demo.yaml", text);
    let run = t.run(&["diff", "demo.yaml", "--without", "redis", "--format", "markdown"]);
    assert_eq!(run.code, 1, "{}", run.stderr);
    let notes = &run.stdout;
    assert!(notes.contains("Service `jobs` is removed."), "{notes}");
    // The rendered folder's compose file has no `jobs` any more: its container is named.
    assert!(
        notes.contains("docker exec shop-jobs-1 celery -A app inspect active"),
        "{notes}"
    );
    assert!(notes.contains("docker stop shop-jobs-1\n"), "{notes}");
    assert!(!notes.contains("Service `api` is removed"), "{notes}");
    assert!(!notes.contains("exec api "), "{notes}");
    assert!(!notes.contains("stop api"), "{notes}");
}

/// A worker given Redis as host, port and password only (no URL).
const PARTS_ONLY: &str = "\
name: demo
platform: compose
postgres: {database: app, user: app}
cache:
  kind: redis
  password_secret: redis-password
  expose: {host: REDIS_HOST, port: REDIS_PORT, password: REDIS_PASSWORD}
broker:
  kind: bullmq
services:
  web:
    build: {context: .}
    ports: [\"8000:8000\"]
  jobs:
    role: worker
    build: {context: .}
    command: [\"node\", \"worker.js\"]
secrets:
  redis-password:
    generate: true
";

/// Issue 19, item 21: the count commands read only the variables the worker
/// really gets (here REDIS_HOST, REDIS_PORT, REDIS_PASSWORD, never a
/// REDIS_URL it lacks), and BullMQ counts under its key prefix: `bull` by
/// default, `broker.prefix` when the app sets another.
#[test]
fn count_commands_use_the_workers_own_env_and_bullmqs_prefix() {
    let drain = |text: &str| {
        let t = Test::new().write("demo.yaml", text);
        let run = t.run(&["diff", "demo.yaml", "--without", "redis", "--format", "markdown"]);
        assert_eq!(run.code, 1, "{}", run.stderr);
        bash_lines(&run.stdout)
            .into_iter()
            .filter(|l| l.contains("docker exec demo-jobs-1 "))
            .collect::<Vec<_>>()
    };
    let lines = drain(PARTS_ONLY);
    assert_eq!(lines.len(), 1, "{lines:?}");
    let node = &lines[0];
    assert!(!node.contains("REDIS_URL"), "{node}");
    assert!(
        node.contains(
            "new IORedis({ host: process.env.REDIS_HOST, port: Number(process.env.REDIS_PORT), password: process.env.REDIS_PASSWORD, db: 0, maxRetriesPerRequest: null })"
        ),
        "{node}"
    );
    assert!(node.contains(", prefix: 'bull' })"), "{node}");
    let prefixed = drain(&PARTS_ONLY.replace("  kind: bullmq\n", "  kind: bullmq\n  prefix: \"{jobs}\"\n"));
    assert!(prefixed[0].contains(", prefix: '{jobs}' })"), "{prefixed:?}");

    // The same worker on RQ builds its redis-py client from the same parts.
    let rq = drain(&PARTS_ONLY.replace("kind: bullmq", "kind: rq"));
    assert!(
        rq[0].contains("r = redis.Redis(host=os.environ['REDIS_HOST'], port=int(os.environ['REDIS_PORT']), password=os.environ['REDIS_PASSWORD'], db=0);"),
        "{rq:?}"
    );
}

/// `broker.prefix` is BullMQ's: another kind refuses it at the key.
#[test]
fn a_prefix_only_bullmq_reads_is_refused() {
    let text = PARTS_ONLY.replace("  kind: bullmq\n", "  kind: rq\n  prefix: jobs\n");
    let t = Test::new().write("demo.yaml", &text);
    let run = t.run(&["validate", "demo.yaml"]);
    assert_eq!(run.code, 1, "{}", run.stdout);
    assert!(
        run.stdout
            .contains("demo.yaml:10:3: error: /broker/prefix: `prefix` only applies to BullMQ"),
        "{}",
        run.stdout
    );
}
