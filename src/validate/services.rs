//! Semantic rules for the per-service settings an operator expects (plan,
//! pre-deploy command, native runtime) and the database URL's scheme and
//! query: what each platform can express, and what a driver rejects.

use super::semantic::Checker;
use crate::load::node::escape_pointer;
use crate::model::*;
use crate::rules;

/// A service Render builds from source with a native runtime: it needs no
/// `image` or `build`.
pub(super) fn native_on_render(d: &Descriptor, s: &Service) -> bool {
    d.platform == Platform::Render && s.runtime.is_some_and(|r| r != Runtime::Docker)
}

pub(super) fn check(d: &Descriptor, c: &mut Checker) {
    let render = d.platform == Platform::Render;
    for (name, s) in &d.services {
        let base = format!("/services/{}", escape_pointer(name));
        if s.plan.is_some() && !render {
            let instead = crate::target::of(d).sizing();
            c.error_at_key(
                rules::PLATFORM_FIELD,
                format!("{base}/plan"),
                format!(
                    "`plan` is a Render instance type, not a setting of `{}`: {instead}",
                    d.platform.as_str()
                ),
            );
        }
        // Render's free instances serve web services only, without a pre-deploy step.
        let plan = s.plan.as_deref().or(d.render.as_ref().and_then(|r| r.plan.as_deref()));
        if render && plan == Some("free") {
            let pointer = if s.plan.is_some() {
                format!("{base}/plan")
            } else {
                "/render/plan".into()
            };
            if s.schedule.is_some() || !matches!(s.role(), Role::Web | Role::Frontend) {
                c.error(
                    rules::PLATFORM_FIELD,
                    pointer,
                    format!("Render's `free` instance type is for web services; `{name}` is a worker or cron job: give it `plan: starter` or larger"),
                );
            } else if s.pre_deploy.is_some() {
                c.error(
                    rules::PLATFORM_FIELD,
                    pointer,
                    format!("Render runs no pre-deploy command on a `free` instance: give `{name}` `plan: starter` or larger"),
                );
            }
        }
        let native = s.runtime.filter(|r| *r != Runtime::Docker);
        if let Some(runtime) = native {
            if !render {
                c.error_at_key(
                    rules::PLATFORM_FIELD,
                    format!("{base}/runtime"),
                    format!(
                        "`runtime: {}` is a Render native runtime; `{}` runs images: remove `runtime` (or set `docker`)",
                        runtime.as_str(),
                        d.platform.as_str()
                    ),
                );
            } else {
                for (field, missing) in [
                    ("build_command", s.build_command.is_none()),
                    ("command", s.command.is_none()),
                ] {
                    if missing {
                        c.error(
                            rules::CONTRADICTION,
                            format!("{base}/runtime"),
                            format!(
                                "service `{name}` runs on Render's `{}` runtime, which builds from source: it needs `{field}` ({})",
                                runtime.as_str(),
                                if field == "command" { "Render's `startCommand`" } else { "Render's `buildCommand`" }
                            ),
                        );
                    }
                }
            }
        } else if s.build_command.is_some() {
            c.error_at_key(
                rules::CONTRADICTION,
                format!("{base}/build_command"),
                "`build_command` builds a Render native runtime: set `runtime` (`python`, `node`, `ruby`, `go`, `rust`, `elixir`), or build with `build`".into(),
            );
        }
        if s.pre_deploy.is_some() && s.command.is_none() && d.platform == Platform::AzureAppService {
            c.error_at_key(
                rules::CONTRADICTION,
                format!("{base}/pre_deploy"),
                "App Service has no release hook: its startup command runs `pre_deploy` and then the app, so the service needs `command` (the app's own start line)".into(),
            );
        }
        let one_shot = crate::target::project::compose::pre_deploy_name(name);
        // Render runs `preDeployCommand` itself; the other platforms' compose files a one-shot.
        let clash = d.services.contains_key(&one_shot) || d.infrastructure.contains_key(&one_shot);
        if s.pre_deploy.is_some() && !render && clash {
            c.error_at_key(
                rules::DUPLICATE_SERVICE,
                format!("{base}/pre_deploy"),
                format!("`pre_deploy` runs as the one-shot service `{one_shot}`, a name another service has: rename that one"),
            );
        }
        // Azure refuses a Container Apps job name over 32 characters.
        let job = crate::target::project::azure::container_apps::pre_deploy_job_name(d, name);
        if s.pre_deploy.is_some() && d.platform == Platform::AzureContainerApps && job.len() > 32 {
            c.error_at_key(
                rules::CONTRADICTION,
                format!("{base}/pre_deploy"),
                format!("`pre_deploy` runs as the Container Apps job `{job}`, longer than the 32 characters Azure allows: shorten `azure.resource_name` or the service name"),
            );
        }
        if s.pre_deploy.is_some() && s.schedule.is_some() {
            c.error_at_key(
                rules::CONTRADICTION,
                format!("{base}/pre_deploy"),
                "`pre_deploy` runs before a service's new version starts; a scheduled job has none (Render cron jobs take no `preDeployCommand`): put it on the web service".into(),
            );
        }
    }
    check_database_url(d, c);
}

fn check_database_url(d: &Descriptor, c: &mut Checker) {
    let Some(pg) = &d.postgres else { return };
    if d.platform == Platform::Render {
        // `fromDatabase` hands out Render's own `postgresql://…` string.
        if pg.url_scheme.as_deref().is_some_and(|s| s != "postgresql") {
            c.error(
                rules::PLATFORM_FIELD,
                "/postgres/url_scheme".into(),
                "Render hands the database URL out as `postgresql://…` (`fromDatabase`) and cannot change its scheme: remove `url_scheme` and set the driver in the app (SQLAlchemy: `url.set(drivername=\"postgresql+asyncpg\")`)".into(),
            );
        }
        if pg.url_query.is_some() {
            c.error(
                rules::PLATFORM_FIELD,
                "/postgres/url_query".into(),
                "Render hands the database URL out whole (`fromDatabase`) and cannot add a query: remove `url_query` and set the option in the app".into(),
            );
        }
        return;
    }
    let tls = crate::target::of(d).on_azure();
    if pg.url_query.is_some() && !tls {
        c.error_at_key(
            rules::PLATFORM_FIELD,
            "/postgres/url_query".into(),
            "`url_query` sets the query of the URL to a managed database over TLS (Azure); a compose container speaks no TLS and its URL takes no query".into(),
        );
    }
    let query = crate::plan::wiring::postgres_url_query(d, pg, tls);
    let asyncpg = crate::plan::wiring::postgres_url_scheme(pg).contains("asyncpg");
    if asyncpg && query.split('&').any(|kv| kv.split('=').next() == Some("sslmode")) {
        let (pointer, why) = if pg.url_query.is_some() {
            ("/postgres/url_query", "")
        } else {
            (
                "/postgres/url_scheme",
                " (the default query where the connection uses TLS)",
            )
        };
        c.error(
            rules::CONTRADICTION,
            pointer.into(),
            format!(
                "asyncpg rejects `sslmode` in the URL, and the query is `{query}`{why}: set `postgres.url_query: {}`",
                if crate::plan::wiring::verifies_postgres_server(d) {
                    "ssl=verify-full"
                } else {
                    "ssl=require"
                }
            ),
        );
    }
}
