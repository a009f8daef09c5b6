//! One module per target platform, behind one trait: what the Plan gets on
//! that platform, the operator's commands the migration notes are made of,
//! and the `init` starter. [`target`] is the one place that matches on the
//! platform; everything else asks the trait, so a new platform is a new
//! module here plus its templates, and the compiler lists what it must say.

mod app_service;
mod compose;
mod container_apps;
pub mod project;
mod render;

use crate::diff::notes::{Step, RG};
use crate::diff::ops::Ops;
use crate::diff::shell::quote;
use crate::diff::{DiffReport, Side};
use crate::model::{CacheProvider, Descriptor, Platform};
use crate::plan::Plan;
use crate::validate::semantic::Checker;

/// What differs per target platform. No method has a default: a new platform
/// answers every question.
pub trait Target: Sync {
    fn platform(&self) -> Platform;

    /// Deploys to Azure Resource Manager: the descriptor needs its `azure`
    /// section, PostgreSQL is a flexible server known at deployment.
    fn on_azure(&self) -> bool;

    /// Runs only published images: `build` serves the local compose file only.
    fn published_images_only(&self) -> bool;

    /// Secrets live in Azure Key Vault (soft delete, recover, purge).
    fn key_vault(&self) -> bool;

    /// The platform makes the value of a `generate: true` secret itself, so
    /// nobody has to supply it.
    fn generates_secrets(&self) -> bool;

    /// Fill in what this platform decides: resources, where secrets are kept,
    /// the files to emit (with the local compose variant where one exists).
    fn project(&self, d: &Descriptor, plan: &mut Plan);

    /// `command` run inside a running instance of `service`.
    fn exec(&self, ops: &Ops, service: &str, command: &str) -> String;

    /// A command that runs `query` against the environment's PostgreSQL,
    /// where the platform gives a way in.
    fn sql(&self, d: &Descriptor, query: &str) -> Option<String>;

    fn stop(&self, ops: &Ops, services: &[String]) -> Step;

    fn start(&self, ops: &Ops, services: &[String]) -> Step;

    /// Create what is new and switch the apps to it; what is gone keeps
    /// running until the clean-up step.
    fn deploy(&self, ops: &Ops) -> Step;

    /// Who runs `service`'s pre-deploy command once the new side is deployed,
    /// in a clause for the notes, and what the operator runs to make it happen
    /// (nothing where the deploy itself runs it).
    fn pre_deploy(&self, ops: &Ops, service: &str) -> (String, Vec<String>);

    /// How the app's new code reaches `services` (never empty) before the
    /// deploy step, so that nothing runs old code that reads a variable the
    /// deploy removes: build and push an image and put its tag in the
    /// descriptor, or let the platform build from the pushed commit; and run
    /// the pre-deploy command with the new code where the deploy does not.
    fn ship_code(&self, ops: &Ops, services: &[String]) -> Vec<Step>;

    /// The env vars a deploy of `to`'s files does not set where `from` runs
    /// now, which the operator sets or removes by hand (Render's Blueprint
    /// sync ignores `sync: false` on an update and keeps what it no longer sets).
    fn env_by_hand(&self, from: &Side, to: &Side) -> EnvByHand;

    /// Make the running instances of `services` (never empty) read new secret values.
    fn restart(&self, ops: &Ops, services: &[String]) -> Option<Step>;

    /// Where an operator sets and removes env vars.
    fn env_location(&self, d: &Descriptor) -> String;

    /// Where the apps read their secrets from, where the descriptor chooses it.
    fn secret_mode(&self, d: &Descriptor) -> Option<&'static str>;

    /// Warnings about secrets the new side adds.
    fn secret_warnings(&self, report: &DiffReport) -> Vec<String>;

    /// How to check the new side runs.
    fn verify(&self, ops: &Ops) -> Vec<Step>;

    /// Steps that delete what `after` no longer uses, when `before` ran here:
    /// what deleting costs is said in the step.
    fn cleanup(&self, before: &Side, after: &Side, report: &DiffReport) -> Vec<Step>;

    /// Rollback steps that delete what the migration to this platform created,
    /// once the previous version runs again.
    fn undo(&self, report: &DiffReport) -> Vec<Step>;

    /// What `deploygen init` writes for this platform.
    fn starter(&self) -> Starter;

    /// The platform-only descriptor fields this platform reads; validate
    /// reports any other one that is set ([`Field`]).
    fn fields(&self) -> &'static [Field];

    /// What this platform accepts beyond the schema and the generic rules.
    fn check(&self, d: &Descriptor, c: &mut Checker);

    /// Who runs PostgreSQL here.
    fn postgres_host(&self) -> PostgresHost;

    /// The platform hands services the address of a cache it runs (Render's
    /// `fromService`), instead of deploygen writing it.
    fn hands_out_cache_address(&self) -> bool;

    /// Whether Key Vault and PostgreSQL can sit behind private endpoints.
    fn private_endpoints(&self) -> PrivateEndpoints;

    /// Who runs the cache when `cache.provider` is unset.
    fn default_cache(&self) -> CacheProvider;

    /// How long a stopping process may take after SIGTERM before the
    /// platform kills it; `None`: the platform has no such setting.
    fn stop_grace(&self) -> Option<StopGrace>;

    /// How a service is sized here, for a `plan` (Render's) set elsewhere.
    fn sizing(&self) -> &'static str;
}

/// Env vars a deploy leaves as they were ([`Target::env_by_hand`]).
#[derive(Debug, Default)]
pub struct EnvByHand {
    /// Set in the platform's console before the deploy step: (service, variable).
    pub set: Vec<(String, String)>,
    /// Removed there after it, before anything is verified or deleted.
    pub stale: Vec<(String, String)>,
    /// Where the operator does it, in a step's words.
    pub place: &'static str,
    /// Why the deploy does not do it, with the platform's own words for it.
    pub why_set: &'static str,
    pub why_stale: &'static str,
}

/// A platform's setting for the time between SIGTERM and SIGKILL.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct StopGrace {
    /// The platform as the messages name it (`docker compose`).
    pub place: &'static str,
    /// The setting deploygen writes, as the messages name it.
    pub field: &'static str,
    /// Seconds when `stop_grace_seconds` is unset.
    pub default: u32,
    /// What the setting accepts; `None`: any number of seconds.
    pub bounds: Option<(u32, u32)>,
}

/// Who runs the environment's PostgreSQL.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PostgresHost {
    /// A container of the environment, with a password secret we supply.
    Container,
    /// An Azure Database for PostgreSQL flexible server, password supplied.
    AzureFlexibleServer,
    /// A Render database: Render makes it, its password and every fact.
    RenderDatabase,
}

/// Private endpoints for Key Vault and PostgreSQL.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PrivateEndpoints {
    /// Not an Azure platform: no Key Vault, no firewall rule to speak of.
    NotAzure,
    /// As `azure.private_endpoints` says (default on).
    Optional,
}

/// Descriptor fields that only some platforms read.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Field {
    /// The `render` section.
    Render,
    /// `services.*.schedule` (a cron job).
    Schedule,
    /// `services.*.ingress`, `cpu`, `memory`, `replicas`.
    Ingress,
    Cpu,
    Memory,
    Replicas,
    /// `azure.private_endpoints`, `key_vault_references`, `bicep_file`,
    /// `app_service`, `registries`.
    PrivateEndpoints,
    KeyVaultReferences,
    BicepFile,
    AppService,
    Registries,
}

#[cfg(test)]
impl Field {
    const ALL: [Field; 11] = [
        Field::Render,
        Field::Schedule,
        Field::Ingress,
        Field::Cpu,
        Field::Memory,
        Field::Replicas,
        Field::PrivateEndpoints,
        Field::KeyVaultReferences,
        Field::BicepFile,
        Field::AppService,
        Field::Registries,
    ];
}

/// The platforms that read `field`, as messages name them: "`a` and `b`".
pub fn owners(field: Field) -> String {
    let names: Vec<String> = PLATFORMS
        .into_iter()
        .filter(|p| target(*p).fields().contains(&field))
        .map(|p| format!("`{}`", p.as_str()))
        .collect();
    names.join(" and ")
}

/// Whether `d`'s platform reads `field`.
pub fn reads(d: &Descriptor, field: Field) -> bool {
    of(d).fields().contains(&field)
}

/// The platform's part of the starter descriptor.
#[derive(Debug, Clone, Copy, Default, serde::Serialize)]
pub struct Starter {
    /// The descriptor's platform section (`azure`, `render`), if any.
    pub section: Option<&'static str>,
    /// The example service is built from the working folder.
    pub build: bool,
    /// Runs memcached (as a container).
    pub memcached: bool,
    /// Accepts written for a public Key Vault and PostgreSQL (no VNet integration).
    pub public_endpoints: bool,
    /// Redis here is Azure Cache for Redis (announced for retirement).
    pub azure_cache: bool,
    /// The apps connect to PostgreSQL as its administrator (lint
    /// `postgres-admin-connection`), accepted in the starter with the way out.
    pub postgres_admin: bool,
    /// The port the platform sends requests to, where it decides (not the app).
    pub web_port: Option<u16>,
}

/// The target for `platform`: the one `match` on the platform.
pub fn target(platform: Platform) -> &'static dyn Target {
    match platform {
        Platform::Compose => &compose::Compose,
        Platform::AzureContainerApps => &container_apps::ContainerApps,
        Platform::AzureAppService => &app_service::AppService,
        Platform::Render => &render::Render,
    }
}

/// The descriptor's target.
pub fn of(d: &Descriptor) -> &'static dyn Target {
    target(d.platform)
}

/// Every platform, in the order `--platform` lists them.
pub const PLATFORMS: [Platform; 4] = [
    Platform::Compose,
    Platform::AzureContainerApps,
    Platform::AzureAppService,
    Platform::Render,
];

/// The platforms' names, as descriptors and `--platform` spell them.
pub fn names() -> [&'static str; 4] {
    PLATFORMS.map(Platform::as_str)
}

/// The platform named `name` (as descriptors spell it).
pub fn named(name: &str) -> Option<&'static dyn Target> {
    PLATFORMS
        .into_iter()
        .map(target)
        .find(|t| t.platform().as_str() == name)
}

/// A descriptor's local variant for the developers' host: it runs on compose.
fn on_compose(mut local: Descriptor) -> Descriptor {
    local.platform = Platform::Compose;
    local
}

/// `az deployment group …` steps for a folder holding `main` Bicep and its parameters.
fn bicep_deploy(ops: &Ops) -> Step {
    let out = crate::diff::ops::output_dir(ops.side);
    let plan = &ops.side.plan;
    let find = |ext: &str| {
        plan.files
            .iter()
            .find(|f| f.path.ends_with(ext) && (ext != ".bicep" || !f.path.contains("/modules/")))
            .map(|f| f.path.clone())
            .unwrap_or_default()
    };
    // Paths from where `deploygen render` ran, as every step's commands: a
    // `cd` here would break the relative paths of the steps after it.
    let (bicep, params, rg) = (
        crate::diff::ops::output_arg(ops.side, &find(".bicep")),
        crate::diff::ops::output_arg(ops.side, &find(".json")),
        quote(RG),
    );
    // Container Apps deploys in stages (infra/deploy.sh: grants, a wait while
    // new ones propagate, jobs, the pre-deploy job, apps): a single create
    // would deploy the apps stage alone, before a new grant is usable.
    let staged = plan.files.iter().find(|f| f.path.ends_with("/deploy.sh"));
    let create = match staged {
        Some(script) => format!(
            "RESOURCE_GROUP={rg} bash {}",
            crate::diff::ops::output_arg(ops.side, &script.path)
        ),
        None => {
            format!("az deployment group create --resource-group {rg} --template-file {bicep} --parameters {params}")
        }
    };
    let stages = if staged.is_some() {
        " `deploy.sh` deploys stage by stage (infrastructure and grants, a wait while new grants propagate, the \
         pre-deploy jobs and their run, then the apps); if a stage fails on a grant, run it again."
    } else {
        ""
    };
    crate::diff::notes::step(
        format!(
            "Deploy the infrastructure rendered in `{out}` (check it first: what-if lists every change). \
             New resources are created and the apps switched to them; resources no longer in the Bicep are \
             left in place (incremental mode).{stages}"
        ),
        vec![
            format!("az bicep build --file {bicep}"),
            format!("az deployment group what-if --resource-group {rg} --template-file {bicep} --parameters {params}"),
            create,
        ],
    )
}

/// A service's image with its tag replaced by the `<new-tag>` placeholder.
fn new_tag(image: &str) -> String {
    let repository = image.split('@').next().unwrap_or(image);
    let repository = match repository.rsplit_once(':') {
        Some((repo, tag)) if !tag.contains('/') => repo,
        _ => repository,
    };
    format!("{repository}:<new-tag>")
}

/// The services among `services` that run a published image, and the new
/// image each distinct one becomes.
fn published(ops: &Ops, services: &[String]) -> Vec<(Vec<String>, String)> {
    let mut out: Vec<(Vec<String>, String)> = Vec::new();
    // Where the platform builds (compose, Render), `image` with `build` only names what it builds.
    let builds = !of(ops.d).published_images_only();
    for name in services {
        let Some(service) = ops.d.services.get(name) else {
            continue;
        };
        let Some(image) = service
            .image
            .as_deref()
            .filter(|_| !(builds && service.build.is_some()))
        else {
            continue;
        };
        let image = new_tag(image);
        match out.iter_mut().find(|(_, i)| *i == image) {
            Some((names, _)) => names.push(name.clone()),
            None => out.push((vec![name.clone()], image)),
        }
    }
    out
}

/// Build and push each new image, put its tag in the descriptor and render:
/// a step per image, `login` naming the registry's login command if any.
fn release_images(ops: &Ops, services: &[String], login: &dyn Fn(&str) -> Option<String>) -> Vec<Step> {
    let path = crate::diff::shell::path_arg(&ops.side.origin.path);
    published(ops, services)
        .into_iter()
        .map(|(names, image)| {
            let fields: Vec<String> = names.iter().map(|n| format!("`services.{n}.image`")).collect();
            let mut commands = Vec::new();
            commands.extend(login(&image));
            commands.push(format!("docker build --tag {} .", quote(&image)));
            commands.push(format!("docker push {}", quote(&image)));
            commands.push(format!("deploygen render {path}"));
            crate::diff::notes::step(
                format!(
                    "Ship the new code first: build the image with the app's change from its repository and push it \
                     with a new tag, set {} in `{}` to it, render again and commit. The running version keeps its \
                     image until the deploy step.",
                    fields.join(", "),
                    crate::source::display_path(&ops.side.origin.path)
                ),
                commands,
            )
        })
        .collect()
}

/// Azure resources the new side no longer has: incremental mode leaves them.
fn azure_cleanup(report: &DiffReport) -> Vec<Step> {
    azure_delete(
        &report.resources.removed,
        "Delete the resources the new version no longer uses (the old cache goes with its contents).",
    )
}

/// Azure resources the migration created: incremental mode leaves them too.
fn azure_undo(report: &DiffReport) -> Vec<Step> {
    azure_delete(
        &report.resources.added,
        "Once the previous version runs, delete what the migration created (incremental mode leaves it).",
    )
}

/// One step deleting these resources by hand, if any of them is Azure's.
fn azure_delete(resources: &[crate::plan::Resource], text: &str) -> Vec<Step> {
    let commands: Vec<String> = resources
        .iter()
        .filter(|r| r.kind.is_azure())
        .flat_map(|r| {
            // Azure refuses to delete a private DNS zone that still has virtual
            // network links: they go first.
            // `--ids` takes every link: the substitution is split into words on purpose.
            let (rg, name) = (quote(RG), quote(&r.name));
            let links = (r.kind == crate::plan::ResourceKind::PrivateDnsZone).then(|| {
                format!(
                    "az resource delete --ids $(az network private-dns link vnet list --resource-group {rg} --zone-name {name} --query \"[].id\" --output tsv)"
                )
            });
            links.into_iter().chain(std::iter::once(format!(
                "az resource delete --resource-group {rg} --resource-type {} --name {name}",
                quote(&r.kind.to_string())
            )))
        })
        .collect();
    if commands.is_empty() {
        return vec![];
    }
    vec![crate::diff::notes::step(text, commands)]
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The image a release pushes keeps the repository (and a registry's port) and takes a new tag.
    #[test]
    fn a_new_image_keeps_its_repository_and_takes_a_new_tag() {
        assert_eq!(
            new_tag("orders.azurecr.io/orders-api:1.4.2"),
            "orders.azurecr.io/orders-api:<new-tag>"
        );
        assert_eq!(new_tag("localhost:5000/app"), "localhost:5000/app:<new-tag>");
        assert_eq!(new_tag("ghcr.io/a/b@sha256:abc"), "ghcr.io/a/b:<new-tag>");
        assert_eq!(new_tag("redis"), "redis:<new-tag>");
    }

    #[test]
    fn every_platform_has_its_own_target_and_name() {
        for platform in PLATFORMS {
            assert_eq!(target(platform).platform(), platform);
            assert_eq!(named(platform.as_str()).map(|t| t.platform()), Some(platform));
        }
        assert!(named("heroku").is_none());
    }

    /// A platform-only field some platform reads (else it could never be
    /// set), named in messages by the platforms that read it.
    #[test]
    fn every_platform_only_field_has_an_owner() {
        for field in Field::ALL {
            assert!(!owners(field).is_empty(), "{field:?}");
        }
        assert_eq!(owners(Field::Schedule), "`compose` and `render`");
        assert_eq!(owners(Field::BicepFile), "`azure-app-service`");
    }

    /// Shared Bicep partials (`templates/azure/_*.bicep.j2`) escape the values
    /// they lay out for Bicep, included from a Bicep file.
    #[test]
    fn an_included_partial_escapes_for_its_own_language() {
        let mut env = minijinja::Environment::new();
        crate::render::configure(&mut env);
        env.add_template("azure/_part.bicep.j2", "name: {{ value }}\n").unwrap();
        env.add_template("azure/main.bicep.j2", "{% include \"azure/_part.bicep.j2\" %}")
            .unwrap();
        let out = env
            .get_template("azure/main.bicep.j2")
            .unwrap()
            .render(minijinja::context! { value => "it's ${x}" })
            .unwrap();
        assert_eq!(out, "name: 'it\\'s \\${x}'\n");
    }

    /// Partials are laid out only inside the files that include them.
    #[test]
    fn no_shipped_environment_emits_a_partial() {
        let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("environments");
        let mut seen = 0;
        for entry in std::fs::read_dir(root).unwrap() {
            let path = entry.unwrap().path();
            let base = path.file_name().is_some_and(|n| n.to_string_lossy().starts_with('_'));
            if path.extension().is_some_and(|e| e == "yaml") && !base {
                let v = crate::validate::validate(&path).unwrap();
                for f in &v.plan.files {
                    let name = f.template.rsplit('/').next().unwrap();
                    assert!(!name.starts_with('_'), "{} emits {}", path.display(), f.template);
                    seen += 1;
                }
            }
        }
        assert!(seen > 0);
    }
}
