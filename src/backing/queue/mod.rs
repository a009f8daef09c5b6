//! Job queue kinds as a registry: one file per kind declaring where its jobs
//! wait, how to see what is still waiting, what is lost if its Redis goes and
//! what `diff --without redis` does with it. Adding a kind (RQ, Sidekiq, …) is
//! one file plus one line in [`QUEUES`] (and its name in `BrokerKind`).

mod celery;
mod pgqueuer;

use crate::model::{BrokerKind, Descriptor, Transport};

/// What the notes need to know about one job queue: where its jobs wait, what
/// is lost if that place goes while jobs wait in it, and how to see what is
/// still waiting.
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

/// What happens to a queue on Redis when Redis goes (`diff --without redis`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum WithoutRedis {
    /// It keeps its jobs in PostgreSQL instead (when there is one).
    MovesToDatabase,
    /// It goes, and its workers with it.
    Goes,
}

pub trait QueueKind: Sync {
    fn kind(&self) -> BrokerKind;
    /// Its name in prose (`Celery`).
    fn name(&self) -> &'static str;
    /// Where its jobs wait when `broker.transport` is unset.
    fn default_transport(&self) -> Transport;
    /// Whether it still works when Redis evicts keys: a queue loses jobs.
    fn tolerates_eviction(&self) -> bool {
        false
    }
    fn without_redis(&self) -> WithoutRedis;
    /// The `broker` settings it reads (`broker.expose.<fact>`), each with the
    /// env var name it conventionally has; a setting no kind reads is refused.
    fn conventional_env(&self) -> &'static [(&'static str, &'static str)];
    fn reads(&self, fact: &str) -> bool {
        self.conventional_env().iter().any(|(f, _)| *f == fact)
    }
    /// URL schemes of its broker and result backend on PostgreSQL, if it takes URLs there.
    fn database_url_schemes(&self) -> Option<(&'static str, &'static str)> {
        None
    }
    /// How the notes name it on a transport (`Celery on Redis`).
    fn describe(&self, transport: Transport) -> String;
    /// Where its jobs wait, what is lost and how to drain it.
    fn queue(&self, d: &Descriptor, transport: Transport) -> Queue;
}

/// Every job queue kind. One line per kind.
static QUEUES: &[&dyn QueueKind] = &[&celery::Celery, &pgqueuer::Pgqueuer];

pub fn queue_kind(kind: BrokerKind) -> Option<&'static dyn QueueKind> {
    QUEUES.iter().copied().find(|q| q.kind() == kind)
}

/// The queue kinds that read a `broker` setting, by name (`PgQueuer`).
pub fn readers(fact: &str) -> Vec<&'static str> {
    QUEUES.iter().filter(|q| q.reads(fact)).map(|q| q.name()).collect()
}

/// Every registered kind as `broker.kind` spells it, in backticks.
pub fn kind_names() -> Vec<String> {
    QUEUES
        .iter()
        .filter_map(|q| serde_json::to_value(q.kind()).ok())
        .filter_map(|v| v.as_str().map(|s| format!("`{s}`")))
        .collect()
}

/// The environment's job queue, as the notes see it.
pub fn queue_of(d: &Descriptor) -> Option<Queue> {
    let kind = queue_kind(d.broker.kind)?;
    Some(kind.queue(d, crate::resolve::transport(&d.broker)?))
}

/// How the notes name the environment's task queue.
pub fn describe(d: &Descriptor) -> String {
    match (queue_kind(d.broker.kind), crate::resolve::transport(&d.broker)) {
        (Some(q), Some(t)) => q.describe(t),
        _ => "no task queue".into(),
    }
}

/// Where a Redis-backed queue's jobs wait: a database number on one server.
fn redis_backend(d: &Descriptor) -> String {
    let db = d.broker.database.or(d.cache.database).unwrap_or(0);
    format!(
        "Redis database {db} of {}",
        crate::resolve::cache_place(d).unwrap_or_else(|| "the cache".into())
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    pub(super) fn descriptor(broker: serde_json::Value, command: &str) -> Descriptor {
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
    fn every_broker_kind_but_none_is_registered_once() {
        for kind in [BrokerKind::Celery, BrokerKind::Pgqueuer] {
            assert_eq!(QUEUES.iter().filter(|q| q.kind() == kind).count(), 1, "{kind:?}");
        }
        assert!(queue_kind(BrokerKind::None).is_none());
        assert!(QUEUES.iter().all(|q| !q.tolerates_eviction()));
        // The semantic check names the kinds that read a setting from here.
        assert_eq!(readers("channel"), ["PgQueuer"]);
        assert_eq!(readers("result_backend"), ["Celery"]);
        assert_eq!(kind_names(), ["`celery`", "`pgqueuer`"]);
    }
}
