//! `services.*.stop_grace_seconds`: how long a stopping process may take after
//! SIGTERM before the platform kills it. Each platform's default and bounds
//! come from its target ([`crate::target::StopGrace`]); `validate` checks the
//! bounds, the `worker-stop-grace` lint the effective value against what the
//! worker's queue needs.

use super::semantic::Checker;
use crate::load::node::escape_pointer;
use crate::model::{Backing, Descriptor, Role, Service};
use crate::rules;

pub(super) fn check(d: &Descriptor, c: &mut Checker) {
    for (name, s) in &d.services {
        let Some(grace) = s.stop_grace_seconds else { continue };
        let pointer = format!("/services/{}/stop_grace_seconds", escape_pointer(name));
        // (Render's cron jobs take none: `validate::render` says so.)
        let Some(platform) = crate::target::of(d).stop_grace() else {
            c.error_at_key(
                rules::PLATFORM_FIELD,
                pointer,
                "App Service has no setting for how long a stopping app may take: it restarts and scales the web app on its own terms, so keep the app's shutdown short (finish requests, no background jobs) or run jobs on `azure-container-apps`".into(),
            );
            continue;
        };
        if let Some((min, max)) = platform.bounds {
            if !(min..=max).contains(&grace) {
                c.error(
                    rules::PLATFORM_RANGE,
                    pointer,
                    format!(
                        "`stop_grace_seconds: {grace}` becomes {}, which takes {min} to {max} seconds",
                        platform.field
                    ),
                );
            }
        }
    }
}

/// Each long-running worker of a queue with a documented need that gets less
/// grace than that: the pointer of its setting and the message.
pub fn short_workers(d: &Descriptor) -> Vec<(String, String)> {
    let Some(queue) = crate::resolve::queue_kind(&d.broker) else {
        return vec![];
    };
    let (Some(needs), Some(platform)) = (queue.stop_needs_seconds(), crate::target::of(d).stop_grace()) else {
        return vec![];
    };
    d.services
        .iter()
        .filter(|(_, s)| is_queue_worker(s))
        .filter_map(|(name, s)| {
            let grace = s.stop_grace_seconds.unwrap_or(platform.default);
            if grace >= needs {
                return None;
            }
            // Unset, the pointer names the setting to add and locates the service.
            let pointer = format!("/services/{}/stop_grace_seconds", escape_pointer(name));
            let given = match s.stop_grace_seconds {
                Some(_) => format!("`stop_grace_seconds: {grace}`"),
                None => format!("the default grace on {} ({grace} s)", platform.place),
            };
            // Beyond the platform's longest grace, the queue's own limit must shrink to fit.
            let fix = match platform.bounds {
                Some((_, max)) if needs > max => format!(
                    "{} takes at most {max} s, so set `stop_grace_seconds: {max}` and make {}'s own time limit fit in it",
                    platform.field,
                    queue.name()
                ),
                _ => format!("set `stop_grace_seconds: {needs}` or more"),
            };
            Some((
                pointer,
                format!(
                    "`{name}` runs {} jobs, which need {needs} s after SIGTERM to finish or hand back the current job, but {given} kills it sooner: {fix}",
                    queue.name()
                ),
            ))
        })
        .collect()
}

/// A process that runs the queue's jobs until it is stopped (not a cron job).
fn is_queue_worker(s: &Service) -> bool {
    s.role() == Role::Worker && s.schedule.is_none() && s.uses(Backing::Broker)
}
