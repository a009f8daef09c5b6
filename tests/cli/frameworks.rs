//! The application's framework (issue 13, item 2): what the notes, `--without
//! redis`, `init`, health checks and `.env` files assume follows `framework:`,
//! and no Django word reaches an app that is not Django.

use crate::support::{repo, Test};
use std::path::Path;

const FRAMEWORKS: [&str; 7] = ["django", "fastapi", "flask", "rails", "express", "streamlit", "none"];
const PLATFORMS: [&str; 4] = ["compose", "azure-container-apps", "azure-app-service", "render"];
const DJANGO_WORDS: [&str; 4] = ["Django", "django", "manage.py", "createcachetable"];

/// The cache moved to the database by hand, its Redis queue and worker gone.
const TO_DATABASE_CACHE: &[&str] = &[
    "--set",
    "cache={kind: database}",
    "--set",
    "broker=null",
    "--set",
    "services.worker=null",
];

fn fixture(name: &str) -> String {
    std::fs::read_to_string(repo().join(format!("tests/fixtures/frameworks/{name}.yaml"))).unwrap()
}

/// Every file under `dir`, with its text.
fn files(dir: &Path) -> Vec<(String, String)> {
    let mut out = Vec::new();
    for entry in std::fs::read_dir(dir).unwrap() {
        let path = entry.unwrap().path();
        if path.is_dir() {
            out.extend(files(&path));
        } else if let Ok(text) = std::fs::read_to_string(&path) {
            out.push((path.display().to_string(), text));
        }
    }
    out
}

#[track_caller]
fn assert_no_django(what: &str, text: &str) {
    for word in DJANGO_WORDS {
        assert!(!text.contains(word), "{what} says `{word}`:\n{text}");
    }
}

/// Renders `file` into `out` and returns the migration notes of `args`.
fn render_and_notes(test: &Test, file: &str, out: &str, args: &[&str]) -> String {
    let run = test.run(&["render", file, "-o", out, "-q"]);
    assert_eq!(run.code, 0, "{}", run.stderr);
    let mut diff = vec!["diff", file];
    diff.extend(args);
    diff.extend(["--format", "markdown"]);
    let run = test.run(&diff);
    assert_eq!(run.code, 1, "{}", run.stderr);
    run.stdout
}

#[test]
fn init_writes_a_starter_for_each_framework_that_renders_on_every_platform() {
    let test = Test::new();
    for framework in FRAMEWORKS {
        for platform in PLATFORMS {
            let path = format!("envs/{framework}-{platform}.yaml");
            let run = test.run(&[
                "init",
                &path,
                "--name",
                "shop",
                "--platform",
                platform,
                "--framework",
                framework,
                "-q",
            ]);
            if (framework, platform) == ("rails", "azure-app-service") {
                run.expect(2, "", "error: `--framework rails` on `azure-app-service`: Linux App Service has no built-in Ruby stack; use `--platform azure-container-apps` or `render`\n");
                continue;
            }
            assert_eq!(run.code, 0, "{framework} on {platform}: {}", run.stderr);
            test.run(&["validate", &path]).expect(0, "", &format!("{path}: ok\n"));
            let out = format!("out/{framework}-{platform}");
            let run = test.run(&["render", &path, "-o", &out, "-q"]);
            assert_eq!(run.code, 0, "{framework} on {platform}: {}", run.stderr);
            let starter = test.read(&path);
            let command = match framework {
                "django" => Some("gunicorn shop.wsgi:application"),
                "fastapi" => Some("uvicorn app.main:app --host 0.0.0.0 --port 8000"),
                "flask" => Some("gunicorn app:app"),
                "rails" => Some("bundle exec puma -C config/puma.rb"),
                "express" => Some("node server.js"),
                "streamlit" if platform == "azure-app-service" => {
                    // App Service forwards to 8000 whatever the framework.
                    Some("streamlit run app.py --server.port 8000 --server.address 0.0.0.0")
                }
                "streamlit" => Some("streamlit run app.py --server.port 8501 --server.address 0.0.0.0"),
                _ => None,
            };
            match command {
                Some(command) => assert!(starter.contains(command), "{framework}:\n{starter}"),
                None => assert!(!starter.contains("    command:"), "{framework}:\n{starter}"),
            }
            assert!(starter.contains(&format!("framework: {framework}\n")));
            if framework != "django" {
                assert_no_django(&path, &starter);
                for (name, text) in files(&test.path(&out)) {
                    assert_no_django(&name, &text);
                }
            }
        }
    }
    let rails = test.read("envs/rails-compose.yaml");
    assert!(rails.contains("ports: [\"3000:3000\"]") && rails.contains("SECRET_KEY_BASE: {secret: secret-key-base}"));
    test.run(&["init", "x.yaml", "--framework", "laravel"]).expect(
        2,
        "",
        "error: invalid value 'laravel' for '--framework <FRAMEWORK>'\n  [possible values: django, fastapi, flask, rails, express, streamlit, none]\n\nFor more information, try '--help'.\n",
    );
}

#[test]
fn fastapi_rails_and_express_outputs_and_notes_hold_no_django_word() {
    let test = Test::new()
        .write("fastapi.yaml", &fixture("fastapi"))
        .write("rails.yaml", &fixture("rails"))
        .write("express.yaml", &fixture("express"));
    for name in ["fastapi", "rails", "express"] {
        let file = format!("{name}.yaml");
        for args in [&["--without", "redis"][..], TO_DATABASE_CACHE] {
            let notes = render_and_notes(&test, &file, name, args);
            assert_no_django(&format!("notes of {name} {args:?}"), &notes);
            assert_no_python(name, &format!("notes of {name} {args:?}"), &notes);
        }
        for (path, text) in files(&test.path(name)) {
            assert_no_django(&path, &text);
            assert_no_python(name, &path, &text);
        }
    }
}

/// A Ruby or Node app's files and notes hold no Python stack's habits.
#[track_caller]
fn assert_no_python(framework: &str, what: &str, text: &str) {
    if framework == "rails" || framework == "express" {
        for word in ["python", "gunicorn", "celery", "Celery", "curl"] {
            assert!(!text.contains(word), "{what} says `{word}`:\n{text}");
        }
    }
}

#[test]
fn without_redis_chooses_the_cache_by_framework_and_says_which() {
    let test = Test::new()
        .write("fastapi.yaml", &fixture("fastapi"))
        .write("rails.yaml", &fixture("rails"))
        .write("express.yaml", &fixture("express"))
        .write(
            "django.yaml",
            &fixture("fastapi").replace("framework: fastapi", "framework: django"),
        );

    // Rails: Solid Cache in PostgreSQL, with the code change and its migration.
    let rails = render_and_notes(&test, "rails.yaml", "rails", &["--without", "redis"]);
    assert!(rails.contains("→ Solid Cache (a table in PostgreSQL)."), "{rails}");
    assert!(rails.contains("`bundle add solid_cache`"), "{rails}");
    assert!(
        rails.contains("bin/rails db:migrate  # in the Shell of shop-web"),
        "{rails}"
    );
    assert!(rails.contains("bin/rails runner 'Rails.cache.write("), "{rails}");
    assert!(rails.contains("\\dt solid_cache_entries"), "{rails}");

    // Express and FastAPI: no shared cache, said and explained; FastAPI's
    // Celery worker goes with the Redis it read its queue from.
    let express = render_and_notes(&test, "express.yaml", "express", &["--without", "redis"]);
    assert!(
        express.contains(
            "Cache: Redis (a container) → no cache.\nNo shared cache: Express has no database cache: the cache goes, \
             and each process keeps an in-process cache.\n"
        ),
        "{express}"
    );
    assert!(express.contains("api answers its health check `/healthz`"), "{express}");
    let fastapi = render_and_notes(&test, "fastapi.yaml", "fastapi", &["--without", "redis"]);
    assert!(
        fastapi.contains("No shared cache: FastAPI has no database cache"),
        "{fastapi}"
    );
    assert!(fastapi.contains("Service `worker` is removed."), "{fastapi}");
    assert!(
        !fastapi.contains("Create the cache table") && !fastapi.contains("\\dt"),
        "{fastapi}"
    );

    // A database cache for an app deploygen knows no command for: a neutral step, no invented command.
    let neutral = render_and_notes(&test, "fastapi.yaml", "fastapi", TO_DATABASE_CACHE);
    assert!(
        neutral.contains("Run your migrations: the database cache needs its table (deploygen knows no command"),
        "{neutral}"
    );

    // Django is known by `framework:`, not by the names of its env vars.
    let django = render_and_notes(&test, "django.yaml", "django", &["--without", "redis"]);
    assert!(
        django.contains("→ Django's database cache (a table in PostgreSQL)."),
        "{django}"
    );
    assert!(
        django.contains("--command sh  # then, in that shell: python manage.py createcachetable\n"),
        "{django}"
    );
    assert!(django.contains("\\dt django_cache_table"), "{django}");
}

#[test]
fn the_health_check_client_follows_the_service_language() {
    let rails_on_compose = fixture("rails")
        .replace("platform: render\n", "platform: compose\n")
        .replace("render:\n  region: oregon\n  plan: starter\n", "");
    let test = Test::new()
        .write("express.yaml", &fixture("express"))
        .write("rails.yaml", &rails_on_compose)
        .write(
            "python.yaml",
            &fixture("express")
                .replace("framework: express", "framework: flask")
                .replace("node server.js", "gunicorn app:app --bind 0.0.0.0:3000"),
        );
    for (name, client) in [
        ("express", "- node\n"),
        ("rails", "- ruby\n"),
        ("python", "- python3\n"),
    ] {
        let run = test.run(&["render", &format!("{name}.yaml"), "-o", name, "-q"]);
        assert_eq!(run.code, 0, "{}", run.stderr);
        let compose = test.read(&format!("{name}/docker-compose.yml"));
        assert!(compose.contains(client), "{name}:\n{compose}");
        assert!(!compose.contains("curl"), "{name}:\n{compose}");
    }
    // A declared client still wins.
    let test = test.write(
        "wget.yaml",
        &fixture("express").replace(
            "      http: /healthz\n",
            "      http: /healthz\n      http_client: wget\n",
        ),
    );
    assert_eq!(test.run(&["render", "wget.yaml", "-o", "wget", "-q"]).code, 0);
    assert!(test.read("wget/docker-compose.yml").contains("- wget\n"));
}

#[test]
fn dotenv_files_use_references_only_where_their_reader_expands_them() {
    let rails_on_compose = fixture("rails")
        .replace("platform: render\n", "platform: compose\n")
        .replace("render:\n  region: oregon\n  plan: starter\n", "")
        .replace("    generate: true\n", "");
    let test = Test::new()
        .write("express.yaml", &fixture("express"))
        .write("rails.yaml", &rails_on_compose);
    for name in ["express", "rails"] {
        assert_eq!(test.run(&["render", &format!("{name}.yaml"), "-o", name, "-q"]).code, 0);
    }
    // Node's dotenv reads `${VAR}` literally: the host file spells the value out.
    let host = test.read("express/.env.local.example");
    assert!(host.lines().all(|l| l.starts_with('#') || !l.contains("${")), "{host}");
    assert!(
        host.contains(
            "# set to redis://:{REDIS_PASSWORD}@localhost:6379 with each {NAME} replaced by the value of NAME \
             (Node's dotenv reads no `${...}` references)\nREDIS_URL=\n"
        ),
        "{host}"
    );
    // docker compose expands its own `.env`.
    let containers = test.read("express/.env.example");
    assert!(
        containers.contains("REDIS_URL=redis://:${REDIS_PASSWORD}@redis:6379\n"),
        "{containers}"
    );
    assert!(containers.contains("(docker compose expands it)"), "{containers}");
    // Ruby's dotenv expands `${VAR}` (github.com/bkeepers/dotenv, "Variable Substitution").
    let ruby = test.read("rails/.env.local.example");
    assert!(
        ruby.contains("DATABASE_URL=postgresql://shop:${POSTGRES_PASSWORD}@localhost:5432/shop\n"),
        "{ruby}"
    );
    assert!(ruby.contains("(docker compose and Ruby's dotenv expand it)"), "{ruby}");
}

/// Linux App Service has no Ruby stack: a Rails web service would silently
/// start on the default Python stack, so it is refused at its `framework`.
#[test]
fn a_rails_app_on_app_service_is_refused_at_its_framework() {
    let descriptor = "\
name: shop
platform: azure-app-service
framework: rails
azure:
  location: westeurope
services:
  web:
    image: example/web:1
    ports: [\"3000:3000\"]
    command: bundle exec puma
";
    let message = "error: {at}: Linux App Service has no built-in Ruby stack (its last, Ruby 2.7, is retired), so `web` would start on Python: deploy a Rails app on `azure-container-apps` or `render`\n";
    Test::new()
        .write("shop.yaml", descriptor)
        .run(&["validate", "shop.yaml"])
        .expect(
            1,
            &format!("shop.yaml:3:12: {}", message.replace("{at}", "/framework")),
            "shop.yaml: 1 error, 0 warnings\n",
        );
    let per_service = descriptor.replace("framework: rails\n", "").replace(
        "    command: bundle exec puma\n",
        "    command: bundle exec puma\n    framework: rails\n",
    );
    Test::new()
        .write("shop.yaml", &per_service)
        .run(&["validate", "shop.yaml"])
        .expect(
            1,
            &format!(
                "shop.yaml:10:16: {}",
                message.replace("{at}", "/services/web/framework")
            ),
            "shop.yaml: 1 error, 0 warnings\n",
        );
    // Any other framework takes its stack.
    let fastapi = descriptor.replace("framework: rails", "framework: fastapi");
    Test::new()
        .write("shop.yaml", &fastapi)
        .run(&["validate", "shop.yaml"])
        .expect(0, "", "shop.yaml: ok\n");
}

/// On Render without workers no compose file reads `.env.example`: the app's
/// own loader does, so a Node app's copy holds no `${VAR}` it would take
/// literally, and every compose file it names is there (the backing services'
/// `docker-compose-local.yml`).
#[test]
fn render_env_example_without_a_compose_file_is_for_the_apps_own_loader() {
    let descriptor = fixture("express")
        .replace("platform: compose", "platform: render")
        .replace("  password_secret: redis-password\n", "");
    let test = Test::new().write("notes.yaml", &descriptor);
    let run = test.run(&["render", "notes.yaml", "-o", "out", "-q"]);
    assert_eq!(run.code, 0, "{}", run.stderr);
    assert!(!test.path("out").join("docker-compose.yml").exists());
    let env = test.read("out/.env.example");
    let named: Vec<&str> = env
        .split(|c: char| !(c.is_ascii_alphanumeric() || "-_.".contains(c)))
        .filter(|w| w.starts_with("docker-compose") && w.ends_with(".yml"))
        .collect();
    assert!(!named.is_empty(), "{env}");
    for file in named {
        assert!(test.path("out").join(file).exists(), "{file} named in\n{env}");
    }
    for line in env.lines().filter(|l| !l.starts_with('#')) {
        assert!(!line.contains("${"), "{line:?} in\n{env}");
    }
    assert!(env.contains("Node's dotenv does not expand ${VAR}"), "{env}");
}
