//! Azure App Service: one Bicep file, app settings with Key Vault references.
//! Templates: `templates/azure/app-service/` and the shared `templates/azure/_*.bicep.j2`.

use super::project::{azure, compose};
use super::{
    azure_cleanup, azure_undo, bicep_deploy, release_images, Field, PostgresHost, PrivateEndpoints, Starter, StopGrace,
    Target,
};
use crate::diff::notes::{step, Step, RG};
use crate::diff::ops::Ops;
use crate::diff::shell::quote;
use crate::diff::{DiffReport, Side};
use crate::model::{CacheProvider, Descriptor, Platform};
use crate::plan::Plan;
use crate::render::escape::comment_text;
use crate::validate::semantic::Checker;

pub struct AppService;

/// An `az rest` call on the site's Key Vault references
/// (`Microsoft.Web/sites/config/configreferences/appsettings`).
fn key_vault_references(app: &str, method: &str, action: &str, query: &str) -> String {
    format!(
        "az rest --method {method} --url \"https://management.azure.com$(az webapp show --name {} --resource-group {} \
         --query id -o tsv)/config/configreferences/appsettings{action}?api-version=2022-03-01\"{query}",
        quote(app),
        quote(RG)
    )
}

impl Target for AppService {
    fn platform(&self) -> Platform {
        Platform::AzureAppService
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
        let local = super::on_compose(crate::plan::azure_project(d, plan, azure::Host::AppService));
        let local_plan = crate::plan::build(&local, plan.descriptor.clone());
        plan.files = azure::app_service::files(d, plan);
        plan.files.push(compose::env_without_local_cache(&local, &local_plan));
    }

    fn sql(&self, _d: &Descriptor, _query: &str) -> Option<String> {
        None
    }

    /// One web app holds every service.
    fn exec(&self, ops: &Ops, _service: &str, command: &str) -> String {
        format!(
            "az webapp ssh --name {} --resource-group {}  # then: {}",
            quote(&azure::web_app_name(ops.d).shown),
            quote(RG),
            comment_text(command)
        )
    }

    fn stop(&self, _ops: &Ops, services: &[String]) -> Step {
        step(format!("Stop {}.", services.join(", ")), vec![])
    }

    fn start(&self, _ops: &Ops, services: &[String]) -> Step {
        step(format!("Start {}.", services.join(", ")), vec![])
    }

    fn deploy(&self, ops: &Ops) -> Step {
        bicep_deploy(ops)
    }

    /// No release hook: the startup command runs it before the app, at each start.
    fn pre_deploy(&self, _ops: &Ops, _service: &str) -> (String, Vec<String>) {
        (
            "the web app's startup command runs it before the app, each time the app starts (the restart \
             below included)"
                .into(),
            vec![],
        )
    }

    /// A web app from an image gets the new image; a code site gets the new
    /// code by zip deploy (Microsoft Learn, "az webapp deploy": `--type zip`),
    /// and its startup command runs the pre-deploy command at the restart.
    fn ship_code(&self, ops: &Ops, services: &[String]) -> Vec<Step> {
        let mut steps = release_images(ops, services, &super::container_apps::acr_login);
        if services
            .iter()
            .any(|n| ops.d.services.get(n).is_some_and(|s| s.image.is_none()))
        {
            steps.push(step(
                "Ship the new code first: deploy the app's change to the web app (a zip of the app's repository \
                 with the change), before the deploy step removes what the old code reads.",
                vec![format!(
                    "az webapp deploy --resource-group {} --name {} --src-path '<app.zip>' --type zip",
                    quote(RG),
                    quote(&azure::web_app_name(ops.d).shown)
                )],
            ));
        }
        steps
    }

    /// A bare restart is not documented to re-read Key Vault references; the
    /// refresh call is: "To force resolution of your app's Key Vault
    /// references, make an authenticated POST request to ... /config/
    /// configreferences/appsettings/refresh" (Microsoft Learn, "Use Key Vault
    /// references as app settings", Understand rotation).
    fn restart(&self, ops: &Ops, _services: &[String]) -> Option<Step> {
        let app = azure::web_app_name(ops.d).shown;
        Some(step(
            "Have the app read its Key Vault references again, then restart it so it reads its settings.",
            vec![
                key_vault_references(&app, "post", "/refresh", ""),
                format!(
                    "az webapp restart --name {} --resource-group {}",
                    quote(&app),
                    quote(RG)
                ),
            ],
        ))
    }

    /// The deploy sets every variable the files name, and only those.
    fn env_by_hand(&self, _from: &Side, _to: &Side) -> super::EnvByHand {
        super::EnvByHand::default()
    }

    fn env_location(&self, d: &Descriptor) -> String {
        format!(
            "the App Service settings (the deployment rewrites them; Key Vault `{}` keeps their secrets, see the warning)",
            azure::key_vault_name(d).shown
        )
    }

    fn secret_mode(&self, _d: &Descriptor) -> Option<&'static str> {
        None
    }

    fn secret_warnings(&self, _report: &DiffReport) -> Vec<String> {
        vec![]
    }

    fn verify(&self, ops: &Ops) -> Vec<Step> {
        let app = azure::web_app_name(ops.d).shown;
        vec![step(
            "Every Key Vault reference resolves (the list of unresolved ones is empty: `[]`), and the app starts.",
            vec![
                key_vault_references(
                    &app,
                    "get",
                    "",
                    " --query \"value[?properties.status!='Resolved'].name\"",
                ),
                format!(
                    "az webapp log tail --name {} --resource-group {}",
                    quote(&app),
                    quote(RG)
                ),
            ],
        )]
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
            // App Service's Python stack forwards to 8000 (Node apps read `PORT`).
            web_port: Some(8000),
            ..Starter::default()
        }
    }

    fn fields(&self) -> &'static [Field] {
        &[Field::BicepFile, Field::AppService, Field::PrivateEndpoints]
    }

    fn check(&self, d: &Descriptor, c: &mut Checker) {
        crate::validate::azure::check(d, c);
        crate::validate::azure::check_app_service(d, c);
    }

    fn postgres_host(&self) -> PostgresHost {
        PostgresHost::AzureFlexibleServer
    }

    fn hands_out_cache_address(&self) -> bool {
        false
    }

    /// Regional VNet integration for the site, private endpoints for the rest.
    fn private_endpoints(&self) -> PrivateEndpoints {
        PrivateEndpoints::Optional
    }

    fn default_cache(&self) -> CacheProvider {
        CacheProvider::AzureCache
    }

    // App Service restarts and scales a web app on its own terms.
    fn stop_grace(&self) -> Option<StopGrace> {
        None
    }

    fn sizing(&self) -> &'static str {
        "every process shares the plan `azure.app_service.sku`"
    }
}
