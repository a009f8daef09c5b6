//! Semantic rules for the `render` platform: what a Blueprint can express and
//! what Render accepts.

use super::semantic::Checker;
use crate::load::node::escape_pointer;
use crate::model::*;
use crate::rules;
use crate::target::{self, Field};

/// Render service names double as host names on the private network.
fn render_name_ok(name: &str) -> bool {
    name.len() <= 63
        && name.starts_with(|c: char| c.is_ascii_lowercase())
        && name
            .chars()
            .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-')
        && !name.ends_with('-')
}

/// What every platform checks about Render's and redis.conf's settings.
pub(super) fn check(d: &Descriptor, c: &mut Checker) {
    if d.render.is_some() && !target::reads(d, Field::Render) {
        c.error_at_key(
            rules::PLATFORM_FIELD,
            "/render".into(),
            format!(
                "`render` only applies to the `render` platform, not `{}`",
                d.platform.as_str()
            ),
        );
    }
    for (name, s) in &d.services {
        // Render runs a cron job; compose a `jobs` profile the host's cron runs.
        if s.schedule.is_some() && !target::reads(d, Field::Schedule) {
            c.error_at_key(
                rules::PLATFORM_FIELD,
                format!("/services/{}/schedule", escape_pointer(name)),
                "`schedule` (a cron job) only applies to `render` and `compose`".into(),
            );
        }
    }
    // The generated Alloy config ships logs to the environment's Loki (compose).
    for (name, infra) in &d.infrastructure {
        if infra.kind == InfrastructureKind::Alloy && infra.command.is_none() && !crate::plan::wiring::has_loki(d) {
            c.error(
                rules::CONTRADICTION,
                format!("/infrastructure/{}/kind", escape_pointer(name)),
                "an `alloy` service ships container logs to a `loki` service: add one (`kind: loki`), or give `command` and a config of your own".into(),
            );
        }
    }
    let redis_conf = crate::resolve::cache_backend(d).is_some_and(|b| b.facts().writes_redis_conf);
    for (field, set) in [
        ("persistence", d.cache.persistence.is_some()),
        ("disabled_commands", d.cache.disabled_commands.is_some()),
        ("loglevel", d.cache.loglevel.is_some()),
    ] {
        if set && !redis_conf {
            c.error_at_key(
                rules::PLATFORM_FIELD,
                format!("/cache/{field}"),
                format!("`{field}` configures redis.conf, written only for a Redis private service on Render (`provider: render-private-service`)"),
            );
        }
    }
    let external = d.cache.provider_on(d.platform) == Some(CacheProvider::External);
    match (&d.cache.url_secret, external) {
        (Some(_), false) => c.error_at_key(
            rules::CONTRADICTION,
            "/cache/url_secret".into(),
            "`url_secret` only applies to `provider: external`".into(),
        ),
        (None, true) => c.error(
            rules::CONTRADICTION,
            "/cache/provider".into(),
            "an `external` Redis needs `url_secret`: the id of the secret holding its URL".into(),
        ),
        _ => {}
    }
}

/// The port a start command listens on, where it names one: `--port 8000`,
/// `--port=8000`, `-b 0.0.0.0:8000`, `--bind :8000`, `--server.port 8501`.
fn command_port(command: &Command) -> Option<u16> {
    let words: Vec<&str> = match command {
        Command::Shell(line) => line.split_whitespace().collect(),
        Command::Args(args) => args.iter().map(String::as_str).collect(),
    };
    let port_of = |flag: &str, value: &str| -> Option<u16> {
        match flag {
            "--port" | "-p" | "--server.port" => value.parse().ok(),
            "--bind" | "-b" => value.rsplit_once(':').and_then(|(_, p)| p.parse().ok()),
            _ => None,
        }
    };
    words
        .iter()
        .enumerate()
        .find_map(|(i, word)| match word.split_once('=') {
            Some((flag, value)) => port_of(flag, value),
            None => words.get(i + 1).and_then(|value| port_of(word, value)),
        })
}

/// Render routes a web service's traffic to `$PORT`: deploygen sets it to the
/// container port of `ports`, so a command listening elsewhere never gets traffic.
fn check_web_port(name: &str, s: &Service, c: &mut Checker) {
    let web = s.schedule.is_none() && matches!(s.role(), Role::Web | Role::Frontend);
    let (Some(command), true) = (&s.command, web) else {
        return;
    };
    let Some(listens) = command_port(command) else {
        return;
    };
    let routed = s
        .ports
        .first()
        .and_then(|p| p.rsplit(':').next())
        .and_then(|p| p.parse::<u16>().ok());
    let pointer = format!("/services/{}/command", escape_pointer(name));
    match routed {
        Some(port) if port != listens => c.error(
            rules::RENDER_PORT,
            pointer,
            format!("`{name}` listens on {listens}, but Render routes to PORT={port} (from `ports`): make them agree"),
        ),
        None => c.error(
            rules::RENDER_PORT,
            pointer,
            format!("`{name}` listens on {listens}, but Render routes to `$PORT` (10000): add `ports: [\"{listens}:{listens}\"]`, or bind `$PORT`"),
        ),
        _ => {}
    }
}

/// The `render` target's own checks ([`crate::target::Target::check`]).
pub fn check_render(d: &Descriptor, c: &mut Checker) {
    for (name, s) in d.services.iter() {
        check_web_port(name, s, c);
        if s.schedule.is_some() && s.stop_grace_seconds.is_some() {
            c.error_at_key(
                rules::PLATFORM_FIELD,
                format!("/services/{}/stop_grace_seconds", escape_pointer(name)),
                format!("`{name}` is a Render cron job, which takes no `maxShutdownDelaySeconds` (web services, workers and private services do): remove `stop_grace_seconds`"),
            );
        }
    }
    for (name, _) in d.services.iter() {
        if !render_name_ok(name) {
            c.error_at_key(
                rules::RENDER_NAME,
                format!("/services/{}", escape_pointer(name)),
                format!("Render rejects the service name `{name}`: use lower-case letters, digits and dashes (it is also a host name)"),
            );
        }
    }
    if !d.infrastructure.is_empty() {
        c.error_at_key(
            rules::PLATFORM_FIELD,
            "/infrastructure".into(),
            "`render` deploys no infrastructure containers; run them as services of their own".into(),
        );
    }
    if let Some(pg) = &d.postgres {
        if pg.password_secret.is_some() {
            c.error_at_key(
                rules::CONTRADICTION,
                "/postgres/password_secret".into(),
                "Render generates the database password; services read it with `fromDatabase`".into(),
            );
        }
    }
    for (key, value) in &d.env {
        if let EnvValue::Secret { secret } = value {
            // A generated value is allowed in a group, and generated once for all.
            if d.secrets.get(secret).is_some_and(|s| s.generate) {
                continue;
            }
            c.error(
                rules::RENDER_ENV_GROUP,
                format!("/env/{}", escape_pointer(key)),
                format!("`{key}`: the descriptor-wide `env` becomes a Render environment group, and Render does not allow `sync: false` secrets in groups; set it in each service's `env`, or let Render generate it (`generate: true`)"),
            );
        }
    }
    let cache = &d.cache;
    let self_hosted = d.cache.kind == CacheKind::Redis
        && d.cache.provider_on(d.platform) == Some(CacheProvider::RenderPrivateService);
    if d.render.as_ref().is_some_and(|r| r.redis_host.is_some()) && !self_hosted {
        c.error_at_key(
            rules::CONTRADICTION,
            "/render/redis_host".into(),
            "`redis_host` names a Redis private service (`cache.provider: render-private-service`)".into(),
        );
    }
    if d.postgres.is_none() && d.render.as_ref().is_some_and(|r| r.database_ip_allow_list.is_some()) {
        c.error_at_key(
            rules::CONTRADICTION,
            "/render/database_ip_allow_list".into(),
            "`database_ip_allow_list` applies to the PostgreSQL database, and there is no `postgres`".into(),
        );
    }
    let Some(provider) = super::semantic::hosted_cache_provider(d, c, "Render") else {
        return;
    };
    if provider == CacheProvider::RenderPrivateService {
        let name = crate::plan::wiring::render_redis_name(d);
        if !render_name_ok(&name) {
            c.error(
                rules::RENDER_NAME,
                "/cache/service".into(),
                format!("Render rejects the service name `{name}`"),
            );
        }
        // A Blueprint's service names are unique: Render refuses a second one.
        if d.services.contains_key(&name) {
            c.error_at_key(
                rules::DUPLICATE_SERVICE,
                format!("/services/{}", escape_pointer(&name)),
                format!("service name `{name}` is already the Redis private service's (`cache.service`, default `<name>-redis`); rename one"),
            );
        }
    }
    for field in ["container_name", "image"] {
        let set = if field == "image" {
            cache.image.is_some()
        } else {
            cache.container_name.is_some()
        };
        if set {
            c.error_at_key(
                rules::CONTRADICTION,
                format!("/cache/{field}"),
                format!("`{field}` does not apply on Render"),
            );
        }
    }
    if cache.password_secret.is_some() && provider != CacheProvider::Container {
        c.error_at_key(
            rules::CONTRADICTION,
            "/cache/password_secret".into(),
            "Render cannot build a URL from a secret: a private service is reachable only inside Render's private network, so leave it without a password, or use `render-key-value`".into(),
        );
    }
    if matches!(provider, CacheProvider::RenderKeyValue | CacheProvider::External) {
        let what = if provider == CacheProvider::External {
            "an external Redis's URL"
        } else {
            "a Key Value connection string"
        };
        if cache.database.is_some() {
            c.error_at_key(
                rules::CONTRADICTION,
                "/cache/database".into(),
                format!("{what} has no database number to set"),
            );
        }
        if d.broker.database.is_some() {
            c.error_at_key(
                rules::CONTRADICTION,
                "/broker/database".into(),
                format!("{what} has no database number to set"),
            );
        }
        if cache.port.is_some() {
            c.error_at_key(
                rules::CONTRADICTION,
                "/cache/port".into(),
                format!("the port of {what} is not ours to choose"),
            );
        }
    }
    if provider == CacheProvider::External {
        if let Some(e) = &cache.expose {
            for (fact, set) in [
                ("location", e.location.is_some()),
                ("host", e.host.is_some()),
                ("port", e.port.is_some()),
                ("password", e.password.is_some()),
            ] {
                if set {
                    c.error_at_key(
                        rules::CONTRADICTION,
                        format!("/cache/expose/{fact}"),
                        "an external Redis is known only by its URL (`expose.url`)".into(),
                    );
                }
            }
        }
    }
}

/// The repository a descriptor sits in, as `git rev-parse --show-toplevel`
/// finds it: the nearest folder up holding `.git` (a folder, or the file of a
/// worktree); the descriptor's own folder outside any repository.
fn repository_root(dir: &std::path::Path) -> std::path::PathBuf {
    dir.ancestors()
        .find(|d| d.join(".git").exists())
        .unwrap_or(dir)
        .to_path_buf()
}

/// Where the descriptor's files land decides the Blueprint's paths: without
/// `render.root`, the output folder's path from the repository root, so that
/// `dockerfilePath: ./environments/instructly/redis/Dockerfile` names the file
/// deploygen commits there (`.` when the output folder is outside the repository).
pub fn default_root(d: &mut Descriptor, descriptor: &std::path::Path) {
    if d.platform != Platform::Render || d.render.as_ref().is_some_and(|r| r.root.is_some()) {
        return;
    }
    let descriptor = std::path::absolute(descriptor).unwrap_or_else(|_| descriptor.to_path_buf());
    let repo = repository_root(descriptor.parent().unwrap_or(std::path::Path::new("/")));
    let out = lexical(&crate::emit::paths::output_dir(&descriptor, d.output.as_deref(), None));
    let Ok(rel) = out.strip_prefix(&repo) else {
        return;
    };
    let parts: Option<Vec<&str>> = rel.components().map(|c| c.as_os_str().to_str()).collect();
    // Only what the schema's `render.root` pattern admits: a name Render can read.
    let Some(parts) = parts.filter(|p| {
        p.iter()
            .all(|s| !s.is_empty() && s.chars().all(|c| c.is_ascii_alphanumeric() || "_.-".contains(c)))
    }) else {
        return;
    };
    let root = std::iter::once(".").chain(parts).collect::<Vec<_>>().join("/");
    d.render.get_or_insert_with(Default::default).root = Some(root);
}

/// `a/./b/../c` as `a/c`, without touching the disk (the folder may not exist yet).
fn lexical(path: &std::path::Path) -> std::path::PathBuf {
    use std::path::Component;
    let mut out = std::path::PathBuf::new();
    for part in path.components() {
        match part {
            Component::CurDir => {}
            Component::ParentDir => {
                out.pop();
            }
            other => out.push(other),
        }
    }
    out
}

/// D4: Render reads `dockerfilePath` and `dockerContext` from the repository
/// root (Blueprint spec, render.com/docs/blueprint-spec: both "relative to the
/// repo root"; also the descriptions in Render's JSON schema,
/// shared/schemas-external/render.yaml.schema.json). A path counts as there
/// when it exists, or when it is (or holds) a file deploygen writes into the
/// output folder. One (pointer, message) per service with a path missing.
pub fn missing_blueprint_paths(
    d: &Descriptor,
    plan: &crate::plan::Plan,
    descriptor: &std::path::Path,
) -> Vec<(String, String)> {
    let Some(model) = plan.files.iter().find_map(|f| match &f.model {
        crate::plan::FileModel::Render(m) => Some(m),
        _ => None,
    }) else {
        return vec![];
    };
    let descriptor = std::path::absolute(descriptor).unwrap_or_else(|_| descriptor.to_path_buf());
    let repo = repository_root(descriptor.parent().unwrap_or(std::path::Path::new("/")));
    let out = lexical(&crate::emit::paths::output_dir(&descriptor, d.output.as_deref(), None));
    let written: Vec<std::path::PathBuf> = plan.files.iter().map(|f| lexical(&out.join(&f.path))).collect();
    let root = d.render.as_ref().and_then(|r| r.root.as_deref()).unwrap_or(".");
    let suggestion = match out.strip_prefix(&repo) {
        Ok(rel) if lexical(std::path::Path::new(root)) != rel => format!(
            "; the output folder is `{}` from the repository root: `render.root: ./{}` points the Blueprint at it",
            rel.display(),
            rel.display()
        ),
        _ => String::new(),
    };
    let mut out_findings = Vec::new();
    for s in &model.services {
        let missing: Vec<String> = [
            ("dockerContext", &s.docker_context, false),
            ("dockerfilePath", &s.dockerfile_path, true),
        ]
        .into_iter()
        .filter_map(|(field, path, file)| {
            let path = path.as_deref()?;
            let at = lexical(&repo.join(path));
            let written_here = written.iter().any(|w| *w == at || (!file && w.starts_with(&at)));
            let exists = if file { at.is_file() } else { at.is_dir() };
            (!written_here && !exists).then(|| format!("`{field}: {path}`"))
        })
        .collect();
        if missing.is_empty() {
            continue;
        }
        // Where the path comes from: the service's `build`, or (the Redis
        // private service) the cache; `render.root` is where it went wrong.
        let pointer = if d.services.contains_key(&s.name) {
            format!("/services/{}/build", escape_pointer(&s.name))
        } else {
            "/cache".to_string()
        };
        out_findings.push((
            pointer,
            format!(
                "Render builds `{}` from {}, read from the repository root `{}`, and nothing is there{suggestion}",
                s.name,
                missing.join(" and "),
                repo.display()
            ),
        ));
    }
    out_findings
}
