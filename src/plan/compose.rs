//! The `compose` platform: which compose files and `.env` examples exist and
//! what each holds, as models their templates lay out.

use super::wiring::{self, View, SECRET_PLACEHOLDER};
use super::{EnvValue, FileModel, FilePlan, Part, Plan, ProbeCheck, ServiceKind, ServicePlan};
use crate::model::{Build, Command, Descriptor};
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
    pub restart: &'static str,
    pub ports: Vec<String>,
    pub environment: Vec<ComposeEnv>,
    pub depends_on: Vec<ComposeDependency>,
    pub healthcheck: Option<ComposeHealthcheck>,
    pub volumes: Vec<String>,
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

fn healthcheck(service: &ServicePlan) -> Option<ComposeHealthcheck> {
    let probe = service.healthcheck.as_ref()?;
    let test = match &probe.check {
        ProbeCheck::Exec { args } => std::iter::once("CMD".to_string()).chain(args.iter().cloned()).collect(),
        ProbeCheck::Shell { command } => vec!["CMD-SHELL".into(), command.clone()],
        ProbeCheck::Http { path, port } => vec![
            "CMD-SHELL".into(),
            // The path's characters are limited by the schema; quoted all the same.
            format!("curl -fsS 'http://localhost:{port}{path}' > /dev/null || exit 1"),
        ],
    };
    Some(ComposeHealthcheck {
        test,
        interval: seconds(probe.interval_seconds),
        timeout: seconds(probe.timeout_seconds),
        retries: probe.retries,
        start_period: seconds(probe.start_period_seconds),
    })
}

fn compose_service(service: &ServicePlan, all: &[ServicePlan], plan: &Plan, ports: Vec<String>) -> ComposeService {
    let depends_on = service
        .depends_on
        .iter()
        .filter_map(|dep| all.iter().find(|s| &s.name == dep))
        .map(|dep| ComposeDependency {
            service: dep.name.clone(),
            condition: if dep.healthcheck.is_some() {
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
        command: service.command.clone(),
        container_name: service.container_name.clone(),
        restart: "unless-stopped",
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
        healthcheck: healthcheck(service),
        volumes: service
            .volumes
            .iter()
            .map(|m| format!("{}:{}", m.volume, m.path))
            .collect(),
    }
}

fn volumes_of(services: &[&ServicePlan]) -> Vec<String> {
    services
        .iter()
        .flat_map(|s| s.volumes.iter().map(|m| m.volume.clone()))
        .collect()
}

/// Production: every service, backing services reachable only inside the network.
fn production(plan: &Plan) -> ComposeFile {
    let services: Vec<&ServicePlan> = plan.services.iter().collect();
    ComposeFile {
        project: plan.environment.clone(),
        about: vec![
            "Production: every service in containers.".into(),
            "Secrets come from .env next to this file (start from .env.example).".into(),
        ],
        services: services
            .iter()
            .map(|s| compose_service(s, &plan.services, plan, s.ports.clone()))
            .collect(),
        volumes: volumes_of(&services),
    }
}

/// Local development: infrastructure in containers, application processes on
/// the host, so the database and cache are published on 127.0.0.1.
fn local(plan: &Plan) -> ComposeFile {
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
                let mut service = compose_service(s, &plan.services, plan, ports);
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
    });
}

/// A `.env` example for processes in the given view.
fn dotenv(d: &Descriptor, plan: &Plan, view: View) -> DotEnvFile {
    let mut seen = HashSet::new();
    let mut sections = Vec::new();

    let mut secret_vars = Vec::new();
    for secret in &plan.secrets {
        let note = if secret.description.is_empty() {
            format!("secret `{}`: replace `{SECRET_PLACEHOLDER}`", secret.id)
        } else {
            format!(
                "{} (secret `{}`): replace `{SECRET_PLACEHOLDER}`",
                secret.description, secret.id
            )
        };
        push_unique(&mut secret_vars, &mut seen, &secret.env_name, placeholder(), Some(note));
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
    if !shared.is_empty() {
        sections.push(DotEnvSection {
            heading: "Application".into(),
            vars: shared,
        });
    }
    sections.retain(|s| !s.vars.is_empty());

    let about = match view {
        View::Container => vec![
            "For containers (docker-compose.yml): copy to .env next to the compose file.".into(),
            "docker compose reads the secrets from it; hosts are container names.".into(),
            "${VAR} refers to a secret above (docker compose and python-dotenv expand it).".into(),
        ],
        View::Host => vec![
            "For application processes run on the host against docker-compose-local.yml:".into(),
            "copy to .env; backing services are published on localhost.".into(),
            "${VAR} refers to a secret above (docker compose and python-dotenv expand it).".into(),
        ],
    };
    DotEnvFile { about, sections }
}

pub fn files(d: &Descriptor, plan: &Plan) -> Vec<FilePlan> {
    vec![
        FilePlan {
            path: "docker-compose.yml".into(),
            template: "compose/docker-compose.yml.j2".into(),
            model: FileModel::Compose(production(plan)),
        },
        FilePlan {
            path: "docker-compose-local.yml".into(),
            template: "compose/docker-compose.yml.j2".into(),
            model: FileModel::Compose(local(plan)),
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
    ]
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

/// Render's companion files: `docker-compose.celery.yml` runs the workers and
/// the scheduler locally against the same Redis (built from the same
/// Dockerfile), and `.env.example` feeds it.
pub fn celery_files(local: &Descriptor, local_plan: &Plan) -> Vec<FilePlan> {
    let workers: Vec<&ServicePlan> = local_plan
        .services
        .iter()
        .filter(|s| matches!(s.role, Some(crate::model::Role::Worker | crate::model::Role::Scheduler)))
        .collect();
    let mut files = Vec::new();
    if !workers.is_empty() {
        let mut chosen: Vec<&ServicePlan> = local_plan
            .services
            .iter()
            .filter(|s| matches!(s.kind, ServiceKind::Database | ServiceKind::Cache))
            .collect();
        chosen.extend(workers);
        files.push(FilePlan {
            path: "docker-compose.celery.yml".into(),
            template: "compose/docker-compose.yml.j2".into(),
            model: FileModel::Compose(ComposeFile {
                project: format!("{}-celery", local_plan.environment),
                about: vec![
                    "Celery workers and scheduler with their Redis and database, for local runs.".into(),
                    "Secrets come from .env next to this file (start from .env.example).".into(),
                ],
                services: chosen
                    .iter()
                    .map(|s| compose_service(s, &local_plan.services, local_plan, s.ports.clone()))
                    .collect(),
                volumes: volumes_of(&chosen),
            }),
        });
    }
    files.push(FilePlan {
        path: ".env.example".into(),
        template: "dotenv/env.dotenv.j2".into(),
        model: FileModel::DotEnv(dotenv(local, local_plan, View::Container)),
    });
    files
}
