//! Azure App Service: one Bicep file, app settings with Key Vault references.
//! Templates: `templates/azure/app-service/` and the shared `templates/azure/_*.bicep.j2`.

use super::{azure_cleanup, azure_undo, bicep_deploy, Starter, Target};
use crate::diff::notes::{step, Step, RG};
use crate::diff::ops::Ops;
use crate::diff::{DiffReport, Side};
use crate::model::{Descriptor, Platform};
use crate::plan::{azure, compose, Plan};

pub struct AppService;

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

    fn project(&self, d: &Descriptor, plan: &mut Plan) {
        let local = super::on_compose(crate::plan::azure_project(d, plan, azure::Host::AppService));
        let local_plan = crate::plan::build(&local, plan.descriptor.clone());
        plan.files = azure::app_service::files(d, plan);
        plan.files.push(compose::env_without_local_cache(&local, &local_plan));
    }

    /// One web app holds every service.
    fn app_name(&self, d: &Descriptor, _service: &str) -> String {
        azure::web_app_name(d).shown
    }

    fn exec(&self, ops: &Ops, service: &str, command: &str) -> String {
        format!(
            "az webapp ssh --name {} --resource-group {RG}  # then: {command}",
            ops.app(service)
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

    fn restart(&self, ops: &Ops, _services: &[String]) -> Option<Step> {
        Some(step(
            "Restart the app, so it reads its settings and Key Vault references again.",
            vec![format!(
                "az webapp restart --name {} --resource-group {RG}",
                ops.app("")
            )],
        ))
    }

    fn env_location(&self, d: &Descriptor) -> String {
        format!(
            "the App Service settings and Key Vault `{}`",
            azure::key_vault_name(d).shown
        )
    }

    fn verify(&self, ops: &Ops) -> Vec<Step> {
        let app = ops.app("");
        vec![step(
            "The app settings and their Key Vault references resolve.",
            vec![
                format!("az webapp config appsettings list --name {app} --resource-group {RG} --query \"[].name\""),
                format!("az webapp log tail --name {app} --resource-group {RG}"),
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
            public_endpoints: true,
            azure_cache: true,
            ..Starter::default()
        }
    }
}
