//! The shipped Rails example (issue 13): Puma on Render's native Ruby runtime,
//! a Sidekiq worker, a nightly rake job, Postgres and Key Value. What a Render
//! operator of that stack needs to be true of it.

use crate::support::{migration_notes, render_env_var, render_service, repo, run_in, Test};
use serde_yaml::Value;

const OUT: &str = "environments/rails-sidekiq";

/// The descriptor's files as this build renders them (shipped.rs holds the
/// committed copy to the same bytes).
fn rendered(descriptor: &str) -> Test {
    let t = Test::new();
    let out = t.path("out");
    let run = run_in(&repo(), &["render", "--quiet", descriptor, "-o", out.to_str().unwrap()]);
    assert_eq!(run.code, 0, "{}", run.stderr);
    t
}

fn read(file: &str) -> String {
    rendered("environments/rails-sidekiq.yaml").read(&format!("out/{file}"))
}

fn blueprint() -> Value {
    serde_yaml::from_str(&read("render.yaml")).unwrap()
}

fn text(v: &Value) -> &str {
    v.as_str().unwrap_or_else(|| panic!("not a string: {v:?}"))
}

#[test]
fn web_worker_and_cron_run_on_the_native_ruby_runtime_with_their_own_plans() {
    let doc = blueprint();
    let web = render_service(&doc, "storefront-web");
    assert_eq!(text(&web["type"]), "web");
    assert_eq!(text(&web["runtime"]), "ruby");
    assert_eq!(text(&web["plan"]), "standard");
    assert_eq!(
        text(&web["buildCommand"]),
        "bundle install && bin/rails assets:precompile"
    );
    assert_eq!(text(&web["startCommand"]), "bundle exec puma -C config/puma.rb");
    assert_eq!(text(&web["preDeployCommand"]), "bin/rails db:migrate");
    assert_eq!(text(&web["healthCheckPath"]), "/up");
    // Puma binds the $PORT Render sets: nothing pins it.
    assert!(web["envVars"].as_sequence().unwrap().iter().all(|e| e["key"] != "PORT"));

    let sidekiq = render_service(&doc, "storefront-sidekiq");
    assert_eq!(text(&sidekiq["type"]), "worker");
    assert_eq!(text(&sidekiq["runtime"]), "ruby");
    assert_eq!(text(&sidekiq["plan"]), "starter");
    assert_eq!(text(&sidekiq["startCommand"]), "bundle exec sidekiq");

    let cron = render_service(&doc, "storefront-nightly-cleanup");
    assert_eq!(text(&cron["type"]), "cron");
    assert_eq!(text(&cron["plan"]), "starter");
    assert_eq!(text(&cron["schedule"]), "0 3 * * *");
    assert_eq!(text(&cron["startCommand"]), "bundle exec rake cleanup:nightly");

    for s in [sidekiq, cron] {
        assert!(
            s.get("preDeployCommand").is_none(),
            "migrations run once, in the web service"
        );
        assert!(s.get("healthCheckPath").is_none());
    }
    for s in [web, sidekiq, cron] {
        assert!(s.get("dockerfilePath").is_none() && s.get("dockerCommand").is_none());
    }
}

/// Entered once in the Dashboard (the web service), copied by the others.
#[test]
fn rails_master_key_is_a_dashboard_secret_entered_once() {
    let raw = read("render.yaml");
    let doc = blueprint();
    let entered: Vec<&Value> = doc["services"]
        .as_sequence()
        .unwrap()
        .iter()
        .chain(doc["envVarGroups"].as_sequence().unwrap())
        .flat_map(|s| s["envVars"].as_sequence().into_iter().flatten())
        .filter(|e| e.get("sync") == Some(&Value::from(false)))
        .collect();
    assert_eq!(entered.len(), 1, "{raw}");
    let web = render_service(&doc, "storefront-web");
    assert_eq!(render_env_var(web, "RAILS_MASTER_KEY")["sync"], Value::from(false));
    for name in ["storefront-sidekiq", "storefront-nightly-cleanup"] {
        let copy = &render_env_var(render_service(&doc, name), "RAILS_MASTER_KEY")["fromService"];
        assert_eq!(text(&copy["name"]), "storefront-web");
        assert_eq!(text(&copy["type"]), "web");
        assert_eq!(text(&copy["envVarKey"]), "RAILS_MASTER_KEY");
    }
    // Rails reads secret_key_base from the credentials; Rails 8 logs to STDOUT
    // and serves public/ by itself.
    for needless in ["SECRET_KEY_BASE", "RAILS_LOG_TO_STDOUT", "RAILS_SERVE_STATIC_FILES"] {
        assert!(!raw.contains(needless), "{needless} in render.yaml");
    }
    let group = &doc["envVarGroups"][0];
    assert_eq!(text(&group["envVars"][0]["key"]), "RAILS_ENV");
    assert_eq!(text(&group["envVars"][0]["value"]), "production");
}

#[test]
fn every_process_reaches_postgres_and_the_key_value_that_never_evicts() {
    let doc = blueprint();
    let kv = render_service(&doc, "storefront-redis");
    assert_eq!(text(&kv["type"]), "keyvalue");
    assert_eq!(text(&kv["maxmemoryPolicy"]), "noeviction");
    assert_eq!(
        text(&kv["plan"]),
        "starter",
        "a free Key Value loses its jobs on restart"
    );
    assert_eq!(kv["ipAllowList"], Value::Sequence(vec![]));
    for name in ["storefront-web", "storefront-sidekiq", "storefront-nightly-cleanup"] {
        let s = render_service(&doc, name);
        let redis = &render_env_var(s, "REDIS_URL")["fromService"];
        assert_eq!(text(&redis["type"]), "keyvalue");
        assert_eq!(text(&redis["name"]), "storefront-redis");
        assert_eq!(text(&redis["property"]), "connectionString");
        let db = &render_env_var(s, "DATABASE_URL")["fromDatabase"];
        assert_eq!(text(&db["name"]), "storefront-db");
        assert_eq!(text(&db["property"]), "connectionString");
    }
}

/// No process can run in a container (none has an image or a Dockerfile):
/// the developer gets the database and the Redis on localhost, and a `.env`
/// for the processes run on the host.
#[test]
fn the_developer_gets_postgres_and_redis_on_localhost() {
    let t = rendered("environments/rails-sidekiq.yaml");
    let files: Vec<String> = std::fs::read_dir(t.path("out"))
        .unwrap()
        .map(|e| e.unwrap().file_name().into_string().unwrap())
        .collect();
    assert!(!files.iter().any(|f| f.starts_with("docker-compose.")), "{files:?}");
    let local: Value = serde_yaml::from_str(&read("docker-compose-local.yml")).unwrap();
    let services = local["services"].as_mapping().unwrap();
    assert_eq!(services.len(), 2, "{local:?}");
    assert_eq!(local["services"]["db"]["ports"][0], Value::from("127.0.0.1:5432:5432"));
    let redis = &local["services"]["storefront-redis"];
    assert_eq!(redis["ports"][0], Value::from("127.0.0.1:6379:6379"));
    let command: Vec<&str> = redis["command"].as_sequence().unwrap().iter().map(text).collect();
    assert!(command.windows(2).any(|w| w == ["--maxmemory-policy", "noeviction"]));
    let dotenv = read(".env.example");
    assert!(dotenv.contains("against docker-compose-local.yml"), "{dotenv}");
    assert!(dotenv.contains("\nREDIS_URL=redis://localhost:6379\n"), "{dotenv}");
    assert!(dotenv.contains("@localhost:5432/storefront_production\n"), "{dotenv}");
    assert!(
        !dotenv.contains("RAILS_MASTER_KEY="),
        "production's key stays out (I4): {dotenv}"
    );
}

/// A Render web service is probed on the `$PORT` Render sets: an HTTP health
/// check needs no `ports` there, while compose still needs one.
#[test]
fn a_render_health_check_needs_no_ports() {
    let descriptor = |platform: &str| {
        format!(
            "name: app\nplatform: {platform}\nservices:\n  web:\n    role: web\n    image: app:1\n    \
             healthcheck:\n      http: /up\n"
        )
    };
    let t = Test::new()
        .write("render.yaml", &descriptor("render"))
        .write("compose.yaml", &descriptor("compose"));
    assert_eq!(t.run(&["validate", "render.yaml"]).code, 0);
    let compose = t.run(&["validate", "compose.yaml"]);
    assert_eq!(compose.code, 1);
    assert!(
        compose.stdout.contains("an HTTP health check needs a port"),
        "{}",
        compose.stdout
    );
}

/// No habit of the Python stacks leaks into this one, in either descriptor's files.
#[test]
fn no_django_celery_python_gunicorn_or_curl_word_in_its_files() {
    for out in [OUT, "environments/rails-sidekiq-pserv"] {
        let mut stack = vec![repo().join(out)];
        let mut seen = 0;
        while let Some(path) = stack.pop() {
            if path.is_dir() {
                stack.extend(std::fs::read_dir(&path).unwrap().map(|e| e.unwrap().path()));
                continue;
            }
            seen += 1;
            let text = std::fs::read_to_string(&path).unwrap().to_lowercase();
            for word in ["django", "celery", "python", "gunicorn", "curl", "manage.py"] {
                assert!(!text.contains(word), "{} says `{word}`", path.display());
            }
        }
        assert!(seen >= 4, "{out}: {seen} files");
    }
}

fn notes(args: &[&str]) -> String {
    let notes = migration_notes(args);
    for word in ["django", "celery", "python", "gunicorn", "curl", "manage.py"] {
        assert!(!notes.to_lowercase().contains(word), "`{word}` in:\n{notes}");
    }
    notes
}

fn in_order(notes: &str, texts: &[&str]) {
    let mut from = 0;
    for t in texts {
        let at = notes[from..]
            .find(t)
            .unwrap_or_else(|| panic!("missing (or out of order) {t:?} in:\n{notes}"));
        from += at + t.len();
    }
}

/// Sidekiq cannot run without Redis: the worker goes with its jobs, the
/// cache moves to Solid Cache, the nightly cron job stays, and the app must
/// stop enqueueing to Sidekiq before it deploys.
#[test]
fn without_redis_sidekiq_goes_the_cache_moves_to_solid_cache_and_the_cron_job_stays() {
    let notes = notes(&["environments/rails-sidekiq.yaml", "--without", "redis"]);
    for expected in [
        "Cache: Render Key Value → Solid Cache (a table in PostgreSQL).",
        "Task queue: Sidekiq on Redis → no task queue.",
        "Service `storefront-sidekiq` is removed.",
        "the jobs enqueued in it (every queue), the scheduled set (`perform_in`/`perform_at`), the retry set and \
         the dead set",
        "- remove render keyvalue `storefront-redis` (starter)",
        "- remove render worker `storefront-sidekiq` (starter)",
    ] {
        assert!(notes.contains(expected), "missing {expected:?} in:\n{notes}");
    }
    // The Sidekiq worker goes: Solid Queue's jobs need a process of their own.
    assert!(
        notes.contains(
            "`bin/jobs` run by a worker the descriptor then declares or inside Puma with \
             `SOLID_QUEUE_IN_PUMA=1` on the web service"
        ),
        "{notes}"
    );
    assert!(!notes.contains("`storefront-nightly-cleanup` is removed"), "{notes}");
    assert!(!notes.contains("remove render cron"), "{notes}");
    in_order(
        &notes,
        &[
            "## Migration steps",
            // The app's changes come first, so the drain window stays short.
            "take Active Job and the app's own `perform_async` calls off Sidekiq: set \
             `config.active_job.queue_adapter`",
            "`bundle add solid_cache`, `bin/rails solid_cache:install`",
            "Drain the Sidekiq queue in Redis database 0 of Render Key Value `storefront-redis`",
            "bundle exec rails runner 'require \"sidekiq/api\"; Sidekiq::Queue.all.each",
            "# in the Shell of storefront-sidekiq, Render Dashboard",
            "Sidekiq::ProcessSet.new.each(&:quiet!)",
            "Suspend storefront-sidekiq",
            "Deploy: push the rendered Blueprint `environments/rails-sidekiq/render.yaml`",
            // The Blueprint's preDeployCommand migrates: nobody runs it again by hand.
            "Create Solid Cache's table (the migration added with it). The pre-deploy command `bin/rails \
             db:migrate` runs the migrations: Render runs it as storefront-web's `preDeployCommand`",
            "Delete the Key Value instance `storefront-redis`, the background worker `storefront-sidekiq`",
            "## Verification",
            "\\dt solid_cache_entries",
        ],
    );
}

/// The committed "before": Redis self-hosted as a private service, moved to
/// Key Value; the queue is drained on the old Redis before the switch.
#[test]
fn from_a_redis_private_service_to_key_value_the_queue_is_drained_first() {
    let conf = rendered("environments/rails-sidekiq-pserv.yaml").read("out/redis/redis.conf");
    assert!(conf.contains("\nmaxmemory-policy noeviction\n"), "{conf}");
    assert!(!conf.contains("evict keys instead"), "{conf}");
    let notes = notes(&["rails-sidekiq", "--against", "rails-sidekiq-pserv"]);
    assert!(
        notes.contains(
            "`REDIS_URL`: `redis://:<secret redis-password>@<redis-host>:6379` → `<redis-connection-string>`"
        ),
        "{notes}"
    );
    assert!(
        notes.contains("- add render keyvalue `storefront-redis` (starter)"),
        "{notes}"
    );
    assert!(
        !notes.contains("Active Job"),
        "the queue moves, it does not go:\n{notes}"
    );
    in_order(
        &notes,
        &[
            "## Migration steps",
            "Drain the Sidekiq queue in Redis database 0 of the Render private service `storefront-redis-private`",
            "Sidekiq::ProcessSet.new.each(&:quiet!)",
            "Suspend storefront-sidekiq",
            "Deploy: push the rendered Blueprint",
            "Resume storefront-sidekiq",
            "Delete the private service `storefront-redis-private`",
            "## Rollback",
            "Drain the Sidekiq queue in Redis database 0 of Render Key Value `storefront-redis` as for the cutover",
        ],
    );
}

/// A Render app without workers has no workers' compose file: its
/// `.env.example` feeds the local database and cache instead of naming a
/// compose file that does not exist.
#[test]
fn a_render_app_without_workers_gets_its_backing_services_on_localhost() {
    let t = Test::new().write(
        "app.yaml",
        "name: app\nplatform: render\nframework: rails\npostgres:\n  database: app\n  user: app\n  expose:\n    \
         url: DATABASE_URL\ncache:\n  kind: redis\n  expose:\n    url: REDIS_URL\nservices:\n  web:\n    role: web\n    \
         build:\n      context: .\n    healthcheck:\n      http: /up\n",
    );
    let run = t.run(&["render", "--quiet", "app.yaml", "-o", "out"]);
    assert_eq!(run.code, 0, "{}", run.stderr);
    let dotenv = t.read("out/.env.example");
    assert!(!dotenv.contains("docker-compose.yml"), "{dotenv}");
    assert!(dotenv.contains("\nREDIS_URL=redis://localhost:6379\n"), "{dotenv}");
    let local = t.read("out/docker-compose-local.yml");
    assert!(local.contains("\"127.0.0.1:6379:6379\""), "{local}");
}
