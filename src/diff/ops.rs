//! The platform's own commands the migration notes are made of: deploy,
//! restart, stop, start, run a command in a service, query the database.

use super::notes::{step, Step, RG};
use super::Side;
use crate::backing::queue::Queue;
use crate::model::*;
use crate::resolve::resource_base;
use crate::source::display_path;

/// The rendered folder of a side, as the user would type it.
pub(super) fn output_dir(side: &Side) -> String {
    let dir = crate::emit::paths::output_dir(&side.origin.path, side.descriptor.output.as_deref(), None);
    let shown = display_path(&dir);
    if shown.is_empty() {
        ".".into()
    } else {
        shown
    }
}

/// The platform's commands the steps are made of, for one side.
pub(super) struct Ops<'a> {
    pub d: &'a Descriptor,
    pub side: &'a Side,
}

impl Ops<'_> {
    pub(super) fn app(&self, service: &str) -> String {
        match self.d.platform {
            Platform::AzureAppService => crate::plan::azure::web_app_name(self.d).shown,
            _ => format!("{}-{service}", resource_base(self.d)),
        }
    }

    pub(super) fn latest_revision(&self, service: &str) -> String {
        format!(
            "$(az containerapp show --name {} --resource-group {RG} --query properties.latestRevisionName -o tsv)",
            self.app(service)
        )
    }

    /// `command` run inside a running instance of `service`.
    pub(super) fn exec(&self, service: &str, command: &str) -> String {
        match self.d.platform {
            Platform::Compose => format!("docker compose exec {service} {command}"),
            // The command travels inside double quotes: escape the ones it has.
            Platform::AzureContainerApps => format!(
                "az containerapp exec --name {} --resource-group {RG} --command \"{}\"",
                self.app(service),
                command.replace('\\', "\\\\").replace('"', "\\\"")
            ),
            Platform::AzureAppService => format!(
                "az webapp ssh --name {} --resource-group {RG}  # then: {command}",
                self.app(service)
            ),
            Platform::Render => format!("{command}  # in the Shell of {service}, Render Dashboard"),
        }
    }

    /// A query run against the environment's PostgreSQL, where the platform
    /// gives a way in; elsewhere the step says to run it in `psql`.
    pub(super) fn sql(&self, query: &str) -> Option<String> {
        let pg = self.d.postgres.as_ref()?;
        (self.d.platform == Platform::Compose).then(|| {
            format!(
                "docker compose exec {} psql -U {} -d {} -c \"{query}\"",
                crate::plan::wiring::postgres_service(pg),
                pg.user,
                pg.database
            )
        })
    }

    /// The commands that show what a queue still holds, and any query to run by hand.
    pub(super) fn pending(&self, q: &Queue, worker: &str) -> (Vec<String>, String) {
        let mut commands: Vec<String> = q.pending.iter().map(|c| self.exec(worker, c)).collect();
        let mut by_hand = String::new();
        if let Some(query) = &q.pending_sql {
            match self.sql(query) {
                Some(command) => commands.push(command),
                None => by_hand = format!(" In `psql` on the database: `{query};`."),
            }
        }
        if commands.is_empty() && by_hand.is_empty() {
            by_hand = format!(
                " deploygen knows no command that counts {}'s jobs here: watch the workers' logs until they are idle.",
                q.name
            );
        }
        (commands, by_hand)
    }

    pub(super) fn stop(&self, services: &[String]) -> Step {
        let list = services.join(", ");
        match self.d.platform {
            Platform::Compose => step(
                format!("Stop {list}."),
                vec![format!("docker compose stop {}", services.join(" "))],
            ),
            Platform::AzureContainerApps => step(
                format!("Stop {list}: deactivate the running revision, so no replica takes jobs."),
                services
                    .iter()
                    .map(|s| {
                        format!(
                            "az containerapp revision deactivate --name {} --resource-group {RG} --revision {}",
                            self.app(s),
                            self.latest_revision(s)
                        )
                    })
                    .collect(),
            ),
            Platform::AzureAppService => step(format!("Stop {list}."), vec![]),
            Platform::Render => step(
                format!("Suspend {list} (Render Dashboard → the service → Settings → Suspend Service)."),
                vec![],
            ),
        }
    }

    pub(super) fn start(&self, services: &[String]) -> Step {
        let list = services.join(", ");
        match self.d.platform {
            Platform::Compose => step(
                format!("Start {list} on the new backend."),
                vec![format!("docker compose up -d {}", services.join(" "))],
            ),
            Platform::AzureContainerApps => step(
                format!("Start {list} on the new backend: activate the latest revision and restart it."),
                services
                    .iter()
                    .flat_map(|s| {
                        let (app, rev) = (self.app(s), self.latest_revision(s));
                        [
                            format!(
                                "az containerapp revision activate --name {app} --resource-group {RG} --revision {rev}"
                            ),
                            format!(
                                "az containerapp revision restart --name {app} --resource-group {RG} --revision {rev}"
                            ),
                        ]
                    })
                    .collect(),
            ),
            Platform::AzureAppService => step(format!("Start {list}."), vec![]),
            Platform::Render => step(
                format!("Resume {list} (Render Dashboard → the service → Resume Service)."),
                vec![],
            ),
        }
    }

    /// Create what is new and switch the apps to it; what is gone keeps running
    /// until the clean-up step (compose orphans, Azure incremental mode, Render).
    pub(super) fn deploy(&self) -> Step {
        let out = output_dir(self.side);
        let plan = &self.side.plan;
        match self.d.platform {
            Platform::Compose => step(
                "Deploy, from the rendered folder with your `.env` beside the compose file: start the new services \
                 and recreate those whose settings changed. Services no longer in the file keep running until they \
                 are removed.",
                vec![format!("cd {out} && docker compose up -d")],
            ),
            Platform::AzureContainerApps | Platform::AzureAppService => {
                let find = |ext: &str| {
                    plan.files
                        .iter()
                        .find(|f| f.path.ends_with(ext) && (ext != ".bicep" || !f.path.contains("/modules/")))
                        .map(|f| f.path.clone())
                        .unwrap_or_default()
                };
                let (bicep, params) = (find(".bicep"), find(".json"));
                step(
                    "Deploy the infrastructure from the rendered folder (check it first: what-if lists every change). \
                     New resources are created and the apps switched to them; resources no longer in the Bicep are \
                     left in place (incremental mode).",
                    vec![
                        format!("cd {out}"),
                        format!("az bicep build --file {bicep}"),
                        format!("az deployment group what-if --resource-group {RG} --template-file {bicep} --parameters {params}"),
                        format!("az deployment group create --resource-group {RG} --template-file {bicep} --parameters {params}"),
                    ],
                )
            }
            Platform::Render => step(
                format!(
                    "Deploy: push the rendered Blueprint `{out}/render.yaml` (and what it builds) to the branch Render \
                     watches; Render syncs the Blueprint file it was set up with (or Blueprints → Manual Sync), so if \
                     that is another path, copy this file there first. New services are created and the services \
                     whose environment changed are redeployed."
                ),
                vec![format!(
                    "git add {out} && git commit -m \"Update the Render Blueprint\" && git push"
                )],
            ),
        }
    }

    /// Running instances that keep old secret values until restarted.
    pub(super) fn restart(&self, services: &[String]) -> Option<Step> {
        if services.is_empty() {
            return None;
        }
        let list = services.join(", ");
        match self.d.platform {
            Platform::AzureContainerApps => Some(step(
                format!(
                    "Restart the revisions of {list}: changing a secret does not create a revision, so running \
                     replicas keep the old values (with Key Vault references too) until restarted."
                ),
                services
                    .iter()
                    .map(|s| {
                        format!(
                            "az containerapp revision restart --name {} --resource-group {RG} --revision {}",
                            self.app(s),
                            self.latest_revision(s)
                        )
                    })
                    .collect(),
            )),
            Platform::AzureAppService => Some(step(
                "Restart the app, so it reads its settings and Key Vault references again.",
                vec![format!(
                    "az webapp restart --name {} --resource-group {RG}",
                    self.app("")
                )],
            )),
            Platform::Render => Some(step(
                format!(
                    "Check that {list} redeployed with the new environment (Dashboard → the service → Events); \
                     otherwise Manual Deploy → Deploy latest commit."
                ),
                vec![],
            )),
            Platform::Compose => None,
        }
    }
}
