//! What deploygen may assume about each application framework, in one table:
//! the commands the migration notes run, the database cache `--without redis`
//! may move to, the starter `init` writes, the program a health check runs
//! and whether the `.env` reader expands `${VAR}`. Nothing else in the crate
//! matches on [`Framework`] (but its language, in the model); a framework
//! deploygen knows nothing about (`none`) gets no command at all rather than
//! an invented one.

use crate::model::{CacheKind, Descriptor, Framework, HttpClient, Language, Role, Runtime, Service};

/// A database cache the framework ships: what it is called, the table it
/// keeps, what the code needs before it works, and what creates its table
/// after the app's migrations.
pub struct DatabaseCache {
    /// "Django's database cache", "Solid Cache".
    pub name: &'static str,
    pub table: &'static str,
    /// The table as the notes name it.
    pub place: &'static str,
    /// A change to the application's code first, if the framework needs one.
    pub setup: Option<&'static str>,
    /// Commands after the migrations (run in a deployed web instance).
    pub after_migrate: &'static [&'static str],
    /// The step's text.
    pub create_text: &'static str,
    /// Where `table` can be looked at.
    pub inspect: &'static str,
}

/// How a starter runs the web process.
pub struct Starter {
    /// `{project}` is the environment name as a Python module, `{port}` the
    /// port; `None`: the image's own command.
    pub command: Option<&'static str>,
    pub port: u16,
    /// A conventional health route, which the starter then checks.
    pub health_path: Option<&'static str>,
    /// The variable the app reads its signing secret from.
    pub secret_env: &'static str,
}

pub struct Facts {
    /// "Django", "Rails"; `None` for `none`.
    pub name: Option<&'static str>,
    /// The framework's own migration command, run in a deployed instance.
    pub migrate: Option<&'static str>,
    /// Writes then reads a key through the app's cache; prints 1.
    pub cache_smoke: Option<&'static str>,
    pub database_cache: Option<DatabaseCache>,
    /// The framework's way of keeping sessions in the cache, named in the
    /// warning that sessions go with it.
    pub cache_sessions: Option<&'static str>,
    /// What each process caches in when no shared cache is left.
    pub local_cache: &'static str,
    pub starter: Starter,
}

static DJANGO: Facts = Facts {
    name: Some("Django"),
    migrate: Some("python manage.py migrate --noinput"),
    cache_smoke: Some(
        "python manage.py shell -c \"from django.core.cache import cache; cache.set('deploygen_smoke', 1, 60); print(cache.get('deploygen_smoke'))\"",
    ),
    database_cache: Some(DatabaseCache {
        name: "Django's database cache",
        table: "django_cache_table",
        place: "Django's cache table",
        setup: Some(
            "Before deploying, point Django's `CACHES` at its database cache (`BACKEND` \
             `django.core.cache.backends.db.DatabaseCache`, `LOCATION` `django_cache_table`), keep sessions out of \
             the cache (`SESSION_ENGINE` `django.contrib.sessions.backends.db`: the database cache culls entries) and \
             commit; the rendered files do not change Django's settings.",
        ),
        after_migrate: &["python manage.py createcachetable"],
        create_text:
            "Create Django's cache table (the database cache needs it; `migrate` first, `createcachetable` is idempotent).",
        inspect: "python manage.py dbshell",
    }),
    cache_sessions: Some("Django's `cache` session engine"),
    local_cache: "Django's local-memory cache",
    starter: Starter {
        command: Some("gunicorn {project}.wsgi:application --bind 0.0.0.0:{port}"),
        port: 8000,
        health_path: None,
        secret_env: "SECRET_KEY",
    },
};

static RAILS: Facts = Facts {
    name: Some("Rails"),
    migrate: Some("bin/rails db:migrate"),
    cache_smoke: Some(
        "bin/rails runner 'Rails.cache.write(\"deploygen_smoke\", 1, expires_in: 60); p Rails.cache.read(\"deploygen_smoke\")'",
    ),
    // Rails 8's default cache store; earlier versions add the gem (github.com/rails/solid_cache).
    database_cache: Some(DatabaseCache {
        name: "Solid Cache",
        table: "solid_cache_entries",
        place: "Solid Cache's table",
        setup: Some(
            "Before deploying, set the app up for Solid Cache, Rails' database cache (new Rails 8 apps have it): \
             `bundle add solid_cache`, `bin/rails solid_cache:install`, keep its table in the app's database (no \
             separate `cache` database in `config/cache.yml`), add its table as a migration and commit.",
        ),
        after_migrate: &[],
        create_text: "Create Solid Cache's table (the migration added with it).",
        inspect: "bin/rails dbconsole",
    }),
    cache_sessions: Some("Rails' `cache_store` session store"),
    local_cache: "Rails' memory store",
    starter: Starter {
        command: Some("bundle exec puma -C config/puma.rb"),
        port: 3000,
        // Rails 7.1+ apps answer `/up`.
        health_path: Some("/up"),
        secret_env: "SECRET_KEY_BASE",
    },
};

static FASTAPI: Facts = Facts {
    name: Some("FastAPI"),
    migrate: None,
    cache_smoke: None,
    database_cache: None,
    cache_sessions: None,
    local_cache: "an in-process cache",
    starter: Starter {
        command: Some("uvicorn app.main:app --host 0.0.0.0 --port {port}"),
        port: 8000,
        health_path: None,
        secret_env: "SECRET_KEY",
    },
};

static FLASK: Facts = Facts {
    name: Some("Flask"),
    migrate: None,
    cache_smoke: None,
    database_cache: None,
    cache_sessions: None,
    local_cache: "an in-process cache",
    starter: Starter {
        command: Some("gunicorn app:app --bind 0.0.0.0:{port}"),
        port: 8000,
        health_path: None,
        secret_env: "SECRET_KEY",
    },
};

static EXPRESS: Facts = Facts {
    name: Some("Express"),
    migrate: None,
    cache_smoke: None,
    database_cache: None,
    cache_sessions: None,
    local_cache: "an in-process cache",
    starter: Starter {
        command: Some("node server.js"),
        port: 3000,
        health_path: None,
        secret_env: "SECRET_KEY",
    },
};

static STREAMLIT: Facts = Facts {
    name: Some("Streamlit"),
    migrate: None,
    cache_smoke: None,
    database_cache: None,
    cache_sessions: None,
    local_cache: "`st.cache_data`",
    starter: Starter {
        command: Some("streamlit run app.py --server.port {port} --server.address 0.0.0.0"),
        port: 8501,
        // Streamlit's own health endpoint.
        health_path: Some("/_stcore/health"),
        secret_env: "SECRET_KEY",
    },
};

static NONE: Facts = Facts {
    name: None,
    migrate: None,
    cache_smoke: None,
    database_cache: None,
    cache_sessions: None,
    local_cache: "an in-process cache",
    starter: Starter {
        command: None,
        port: 8000,
        health_path: None,
        secret_env: "SECRET_KEY",
    },
};

pub fn facts(framework: Framework) -> &'static Facts {
    match framework {
        Framework::Django => &DJANGO,
        Framework::Rails => &RAILS,
        Framework::Fastapi => &FASTAPI,
        Framework::Flask => &FLASK,
        Framework::Express => &EXPRESS,
        Framework::Streamlit => &STREAMLIT,
        Framework::None => &NONE,
    }
}

/// The environment's framework facts (see [`super::framework`]).
pub fn of(d: &Descriptor) -> &'static Facts {
    facts(super::framework(d))
}

/// The command that runs the app's migrations, where deploygen knows one.
pub fn migrate_command(d: &Descriptor) -> Option<String> {
    // A declared release command is the app's own way to migrate: prefer it.
    declared_pre_deploy(d)
        .map(|(_, line)| line)
        .or_else(|| of(d).migrate.map(String::from))
}

/// The first service that declares a pre-deploy command, and that command:
/// every deploy runs it, so the notes need not run the migrations by hand.
pub fn declared_pre_deploy(d: &Descriptor) -> Option<(&str, String)> {
    d.services
        .iter()
        .find_map(|(name, s)| s.pre_deploy.as_ref().map(|c| (name.as_str(), c.shell_line())))
}

/// What takes a Redis cache's place when it goes (`--without redis`): the
/// framework's database cache where it has one and there is a database,
/// else no shared cache; and why, for the notes.
pub fn cache_without_redis(framework: Framework, has_database: bool) -> (CacheKind, String) {
    let f = facts(framework);
    match (&f.database_cache, has_database, f.name) {
        (Some(cache), true, _) => (CacheKind::Database, format!("{} keeps it in PostgreSQL", cache.name)),
        (Some(cache), false, _) => (
            CacheKind::None,
            format!(
                "{} needs a database and there is none: the cache goes, and each process keeps {}",
                cache.name, f.local_cache
            ),
        ),
        (None, _, Some(name)) => (
            CacheKind::None,
            format!(
                "{name} has no database cache: the cache goes, and each process keeps {}",
                f.local_cache
            ),
        ),
        (None, _, None) => (
            CacheKind::None,
            format!(
                "no `framework` is declared, so deploygen knows no database cache for the app: the cache goes, and \
                 each process keeps {}",
                f.local_cache
            ),
        ),
    }
}

/// The program an in-container HTTP check runs by default: one the image's
/// language ships. An unknown language (no framework: a Go or distroless
/// image as likely as a Python one) gets none, rather than a `python3` the
/// image may lack; `http_client`, `exec` or `command` says what it has.
pub fn default_http_client(language: Language) -> HttpClient {
    match language {
        Language::Python => HttpClient::Python,
        Language::Node => HttpClient::Node,
        Language::Ruby => HttpClient::Ruby,
        Language::Unknown => HttpClient::None,
    }
}

/// The default `healthcheck.http_client` of a service: its runtime's
/// language where it names one (`runtime: go` ships no HTTP client), else its
/// framework's (infrastructure: `python`, as before).
pub fn http_client(d: &Descriptor, service: &str) -> HttpClient {
    let Some(s) = d.services.get(service) else {
        return HttpClient::Python;
    };
    match s.runtime {
        Some(Runtime::Python) => HttpClient::Python,
        Some(Runtime::Node) => HttpClient::Node,
        Some(Runtime::Ruby) => HttpClient::Ruby,
        Some(Runtime::Go | Runtime::Rust | Runtime::Elixir) => HttpClient::None,
        Some(Runtime::Docker) | None => default_http_client(language_of(d, s)),
    }
}

/// App Service's built-in stack (`linuxFxVersion`) for the web service's
/// language. Linux App Service has no Ruby stack any more, and `runtime`
/// takes only built-in stacks: a Rails app belongs on Container Apps or
/// Render, and validation refuses it here (`validate::azure`).
pub fn app_service_runtime(d: &Descriptor) -> &'static str {
    let web = d.services.values().find(|s| s.role() == Role::Web);
    match web.map_or_else(|| super::framework(d).language(), |s| language_of(d, s)) {
        Language::Node => "NODE|22-lts",
        Language::Python | Language::Ruby | Language::Unknown => "PYTHON|3.12",
    }
}

/// Who reads a `.env` file the app's processes load, and whether it expands
/// `${VAR}`: python-dotenv and Ruby's dotenv gem do (unquoted and
/// double-quoted values); Node's `dotenv` does not (that is `dotenv-expand`),
/// and for an unknown reader nothing is assumed.
pub fn dotenv_reader(language: Language) -> (&'static str, bool) {
    match language {
        Language::Python => ("python-dotenv", true),
        Language::Ruby => ("Ruby's dotenv", true),
        Language::Node => ("Node's dotenv", false),
        Language::Unknown => ("your .env loader", false),
    }
}

/// The language the environment's processes (every service but frontends)
/// run; `Unknown` when they disagree or none says.
pub fn app_language(d: &Descriptor) -> Language {
    let mut languages = d
        .services
        .values()
        .filter(|s| s.role() != Role::Frontend)
        .map(|s| language_of(d, s));
    let first = languages.next().unwrap_or_else(|| super::framework(d).language());
    if languages.all(|l| l == first) {
        first
    } else {
        Language::Unknown
    }
}

/// A service's language: its own framework's, else the environment's (which
/// may come from the web service: a worker beside a Rails web is Ruby too).
fn language_of(d: &Descriptor, service: &Service) -> Language {
    service.framework.unwrap_or_else(|| super::framework(d)).language()
}

/// A variable that selects the run mode, with its development value, for
/// files a developer's own processes read: Rails and Rack default to
/// `development` (RAILS_ENV, RACK_ENV), Node's convention is
/// NODE_ENV=development, Mix's environments are `dev`, `test` and `prod`.
/// A `*_ENV` variable not in the table (APP_ENV: Laravel says `local`,
/// Symfony `dev`) is left out of such files rather than guessed.
const DEVELOPMENT_MODES: &[(&str, &str)] = &[
    ("RAILS_ENV", "development"),
    ("RACK_ENV", "development"),
    ("NODE_ENV", "development"),
    ("MIX_ENV", "dev"),
];

/// The value a host-run process gets for `name` when production sets it to
/// `production` (or `prod`): `Some(development value)`, `None` to leave it
/// out; `Some(value)` unchanged for every other variable.
pub fn development_value<'a>(name: &str, value: &'a str) -> Option<&'a str> {
    let production = matches!(value, "production" | "prod");
    if !production || !name.ends_with("_ENV") {
        return Some(value);
    }
    DEVELOPMENT_MODES.iter().find(|(n, _)| *n == name).map(|(_, dev)| *dev)
}

/// Variables that hold a production key, which no developer's file asks for:
/// Rails' RAILS_MASTER_KEY decrypts config/credentials.yml.enc, production's
/// credentials; development reads config/master.key or
/// config/credentials/development.key from the checkout.
pub fn production_key(name: &str) -> bool {
    matches!(name, "RAILS_MASTER_KEY")
}

#[cfg(test)]
mod tests {
    use super::*;

    fn descriptor(framework: Option<&str>, services: serde_json::Value) -> Descriptor {
        let mut d = serde_json::json!({"name": "shop", "platform": "compose", "services": services});
        if let Some(f) = framework {
            d["framework"] = serde_json::json!(f);
        }
        serde_json::from_value(d).unwrap()
    }

    #[test]
    fn a_service_without_a_framework_takes_the_environments_even_from_the_web_service() {
        let d = descriptor(
            None,
            serde_json::json!({"web": {"role": "web", "framework": "rails"}, "worker": {"role": "worker"}, "ui": {"role": "frontend", "framework": "express"}}),
        );
        assert_eq!(app_language(&d), Language::Ruby, "frontends do not count");
        assert_eq!(http_client(&d, "worker"), HttpClient::Ruby);
        assert_eq!(http_client(&d, "ui"), HttpClient::Node);
        assert_eq!(
            http_client(&d, "loki"),
            HttpClient::Python,
            "infrastructure keeps the old default"
        );
        let mixed = descriptor(
            None,
            serde_json::json!({"web": {"role": "web", "framework": "express"}, "worker": {"framework": "flask"}}),
        );
        assert_eq!(app_language(&mixed), Language::Unknown);
        assert!(
            !dotenv_reader(app_language(&mixed)).1,
            "no `${{VAR}}` for a reader nobody names"
        );
        let none = descriptor(None, serde_json::json!({"web": {"role": "web"}}));
        assert_eq!(
            http_client(&none, "web"),
            HttpClient::None,
            "no language, no guessed python3"
        );
    }

    #[test]
    fn app_services_runtime_follows_the_web_service() {
        let d = descriptor(
            None,
            serde_json::json!({"web": {"role": "web", "framework": "express"}, "worker": {"role": "worker", "framework": "flask"}}),
        );
        assert_eq!(app_service_runtime(&d), "NODE|22-lts");
        assert_eq!(
            app_service_runtime(&descriptor(Some("streamlit"), serde_json::json!({}))),
            "PYTHON|3.12"
        );
    }

    #[test]
    fn only_frameworks_with_a_known_command_get_one() {
        let migrate = |f: &str| migrate_command(&descriptor(Some(f), serde_json::json!({})));
        assert_eq!(migrate("django").as_deref(), Some("python manage.py migrate --noinput"));
        assert_eq!(migrate("rails").as_deref(), Some("bin/rails db:migrate"));
        for f in ["fastapi", "flask", "express", "streamlit", "none"] {
            assert_eq!(migrate(f), None, "{f}");
            let facts = of(&descriptor(Some(f), serde_json::json!({})));
            assert!(facts.cache_smoke.is_none() && facts.database_cache.is_none(), "{f}");
        }
    }

    #[test]
    fn a_declared_pre_deploy_command_is_the_migration_whatever_the_framework() {
        let with = |f: &str, pre: serde_json::Value| {
            migrate_command(&descriptor(
                Some(f),
                serde_json::json!({"web": {"role": "web", "pre_deploy": pre}}),
            ))
        };
        assert_eq!(
            with("fastapi", serde_json::json!("alembic upgrade head")).as_deref(),
            Some("alembic upgrade head")
        );
        assert_eq!(
            with(
                "django",
                serde_json::json!(["python", "manage.py", "migrate", "--noinput"])
            )
            .as_deref(),
            Some("python manage.py migrate --noinput")
        );
    }

    #[test]
    fn without_redis_the_cache_goes_where_the_framework_can_keep_it() {
        assert_eq!(cache_without_redis(Framework::Django, true).0, CacheKind::Database);
        assert_eq!(cache_without_redis(Framework::Rails, true).0, CacheKind::Database);
        assert_eq!(cache_without_redis(Framework::Rails, false).0, CacheKind::None);
        let (kind, why) = cache_without_redis(Framework::Express, true);
        assert_eq!(
            (kind, why.as_str()),
            (
                CacheKind::None,
                "Express has no database cache: the cache goes, and each process keeps an in-process cache"
            )
        );
        assert!(cache_without_redis(Framework::None, true)
            .1
            .contains("no `framework` is declared"));
    }
}
