//! Azure Container Apps: Bicep modules, container app secrets (Key Vault
//! references or secure parameters), a VNet with private endpoints.
//! Templates: `templates/azure/container-apps/` and the shared `templates/azure/_*.bicep.j2`.

use super::project::azure;
use super::{
    azure_cleanup, azure_undo, bicep_deploy, release_images, Field, PostgresHost, PrivateEndpoints, Starter, StopGrace,
    Target,
};
use crate::diff::notes::{step, web, Step, RG};
use crate::diff::ops::Ops;
use crate::diff::shell::quote;
use crate::diff::{DiffReport, Side};
use crate::model::{CacheProvider, Descriptor, Platform};
use crate::plan::Plan;
use crate::render::escape::comment_text;
use crate::validate::semantic::Checker;

pub struct ContainerApps;

/// `az acr login --name REGISTRY` before pushing to an Azure Container
/// Registry (`NAME.azurecr.io/...`); Microsoft Learn, "az acr login".
pub(super) fn acr_login(image: &str) -> Option<String> {
    let host = image.split('/').next()?;
    let registry = host.strip_suffix(".azurecr.io")?;
    Some(format!("az acr login --name {}", quote(registry)))
}

/// The container app that runs `service`, as a shell word.
fn app(ops: &Ops, service: &str) -> String {
    quote(&format!("{}-{service}", crate::resolve::resource_base(ops.d)))
}

/// The resource group placeholder, as a shell word.
fn rg() -> String {
    quote(RG)
}

impl ContainerApps {
    fn latest_revision(ops: &Ops, service: &str) -> String {
        format!(
            "\"$(az containerapp show --name {} --resource-group {} --query properties.latestRevisionName -o tsv)\"",
            app(ops, service),
            rg()
        )
    }
}

/// Every app that reaches PostgreSQL verifies the server's certificate and
/// name: the URL says `verify-full` (the default query here), `PGSSLMODE`
/// says it to libpq clients given a host instead of a URL (Django's
/// `HOST`/`PORT` settings), and `PGSSLROOTCERT` points both at the image's
/// CA bundle (libpq looks for `~/.postgresql/root.crt` otherwise, and refuses
/// to connect when it is missing). A variable the descriptor sets wins.
fn verify_postgres_server(plan: &mut Plan) {
    use crate::plan::wiring::{POSTGRES_HOST_ATTRIBUTE, POSTGRES_ROOT_CERT};
    use crate::plan::{EnvValue, EnvVar, Part, ServiceKind};
    for service in plan.services.iter_mut().filter(|s| s.kind == ServiceKind::Application) {
        let reaches_postgres = service.env.iter().any(|e| {
            e.value
                .parts()
                .iter()
                .any(|p| matches!(p, Part::Resource { attribute } if attribute == POSTGRES_HOST_ATTRIBUTE))
        });
        if !reaches_postgres {
            continue;
        }
        for (name, value) in [("PGSSLMODE", "verify-full"), ("PGSSLROOTCERT", POSTGRES_ROOT_CERT)] {
            if !service.env.iter().any(|e| e.name == name) {
                service.env.push(EnvVar {
                    name: name.into(),
                    value: EnvValue::plain(value),
                    origin: "/postgres".into(),
                });
            }
        }
    }
}

impl Target for ContainerApps {
    fn platform(&self) -> Platform {
        Platform::AzureContainerApps
    }

    fn on_azure(&self) -> bool {
        true
    }

    fn published_images_only(&self) -> bool {
        true
    }

    fn key_vault(&self) -> bool {
        true
    }

    fn generates_secrets(&self) -> bool {
        false
    }

    fn project(&self, d: &Descriptor, plan: &mut Plan) {
        verify_postgres_server(plan);
        let local = super::on_compose(crate::plan::azure_project(d, plan, azure::Host::ContainerApps));
        let local_plan = crate::plan::build(&local, plan.descriptor.clone());
        plan.files = azure::container_apps::files(d, plan);
        plan.files.extend(
            local_plan
                .files
                .into_iter()
                .filter(|f| f.path == "docker-compose.yml" || f.path == ".env.example"),
        );
    }

    fn sql(&self, _d: &Descriptor, _query: &str) -> Option<String> {
        None
    }

    // `az containerapp exec --command` starts one program with no arguments
    // (the CLI puts it in the exec URL's path; "ls -la" is looked up as one
    // file name, microsoft/azure-container-apps#1029): open a shell and run
    // the line in it.
    fn exec(&self, ops: &Ops, service: &str, command: &str) -> String {
        format!(
            "az containerapp exec --name {} --resource-group {} --command sh  # then, in that shell: {}",
            app(ops, service),
            rg(),
            comment_text(command),
        )
    }

    fn stop(&self, ops: &Ops, services: &[String]) -> Step {
        step(
            format!(
                "Stop {}: deactivate the running revision, so no replica takes jobs.",
                services.join(", ")
            ),
            services
                .iter()
                .map(|s| {
                    format!(
                        "az containerapp revision deactivate --name {} --resource-group {} --revision {}",
                        app(ops, s),
                        rg(),
                        Self::latest_revision(ops, s)
                    )
                })
                .collect(),
        )
    }

    fn start(&self, ops: &Ops, services: &[String]) -> Step {
        step(
            format!(
                "Start {} on the new backend: activate the latest revision and restart it.",
                services.join(", ")
            ),
            services
                .iter()
                .flat_map(|s| {
                    let (app, rev, rg) = (app(ops, s), Self::latest_revision(ops, s), rg());
                    [
                        format!(
                            "az containerapp revision activate --name {app} --resource-group {rg} --revision {rev}"
                        ),
                        format!("az containerapp revision restart --name {app} --resource-group {rg} --revision {rev}"),
                    ]
                })
                .collect(),
        )
    }

    fn deploy(&self, ops: &Ops) -> Step {
        bicep_deploy(ops)
    }

    /// The deployment makes the job but does not start it: the script does.
    fn pre_deploy(&self, ops: &Ops, service: &str) -> (String, Vec<String>) {
        let out = crate::diff::ops::output_dir(ops.side);
        (
            format!(
                "the deployment makes its job `{}`; start it with `{out}/infra/run-pre-deploy.sh`, which waits \
                 until it succeeds",
                azure::container_apps::pre_deploy_job_name(ops.d, service),
            ),
            vec![format!(
                "RESOURCE_GROUP={} bash {}",
                rg(),
                crate::diff::ops::output_arg(ops.side, "infra/run-pre-deploy.sh")
            )],
        )
    }

    /// Container Apps run published images only: a new image, and its
    /// pre-deploy job run with it before the apps roll (the script's release
    /// flow, `IMAGE=... run-pre-deploy.sh`).
    fn ship_code(&self, ops: &Ops, services: &[String]) -> Vec<Step> {
        let mut steps = release_images(ops, services, &acr_login);
        let script = crate::diff::ops::output_arg(ops.side, "infra/run-pre-deploy.sh");
        for (names, image) in super::published(ops, services) {
            let migrates: Vec<&String> = names
                .iter()
                .filter(|n| ops.d.services.get(*n).is_some_and(|s| s.pre_deploy.is_some()))
                .collect();
            if migrates.is_empty() {
                continue;
            }
            steps.push(step(
                format!(
                    "Run the pre-deploy job of {} with the new image, before the deploy step: it brings the database \
                     up to the new code and stops at the first failure, before any app changes.",
                    migrates.iter().map(|n| n.as_str()).collect::<Vec<_>>().join(", ")
                ),
                vec![format!("IMAGE={} RESOURCE_GROUP={} bash {script}", quote(&image), rg())],
            ));
        }
        steps
    }

    fn restart(&self, ops: &Ops, services: &[String]) -> Option<Step> {
        Some(step(
            format!(
                "Restart the revisions of {}: changing a secret does not create a revision, so running \
                 replicas keep the old values (with Key Vault references too) until restarted.",
                services.join(", ")
            ),
            services
                .iter()
                .map(|s| {
                    format!(
                        "az containerapp revision restart --name {} --resource-group {} --revision {}",
                        app(ops, s),
                        rg(),
                        Self::latest_revision(ops, s)
                    )
                })
                .collect(),
        ))
    }

    /// The deploy sets every variable the files name, and only those.
    fn env_by_hand(&self, _from: &Side, _to: &Side) -> super::EnvByHand {
        super::EnvByHand::default()
    }

    fn env_location(&self, d: &Descriptor) -> String {
        format!(
            "the container apps' settings (the deployment rewrites them; Key Vault `{}` keeps their secrets, see the warning)",
            azure::key_vault_name(d).shown
        )
    }

    fn secret_mode(&self, d: &Descriptor) -> Option<&'static str> {
        Some(
            match d.azure.as_ref().and_then(|a| a.key_vault_references).unwrap_or(true) {
                true => "Key Vault references (read with the apps' managed identity)",
                false => "values from secure deployment parameters",
            },
        )
    }

    fn secret_warnings(&self, _report: &DiffReport) -> Vec<String> {
        vec![]
    }

    fn verify(&self, ops: &Ops) -> Vec<Step> {
        let a = ops.d;
        let mut steps = Vec::new();
        for name in a.services.keys() {
            steps.push(step(
                format!("`{name}` starts and connects."),
                vec![format!(
                    "az containerapp logs show --name {} --resource-group {} --follow",
                    app(ops, name),
                    rg()
                )],
            ));
        }
        if let Some(w) = web(a) {
            let by_reference = a.azure.as_ref().and_then(|z| z.key_vault_references).unwrap_or(true);
            steps.push(step(
                if by_reference {
                    "The secrets the app references exist, each with its Key Vault URL."
                } else {
                    "The secrets the app references exist."
                },
                vec![format!(
                    "az containerapp show --name {} --resource-group {} --query \"properties.configuration.secrets[].{}\"",
                    app(ops, &w),
                    rg(),
                    if by_reference { "[name, keyVaultUrl]" } else { "name" }
                )],
            ));
        }
        steps
    }

    fn cleanup(&self, _before: &Side, _after: &Side, report: &DiffReport) -> Vec<Step> {
        azure_cleanup(report)
    }

    fn undo(&self, report: &DiffReport) -> Vec<Step> {
        azure_undo(report)
    }

    fn starter(&self) -> Starter {
        Starter {
            section: Some("azure"),
            azure_cache: true,
            postgres_admin: true,
            ..Starter::default()
        }
    }

    fn fields(&self) -> &'static [Field] {
        &[
            Field::Ingress,
            Field::Cpu,
            Field::Memory,
            Field::Replicas,
            Field::PrivateEndpoints,
            Field::KeyVaultReferences,
            Field::Registries,
        ]
    }

    fn check(&self, d: &Descriptor, c: &mut Checker) {
        crate::validate::azure::check(d, c);
        crate::validate::azure::check_container_apps(d, c);
    }

    fn postgres_host(&self) -> PostgresHost {
        PostgresHost::AzureFlexibleServer
    }

    fn hands_out_cache_address(&self) -> bool {
        false
    }

    fn private_endpoints(&self) -> PrivateEndpoints {
        PrivateEndpoints::Optional
    }

    fn default_cache(&self) -> CacheProvider {
        CacheProvider::AzureCache
    }

    // Microsoft Learn: default 30 s; at most 600 (Azure's App Service support
    // blog, "Graceful termination on Container Apps"); 0 kills at once.
    fn stop_grace(&self) -> Option<StopGrace> {
        Some(StopGrace {
            place: "Container Apps",
            field: "Container Apps' `terminationGracePeriodSeconds`",
            default: 30,
            bounds: Some((0, 600)),
        })
    }

    fn sizing(&self) -> &'static str {
        "size a Container App with `cpu` and `memory`"
    }
}
