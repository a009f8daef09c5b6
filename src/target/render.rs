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
use crate::render::escape::comment_text;
use crate::validate::semantic::Checker;

pub struct Render;

/// The variable a Blueprint `envVars` entry sets.
fn env_key(e: &render::Env) -> &str {
    match e {
        render::Env::Value { key, .. }
        | render::Env::Secret { key }
        | render::Env::Generate { key }
        | render::Env::FromDatabase { key, .. }
        | render::Env::FromService { key, .. }
        | render::Env::CopyFromService { key, .. } => key,
    }
}

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
        format!(
            "{command}  # in the Shell of {}, Render Dashboard",
            comment_text(service)
        )
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
                "git add {} && git commit -m \"Update the Render Blueprint\" && git push",
                crate::diff::ops::output_arg(ops.side, "")
            )],
        )
    }

    fn pre_deploy(&self, _ops: &Ops, service: &str) -> (String, Vec<String>) {
        (
            format!("Render runs it as {service}'s `preDeployCommand` before the new version takes traffic"),
            vec![],
        )
    }

    /// Render builds a service from the commit the deploy step pushes, and
    /// runs its `preDeployCommand` before that version takes traffic; a
    /// service that runs a published image needs the new image first.
    fn ship_code(&self, ops: &Ops, services: &[String]) -> Vec<Step> {
        let mut steps = super::release_images(ops, services, &|_| None);
        let built: Vec<&str> = services
            .iter()
            .filter(|n| ops.d.services.get(*n).is_some_and(|s| s.image.is_none()))
            .map(|n| n.as_str())
            .collect();
        if !built.is_empty() {
            steps.push(step(
                format!(
                    "Ship the new code with the Blueprint: commit the app's change on the branch Render watches, so \
                     that the deploy step's push builds {} from it{}.",
                    built.join(", "),
                    if built.iter().any(|n| ops.d.services[*n].pre_deploy.is_some()) {
                        " and runs the pre-deploy command before the new version takes traffic"
                    } else {
                        ""
                    }
                ),
                vec![],
            ));
        }
        steps
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

    /// Render's Blueprint specification: "When you update an existing
    /// Blueprint, Render ignores any environment variables with `sync: false`"
    /// (*Prompting for secret values*), and "Render preserves existing
    /// environment variables, even if you omit them from the Blueprint file"
    /// (*Setting environment variables*). Only an update: a platform move
    /// creates the Blueprint, and Render prompts for its values then.
    fn env_by_hand(&self, from: &Side, to: &Side) -> super::EnvByHand {
        let mut by_hand = super::EnvByHand {
            place: "in the Render Dashboard (the service → Environment)",
            why_set: "Render ignores `sync: false` variables when it updates an existing Blueprint",
            why_stale: "Render keeps the variables a Blueprint no longer sets",
            ..Default::default()
        };
        if from.descriptor.platform != Platform::Render {
            return by_hand;
        }
        let (old, new) = (
            render::model(&from.descriptor, &from.plan),
            render::model(&to.descriptor, &to.plan),
        );
        let keys = |env: &[render::Env]| -> Vec<(String, bool)> {
            env.iter()
                .map(|e| (env_key(e).to_string(), matches!(e, render::Env::Secret { .. })))
                .collect()
        };
        let sets = old
            .services
            .iter()
            .map(|s| (s.name.clone(), keys(&s.env)))
            .chain(old.env_groups.iter().map(|g| (g.name.clone(), keys(&g.vars))));
        let old_sets: Vec<(String, Vec<(String, bool)>)> = sets.collect();
        let new_sets: Vec<(String, Vec<(String, bool)>)> = new
            .services
            .iter()
            .map(|s| (s.name.clone(), keys(&s.env)))
            .chain(new.env_groups.iter().map(|g| (g.name.clone(), keys(&g.vars))))
            .collect();
        for (name, vars) in &new_sets {
            let before = old_sets.iter().find(|(n, _)| n == name).map(|(_, v)| v.as_slice());
            for (key, prompted) in vars {
                let was_prompted = before.is_some_and(|v| v.iter().any(|(k, p)| k == key && *p));
                if *prompted && !was_prompted {
                    by_hand.set.push((name.clone(), key.clone()));
                }
            }
        }
        for (name, vars) in &old_sets {
            let Some((_, after)) = new_sets.iter().find(|(n, _)| n == name) else {
                continue; // a service that goes is deleted with its variables
            };
            for (key, _) in vars {
                if !after.iter().any(|(k, _)| k == key) {
                    by_hand.stale.push((name.clone(), key.clone()));
                }
            }
        }
        by_hand
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
