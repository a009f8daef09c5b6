//! Celery: jobs wait in Redis lists (or kombu's SQL tables); results go to a backend.

use super::{redis_backend, Queue, QueueKind, WithoutRedis};
use crate::model::{BrokerKind, Command, Descriptor, Transport};

pub struct Celery;

impl QueueKind for Celery {
    fn kind(&self) -> BrokerKind {
        BrokerKind::Celery
    }

    fn name(&self) -> &'static str {
        "Celery"
    }

    fn transports(&self) -> &'static [Transport] {
        &[Transport::Redis, Transport::Database]
    }

    // kombu's SQL transport exists, but a Celery app is rarely set up for it:
    // without Redis the queue goes with its workers.
    fn without_redis(&self) -> WithoutRedis {
        WithoutRedis::Goes
    }

    fn conventional_env(&self) -> &'static [(&'static str, &'static str)] {
        &[
            ("url", "CELERY_BROKER_URL"),
            ("result_backend", "CELERY_RESULT_BACKEND"),
        ]
    }

    fn database_url_schemes(&self) -> Option<(&'static str, &'static str)> {
        Some(("sqla+postgresql", "db+postgresql"))
    }

    // A Celery task with an ETA or countdown waits in the worker, reserved and
    // unacknowledged (kombu's Redis transport keeps it in `unacked`); a warm
    // shutdown hands it back to its queue's list. Once the workers are
    // stopped, the lists and `unacked` hold every task for later.
    fn carry(&self) -> super::carry::Carry {
        super::carry::Carry::Keys {
            patterns: &["celery", "unacked", "unacked_index", "_kombu.binding.*"],
            what: "the tasks held back by an ETA or countdown, which the stopped workers handed back to the `celery` \
                   list (add the list of every other queue the app routes to), those a killed worker left in \
                   `unacked`, and kombu's bindings",
        }
    }

    // Celery's Workers Guide ("Stopping the worker"): TERM starts a warm
    // shutdown that finishes every task already running, with no time limit by
    // default (`task_time_limit` is unset); with its default early
    // acknowledgement a task killed mid-run is gone, not redelivered. No
    // default bounds it, so this asks for the longest grace every platform
    // that takes one allows (Render's 300 s): set `task_time_limit` below it,
    // or `task_acks_late` with `task_reject_on_worker_lost`, and accept.
    fn stop_needs_seconds(&self) -> Option<u32> {
        Some(300)
    }

    fn queue(&self, d: &Descriptor, transport: Transport) -> Queue {
        // The app's name comes from the worker's command line: one shell word in the notes.
        let app = crate::render::escape::shell_join(&[celery_app(d)]);
        let mut pending = vec![
            format!("celery -A {app} inspect active"),
            format!("celery -A {app} inspect scheduled"),
        ];
        let on_redis = transport == Transport::Redis;
        if on_redis {
            pending.extend(super::python_redis(d, "", "print(r.llen('celery'))"));
        }
        Queue {
            name: self.name(),
            backend: if on_redis {
                redis_backend(d)
            } else {
                "PostgreSQL (kombu's SQL transport tables)".into()
            },
            lost: "the jobs still waiting in it (the `celery` list and any other queue), tasks held back by an ETA or \
                   countdown, and the task results stored there"
                .into(),
            pending,
            pending_sql: None,
            drained_when: "every count is 0",
        }
    }
}

/// The `-A APP` a worker's command names, for Celery's own commands.
fn celery_app(d: &Descriptor) -> String {
    let words: Vec<String> = crate::resolve::workers(d)
        .iter()
        .filter_map(|w| d.services[w].command.as_ref())
        .flat_map(|c| match c {
            Command::Shell(line) => line.split_whitespace().map(String::from).collect(),
            Command::Args(args) => args.clone(),
        })
        .collect();
    for (i, w) in words.iter().enumerate() {
        if let Some(app) = w.strip_prefix("--app=") {
            return app.to_string();
        }
        if (w == "-A" || w == "--app") && i + 1 < words.len() {
            return words[i + 1].clone();
        }
    }
    "<app>".into()
}

#[cfg(test)]
mod tests {
    use super::super::tests::descriptor;
    use super::*;

    #[test]
    fn the_celery_app_comes_from_the_worker_command_or_stays_a_placeholder() {
        let app = |command: &str| celery_app(&descriptor(serde_json::json!({"kind": "celery"}), command));
        assert_eq!(app("celery -A proj worker -l info"), "proj");
        assert_eq!(app("celery --app proj.celery worker"), "proj.celery");
        assert_eq!(app("./start-worker.sh"), "<app>");
    }
}
