//! Render: a Blueprint (`render.yaml`), secrets kept in the Dashboard, Redis
//! as a private service or Key Value; a compose file for the developer's host.
//! Templates: `templates/render/`, `templates/redis/`.

use super::project::{compose, render};
use super::{Field, PostgresHost, PrivateEndpoints, Starter, StopGrace, Target};
use crate::diff::notes::{step, Step};
use crate::diff::ops::{output_dir, Ops};
use crate::diff::{DiffReport, Side};
use crate::model::{CacheProvider, Descriptor, Platform};
use crate::plan::{Plan, SecretStore};
use crate::validate::semantic::Checker;

pub struct Render;

/// A Render service type as the Dashboard names it.
fn render_kind(kind: crate::plan::ResourceKind) -> &'static str {
    kind.render_label().unwrap_or(kind.as_str())
}

impl Target for Render {
    fn platform(&self) -> Platform {
        Platform::Render
    }

    fn generates_secrets(&self) -> bool {
        true
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

    fn project(&self, d: &Descriptor, plan: &mut Plan) {
        plan.volumes.clear();
        for secret in &mut plan.secrets {
            // The private service's `requirepass` is generated on it unless the
            // descriptor declares the secret without `generate`.
            let generated = match d.secrets.get(&secret.id) {
                Some(s) => s.generate,
                None => secret.id == crate::plan::wiring::RENDER_REDIS_PASSWORD_SECRET,
            };
            secret.stored_in = if generated {
                SecretStore::RenderGenerated
            } else {
                SecretStore::RenderDashboard
            };
        }
        plan.resources = crate::plan::render_resources(d);
        let local = super::on_compose(render::local_descriptor(d));
        let local_plan = crate::plan::build(&local, plan.descriptor.clone());
        plan.files = render::files(d, plan);
        let companions = compose::celery_files(&local, &local_plan);
        // No worker to run in a container (none, or native runtimes only): the
        // developer runs the app on the host against a local database and cache.
        if companions.iter().any(|f| f.path.starts_with("docker-compose")) {
            plan.files.extend(companions);
        } else {
            plan.files.extend(compose::host_files(&local, &local_plan));
        }
    }

    fn exec(&self, _ops: &Ops, service: &str, command: &str) -> String {
        format!("{command}  # in the Shell of {service}, Render Dashboard")
    }

    fn sql(&self, _d: &Descriptor, _query: &str) -> Option<String> {
        None
    }

    fn stop(&self, _ops: &Ops, services: &[String]) -> Step {
        step(
            format!(
                "Suspend {} (Render Dashboard → the service → Settings → Suspend Service).",
                services.join(", ")
            ),
            vec![],
        )
    }

    fn start(&self, _ops: &Ops, services: &[String]) -> Step {
        step(
            format!(
                "Resume {} (Render Dashboard → the service → Resume Service).",
                services.join(", ")
            ),
            vec![],
        )
    }

    fn deploy(&self, ops: &Ops) -> Step {
        let out = output_dir(ops.side);
        step(
            format!(
                "Deploy: push the rendered Blueprint `{out}/render.yaml` (and what it builds) to the branch Render \
                 watches; Render syncs the Blueprint file it was set up with (or Blueprints → Manual Sync), so if \
                 that is another path, copy this file there first. New services are created and the services \
                 whose environment changed are redeployed."
            ),
            vec![format!(
                "git add {out} && git commit -m \"Update the Render Blueprint\" && git push"
            )],
        )
    }

    fn pre_deploy(&self, _ops: &Ops, service: &str) -> (String, Vec<String>) {
        (
            format!("Render runs it as {service}'s `preDeployCommand` before the new version takes traffic"),
            vec![],
        )
    }

    fn restart(&self, _ops: &Ops, services: &[String]) -> Option<Step> {
        Some(step(
            format!(
                "Check that {} redeployed with the new environment (Dashboard → the service → Events); \
                 otherwise Manual Deploy → Deploy latest commit.",
                services.join(", ")
            ),
            vec![],
        ))
    }

    fn env_location(&self, _d: &Descriptor) -> String {
        "the Render Dashboard (each service's Environment) and render.yaml".into()
    }

    fn secret_mode(&self, _d: &Descriptor) -> Option<&'static str> {
        None
    }

    fn secret_warnings(&self, report: &DiffReport) -> Vec<String> {
        let new_secrets: Vec<String> = report
            .secrets
            .added
            .iter()
            .filter(|s| s.stored_in == SecretStore::RenderDashboard)
            .map(|s| format!("`{}`", s.env_name))
            .collect();
        if new_secrets.is_empty() {
            return vec![];
        }
        vec![format!(
            "Render prompts for `sync: false` variables only when a Blueprint is first created: set {} by hand in the \
             Dashboard (the service whose render.yaml entry says `sync: false` → Environment) before the sync; the \
             other services copy it with `fromService`.",
            new_secrets.join(", ")
        )]
    }

    fn verify(&self, _ops: &Ops) -> Vec<Step> {
        vec![step(
            "Each service deploys and its logs show the connections (Render Dashboard → service → Logs).",
            vec![],
        )]
    }

    fn cleanup(&self, _before: &Side, _after: &Side, report: &DiffReport) -> Vec<Step> {
        let mut steps = Vec::new();
        let gone: Vec<String> = report
            .resources
            .removed
            .iter()
            .filter(|r| r.kind.render_label().is_some())
            .map(|r| format!("the {} `{}`", render_kind(r.kind), r.name))
            .collect();
        if !gone.is_empty() {
            steps.push(step(
                format!(
                    "Delete {} in the Render Dashboard (Settings → Delete): removing a service from render.yaml does \
                     not delete it.",
                    gone.join(", ")
                ),
                vec![],
            ));
        }
        for r in report
            .resources
            .removed
            .iter()
            .filter(|r| r.kind == crate::plan::ResourceKind::ExternalRedis)
        {
            steps.push(step(
                format!(
                    "Close the outside Redis behind secret `{}` at its provider once nothing reads it.",
                    r.name
                ),
                vec![],
            ));
        }
        steps
    }

    fn undo(&self, report: &DiffReport) -> Vec<Step> {
        let added: Vec<String> = report
            .resources
            .added
            .iter()
            .filter(|r| r.kind.render_label().is_some())
            .map(|r| format!("the {} `{}`", render_kind(r.kind), r.name))
            .collect();
        if added.is_empty() {
            return vec![];
        }
        vec![step(
            format!(
                "Once the previous version runs, delete {} in the Render Dashboard (Settings → Delete).",
                added.join(", ")
            ),
            vec![],
        )]
    }

    fn starter(&self) -> Starter {
        Starter {
            section: Some("render"),
            ..Starter::default()
        }
    }

    fn fields(&self) -> &'static [Field] {
        &[Field::Render, Field::Schedule]
    }

    fn check(&self, d: &Descriptor, c: &mut Checker) {
        crate::validate::render::check_render(d, c);
    }

    fn postgres_host(&self) -> PostgresHost {
        PostgresHost::RenderDatabase
    }

    fn hands_out_cache_address(&self) -> bool {
        true
    }

    fn private_endpoints(&self) -> PrivateEndpoints {
        PrivateEndpoints::NotAzure
    }

    fn default_cache(&self) -> CacheProvider {
        CacheProvider::RenderPrivateService
    }

    // The Blueprint specification: `maxShutdownDelaySeconds`, 1 to 300, default 30.
    fn stop_grace(&self) -> Option<StopGrace> {
        Some(StopGrace {
            place: "Render",
            field: "Render's `maxShutdownDelaySeconds`",
            default: 30,
            bounds: Some((1, 300)),
        })
    }

    fn sizing(&self) -> &'static str {
        "`services.*.plan`, else `render.plan`"
    }
}
