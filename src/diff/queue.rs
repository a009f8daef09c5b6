//! Job queues as the migration notes see them. One function per broker kind
//! today (Celery, PgQueuer); the queue registry planned for other stacks
//! replaces [`queue_of`], and the notes do not change.

use super::notes::{cache_place, workers};
use crate::model::*;

/// What the notes need to know about one job queue: where its jobs wait, what
/// is lost if that place goes while jobs wait in it, and how to see what is
/// still waiting. One function per broker kind today; the queue registry
/// planned for other stacks replaces [`queue_of`] and nothing else changes.
#[derive(Debug, Clone)]
pub struct Queue {
    pub name: &'static str,
    /// Where waiting jobs live, precise enough that a change means a new place.
    pub backend: String,
    /// What is lost if `backend` goes while jobs wait in it.
    pub lost: String,
    /// Commands, run in a worker, that show what is still waiting or running.
    pub pending: Vec<String>,
    /// Extra commands that need the database rather than a worker (SQL).
    pub pending_sql: Option<String>,
    /// What those commands print once the queue is empty.
    pub drained_when: &'static str,
}

pub fn queue_of(d: &Descriptor) -> Option<Queue> {
    match d.broker.kind {
        BrokerKind::None => None,
        BrokerKind::Celery => Some(celery(d)),
        BrokerKind::Pgqueuer => Some(pgqueuer(d)),
    }
}

/// Where a Redis-backed queue's jobs wait: a database number on one server.
fn redis_backend(d: &Descriptor) -> String {
    let db = d.broker.database.or(d.cache.database).unwrap_or(0);
    format!(
        "Redis database {db} of {}",
        cache_place(d).unwrap_or_else(|| "the cache".into())
    )
}

/// The `-A APP` a worker's command names, for Celery's own commands.
fn celery_app(d: &Descriptor) -> String {
    let words: Vec<String> = workers(d)
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

fn celery(d: &Descriptor) -> Queue {
    let app = celery_app(d);
    let mut pending = vec![
        format!("celery -A {app} inspect active"),
        format!("celery -A {app} inspect scheduled"),
    ];
    let on_redis = d.broker.transport() == Some(Transport::Redis);
    if on_redis {
        let var = d
            .broker
            .expose
            .url
            .clone()
            .or_else(|| crate::plan::wiring::cache_expose(&d.cache).url)
            .unwrap_or_else(|| "CELERY_BROKER_URL".into());
        pending.push(format!(
            "python -c \"import os, redis; print(redis.from_url(os.environ['{var}']).llen('celery'))\""
        ));
    }
    Queue {
        name: "Celery",
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

fn pgqueuer(d: &Descriptor) -> Queue {
    let on_redis = d.broker.transport() == Some(Transport::Redis);
    Queue {
        name: "PgQueuer",
        backend: if on_redis {
            redis_backend(d)
        } else {
            "PostgreSQL (PgQueuer's `pgqueuer` table)".into()
        },
        lost: if on_redis {
            "the jobs still waiting in it".into()
        } else {
            "nothing at once (the `pgqueuer` table stays), but jobs still queued there are no longer read by any worker"
                .into()
        },
        pending: vec![],
        pending_sql: (!on_redis).then(|| "SELECT status, count(*) FROM pgqueuer GROUP BY status".into()),
        drained_when: "no `queued` or `picked` row is left",
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn descriptor(broker: serde_json::Value, command: &str) -> Descriptor {
        serde_json::from_value(serde_json::json!({
            "name": "app",
            "platform": "compose",
            "postgres": {"database": "app", "user": "app"},
            "cache": {"kind": "redis", "database": 2},
            "broker": broker,
            "services": {"worker": {"role": "worker", "image": "x", "command": command}},
        }))
        .unwrap()
    }

    #[test]
    fn each_broker_kind_says_where_its_jobs_wait_and_how_to_see_them() {
        let celery = queue_of(&descriptor(
            serde_json::json!({"kind": "celery"}),
            "celery --app=shop.tasks worker",
        ))
        .unwrap();
        assert_eq!(celery.backend, "Redis database 2 of the Redis container `redis`");
        assert_eq!(celery.pending[0], "celery -A shop.tasks inspect active");
        assert!(
            celery.pending[2].contains("os.environ['REDIS_URL']"),
            "{:?}",
            celery.pending
        );
        let sql = queue_of(&descriptor(
            serde_json::json!({"kind": "pgqueuer", "transport": "database"}),
            "pgq run app:factory",
        ))
        .unwrap();
        assert!(sql.pending.is_empty() && sql.pending_sql.is_some());
        assert_eq!(sql.drained_when, "no `queued` or `picked` row is left");
        assert!(queue_of(&descriptor(serde_json::json!({"kind": "none"}), "x")).is_none());
    }

    #[test]
    fn the_celery_app_comes_from_the_worker_command_or_stays_a_placeholder() {
        let app = |command: &str| celery_app(&descriptor(serde_json::json!({"kind": "celery"}), command));
        assert_eq!(app("celery -A proj worker -l info"), "proj");
        assert_eq!(app("celery --app proj.celery worker"), "proj.celery");
        assert_eq!(app("./start-worker.sh"), "<app>");
    }
}
