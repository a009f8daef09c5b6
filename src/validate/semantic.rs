//! Stage 2b: rules a JSON schema cannot express (cross references, contradictions).

use super::suggest::did_you_mean;
use crate::findings::Finding;
use crate::load::node::{escape_pointer, PositionIndex};
use crate::model::*;
use crate::rules::{self, Rule};
use crate::source::Sources;
use std::collections::BTreeMap;

/// Findings kept per file and stage: past this many, a descriptor with
/// thousands of mistakes is told "… and N more" instead of drowning the
/// terminal (4,000 unknown `depends_on` targets once printed 280 MB).
pub const MAX_FINDINGS: usize = 200;

/// Keep the first [`MAX_FINDINGS`] of `findings` and say how many more there were.
pub fn cap_findings(findings: &mut Vec<Finding>, more: usize) {
    let more = more + findings.len().saturating_sub(MAX_FINDINGS);
    if more == 0 {
        return;
    }
    findings.truncate(MAX_FINDINGS);
    let Some(last) = findings.last() else {
        return;
    };
    // At the last finding kept, so that it sorts right after it.
    let summary = Finding::new(
        last.rule,
        last.location.clone(),
        last.pointer.clone(),
        format!("… and {more} more findings after this one; fix these first"),
    );
    findings.push(summary);
}

/// Collects the findings of the semantic rules.
pub struct Checker<'a> {
    index: &'a PositionIndex,
    sources: &'a Sources,
    findings: Vec<Finding>,
    /// Findings past [`MAX_FINDINGS`], counted, not kept.
    more: usize,
}

impl Checker<'_> {
    pub(super) fn error(&mut self, rule: &'static Rule, pointer: String, message: String) {
        if self.full() {
            self.more += 1;
            return;
        }
        let location = self.index.value(&pointer).map(|p| self.sources.locate(p));
        self.findings.push(Finding::new(rule, location, pointer, message));
    }

    /// Report at the key (for "this key should not be here" findings).
    pub(super) fn error_at_key(&mut self, rule: &'static Rule, pointer: String, message: String) {
        if self.full() {
            self.more += 1;
            return;
        }
        let location = self.index.key(&pointer).map(|p| self.sources.locate(p));
        self.findings.push(Finding::new(rule, location, pointer, message));
    }

    /// Enough findings kept: costly hints are not worth computing any more.
    pub(super) fn full(&self) -> bool {
        self.findings.len() >= MAX_FINDINGS
    }
}

pub fn check(d: &Descriptor, index: &PositionIndex, sources: &Sources) -> Vec<Finding> {
    let mut c = Checker {
        index,
        sources,
        findings: Vec::new(),
        more: 0,
    };
    let names = service_names(d, &mut c);
    check_platform(d, &mut c);
    check_services(d, &names, &mut c);
    check_cache(d, &mut c);
    check_broker(d, &mut c);
    check_ports(d, &mut c);
    check_secret_refs(d, &mut c);
    check_env_collisions(d, &mut c);
    check_env_values(d, &mut c);
    check_output(d, &mut c);
    check_container_names(d, &mut c);
    super::services::check(d, &mut c);
    super::stop_grace::check(d, &mut c);
    let mut findings = c.findings;
    cap_findings(&mut findings, c.more);
    findings
}

/// At most ten names, then how many more.
fn capped_list(names: &[String]) -> String {
    const SHOWN: usize = 10;
    let mut text = names.iter().take(SHOWN).cloned().collect::<Vec<_>>().join(", ");
    if names.len() > SHOWN {
        text.push_str(&format!(" … and {} more", names.len() - SHOWN));
    }
    text
}

/// `output:` is a folder below the descriptor's own (as the README says:
/// relative to it). Anywhere else is the operator's choice, made with
/// `render -o DIR`, not a descriptor's (a pull request could aim it at `~`).
fn check_output(d: &Descriptor, c: &mut Checker) {
    let Some(output) = d.output.as_deref() else {
        return;
    };
    let problem = if output.starts_with('/') || output.contains('\\') || std::path::Path::new(output).is_absolute() {
        Some("is not relative to the descriptor (an absolute path)")
    } else if output.chars().any(char::is_control) {
        Some("holds a control character")
    } else if output
        .split('/')
        .any(|part| part == ".." || part == "." || part.is_empty())
    {
        Some("must stay below the descriptor's folder: no `..`, `.` or empty parts")
    } else if output
        .split('/')
        .any(|part| part == crate::emit::STAGING || part == crate::emit::manifest::MANIFEST)
    {
        // A render stages into `.deploygen-staging` and clears it first: an
        // output folder there would be deleted by the next render.
        Some("names a file or folder deploygen keeps inside every output folder (`.deploygen-staging`, `.deploygen-manifest`)")
    } else {
        None
    };
    if let Some(problem) = problem {
        c.error(
            rules::UNSAFE_PATH,
            "/output".into(),
            format!("`{output}` {problem}; to render elsewhere, use `deploygen render -o DIR`"),
        );
    }
}

/// Two containers with one `container_name`: compose refuses the file.
fn check_container_names(d: &Descriptor, c: &mut Checker) {
    let mut named: Vec<(String, &str)> = Vec::new();
    if let Some(name) = d.postgres.as_ref().and_then(|p| p.container_name.as_deref()) {
        named.push(("/postgres/container_name".into(), name));
    }
    if let Some(name) = d.cache.container_name.as_deref() {
        named.push(("/cache/container_name".into(), name));
    }
    for (service, s) in &d.services {
        if let Some(name) = s.container_name.as_deref() {
            named.push((format!("/services/{}/container_name", escape_pointer(service)), name));
        }
    }
    for (service, s) in &d.infrastructure {
        if let Some(name) = s.container_name.as_deref() {
            named.push((
                format!("/infrastructure/{}/container_name", escape_pointer(service)),
                name,
            ));
        }
    }
    let mut seen: BTreeMap<&str, String> = BTreeMap::new();
    for (pointer, name) in named {
        match seen.get(name) {
            Some(first) => c.error(
                rules::DUPLICATE_SERVICE,
                pointer,
                format!(
                    "container name `{name}` is already used at {first}; compose refuses two containers of one name"
                ),
            ),
            None => {
                seen.insert(name, pointer);
            }
        }
    }
}

/// Every service name with the pointer that introduced it; duplicates reported.
fn service_names(d: &Descriptor, c: &mut Checker) -> Vec<String> {
    let mut seen: BTreeMap<String, String> = BTreeMap::new();
    let mut add = |name: String, pointer: String, c: &mut Checker| {
        if let Some(first) = seen.get(&name) {
            c.error_at_key(
                rules::DUPLICATE_SERVICE,
                pointer,
                format!("service name `{name}` is already used at {first}"),
            );
        } else {
            seen.insert(name, pointer);
        }
    };
    if let Some(pg) = &d.postgres {
        add(crate::resolve::postgres_service(pg), "/postgres".into(), c);
    }
    if let Some(service) = cache_service_name(d) {
        add(service, "/cache".into(), c);
    }
    for name in d.services.keys() {
        add(name.clone(), format!("/services/{}", escape_pointer(name)), c);
    }
    for name in d.infrastructure.keys() {
        add(name.clone(), format!("/infrastructure/{}", escape_pointer(name)), c);
    }
    seen.into_keys().collect()
}

/// Kept at its old path for callers not yet moved to [`crate::resolve`].
use crate::resolve::cache_service_name;

fn check_platform(d: &Descriptor, c: &mut Checker) {
    super::render::check(d, c);
    match (&d.azure, crate::target::of(d).on_azure()) {
        (None, true) => c.error(
            rules::AZURE_SETTINGS,
            "".into(),
            format!(
                "platform `{}` needs an `azure` section (at least `location`)",
                d.platform.as_str()
            ),
        ),
        (Some(_), false) => c.error_at_key(
            rules::AZURE_SETTINGS,
            "/azure".into(),
            format!(
                "`azure` only applies to the Azure platforms, not `{}`",
                d.platform.as_str()
            ),
        ),
        _ => {}
    }
    super::azure::check_fields(d, c);
    crate::target::of(d).check(d, c);
}

fn check_services(d: &Descriptor, names: &[String], c: &mut Checker) {
    let deps = d
        .services
        .iter()
        .map(|(n, s)| (format!("/services/{}", escape_pointer(n)), &s.depends_on, n))
        .chain(
            d.infrastructure
                .iter()
                .map(|(n, s)| (format!("/infrastructure/{}", escape_pointer(n)), &s.depends_on, n)),
        );
    for (base, depends_on, own) in deps {
        for (i, dep) in depends_on.iter().enumerate() {
            let pointer = format!("{base}/depends_on/{i}");
            if dep == own {
                c.error(
                    rules::UNKNOWN_DEPENDENCY,
                    pointer,
                    format!("`{own}` cannot depend on itself"),
                );
            } else if !names.contains(dep) {
                let hint = match c.full() {
                    true => String::new(),
                    false => did_you_mean(dep, names.iter().map(String::as_str))
                        .map(|s| format!("; did you mean `{s}`?"))
                        .unwrap_or_else(|| format!("; known services: {}", capped_list(names))),
                };
                c.error(
                    rules::UNKNOWN_DEPENDENCY,
                    pointer,
                    format!("depends on unknown service `{dep}`{hint}"),
                );
            }
        }
    }
    for (name, service) in &d.services {
        let base = format!("/services/{}", escape_pointer(name));
        match (&service.image, &service.build) {
            // A Render native runtime builds from source (`build_command`).
            (None, None) if super::services::native_on_render(d, service) => {}
            (None, None) if crate::target::of(d).published_images_only() => c.error(
                rules::IMAGE_OR_BUILD,
                base.clone(),
                format!("service `{name}` needs an `image`: Azure runs published images (`build` is only for the local compose file)"),
            ),
            (None, None) => c.error(rules::IMAGE_OR_BUILD, base.clone(), format!("service `{name}` needs `image` or `build`")),
            (None, Some(_)) if crate::target::of(d).published_images_only() => c.error(
                rules::IMAGE_OR_BUILD,
                format!("{base}/build"),
                format!("service `{name}` needs an `image` too: Azure runs published images, `build` only serves the local compose file"),
            ),
            _ => {}
        }
        // A worker without a queue is a background process of its own; a
        // scheduler puts jobs on a queue, and `uses: [broker]` asks for one.
        if d.broker.kind == BrokerKind::None {
            let asks = service.uses.as_ref().is_some_and(|u| u.contains(&Backing::Broker));
            let found = if service.role() == Role::Scheduler {
                Some((format!("{base}/role"), "a `scheduler` puts jobs on a queue"))
            } else if asks {
                Some((format!("{base}/uses"), "`uses: [broker]` asks for the queue's settings"))
            } else {
                None
            };
            if let Some((pointer, what)) = found {
                c.error(
                    rules::WORKER_NEEDS_BROKER,
                    pointer,
                    format!(
                        "{what}, but `broker.kind` is `none`; set `broker.kind` to {}",
                        crate::backing::queue::kind_names().join(", ")
                    ),
                );
            }
        }
        // Render probes a web service on the `$PORT` it sets: no `ports` needed.
        let platform_port = d.platform == Platform::Render;
        check_healthcheck(&service.healthcheck, &service.ports, platform_port, &base, c);
    }
    for (name, infra) in &d.infrastructure {
        let base = format!("/infrastructure/{}", escape_pointer(name));
        if infra.kind == InfrastructureKind::Custom && infra.image.is_none() {
            c.error(
                rules::IMAGE_OR_BUILD,
                base.clone(),
                format!("a `custom` service (`{name}`) needs an `image`"),
            );
        }
        check_healthcheck(
            &infra.healthcheck,
            infra.ports.as_deref().unwrap_or_default(),
            false,
            &base,
            c,
        );
    }
}

fn check_healthcheck(h: &Option<Healthcheck>, ports: &[String], platform_port: bool, base: &str, c: &mut Checker) {
    let Some(h) = h else { return };
    if h.http.is_some() && h.command.is_some() {
        c.error(
            rules::CONTRADICTION,
            format!("{base}/healthcheck/command"),
            "set `http` or `command`, not both".into(),
        );
    }
    if h.http.is_none() && h.command.is_none() {
        c.error(
            rules::CONTRADICTION,
            format!("{base}/healthcheck"),
            "set `http` or `command`".into(),
        );
    }
    if h.http.is_some() && ports.is_empty() && !platform_port {
        c.error(
            rules::CONTRADICTION,
            format!("{base}/healthcheck/http"),
            "an HTTP health check needs a port: add one to `ports`".into(),
        );
    }
}

fn check_cache(d: &Descriptor, c: &mut Checker) {
    let cache = &d.cache;
    let kind = cache.kind;
    let set = |field: &str| -> bool {
        match field {
            "provider" => cache.provider.is_some(),
            "service" => cache.service.is_some(),
            "container_name" => cache.container_name.is_some(),
            "image" => cache.image.is_some(),
            "port" => cache.port.is_some(),
            "database" => cache.database.is_some(),
            "password_secret" => cache.password_secret.is_some(),
            "maxmemory" => cache.maxmemory.is_some(),
            "maxmemory_policy" => cache.maxmemory_policy.is_some(),
            "ttl_seconds" => cache.ttl_seconds.is_some(),
            _ => false,
        }
    };
    let server_fields = ["provider", "service", "container_name", "image", "port"];
    let redis_fields = ["database", "password_secret", "maxmemory", "maxmemory_policy"];
    let kind_name = serde_json::to_value(kind).unwrap_or_default();
    let kind_name = kind_name.as_str().unwrap_or_default();
    let wrong: Vec<&str> = match kind {
        CacheKind::None | CacheKind::Database => server_fields
            .iter()
            .chain(&redis_fields)
            .copied()
            .filter(|f| set(f))
            .collect(),
        CacheKind::Memcached => redis_fields.iter().copied().filter(|f| set(f)).collect(),
        CacheKind::Redis => vec![],
    };
    for field in wrong {
        let applies = if redis_fields.contains(&field) {
            "a Redis cache"
        } else {
            "a Redis or memcached cache"
        };
        c.error_at_key(
            rules::CONTRADICTION,
            format!("/cache/{field}"),
            format!("`{field}` only applies to {applies}, but `cache.kind` is `{kind_name}`"),
        );
    }
    if let Some(expose) = &cache.expose {
        let facts: [(&str, &Option<String>, bool); 8] = [
            ("url", &expose.url, kind == CacheKind::Redis),
            (
                "location",
                &expose.location,
                matches!(kind, CacheKind::Redis | CacheKind::Memcached),
            ),
            (
                "host",
                &expose.host,
                matches!(kind, CacheKind::Redis | CacheKind::Memcached),
            ),
            (
                "port",
                &expose.port,
                matches!(kind, CacheKind::Redis | CacheKind::Memcached),
            ),
            ("password", &expose.password, kind == CacheKind::Redis),
            ("key_prefix", &expose.key_prefix, kind != CacheKind::None),
            ("ttl", &expose.ttl, kind != CacheKind::None),
            ("enabled", &expose.enabled, true),
        ];
        for (fact, name, applies) in facts {
            if name.is_some() && !applies {
                c.error_at_key(
                    rules::CONTRADICTION,
                    format!("/cache/expose/{fact}"),
                    format!("a `{kind_name}` cache has no `{fact}` to expose"),
                );
            }
        }
        if expose.password.is_some()
            && cache.password_secret.is_none()
            && cache.provider_on(d.platform) == Some(CacheProvider::Container)
        {
            c.error_at_key(
                rules::CONTRADICTION,
                "/cache/expose/password".into(),
                "`expose.password` needs `password_secret`: this Redis has no password".into(),
            );
        }
    }
    if expose_ttl(cache) && cache.ttl_seconds.is_none() {
        c.error_at_key(
            rules::CONTRADICTION,
            "/cache/expose/ttl".into(),
            "`expose.ttl` needs `ttl_seconds`".into(),
        );
    }
    if let Some(provider) = cache.provider {
        let allowed = crate::backing::providers_on(d.platform);
        if !allowed.contains(&provider) {
            let names: Vec<String> = allowed.iter().map(|p| format!("`{}`", provider_name(*p))).collect();
            c.error(
                rules::PROVIDER_PLATFORM,
                "/cache/provider".into(),
                format!(
                    "provider `{}` is not available on platform `{}`; expected {}",
                    provider_name(provider),
                    d.platform.as_str(),
                    names.join(" or ")
                ),
            );
        }
    }
}

/// The cache's provider on a platform without memcached; `None` (after
/// reporting it) when there is nothing more to check.
pub(super) fn hosted_cache_provider(d: &Descriptor, c: &mut Checker, platform: &str) -> Option<CacheProvider> {
    let provider = d.cache.provider_on(d.platform)?;
    if d.cache.kind == CacheKind::Memcached {
        let on_azure = crate::target::of(d).on_azure();
        let alternative = if on_azure { " (or `database`)" } else { "" };
        c.error(
            rules::PROVIDER_PLATFORM,
            "/cache/kind".into(),
            format!("{platform} has no memcached; use `kind: redis`{alternative}"),
        );
        return None;
    }
    Some(provider)
}

pub(super) fn provider_name(p: CacheProvider) -> String {
    serde_json::to_value(p)
        .ok()
        .and_then(|v| v.as_str().map(String::from))
        .unwrap_or_default()
}

fn expose_ttl(cache: &Cache) -> bool {
    cache.expose.as_ref().is_some_and(|e| e.ttl.is_some())
}

fn check_broker(d: &Descriptor, c: &mut Checker) {
    let b = &d.broker;
    match b.kind {
        BrokerKind::None => {
            for (field, is_set) in [
                ("transport", b.transport.is_some()),
                ("database", b.database.is_some()),
                ("channel", b.channel.is_some()),
                ("prefix", b.prefix.is_some()),
            ] {
                if is_set {
                    c.error_at_key(
                        rules::CONTRADICTION,
                        format!("/broker/{field}"),
                        format!("`{field}` needs a broker, but `broker.kind` is `none`"),
                    );
                }
            }
        }
        kind => {
            // Settings only some queue kinds read, each with where it is set.
            let at = |set: bool, pointer: &'static str| set.then_some(pointer);
            let settings = [
                (
                    "channel",
                    "a channel",
                    at(b.channel.is_some(), "/broker/channel")
                        .or(at(b.expose.channel.is_some(), "/broker/expose/channel")),
                ),
                ("url", "`url`", at(b.expose.url.is_some(), "/broker/expose/url")),
                ("prefix", "`prefix`", at(b.prefix.is_some(), "/broker/prefix")),
                (
                    "result_backend",
                    "`result_backend`",
                    at(b.expose.result_backend.is_some(), "/broker/expose/result_backend"),
                ),
            ];
            let queue = crate::backing::queue::queue_kind(kind);
            for (fact, what, pointer) in settings {
                if queue.is_some_and(|q| q.reads(fact)) {
                    continue;
                }
                if let Some(pointer) = pointer {
                    let readers = match crate::backing::queue::readers(fact).as_slice() {
                        [rest @ .., last] if !rest.is_empty() => format!("{} or {last}", rest.join(", ")),
                        names => names.join(""),
                    };
                    c.error_at_key(
                        rules::CONTRADICTION,
                        pointer.to_string(),
                        format!("{what} only applies to {readers}"),
                    );
                }
            }
        }
    }
    if let Some(queue) = crate::backing::queue::queue_kind(b.kind) {
        let kind = serde_json::to_value(b.kind).unwrap_or_default();
        let kind = kind.as_str().unwrap_or_default();
        match b.transport {
            None if queue.default_transport().is_none() => c.error(
                rules::BROKER_TRANSPORT,
                "/broker/kind".into(),
                format!(
                    "`{kind}` needs `broker.transport`: `redis` or `database`, whichever its worker reads jobs from"
                ),
            ),
            Some(t) if !queue.transports().contains(&t) => c.error(
                rules::BROKER_TRANSPORT,
                "/broker/transport".into(),
                // Every kind with a restriction runs on Redis only (RQ, Sidekiq, BullMQ, Dramatiq, arq).
                format!(
                    "{} keeps its jobs in Redis only, not in the database; set `transport: redis` or leave it out",
                    queue.name()
                ),
            ),
            _ => {}
        }
    }
    // The queue's own database reaches a worker only through its own URL:
    // without one, every service reads the cache's database instead.
    if let (Some(db), None) = (b.database, &b.expose.url) {
        if b.transport() == Some(Transport::Redis) && d.cache.database.unwrap_or(0) != db {
            c.error(
                rules::CONTRADICTION,
                "/broker/database".into(),
                format!(
                    "the queue is in Redis database {db}, but no service is told so: set `broker.expose.url` to the \
                     variable its worker reads (the cache's URL points at database {})",
                    d.cache.database.unwrap_or(0)
                ),
            );
        }
    }
    match b.transport() {
        Some(Transport::Redis) if d.cache.kind != CacheKind::Redis => c.error(
            rules::BROKER_TRANSPORT,
            if b.transport.is_some() { "/broker/transport" } else { "/broker/kind" }.into(),
            "the broker's transport is Redis, but `cache.kind` is not `redis`: add a Redis cache or set `broker.transport: database`".into(),
        ),
        Some(Transport::Database) if d.postgres.is_none() => c.error(
            rules::BROKER_TRANSPORT,
            "/broker".into(),
            "the broker's transport is the database, but there is no `postgres`".into(),
        ),
        Some(Transport::Database) if b.database.is_some() => c.error_at_key(
            rules::CONTRADICTION,
            "/broker/database".into(),
            "`database` (a Redis database number) needs `transport: redis`".into(),
        ),
        _ => {}
    }
}

/// A published host port, with the address it binds.
fn host_binding(mapping: &str) -> Option<(String, u32)> {
    let parts: Vec<&str> = mapping.split(':').collect();
    match parts.as_slice() {
        [host, _container] => Some(("0.0.0.0".into(), host.parse().ok()?)),
        [bind, host, _container] => Some(((*bind).into(), host.parse().ok()?)),
        _ => None,
    }
}

fn check_ports(d: &Descriptor, c: &mut Checker) {
    let mut taken: Vec<(String, u32, String)> = Vec::new();
    let all = d
        .services
        .iter()
        .map(|(n, s)| (format!("/services/{}", escape_pointer(n)), s.ports.as_slice()))
        .chain(d.infrastructure.iter().map(|(n, s)| {
            (
                format!("/infrastructure/{}", escape_pointer(n)),
                s.ports.as_deref().unwrap_or_default(),
            )
        }));
    for (base, ports) in all {
        for (i, mapping) in ports.iter().enumerate() {
            let pointer = format!("{base}/ports/{i}");
            let container_port: Option<u32> = mapping.rsplit(':').next().and_then(|p| p.parse().ok());
            if !matches!(container_port, Some(1..=65535)) {
                c.error(
                    rules::PORT_RANGE,
                    pointer.clone(),
                    format!("`{mapping}`: ports are 1 to 65535"),
                );
                continue;
            }
            let Some((bind, port)) = host_binding(mapping) else {
                continue;
            };
            if !(1..=65535).contains(&port) {
                c.error(
                    rules::PORT_RANGE,
                    pointer.clone(),
                    format!("`{mapping}`: ports are 1 to 65535"),
                );
                continue;
            }
            let clash = taken
                .iter()
                .find(|(b, p, _)| *p == port && (*b == bind || b == "0.0.0.0" || bind == "0.0.0.0"));
            if let Some((_, _, first)) = clash {
                c.error(
                    rules::HOST_PORT_CLASH,
                    pointer.clone(),
                    format!("host port {port} is already published at {first}"),
                );
            } else {
                taken.push((bind, port, pointer));
            }
        }
    }
}

fn check_secret_refs(d: &Descriptor, c: &mut Checker) {
    let mut declared: Vec<&str> = d.secrets.keys().map(String::as_str).collect();
    if let Some(pg) = &d.postgres {
        declared.push(
            pg.password_secret
                .as_deref()
                .unwrap_or(crate::resolve::POSTGRES_PASSWORD_SECRET),
        );
    }
    if let Some(id) = &d.cache.password_secret {
        declared.push(id);
    }
    for (base, env) in d.env_maps() {
        for (name, value) in env {
            if let EnvValue::Secret { secret } = value {
                if !declared.contains(&secret.as_str()) {
                    let hint = did_you_mean(secret, declared.iter().copied())
                        .map(|s| format!("; did you mean `{s}`?"))
                        .unwrap_or_else(|| "; declare it under `secrets`".into());
                    c.error(
                        rules::UNDECLARED_SECRET,
                        format!("{base}/{}/secret", escape_pointer(name)),
                        format!("secret `{secret}` is not declared{hint}"),
                    );
                }
            }
        }
    }
}

/// Env var names that backing services set, with the descriptor field that sets each.
pub fn exposed_names(d: &Descriptor) -> Vec<(String, String)> {
    let mut out = Vec::new();
    let mut add = |field: &str, name: &Option<String>| {
        if let Some(n) = name {
            out.push((n.clone(), field.to_string()));
        }
    };
    if let Some(pg) = &d.postgres {
        let e = &pg.expose;
        add("/postgres/expose/host", &e.host);
        add("/postgres/expose/port", &e.port);
        add("/postgres/expose/database", &e.database);
        add("/postgres/expose/user", &e.user);
        add("/postgres/expose/password", &e.password);
    }
    let e = crate::resolve::cache_expose(&d.cache);
    add("/cache/expose/url", &e.url);
    add("/cache/expose/location", &e.location);
    add("/cache/expose/host", &e.host);
    add("/cache/expose/port", &e.port);
    add("/cache/expose/password", &e.password);
    add("/cache/expose/key_prefix", &e.key_prefix);
    add("/cache/expose/ttl", &e.ttl);
    add("/cache/expose/enabled", &e.enabled);
    let e = &d.broker.expose;
    add("/broker/expose/url", &e.url);
    add("/broker/expose/result_backend", &e.result_backend);
    add("/broker/expose/channel", &e.channel);
    out
}

fn check_env_collisions(d: &Descriptor, c: &mut Checker) {
    let exposed = exposed_names(d);
    let mut first: BTreeMap<&str, &str> = BTreeMap::new();
    for (name, field) in &exposed {
        if let Some(other) = first.get(name.as_str()) {
            c.error(
                rules::ENV_COLLISION,
                field.clone(),
                format!("`{name}` is already exposed by `{other}`"),
            );
        } else {
            first.insert(name, field);
        }
    }
    // Infrastructure services receive no connection variables to collide with.
    for (base, env) in d.env_maps().filter(|(base, _)| !base.starts_with("/infrastructure/")) {
        for name in env.keys() {
            if let Some(field) = first.get(name.as_str()) {
                c.error_at_key(
                    rules::ENV_COLLISION,
                    format!("{base}/{}", escape_pointer(name)),
                    format!("`{name}` is set by `{field}` already; remove it here or rename one"),
                );
            }
        }
    }
}

/// Plain values travel into compose files and `.env` examples. Line breaks and
/// other control characters have no faithful spelling in a dotenv file, and the
/// descriptor-wide `env` also lands in `.env`, where a single quote cannot be
/// written safely: refuse both here rather than fail halfway through a render.
fn check_env_values(d: &Descriptor, c: &mut Checker) {
    for (base, env) in d.env_maps() {
        let in_dotenv = base == "/env";
        for (name, value) in env {
            let EnvValue::Plain(Scalar::String(text)) = value else {
                continue;
            };
            let pointer = format!("{base}/{}", escape_pointer(name));
            if text
                .chars()
                .any(|c| c.is_control() || crate::render::escape::breaks_lines(c))
            {
                c.error(
                    rules::ENV_VALUE,
                    pointer,
                    format!("`{name}` contains a line break or control character, which env files cannot hold; keep such values in a secret"),
                );
            } else if in_dotenv && (text.contains('\'') || text.contains('\\')) {
                c.error(
                    rules::ENV_VALUE,
                    pointer,
                    format!("`{name}` contains a single quote or a backslash, which dotenv dialects read differently in the .env examples it goes to"),
                );
            } else if in_dotenv && text.contains("${") {
                c.error(
                    rules::ENV_VALUE,
                    pointer,
                    format!("`{name}` contains `${{`, which python-dotenv expands even between single quotes in the .env examples it goes to; keep such values in a secret"),
                );
            }
        }
    }
}
