//! `services.*.stop_grace_seconds` (issue 13, item 3): how long a stopping
//! process may take to finish its current job before it is killed. Each
//! platform gets it where it reads it, inside the platform's bounds; App
//! Service and Render cron jobs refuse it; a queue worker that gets less than
//! its queue documents is warned about.

use crate::support::{render_service, render_to_out, Test};
use serde_yaml::Value;

fn yaml(test: &Test, rel: &str) -> Value {
    serde_yaml::from_str(&test.read(rel)).unwrap()
}

const COMPOSE: &str = "\
name: shop
platform: compose
cache:
  kind: redis
broker:
  kind: sidekiq
services:
  web:
    role: web
    image: example/web:1
    ports: [\"3000:3000\"]
  worker:
    role: worker
    image: example/web:1
    command: bundle exec sidekiq
    stop_grace_seconds: 45
";

#[test]
fn compose_gets_stop_grace_period_on_the_service_and_nothing_where_unset() {
    let test = Test::new().write("shop.yaml", COMPOSE);
    render_to_out(&test, "shop.yaml");
    let doc = yaml(&test, "out/docker-compose.yml");
    assert_eq!(doc["services"]["worker"]["stop_grace_period"], "45s");
    assert!(doc["services"]["web"].get("stop_grace_period").is_none());
}

const CONTAINER_APPS: &str = "\
name: shop
platform: azure-container-apps
azure:
  location: westeurope
cache:
  kind: redis
  provider: azure-managed
broker:
  kind: rq
services:
  web:
    role: web
    image: example/web:1
    ports: [\"8000:8000\"]
    pre_deploy: alembic upgrade head
  worker:
    role: worker
    image: example/web:1
    command: rq worker default
    stop_grace_seconds: 600
";

/// The template-level property of the worker's container app; not on the web
/// app (Azure's 30 s default) and not on the pre-deploy job, whose
/// `Microsoft.App/jobs` template has no such property.
#[test]
fn container_apps_get_termination_grace_period_seconds_in_the_apps_template() {
    let test = Test::new().write("shop.yaml", CONTAINER_APPS);
    render_to_out(&test, "shop.yaml");
    let bicep = test.read("out/infra/modules/container-apps.bicep");
    assert_eq!(bicep.matches("terminationGracePeriodSeconds").count(), 1, "{bicep}");
    let worker = bicep
        .split("resource workerApp 'Microsoft.App/containerApps@")
        .nth(1)
        .expect("the worker's container app");
    assert!(
        worker.contains("    template: {\n      terminationGracePeriodSeconds: 600\n      containers: ["),
        "{worker}"
    );
    // The local compose file runs the worker with the same grace.
    let doc = yaml(&test, "out/docker-compose.yml");
    assert_eq!(doc["services"]["worker"]["stop_grace_period"], "600s");
}

const RENDER: &str = "\
name: shop
platform: render
cache:
  kind: redis
  provider: render-key-value
broker:
  kind: sidekiq
services:
  web:
    role: web
    image: example/web:1
    ports: [\"10000:10000\"]
  worker:
    role: worker
    image: example/web:1
    command: bundle exec sidekiq
    stop_grace_seconds: 120
";

#[test]
fn render_gets_max_shutdown_delay_seconds_on_the_service() {
    let test = Test::new().write("shop.yaml", RENDER);
    render_to_out(&test, "shop.yaml");
    let doc = yaml(&test, "out/render.yaml");
    assert_eq!(render_service(&doc, "worker")["type"], "worker");
    assert_eq!(render_service(&doc, "worker")["maxShutdownDelaySeconds"], 120);
    assert!(render_service(&doc, "web").get("maxShutdownDelaySeconds").is_none());
}

/// Each bound is an error at the value, naming the platform's field and range.
#[test]
fn a_grace_outside_the_platforms_range_is_an_error_naming_the_limit() {
    let cases = [
        (
            RENDER.replace("stop_grace_seconds: 120", "stop_grace_seconds: 301"),
            "shop.yaml:17:25: error: /services/worker/stop_grace_seconds: `stop_grace_seconds: 301` becomes Render's `maxShutdownDelaySeconds`, which takes 1 to 300 seconds\n",
        ),
        (
            RENDER.replace("stop_grace_seconds: 120", "stop_grace_seconds: 0"),
            "shop.yaml:17:25: error: /services/worker/stop_grace_seconds: `stop_grace_seconds: 0` becomes Render's `maxShutdownDelaySeconds`, which takes 1 to 300 seconds\n",
        ),
        (
            CONTAINER_APPS.replace("stop_grace_seconds: 600", "stop_grace_seconds: 601"),
            "shop.yaml:20:25: error: /services/worker/stop_grace_seconds: `stop_grace_seconds: 601` becomes Container Apps' `terminationGracePeriodSeconds`, which takes 0 to 600 seconds\n",
        ),
    ];
    for (descriptor, expected) in cases {
        let test = Test::new().write("shop.yaml", &descriptor);
        test.run(&["validate", "shop.yaml"])
            .expect(1, expected, "shop.yaml: 1 error, 0 warnings\n");
    }
    // Compose takes any duration; the bounds themselves are accepted.
    for descriptor in [
        COMPOSE.replace("stop_grace_seconds: 45", "stop_grace_seconds: 3600"),
        RENDER.replace("stop_grace_seconds: 120", "stop_grace_seconds: 300"),
        CONTAINER_APPS.replace("stop_grace_seconds: 600", "stop_grace_seconds: 0"),
    ] {
        let test = Test::new().write("shop.yaml", &descriptor);
        let run = test.run(&["validate", "shop.yaml"]);
        assert!(run.code == 0 && !run.stdout.contains("error"), "{}", run.stdout);
    }
}

#[test]
fn app_service_refuses_the_grace_at_the_key_and_says_why() {
    let descriptor = "\
name: chat
platform: azure-app-service
azure:
  location: westeurope
services:
  web:
    image: example/web:1
    ports: [\"8000:8000\"]
    stop_grace_seconds: 60
";
    let test = Test::new().write("chat.yaml", descriptor);
    let run = test.run(&["validate", "chat.yaml"]);
    assert_eq!(run.code, 1, "{}", run.stdout);
    assert!(
        run.stdout.starts_with(
            "chat.yaml:9:5: error: /services/web/stop_grace_seconds: App Service has no setting for how long a stopping app may take"
        ),
        "{}",
        run.stdout
    );
}

#[test]
fn a_render_cron_job_refuses_the_grace() {
    let descriptor = RENDER.replace(
        "    stop_grace_seconds: 120\n",
        "  nightly:\n    schedule: \"0 3 * * *\"\n    image: example/web:1\n    command: bin/cleanup\n    stop_grace_seconds: 60\n",
    );
    let test = Test::new().write("shop.yaml", &descriptor);
    let run = test.run(&["validate", "shop.yaml"]);
    assert_eq!(run.code, 1, "{}", run.stdout);
    assert!(
        run.stdout.contains("shop.yaml:21:5: error: /services/nightly/stop_grace_seconds: `nightly` is a Render cron job, which takes no `maxShutdownDelaySeconds`"),
        "{}",
        run.stdout
    );
}

/// Sidekiq needs 30 s (25 s shutdown timeout, then the push back to Redis);
/// compose's default 10 s and an explicit 20 s fall short, 30 s does not.
#[test]
fn the_lint_fires_for_a_sidekiq_worker_with_less_than_thirty_seconds() {
    let unset = COMPOSE.replace("    stop_grace_seconds: 45\n", "");
    let test = Test::new().write("shop.yaml", &unset);
    test.run(&["validate", "shop.yaml"]).expect(
        0,
        "shop.yaml:13:9: warning: /services/worker/stop_grace_seconds: `worker` runs Sidekiq jobs, which need 30 s after SIGTERM to finish or hand back the current job, but the default grace on docker compose (10 s) kills it sooner: set `stop_grace_seconds: 30` or more (`deploygen explain worker-stop-grace`)\n",
        "shop.yaml: ok (1 warning)\n",
    );
    let short = COMPOSE.replace("stop_grace_seconds: 45", "stop_grace_seconds: 20");
    let test = Test::new().write("shop.yaml", &short);
    let run = test.run(&["validate", "shop.yaml"]);
    assert!(
        run.stdout.starts_with("shop.yaml:16:25: warning: /services/worker/stop_grace_seconds: `worker` runs Sidekiq jobs, which need 30 s after SIGTERM to finish or hand back the current job, but `stop_grace_seconds: 20` kills it sooner"),
        "{}",
        run.stdout
    );
    for enough in ["30", "45"] {
        let test = Test::new().write("shop.yaml", &COMPOSE.replace("45", enough));
        test.run(&["validate", "shop.yaml"]).expect(0, "", "shop.yaml: ok\n");
    }
    // Accepted with a reason, it is quiet.
    let accepted = format!("{unset}accept:\n  worker-stop-grace: jobs are idempotent and retried\n");
    let test = Test::new().write("shop.yaml", &accepted);
    test.run(&["validate", "shop.yaml"]).expect(0, "", "shop.yaml: ok\n");
}

/// RQ finishes its current job on SIGTERM, up to its 180 s default job
/// timeout: Render's and Container Apps' 30 s default fall short. Queues with
/// no documented figure (BullMQ, a generic worker) are left alone.
#[test]
fn the_lint_follows_each_queues_documented_need_and_stays_quiet_without_one() {
    let rq = RENDER
        .replace("kind: sidekiq", "kind: rq")
        .replace("bundle exec sidekiq", "rq worker default")
        .replace("    stop_grace_seconds: 120\n", "");
    let test = Test::new().write("shop.yaml", &rq);
    let run = test.run(&["validate", "shop.yaml"]);
    assert!(
        run.stdout.contains("`worker` runs RQ jobs, which need 180 s after SIGTERM to finish or hand back the current job, but the default grace on Render (30 s) kills it sooner"),
        "{}",
        run.stdout
    );
    let test = Test::new().write(
        "shop.yaml",
        &rq.replace(
            "command: rq worker default\n",
            "command: rq worker default\n    stop_grace_seconds: 180\n",
        ),
    );
    test.run(&["validate", "shop.yaml"]).expect(0, "", "shop.yaml: ok\n");
    for kind in ["bullmq", "generic"] {
        let other = COMPOSE
            .replace("kind: sidekiq", &format!("kind: {kind}\n  transport: redis"))
            .replace("    stop_grace_seconds: 45\n", "");
        let test = Test::new().write("shop.yaml", &other);
        let run = test.run(&["validate", "shop.yaml"]);
        assert!(!run.stdout.contains("worker-stop-grace"), "{kind}: {}", run.stdout);
    }
}

/// Issue 19, L5: Celery (warm shutdown with no time limit, early ack: 300 s,
/// Render's most), Dramatiq (`--worker-shutdown-timeout`, 10 minutes) and arq
/// (cancels and requeues at once: 10 s) have figures too, so the lint covers
/// their workers.
#[test]
fn celery_dramatiq_and_arq_workers_need_their_documented_grace() {
    let with = |kind: &str, command: &str, grace: Option<u32>| {
        let mut d = COMPOSE
            .replace("kind: sidekiq", &format!("kind: {kind}\n  transport: redis"))
            .replace("bundle exec sidekiq", command);
        d = match grace {
            Some(g) => d.replace("stop_grace_seconds: 45", &format!("stop_grace_seconds: {g}")),
            None => d.replace("    stop_grace_seconds: 45\n", ""),
        };
        Test::new()
            .write("shop.yaml", &d)
            .run(&["validate", "shop.yaml"])
            .stdout
    };
    let celery = with("celery", "celery -A shop worker", None);
    assert!(
        celery.contains("`worker` runs Celery jobs, which need 300 s after SIGTERM to finish or hand back the current job, but the default grace on docker compose (10 s) kills it sooner: set `stop_grace_seconds: 300` or more"),
        "{celery}"
    );
    assert!(!with("celery", "celery -A shop worker", Some(300)).contains("worker-stop-grace"));
    let dramatiq = with("dramatiq", "dramatiq shop.tasks", Some(300));
    assert!(
        dramatiq.contains("`worker` runs Dramatiq jobs, which need 600 s after SIGTERM to finish or hand back the current job, but `stop_grace_seconds: 300` kills it sooner"),
        "{dramatiq}"
    );
    // On Render (300 s at most) Dramatiq's 10 minutes cannot be granted: the
    // finding says to shrink Dramatiq's own limit instead of asking for 600.
    let on_render = RENDER
        .replace("kind: sidekiq", "kind: dramatiq")
        .replace("bundle exec sidekiq", "dramatiq shop.tasks")
        .replace("stop_grace_seconds: 120", "stop_grace_seconds: 300");
    let run = Test::new()
        .write("shop.yaml", &on_render)
        .run(&["validate", "shop.yaml"]);
    assert!(
        run.stdout.contains("but `stop_grace_seconds: 300` kills it sooner: Render's `maxShutdownDelaySeconds` takes at most 300 s, so set `stop_grace_seconds: 300` and make Dramatiq's own time limit fit in it"),
        "{}",
        run.stdout
    );
    // arq hands its jobs back at once: compose's 10 s default is enough, 5 s is not.
    assert!(!with("arq", "arq shop.WorkerSettings", None).contains("worker-stop-grace"));
    let arq = with("arq", "arq shop.WorkerSettings", Some(5));
    assert!(
        arq.contains("`worker` runs arq jobs, which need 10 s after SIGTERM"),
        "{arq}"
    );
}
