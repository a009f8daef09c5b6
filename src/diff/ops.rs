//! The platform's own commands the migration notes are made of: deploy,
//! restart, stop, start, run a command in a service, query the database.

use super::notes::Step;
use super::Side;
use crate::backing::queue::Queue;
use crate::model::*;
use crate::source::display_path;

/// The rendered folder of a side, as the user would type it.
pub(crate) fn output_dir(side: &Side) -> String {
    let dir = crate::emit::paths::output_dir(&side.origin.path, side.descriptor.output.as_deref(), None);
    let shown = display_path(&dir);
    if shown.is_empty() {
        ".".into()
    } else {
        shown
    }
}

/// The rendered folder of a side, or `file` inside it, as one shell word.
pub(crate) fn output_arg(side: &Side, file: &str) -> String {
    let dir = crate::emit::paths::output_dir(&side.origin.path, side.descriptor.output.as_deref(), None);
    let path = if file.is_empty() { dir } else { dir.join(file) };
    super::shell::path_arg(&path)
}

/// The platform's commands the steps are made of, for one side.
pub(crate) struct Ops<'a> {
    pub d: &'a Descriptor,
    pub side: &'a Side,
    /// Services of this side that the files where these commands run no
    /// longer have (the new side's, rendered first).
    pub rendered_over: Vec<String>,
}

impl<'a> Ops<'a> {
    /// The commands for `side`, whose folder still holds its own files.
    pub(crate) fn new(side: &'a Side) -> Self {
        Ops {
            d: &side.descriptor,
            side,
            rendered_over: Vec::new(),
        }
    }

    /// The commands for `old` once `new` is rendered (the cutover's first
    /// step): the services `new` lacks are no longer in the files.
    pub(crate) fn before(old: &'a Side, new: &Side) -> Self {
        let mut ops = Ops::new(old);
        ops.rendered_over = old
            .descriptor
            .services
            .keys()
            .filter(|s| !new.descriptor.services.contains_key(*s))
            .cloned()
            .collect();
        ops
    }

    fn target(&self) -> &'static dyn crate::target::Target {
        crate::target::of(self.d)
    }

    /// `command` run inside a running instance of `service`.
    pub(super) fn exec(&self, service: &str, command: &str) -> String {
        self.target().exec(self, service, command)
    }

    /// A query run against the environment's PostgreSQL, where the platform
    /// gives a way in; elsewhere the step says to run it in `psql`.
    pub(super) fn sql(&self, query: &str) -> Option<String> {
        self.target().sql(self.d, query)
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
        self.target().stop(self, services)
    }

    pub(super) fn start(&self, services: &[String]) -> Step {
        self.target().start(self, services)
    }

    /// Create what is new and switch the apps to it; what is gone keeps running
    /// until the clean-up step (compose orphans, Azure incremental mode, Render).
    pub(super) fn deploy(&self) -> Step {
        self.target().deploy(self)
    }

    /// Running instances that keep old secret values until restarted.
    pub(super) fn restart(&self, services: &[String]) -> Option<Step> {
        if services.is_empty() {
            return None;
        }
        self.target().restart(self, services)
    }
}
