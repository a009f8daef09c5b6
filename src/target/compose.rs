//! docker compose: containers on one host, `.env` beside the compose file.
//! Templates: `templates/compose/`, `templates/dotenv/`.

use super::{Field, PostgresHost, PrivateEndpoints, Starter, StopGrace, Target};
use crate::diff::notes::{step, workers, Step};
use crate::diff::ops::{output_dir, Ops};
use crate::diff::shell::{quote, quote_all};
use crate::diff::{DiffReport, Side};
use crate::model::{CacheProvider, Descriptor, Platform};
use crate::plan::Plan;
use crate::validate::semantic::Checker;

pub struct Compose;

impl Target for Compose {
    fn platform(&self) -> Platform {
        Platform::Compose
    }

    fn on_azure(&self) -> bool {
        false
    }

    fn published_images_only(&self) -> bool {
        false
    }

    fn key_vault(&self) -> bool {
        false
    }

    fn generates_secrets(&self) -> bool {
        false
    }

    fn project(&self, d: &Descriptor, plan: &mut Plan) {
        plan.resources = crate::plan::container_resources(plan);
        plan.files = super::project::compose::files(d, plan);
    }

    fn exec(&self, ops: &Ops, service: &str, command: &str) -> String {
        match container_of(ops, service) {
            Some(container) => format!("docker exec {} {command}", quote(&container)),
            None => format!("docker compose exec {} {command}", quote(service)),
        }
    }

    fn sql(&self, d: &Descriptor, query: &str) -> Option<String> {
        let pg = d.postgres.as_ref()?;
        Some(format!(
            "docker compose exec {} psql -U {} -d {} -c {}",
            quote(&crate::plan::wiring::postgres_service(pg)),
            quote(&pg.user),
            quote(&pg.database),
            quote(query)
        ))
    }

    fn stop(&self, ops: &Ops, services: &[String]) -> Step {
        let (gone, here): (Vec<&String>, Vec<&String>) = services.iter().partition(|s| container_of(ops, s).is_some());
        let mut commands = Vec::new();
        if !here.is_empty() {
            commands.push(format!("docker compose stop {}", quote_all(&here)));
        }
        if !gone.is_empty() {
            let names: Vec<String> = gone.iter().filter_map(|s| container_of(ops, s)).collect();
            commands.push(format!("docker stop {}", quote_all(&names)));
        }
        step(format!("Stop {}.", services.join(", ")), commands)
    }

    fn start(&self, _ops: &Ops, services: &[String]) -> Step {
        step(
            format!("Start {} on the new backend.", services.join(", ")),
            vec![format!("docker compose up -d {}", quote_all(services))],
        )
    }

    /// Every `docker compose` command of the notes runs in the rendered
    /// folder on the host: a `cd` here would break the ones after it.
    fn deploy(&self, ops: &Ops) -> Step {
        step(
            format!(
                "Deploy, in the rendered folder `{}` on the host with your `.env` beside the compose file (the \
                 `docker compose` commands of these notes run there): start the new services and recreate those \
                 whose settings changed. Services no longer in the file keep running until they are removed.",
                output_dir(ops.side)
            ),
            vec!["docker compose up -d".into()],
        )
    }

    fn pre_deploy(&self, _ops: &Ops, service: &str) -> (String, Vec<String>) {
        (
            format!(
                "`docker compose up` runs it in the one-shot service `{}` before {service} starts",
                crate::target::project::compose::pre_deploy_name(service)
            ),
            vec![],
        )
    }

    /// `docker compose up -d` reuses an image it has: the new code is built
    /// (or pulled) first; `up` runs the pre-deploy one-shot service itself.
    fn ship_code(&self, ops: &Ops, services: &[String]) -> Vec<Step> {
        let mut steps = super::release_images(ops, services, &|_| None);
        let pulled: Vec<&String> = services
            .iter()
            .filter(|n| {
                ops.d
                    .services
                    .get(*n)
                    .is_some_and(|s| s.image.is_some() && s.build.is_none())
            })
            .collect();
        let built: Vec<&String> = services
            .iter()
            .filter(|n| ops.d.services.get(*n).is_some_and(|s| s.build.is_some()))
            .collect();
        let mut commands = Vec::new();
        if !built.is_empty() {
            commands.push(format!("docker compose build {}", quote_all(&built)));
        }
        if !pulled.is_empty() {
            commands.push(format!("docker compose pull {}", quote_all(&pulled)));
        }
        if !commands.is_empty() {
            steps.push(step(
                format!(
                    "Get the new code onto the host, in the rendered folder `{}` (where the deploy below runs): \
                     `docker compose up` reuses the images it has.",
                    output_dir(ops.side)
                ),
                commands,
            ));
        }
        steps
    }

    /// `docker compose up -d` already recreated every changed container.
    fn restart(&self, _ops: &Ops, _services: &[String]) -> Option<Step> {
        None
    }

    /// The deploy sets every variable the files name, and only those.
    fn env_by_hand(&self, _from: &Side, _to: &Side) -> super::EnvByHand {
        super::EnvByHand::default()
    }

    fn env_location(&self, _d: &Descriptor) -> String {
        "`.env` and the compose files".into()
    }

    fn secret_mode(&self, _d: &Descriptor) -> Option<&'static str> {
        None
    }

    fn secret_warnings(&self, _report: &DiffReport) -> Vec<String> {
        vec![]
    }

    fn verify(&self, ops: &Ops) -> Vec<Step> {
        let mut steps = vec![step(
            "The services are up and healthy.",
            vec!["docker compose ps".into()],
        )];
        for w in workers(ops.d) {
            steps.push(step(
                format!("`{w}` consumes jobs."),
                vec![format!("docker compose logs -f {}", quote(&w))],
            ));
        }
        steps
    }

    fn cleanup(&self, before: &Side, after: &Side, report: &DiffReport) -> Vec<Step> {
        let mut cleanup = Vec::new();
        if report.services.iter().any(|s| s.status == crate::diff::Status::Removed) {
            cleanup.push("docker compose up -d --remove-orphans".into());
        }
        for volume in before.plan.volumes.iter().filter(|v| !after.plan.volumes.contains(v)) {
            cleanup.push(format!(
                "docker volume rm {}",
                quote(&format!("{}_{}", before.descriptor.name, volume))
            ));
        }
        if cleanup.is_empty() {
            return vec![];
        }
        vec![step(
            "Remove the services the new version no longer has, and their volumes (their data goes with them).",
            cleanup,
        )]
    }

    fn undo(&self, _report: &DiffReport) -> Vec<Step> {
        vec![]
    }

    fn starter(&self) -> Starter {
        Starter {
            build: true,
            memcached: true,
            ..Starter::default()
        }
    }

    fn fields(&self) -> &'static [Field] {
        &[Field::Schedule]
    }

    fn check(&self, _: &Descriptor, _: &mut Checker) {}

    fn postgres_host(&self) -> PostgresHost {
        PostgresHost::Container
    }

    fn hands_out_cache_address(&self) -> bool {
        false
    }

    fn private_endpoints(&self) -> PrivateEndpoints {
        PrivateEndpoints::NotAzure
    }

    fn default_cache(&self) -> CacheProvider {
        CacheProvider::Container
    }

    // compose-spec `stop_grace_period`; docker stop's default is 10 s.
    fn stop_grace(&self) -> Option<StopGrace> {
        Some(StopGrace {
            place: "docker compose",
            field: "docker compose's `stop_grace_period`",
            default: 10,
            bounds: None,
        })
    }

    fn sizing(&self) -> &'static str {
        "compose runs on the host's resources"
    }
}

/// The container of a service the new compose file no longer has: there
/// `docker compose` cannot name it, so the command names its container
/// (`<project>-<service>-1` unless named).
fn container_of(ops: &Ops, service: &str) -> Option<String> {
    if !ops.rendered_over.iter().any(|s| s == service) {
        return None;
    }
    let plan = &ops.side.plan;
    let named = plan.services.iter().find(|s| s.name == service);
    Some(
        named
            .and_then(|s| s.container_name.clone())
            .unwrap_or_else(|| format!("{}-{service}-1", plan.environment)),
    )
}
