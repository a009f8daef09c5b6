//! `services.*.stop_grace_seconds`: how long a stopping process may take after
//! SIGTERM before the platform kills it. Each platform's default and bounds
//! live here; `validate` checks the bounds, the `worker-stop-grace` lint the
//! effective value against what the worker's queue needs.

use super::semantic::Checker;
use crate::load::node::escape_pointer;
use crate::model::{Backing, Descriptor, Platform, Role, Service};
use crate::rules;

/// The grace a platform gives when none is set: docker compose's
/// `stop_grace_period` (10 s), Container Apps' `terminationGracePeriodSeconds`
/// and Render's `maxShutdownDelaySeconds` (30 s each).
pub fn platform_default(platform: Platform) -> Option<u32> {
    match platform {
        Platform::Compose => Some(10),
        Platform::AzureContainerApps | Platform::Render => Some(30),
        Platform::AzureAppService => None,
    }
}

/// What the platform accepts, with where the bound comes from; `None`: any.
/// Render: the Blueprint specification (1 to 300). Container Apps: at most
/// 600 (Azure's App Service support blog, "Graceful termination on Container
/// Apps"); 0 kills at once.
fn bounds(platform: Platform) -> Option<(u32, u32, &'static str)> {
    match platform {
        Platform::Render => Some((1, 300, "Render's `maxShutdownDelaySeconds`")),
        Platform::AzureContainerApps => Some((0, 600, "Container Apps' `terminationGracePeriodSeconds`")),
        Platform::Compose | Platform::AzureAppService => None,
    }
}

pub(super) fn check(d: &Descriptor, c: &mut Checker) {
    for (name, s) in &d.services {
        let Some(grace) = s.stop_grace_seconds else { continue };
        let pointer = format!("/services/{}/stop_grace_seconds", escape_pointer(name));
        if d.platform == Platform::AzureAppService {
            c.error_at_key(
                rules::PLATFORM_FIELD,
                pointer,
                "App Service has no setting for how long a stopping app may take: it restarts and scales the web app on its own terms, so keep the app's shutdown short (finish requests, no background jobs) or run jobs on `azure-container-apps`".into(),
            );
            continue;
        }
        if d.platform == Platform::Render && s.schedule.is_some() {
            c.error_at_key(
                rules::PLATFORM_FIELD,
                pointer,
                format!("`{name}` is a Render cron job, which takes no `maxShutdownDelaySeconds` (web services, workers and private services do): remove `stop_grace_seconds`"),
            );
            continue;
        }
        if let Some((min, max, field)) = bounds(d.platform) {
            if !(min..=max).contains(&grace) {
                c.error(
                    rules::PLATFORM_RANGE,
                    pointer,
                    format!("`stop_grace_seconds: {grace}` becomes {field}, which takes {min} to {max} seconds"),
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
    let (Some(needs), Some(default)) = (queue.stop_needs_seconds(), platform_default(d.platform)) else {
        return vec![];
    };
    d.services
        .iter()
        .filter(|(_, s)| is_queue_worker(s))
        .filter_map(|(name, s)| {
            let grace = s.stop_grace_seconds.unwrap_or(default);
            if grace >= needs {
                return None;
            }
            // Unset, the pointer names the setting to add and locates the service.
            let pointer = format!("/services/{}/stop_grace_seconds", escape_pointer(name));
            let given = match s.stop_grace_seconds {
                Some(_) => format!("`stop_grace_seconds: {grace}`"),
                None => format!("the default grace on {} ({grace} s)", platform_name(d.platform)),
            };
            Some((
                pointer,
                format!(
                    "`{name}` runs {} jobs, which need {needs} s after SIGTERM to finish or hand back the current job, but {given} kills it sooner: set `stop_grace_seconds: {needs}` or more",
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

fn platform_name(platform: Platform) -> &'static str {
    match platform {
        Platform::Compose => "docker compose",
        Platform::AzureContainerApps => "Container Apps",
        Platform::AzureAppService => "App Service",
        Platform::Render => "Render",
    }
}
