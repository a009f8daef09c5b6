//! The `compose` platform: which compose files and `.env` examples exist and
//! what each holds, as models their templates lay out.

use crate::model::{Build, Command, Descriptor, Healthcheck, HttpClient, InfrastructureKind};
use crate::plan::wiring::{self, View, SECRET_PLACEHOLDER};
use crate::plan::{EnvValue, FileModel, FilePlan, Part, Plan, ProbeCheck, ServiceKind, ServicePlan};
use serde::Serialize;
use std::collections::HashSet;

#[derive(Debug, Clone, Serialize)]
pub struct ComposeFile {
    /// The compose project name.
    pub project: String,
    /// Comment lines under the header: what this file is for.
    pub about: Vec<String>,
    pub services: Vec<ComposeService>,
    pub volumes: Vec<String>,
}

#[derive(Debug, Clone, Serialize)]
pub struct ComposeService {
    pub name: String,
    pub image: Option<String>,
    pub build: Option<Build>,
    pub command: Option<Command>,
    pub container_name: Option<String>,
    /// `jobs` for a scheduled job: `docker compose up` leaves it out.
    pub profiles: Vec<String>,
    pub restart: &'static str,
    pub ports: Vec<String>,
    pub environment: Vec<ComposeEnv>,
    pub depends_on: Vec<ComposeDependency>,
    pub healthcheck: Option<ComposeHealthcheck>,
    pub volumes: Vec<String>,
    /// `stop_grace_period`: compose's 10 s default where unset.
    pub stop_grace_period: Option<String>,
}

/// An environment entry as compose interpolation parts: literal text, or a
/// variable read from `.env` when compose loads the file.
#[derive(Debug, Clone, Serialize)]
pub struct ComposeEnv {
    pub name: String,
    pub value: Vec<InterpolationPart>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum InterpolationPart {
    Text(String),
    /// `${NAME:?...}`: compose refuses to start when `.env` lacks it.
    Required(String),
}

#[derive(Debug, Clone, Serialize)]
pub struct ComposeDependency {
    pub service: String,
    pub condition: &'static str,
}

#[derive(Debug, Clone, Serialize)]
pub struct ComposeHealthcheck {
    pub test: Vec<String>,
    pub interval: String,
    pub timeout: String,
    pub retries: u32,
    pub start_period: String,
}

#[derive(Debug, Clone, Serialize)]
pub struct DotEnvFile {
    pub about: Vec<String>,
    pub sections: Vec<DotEnvSection>,
}

#[derive(Debug, Clone, Serialize)]
pub struct DotEnvSection {
    pub heading: String,
    pub vars: Vec<DotEnvVar>,
}

#[derive(Debug, Clone, Serialize)]
pub struct DotEnvVar {
    pub name: String,
    /// Text, and `${VAR}` references to the secrets defined in the same file.
    pub value: Vec<InterpolationPart>,
    /// A comment line above the variable, such as what a secret is.
    pub note: Option<String>,
    /// A second comment line: how to choose the value.
    pub hint: Option<String>,
}

/// Compose interpolation for an env value: secrets become `${VAR:?...}`.
fn interpolation(value: &EnvValue, plan: &Plan) -> Vec<InterpolationPart> {
    value
        .parts()
        .into_iter()
        .map(|part| match part {
            Part::Text { text } => InterpolationPart::Text(text),
            Part::Secret { secret } => InterpolationPart::Required(secret_env(plan, &secret)),
            // Compose files come from descriptors whose services are containers:
            // there are no cloud resources to refer to.
            Part::Resource { attribute } => InterpolationPart::Text(attribute),
        })
        .collect()
}

fn secret_env(plan: &Plan, id: &str) -> String {
    plan.secrets
        .iter()
        .find(|s| s.id == id)
        .map(|s| s.env_name.clone())
        .unwrap_or_else(|| crate::model::secret_env_name(id))
}

fn seconds(n: u32) -> String {
    format!("{n}s")
}

/// The descriptor's health check of a service, where it declared one.
fn declared_healthcheck<'a>(d: &'a Descriptor, service: &str) -> Option<&'a Healthcheck> {
    match d.services.get(service) {
        Some(s) => s.healthcheck.as_ref(),
        None => d.infrastructure.get(service).and_then(|s| s.healthcheck.as_ref()),
    }
}

/// An HTTP check run inside the container, as an argument vector (no shell
/// needed), with a program the image has: slim python and alpine node images
/// have no curl.
fn http_check(client: HttpClient, url: &str, timeout: u32) -> Vec<String> {
    let budget = timeout.saturating_sub(1).max(1);
    let args: Vec<String> = match client {
        HttpClient::Python => vec![
            "python3".into(),
            "-c".into(),
            format!("import urllib.request; urllib.request.urlopen('{url}', timeout={budget})"),
        ],
        HttpClient::Node => vec![
            "node".into(),
            "-e".into(),
            format!(
                "require('http').get('{url}', {{timeout: {}}}, r => process.exit(r.statusCode < 400 ? 0 : 1)).on('error', () => process.exit(1))",
                budget * 1000
            ),
        ],
        // Net::HTTP ships with Ruby; `exit` with false fails the check on a 4xx/5xx.
        HttpClient::Ruby => vec![
            "ruby".into(),
            "-rnet/http".into(),
            "-e".into(),
            format!(
                "u = URI('{url}'); exit Net::HTTP.start(u.host, u.port, open_timeout: {budget}, read_timeout: {budget}) {{ |h| h.get(u.request_uri).code.to_i < 400 }}"
            ),
        ],
        HttpClient::Wget => vec![
            "wget".into(),
            "-q".into(),
            "-T".into(),
            budget.to_string(),
            "--spider".into(),
            url.into(),
        ],
        HttpClient::None => return vec![],
        HttpClient::Curl => vec![
            "curl".into(),
            "-fsS".into(),
            "-o".into(),
            "/dev/null".into(),
            "--max-time".into(),
            budget.to_string(),
            url.into(),
        ],
    };
    std::iter::once("CMD".to_string()).chain(args).collect()
}

/// The check docker compose runs inside the container. A declared `exec`
/// (no shell: distroless images) or `command` is the image's own and wins
/// over `http`, which the platform probes from outside (Render, Azure) keep;
/// `http` alone runs through a client the image has, or none (`None`).
fn healthcheck(d: &Descriptor, service: &ServicePlan) -> Option<ComposeHealthcheck> {
    let probe = service.healthcheck.as_ref()?;
    let declared = declared_healthcheck(d, &service.name);
    let own = declared.and_then(|h| match (&h.exec, &h.command) {
        (Some(args), _) => Some(ProbeCheck::Exec { args: args.clone() }),
        (None, Some(command)) => Some(ProbeCheck::Shell {
            command: command.clone(),
        }),
        (None, None) => None,
    });
    let test = match own.as_ref().unwrap_or(&probe.check) {
        ProbeCheck::Http { path, port } => http_check(
            declared
                .and_then(|h| h.http_client)
                .unwrap_or_else(|| crate::resolve::framework::http_client(d, &service.name)),
            // 127.0.0.1, not localhost: some clients try ::1 only.
            &format!("http://127.0.0.1:{port}{path}"),
            probe.timeout_seconds,
        ),
        ProbeCheck::Exec { args } => std::iter::once("CMD".to_string()).chain(args.iter().cloned()).collect(),
        // The descriptor's own command: it knows what its image can run.
        ProbeCheck::Shell { command } => vec!["CMD-SHELL".into(), command.clone()],
    };
    if test.is_empty() {
        return None;
    }
    Some(ComposeHealthcheck {
        test,
        interval: seconds(probe.interval_seconds),
        timeout: seconds(probe.timeout_seconds),
        retries: probe.retries,
        start_period: seconds(probe.start_period_seconds),
    })
}

fn compose_service(
    d: &Descriptor,
    service: &ServicePlan,
    all: &[ServicePlan],
    plan: &Plan,
    ports: Vec<String>,
) -> ComposeService {
    let depends_on = service
        .depends_on
        .iter()
        .filter_map(|dep| all.iter().find(|s| &s.name == dep))
        .map(|dep| ComposeDependency {
            service: dep.name.clone(),
            condition: if healthcheck(d, dep).is_some() {
                "service_healthy"
            } else {
                "service_started"
            },
        })
        .collect();
    ComposeService {
        name: service.name.clone(),
        image: service.image.clone(),
        build: service.build.clone(),
        command: service.command.as_ref().map(wiring::through_shell),
        container_name: service.container_name.clone(),
        profiles: match service.schedule {
            Some(_) => vec![JOBS_PROFILE.into()],
            None => vec![],
        },
        // A job that exits must stay exited: restarting it would rerun it forever.
        restart: if service.schedule.is_some() {
            "no"
        } else {
            "unless-stopped"
        },
        ports,
        environment: service
            .env
            .iter()
            .map(|e| ComposeEnv {
                name: e.name.clone(),
                value: interpolation(&e.value, plan),
            })
            .collect(),
        depends_on,
        healthcheck: healthcheck(d, service),
        volumes: service
            .volumes
            .iter()
            .map(|m| format!("{}:{}", m.volume, m.path))
            .chain(service.binds.iter().cloned())
            .collect(),
        stop_grace_period: service.stop_grace_seconds.map(seconds),
    }
}

/// Header lines for services with a health check that docker compose cannot
/// run inside their container: no program in the image is known to run it.
fn check_notes(d: &Descriptor, services: &[&ServicePlan]) -> Vec<String> {
    services
        .iter()
        .filter(|s| s.healthcheck.is_some() && healthcheck(d, s).is_none())
        .map(|s| {
            format!(
                "`{}` has no check inside its container (no program its image is known to have runs it: \
                 set `healthcheck.exec`, `command` or `http_client`); what depends on it waits for it to start.",
                s.name
            )
        })
        .collect()
}

/// The one-shot service that runs `service`'s pre-deploy command (migrations)
/// with its image and environment; the service waits until it exits 0.
pub fn pre_deploy_name(service: &str) -> String {
    format!("{service}-pre-deploy")
}

/// `service` and, before it, its pre-deploy one-shot: the same image, build,
/// environment and dependencies, no ports, run once (`restart: "no"`).
fn with_pre_deploy(service: &ServicePlan, mut compose: ComposeService) -> Vec<ComposeService> {
    let Some(command) = &service.pre_deploy else {
        return vec![compose];
    };
    let name = pre_deploy_name(&service.name);
    let once = ComposeService {
        name: name.clone(),
        command: Some(wiring::through_shell(command)),
        container_name: compose.container_name.as_ref().map(|c| pre_deploy_name(c)),
        restart: "no",
        ports: vec![],
        healthcheck: None,
        ..compose.clone()
    };
    compose.depends_on.push(ComposeDependency {
        service: name,
        condition: "service_completed_successfully",
    });
    vec![once, compose]
}

/// The compose profile of scheduled jobs, which the host's cron runs.
pub const JOBS_PROFILE: &str = "jobs";

/// Header lines telling the operator how the scheduled jobs run: one crontab
/// line each (`run -T`: cron has no terminal; `--rm`: no container pile-up).
fn job_notes(services: &[&ServicePlan], file: &str) -> Vec<String> {
    let jobs: Vec<&&ServicePlan> = services.iter().filter(|s| s.schedule.is_some()).collect();
    if jobs.is_empty() {
        return vec![];
    }
    let mut notes = vec![format!(
        "Scheduled jobs (profile `{JOBS_PROFILE}`, left out by `up`) run from the host's crontab:"
    )];
    for job in jobs {
        notes.push(format!(
            "  {} cd /path/to/this/folder && docker compose -f {file} run --rm -T {}",
            job.schedule.as_deref().unwrap_or_default(),
            job.name
        ));
    }
    notes
}

fn volumes_of(services: &[&ServicePlan]) -> Vec<String> {
    services
        .iter()
        .flat_map(|s| s.volumes.iter().map(|m| m.volume.clone()))
        .collect()
}

/// Production: every service, backing services reachable only inside the network.
fn production(d: &Descriptor, plan: &Plan) -> ComposeFile {
    let services: Vec<&ServicePlan> = plan.services.iter().collect();
    let mut about = vec![
        "Production: every service in containers.".into(),
        "Secrets come from .env next to this file (start from .env.example).".into(),
    ];
    about.extend(job_notes(&services, "docker-compose.yml"));
    about.extend(check_notes(d, &services));
    let mut composed: Vec<ComposeService> = services
        .iter()
        .flat_map(|s| with_pre_deploy(s, compose_service(d, s, &plan.services, plan, s.ports.clone())))
        .collect();
    wait_for_migrations(&services, &mut composed);
    ComposeFile {
        project: plan.environment.clone(),
        about,
        services: composed,
        volumes: volumes_of(&services),
    }
}

/// A worker built or pulled like a service that migrates first (its
/// `pre_deploy`) runs the same new code: it waits for the migration too, or
/// `up` starts it on the old schema beside the one-shot.
fn wait_for_migrations(services: &[&ServicePlan], composed: &mut [ComposeService]) {
    let same_code = |a: &ServicePlan, b: &ServicePlan| {
        (a.build.is_some() && a.build == b.build) || (a.build.is_none() && a.image.is_some() && a.image == b.image)
    };
    for migrating in services.iter().filter(|s| s.pre_deploy.is_some()) {
        let once = pre_deploy_name(&migrating.name);
        for other in services
            .iter()
            .filter(|s| s.name != migrating.name && s.kind == ServiceKind::Application && same_code(s, migrating))
        {
            let Some(service) = composed.iter_mut().find(|c| c.name == other.name) else {
                continue;
            };
            if !service.depends_on.iter().any(|dep| dep.service == once) {
                service.depends_on.push(ComposeDependency {
                    service: once.clone(),
                    condition: "service_completed_successfully",
                });
            }
        }
    }
}

/// Local development: infrastructure in containers, application processes on
/// the host, so the database and cache are published on 127.0.0.1.
fn local(d: &Descriptor, plan: &Plan) -> ComposeFile {
    let services: Vec<&ServicePlan> = plan
        .services
        .iter()
        .filter(|s| s.kind != ServiceKind::Application)
        .collect();
    let names: Vec<&str> = services.iter().map(|s| s.name.as_str()).collect();
    ComposeFile {
        project: format!("{}-local", plan.environment),
        about: vec![
            "Local development: infrastructure only; application processes run on the host.".into(),
            format!(
                "Start it with: docker compose -f docker-compose-local.yml up -d {}",
                names.join(" ")
            ),
            "Host-run processes read .env (start from .env.local.example).".into(),
        ],
        services: services
            .iter()
            .map(|s| {
                let ports = match (s.kind, s.port) {
                    (ServiceKind::Database | ServiceKind::Cache, Some(port)) => {
                        vec![format!("127.0.0.1:{port}:{port}")]
                    }
                    _ => s.ports.clone(),
                };
                let mut service = compose_service(d, s, &plan.services, plan, ports);
                service.depends_on.retain(|d| names.contains(&d.service.as_str()));
                service
            })
            .collect(),
        volumes: volumes_of(&services),
    }
}

/// The value a `.env` file holds for an env var: secrets become placeholders.
/// A value in a `.env` file: a secret is referenced as `${VAR}` (defined once,
/// in the secrets section, and expanded by docker compose and python-dotenv),
/// never written out, not even as a placeholder inside a URL.
fn dotenv_value(value: &EnvValue, plan: &Plan) -> Vec<InterpolationPart> {
    value
        .parts()
        .into_iter()
        .map(|part| match part {
            Part::Text { text } => InterpolationPart::Text(text),
            Part::Secret { secret } => InterpolationPart::Required(secret_env(plan, &secret)),
            Part::Resource { .. } => InterpolationPart::Text(SECRET_PLACEHOLDER.into()),
        })
        .collect()
}

fn placeholder() -> Vec<InterpolationPart> {
    vec![InterpolationPart::Text(SECRET_PLACEHOLDER.into())]
}

fn push_unique(
    vars: &mut Vec<DotEnvVar>,
    seen: &mut HashSet<String>,
    name: &str,
    value: Vec<InterpolationPart>,
    note: Option<String>,
) {
    // A set, not a scan: a descriptor with n env vars costs n, not n².
    if !seen.insert(name.to_string()) {
        return;
    }
    vars.push(DotEnvVar {
        name: name.to_string(),
        value,
        note,
        hint: None,
    });
}

/// The variables whose value is a URL with this secret inside it (a password
/// in the userinfo), in the containers and in the `.env` of this view.
fn urls_holding(d: &Descriptor, plan: &Plan, view: View, secret: &str) -> Vec<String> {
    let backing = wiring::backing_env(d, view);
    let mut names: Vec<String> = Vec::new();
    let vars = plan
        .services
        .iter()
        .flat_map(|s| s.env.iter())
        .chain(backing.postgres.iter())
        .chain(backing.cache.iter())
        .chain(backing.broker.iter());
    for var in vars {
        let EnvValue::Template { parts } = &var.value else {
            continue;
        };
        let in_url = parts
            .iter()
            .any(|p| matches!(p, Part::Text { text } if text.contains("://")));
        if in_url && var.value.secrets().contains(&secret) && !names.contains(&var.name) {
            names.push(var.name.clone());
        }
    }
    names
}

/// Whether the operator makes this secret up (a password, a signing key),
/// as opposed to receiving it (a provider's URL, an existing master key).
fn generated_locally(d: &Descriptor, id: &str) -> bool {
    let brought = [
        d.postgres.as_ref().map(wiring::postgres_password_secret),
        d.cache.password_secret.clone(),
        Some(wiring::GRAFANA_PASSWORD_SECRET.to_string()),
    ];
    d.secrets.get(id).is_some_and(|s| s.generate) || brought.iter().flatten().any(|b| b == id)
}

/// A `.env` example for processes in the given view.
fn dotenv(d: &Descriptor, plan: &Plan, view: View) -> DotEnvFile {
    dotenv_read_by(d, plan, view, view == View::Container)
}

/// A `.env` example; `by_compose`: a compose file reads it (else only the app's loader).
fn dotenv_read_by(d: &Descriptor, plan: &Plan, view: View, by_compose: bool) -> DotEnvFile {
    // Docker compose reads the containers' `.env` and expands `${VAR}`; the
    // host's is read by the app's own loader, which may not.
    let (reader, reader_expands) = crate::resolve::framework::dotenv_reader(crate::resolve::framework::app_language(d));
    let expands = by_compose || reader_expands;
    let readers_expand = if reader_expands {
        format!("docker compose and {reader} expand it")
    } else {
        "docker compose expands it".into()
    };
    let mut seen = HashSet::new();
    let mut sections = Vec::new();

    let mut secret_vars = Vec::new();
    for secret in &plan.secrets {
        // Empty, not a placeholder: compose's `${VAR:?}` refuses an unset or
        // empty variable, and a placeholder is a value it would start with.
        let note = if secret.description.is_empty() {
            format!("secret `{}`: required, set it", secret.id)
        } else {
            format!("{} (secret `{}`): required, set it", secret.description, secret.id)
        };
        push_unique(&mut secret_vars, &mut seen, &secret.env_name, vec![], Some(note));
        let urls = urls_holding(d, plan, view, &secret.id);
        let made_here = generated_locally(d, &secret.id);
        let hint = match (urls.is_empty(), made_here) {
            (false, _) => Some(format!(
                "goes into {} as is (docker compose and {reader} do not percent-encode): \
use only letters, digits and `-._~`, as `openssl rand -hex 32` makes",
                urls.join(", ")
            )),
            (true, true) => Some("make one with `openssl rand -hex 32`".into()),
            (true, false) => None,
        };
        if let (Some(hint), Some(var)) = (hint, secret_vars.last_mut()) {
            var.hint = Some(hint);
        }
    }
    sections.push(DotEnvSection {
        heading: "Secrets: never commit real values".into(),
        vars: secret_vars,
    });

    let backing = wiring::backing_env(d, view);
    let groups = [
        ("PostgreSQL", &backing.postgres),
        ("Cache", &backing.cache),
        ("Broker", &backing.broker),
    ];
    for (heading, vars) in groups {
        let mut out = Vec::new();
        for var in vars {
            push_unique(&mut out, &mut seen, &var.name, dotenv_value(&var.value, plan), None);
        }
        if !out.is_empty() {
            sections.push(DotEnvSection {
                heading: heading.into(),
                vars: out,
            });
        }
    }
    let mut shared = Vec::new();
    for (name, value) in &d.env {
        let value = match value {
            crate::model::EnvValue::Secret { secret } => EnvValue::Secret { secret: secret.clone() },
            crate::model::EnvValue::Plain(s) => EnvValue::plain(s.to_env_string()),
        };
        push_unique(&mut shared, &mut seen, name, dotenv_value(&value, plan), None);
    }
    // A host-run process reads its variables from this file, not from a
    // compose mapping: a service's `SECRET_KEY: {secret: flask-secret-key}`
    // must be here as SECRET_KEY, not only as the secret's FLASK_SECRET_KEY.
    if view == View::Host {
        let secret_vars = plan
            .services
            .iter()
            .filter(|s| s.kind == ServiceKind::Application)
            .flat_map(|s| s.env.iter())
            .filter(|e| matches!(e.value, EnvValue::Secret { .. }));
        for var in secret_vars {
            push_unique(&mut shared, &mut seen, &var.name, dotenv_value(&var.value, plan), None);
        }
    }
    if !shared.is_empty() {
        sections.push(DotEnvSection {
            heading: "Application".into(),
            vars: shared,
        });
    }
    let left_out = if view == View::Host {
        development_mode(&mut sections)
    } else {
        vec![]
    };
    sections.retain(|s| !s.vars.is_empty());
    if !expands {
        for var in sections.iter_mut().flat_map(|s| s.vars.iter_mut()) {
            spell_out_references(var, reader);
        }
    }

    let references = if expands {
        format!("${{VAR}} refers to a secret above ({readers_expand}).")
    } else {
        format!("{reader} does not expand ${{VAR}}: values built from secrets are left for you to fill in.")
    };
    let mut about = match view {
        View::Container => vec![
            "For containers (docker-compose.yml): copy to .env next to the compose file.".into(),
            "docker compose reads the secrets from it; hosts are container names.".into(),
            references,
        ],
        View::Host => vec![
            "For application processes run on the host against docker-compose-local.yml:".into(),
            "copy to .env; backing services are published on localhost.".into(),
            references,
        ],
    };
    if !left_out.is_empty() {
        about.push(format!(
            "Development mode on this machine: left out, as production's only: {}.",
            left_out.join(", ")
        ));
    }
    DotEnvFile { about, sections }
}

/// A developer's processes never run production mode nor ask for a production
/// key (I4): a `*_ENV=production` becomes the framework's development value
/// (`RAILS_ENV=development`), or is left out where none is conventional; a
/// production key (RAILS_MASTER_KEY) is left out. Returns what was left out.
fn development_mode(sections: &mut [DotEnvSection]) -> Vec<String> {
    let mut left_out = Vec::new();
    for section in sections.iter_mut() {
        section.vars.retain_mut(|var| {
            if crate::resolve::framework::production_key(&var.name) {
                left_out.push(format!("`{}`", var.name));
                return false;
            }
            let [InterpolationPart::Text(value)] = var.value.as_slice() else {
                return true;
            };
            match crate::resolve::framework::development_value(&var.name, value) {
                Some(dev) if dev != value => {
                    var.note = Some(format!("the development value (production sets `{value}`)"));
                    var.value = vec![InterpolationPart::Text(dev.to_string())];
                    true
                }
                Some(_) => true,
                None => {
                    left_out.push(format!("`{}={value}`", var.name));
                    false
                }
            }
        });
    }
    left_out
}

/// For a reader that does not expand `${VAR}`: the value is left empty (the
/// app fails on it, rather than reading a wrong value), and its comment shows
/// it with `{VAR}` where each secret's value goes. (Braces, in a comment:
/// dotenv linters refuse quoted values, and secret scanners take
/// `user:change-me@` in a URL for a real credential.)
fn spell_out_references(var: &mut DotEnvVar, reader: &str) {
    if !var.value.iter().any(|p| matches!(p, InterpolationPart::Required(_))) {
        return;
    }
    let shown: String = var
        .value
        .iter()
        .map(|part| match part {
            InterpolationPart::Text(text) => text.clone(),
            InterpolationPart::Required(name) => format!("{{{name}}}"),
        })
        .collect();
    var.value = Vec::new();
    var.note = Some(format!(
        "set to {shown} with each {{NAME}} replaced by the value of NAME ({reader} reads no `${{...}}` references)"
    ));
}

/// `alloy/config.alloy`: Alloy finds this project's containers through the
/// Docker socket and ships their logs to Loki.
#[derive(Debug, Clone, Serialize)]
pub struct AlloyConfig {
    /// Compose projects whose containers are read (production and local).
    pub projects_regex: String,
    pub loki_push_url: String,
}

const LOKI_PORT: u16 = 3100;

/// `loki/config.yaml`: grafana/loki 3.3.2's own config
/// (cmd/loki/loki-docker-config.yaml at v3.3.2: filesystem storage under
/// `/loki`, tsdb schema v13 from 2020-10-24, kept so existing data still
/// reads) plus retention. Loki keeps logs forever unless the compactor's
/// `retention_enabled` is on (Grafana Loki docs, "Log retention"), and with it
/// on Loki 3 refuses to start without `delete_request_store`.
#[derive(Debug, Clone, Serialize)]
pub struct LokiConfig {
    pub port: u16,
    pub data_dir: &'static str,
    /// `limits_config.retention_period`: Loki's own default when retention is on.
    pub retention_period: &'static str,
}

const LOKI_RETENTION: &str = "744h";

/// `grafana/datasources.yaml`: Grafana starts with Loki as its data source.
#[derive(Debug, Clone, Serialize)]
pub struct GrafanaDatasources {
    pub loki_url: String,
}

/// The Loki service that Alloy pushes to and Grafana reads: the first one.
fn loki<'a>(d: &Descriptor, plan: &'a Plan) -> Option<&'a ServicePlan> {
    d.infrastructure
        .iter()
        .find(|(_, i)| i.kind == InfrastructureKind::Loki)
        .and_then(|(name, _)| plan.services.iter().find(|s| &s.name == name))
}

fn loki_url(loki: &ServicePlan) -> String {
    format!("http://{}:{}", loki.host, loki.port.unwrap_or(LOKI_PORT))
}

fn loki_config(d: &Descriptor) -> Option<FilePlan> {
    if !d.infrastructure.values().any(wiring::writes_loki_config) {
        return None;
    }
    Some(FilePlan {
        path: wiring::LOKI_CONFIG.into(),
        template: "compose/loki-config.yaml.j2".into(),
        model: FileModel::Loki(LokiConfig {
            port: LOKI_PORT,
            data_dir: "/loki",
            retention_period: LOKI_RETENTION,
        }),
    })
}

fn grafana_datasources(d: &Descriptor, plan: &Plan) -> Option<FilePlan> {
    if !d.infrastructure.values().any(|i| i.kind == InfrastructureKind::Grafana) {
        return None;
    }
    Some(FilePlan {
        path: wiring::GRAFANA_DATASOURCES.into(),
        template: "compose/grafana-datasources.yaml.j2".into(),
        model: FileModel::GrafanaDatasources(GrafanaDatasources {
            loki_url: loki_url(loki(d, plan)?),
        }),
    })
}

fn alloy_config(d: &Descriptor, plan: &Plan) -> Option<FilePlan> {
    if !d.infrastructure.values().any(|i| i.kind == InfrastructureKind::Alloy) {
        return None;
    }
    let loki = loki(d, plan)?;
    let projects = [plan.environment.clone(), format!("{}-local", plan.environment)];
    Some(FilePlan {
        path: wiring::ALLOY_CONFIG.into(),
        template: "compose/config.alloy.j2".into(),
        model: FileModel::Alloy(AlloyConfig {
            projects_regex: projects.iter().map(|p| regex_literal(p)).collect::<Vec<_>>().join("|"),
            loki_push_url: format!("{}/loki/api/v1/push", loki_url(loki)),
        }),
    })
}

/// A project name as a regular expression matching only itself.
fn regex_literal(s: &str) -> String {
    s.chars()
        .flat_map(|c| {
            let escape = !c.is_ascii_alphanumeric() && c != '-' && c != '_';
            escape.then_some('\\').into_iter().chain(std::iter::once(c))
        })
        .collect()
}

pub fn files(d: &Descriptor, plan: &Plan) -> Vec<FilePlan> {
    let mut files = vec![
        FilePlan {
            path: "docker-compose.yml".into(),
            template: "compose/docker-compose.yml.j2".into(),
            model: FileModel::Compose(production(d, plan)),
        },
        FilePlan {
            path: "docker-compose-local.yml".into(),
            template: "compose/docker-compose.yml.j2".into(),
            model: FileModel::Compose(local(d, plan)),
        },
        FilePlan {
            path: ".env.example".into(),
            template: "dotenv/env.dotenv.j2".into(),
            model: FileModel::DotEnv(dotenv(d, plan, View::Container)),
        },
        FilePlan {
            path: ".env.local.example".into(),
            template: "dotenv/env.dotenv.j2".into(),
            model: FileModel::DotEnv(dotenv(d, plan, View::Host)),
        },
    ];
    files.extend(alloy_config(d, plan));
    files.extend(loki_config(d));
    files.extend(grafana_datasources(d, plan));
    files
}

/// The word that names the workers' compose file (`celery`), and the queue's
/// name for its header (`None`: no queue library to name).
fn workers_file_kind(d: &Descriptor) -> (String, Option<&'static str>) {
    let Some(queue) = crate::resolve::queue_kind(&d.broker) else {
        return ("workers".into(), None);
    };
    let kind = serde_json::to_value(d.broker.kind)
        .ok()
        .and_then(|v| v.as_str().map(String::from))
        .unwrap_or_else(|| "workers".into());
    let label = (d.broker.kind != crate::model::BrokerKind::Generic).then(|| queue.name());
    (kind, label)
}

/// `.env.example` for an app developed on the host while its cache is an
/// Azure resource a laptop cannot reach (seed 002): the cache is off, its
/// connection settings are placeholders to fill in when testing against Azure.
pub fn env_without_local_cache(local: &Descriptor, local_plan: &Plan) -> FilePlan {
    let mut file = dotenv(local, local_plan, View::Host);
    let expose = wiring::cache_expose(&local.cache);
    let connection: Vec<&String> = [
        &expose.url,
        &expose.location,
        &expose.host,
        &expose.port,
        &expose.password,
    ]
    .into_iter()
    .flatten()
    .collect();
    for section in &mut file.sections {
        for var in &mut section.vars {
            if Some(&var.name) == expose.enabled.as_ref() {
                var.value = vec![InterpolationPart::Text("false".into())];
                var.note = Some("the cache is an Azure resource: off for local development".into());
            } else if connection.contains(&&var.name) {
                var.value = placeholder();
                var.note = Some("to test against the Azure cache, fill in its connection settings".into());
                // Azure access keys are base64: `/` and `+` end the host or port early.
                if Some(&var.name) == expose.url.as_ref() {
                    var.hint = Some(
                        "the access key goes into the URL percent-encoded: `/` as `%2F`, `+` as `%2B`, `=` as `%3D`"
                            .into(),
                    );
                }
            }
        }
    }
    file.about = vec![
        "For local development on the host; in Azure, App Service settings hold these values.".into(),
        "Copy to .env; secrets and the cache connection are placeholders.".into(),
    ];
    FilePlan {
        path: ".env.example".into(),
        template: "dotenv/env.dotenv.j2".into(),
        model: FileModel::DotEnv(file),
    }
}

/// Render's companion files: `docker-compose.<queue>.yml` (S4:
/// `docker-compose.celery.yml`) runs the workers and the scheduler locally
/// against the same Redis (built from the same Dockerfile), and
/// `.env.example` feeds it.
pub fn celery_files(local: &Descriptor, local_plan: &Plan) -> Vec<FilePlan> {
    let workers: Vec<&ServicePlan> = local_plan
        .services
        .iter()
        .filter(|s| matches!(s.role, Some(crate::model::Role::Worker | crate::model::Role::Scheduler)))
        .collect();
    let (kind, label) = workers_file_kind(local);
    let path = format!("docker-compose.{kind}.yml");
    let mut files = Vec::new();
    if !workers.is_empty() {
        let mut chosen: Vec<&ServicePlan> = local_plan
            .services
            .iter()
            .filter(|s| matches!(s.kind, ServiceKind::Database | ServiceKind::Cache))
            .collect();
        let who = if workers.iter().any(|s| s.role == Some(crate::model::Role::Scheduler)) {
            "workers and scheduler"
        } else {
            "workers"
        };
        let mut backing: Vec<&str> = chosen
            .iter()
            .map(|s| match s.kind {
                ServiceKind::Cache if local.cache.kind == crate::model::CacheKind::Redis => "Redis",
                ServiceKind::Cache => "cache",
                _ => "database",
            })
            .collect();
        backing.sort_by_key(|b| *b == "database");
        let with = if backing.is_empty() {
            String::new()
        } else {
            format!(" with their {}", backing.join(" and "))
        };
        chosen.extend(workers);
        let who = match label {
            Some(label) => format!("{label} {who}"),
            None => format!("W{}", &who[1..]),
        };
        let mut about = vec![
            format!("{who}{with}, for local runs."),
            "Secrets come from .env next to this file (start from .env.example).".into(),
        ];
        about.extend(job_notes(&chosen, &path));
        about.extend(check_notes(local, &chosen));
        files.push(FilePlan {
            path: path.clone(),
            template: "compose/docker-compose.yml.j2".into(),
            model: FileModel::Compose(ComposeFile {
                project: format!("{}-{kind}", local_plan.environment),
                about,
                services: chosen
                    .iter()
                    .map(|s| compose_service(local, s, &local_plan.services, local_plan, s.ports.clone()))
                    .collect(),
                volumes: volumes_of(&chosen),
            }),
        });
    }
    // Without workers no compose file reads it: the app's own loader does.
    let mut env = dotenv_read_by(local, local_plan, View::Container, !files.is_empty());
    if files.is_empty() {
        let references = env.about.pop().unwrap_or_default();
        env.about = vec![
            "For the app's processes run outside Render: copy to .env for its own loader.".into(),
            "Hosts name services on Render or in containers: point them at the ones you run.".into(),
            references,
        ];
    } else if let Some(first) = env.about.first_mut() {
        *first = format!("For containers ({path}): copy to .env next to the compose file.");
    }
    files.push(FilePlan {
        path: ".env.example".into(),
        template: "dotenv/env.dotenv.j2".into(),
        model: FileModel::DotEnv(env),
    });
    files
}

/// Render's companion files when no worker runs in a container (none, or
/// native runtimes only): the database and cache published on
/// 127.0.0.1 (`docker-compose-local.yml`), and `.env.example` with the
/// host's addresses for the processes run on the host.
pub fn host_files(local: &Descriptor, local_plan: &Plan) -> Vec<FilePlan> {
    let mut compose = self::local(local, local_plan);
    if let Some(line) = compose.about.last_mut() {
        *line = "Host-run processes read .env (start from .env.example).".into();
    }
    vec![
        FilePlan {
            path: "docker-compose-local.yml".into(),
            template: "compose/docker-compose.yml.j2".into(),
            model: FileModel::Compose(compose),
        },
        FilePlan {
            path: ".env.example".into(),
            template: "dotenv/env.dotenv.j2".into(),
            model: FileModel::DotEnv(dotenv(local, local_plan, View::Host)),
        },
    ]
}
