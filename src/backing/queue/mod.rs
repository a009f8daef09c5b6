//! Job queue kinds as a registry: one file per kind declaring where its jobs
//! wait, how to see what is still waiting, what is lost if its Redis goes and
//! what `diff --without redis` does with it. The trait's defaults are a queue
//! that lives only on Redis and reads `REDIS_URL`, so adding such a kind (as
//! RQ, Sidekiq) takes a file implementing `kind`, `name` and `queue`, its `mod`
//! line, a line in [`QUEUES`], a `BrokerKind` variant and its name in the
//! schema's `broker.kind` enum (the test pinning [`kind_names`] names them
//! all, so it wants the new one too). A kind with another transport or other env vars
//! overrides what differs, as Celery, PgQueuer and generic do.

mod arq;
mod bullmq;
pub mod carry;
mod celery;
pub mod connect;
mod dramatiq;
mod generic;
mod pgqueuer;
mod rq;
mod sidekiq;

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
    /// Where its jobs wait when `broker.transport` is unset; `None`: it must be set.
    fn default_transport(&self) -> Option<Transport> {
        Some(Transport::Redis)
    }
    /// Where it can keep its jobs at all; another `broker.transport` is refused.
    fn transports(&self) -> &'static [Transport] {
        &[Transport::Redis]
    }
    /// Whether it still works when Redis evicts keys: a queue loses jobs.
    fn tolerates_eviction(&self) -> bool {
        false
    }
    fn without_redis(&self) -> WithoutRedis {
        WithoutRedis::Goes
    }
    /// The `broker` settings it reads (`broker.expose.<fact>`), each with the
    /// env var name it conventionally has; a setting no kind reads is refused.
    fn conventional_env(&self) -> &'static [(&'static str, &'static str)] {
        &[("url", "REDIS_URL")]
    }
    fn reads(&self, fact: &str) -> bool {
        self.conventional_env().iter().any(|(f, _)| *f == fact) || (fact == "prefix" && self.key_prefix().is_some())
    }
    /// The prefix of its Redis keys when `broker.prefix` is unset, for kinds
    /// whose prefix the app chooses (BullMQ's `prefix` option); `None`: fixed
    /// by the library, and `broker.prefix` is refused.
    fn key_prefix(&self) -> Option<&'static str> {
        None
    }
    /// URL schemes of its broker and result backend on PostgreSQL, if it takes URLs there.
    fn database_url_schemes(&self) -> Option<(&'static str, &'static str)> {
        None
    }
    /// How the notes name it on a transport (`Celery on Redis`).
    fn describe(&self, transport: Transport) -> String {
        let place = match transport {
            Transport::Redis => "Redis",
            Transport::Database => "PostgreSQL",
        };
        format!("{} on {place}", self.name())
    }
    /// Where its jobs wait, what is lost and how to drain it.
    fn queue(&self, d: &Descriptor, transport: Transport) -> Queue;
    /// What the app must change before it deploys without this queue (it goes with its Redis).
    fn app_without_queue(&self, _d: &Descriptor) -> Option<String> {
        Some(format!(
            "Before deploying, remove the app's calls that put jobs on {} (or move them to another queue), and \
             commit: without its Redis, every call that enqueues a job fails.",
            self.name()
        ))
    }
    /// How its jobs for later (scheduled, retried, dead) reach another Redis
    /// while both exist; the default: no safe key copy is known.
    fn carry(&self) -> carry::Carry {
        carry::Carry::Cannot(
            "deploygen knows no safe way to copy its jobs for later from one Redis to another: re-enqueue them with \
             the app, or keep the old Redis until they have run",
        )
    }
    /// Seconds from SIGTERM a worker needs, with the queue's documented
    /// defaults, to finish or hand back its current job; `None`: no documented figure.
    fn stop_needs_seconds(&self) -> Option<u32> {
        None
    }
}

/// Every job queue kind. One line per kind.
static QUEUES: &[&dyn QueueKind] = &[
    &celery::Celery,
    &rq::Rq,
    &sidekiq::Sidekiq,
    &bullmq::Bullmq,
    &dramatiq::Dramatiq,
    &arq::Arq,
    &pgqueuer::Pgqueuer,
    &generic::Generic,
];

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

/// A Python one-liner, run in a worker, that prints what `expr` finds in the
/// queue's Redis (`r`), connected through the worker's own env vars; `None`
/// when the worker has none that say where Redis is.
fn python_redis(d: &Descriptor, imports: &str, expr: &str) -> Option<String> {
    let client = connect::of(d).python()?;
    Some(format!("python -c \"import os, redis{imports}; r = {client}; {expr}\""))
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

    const KINDS: [BrokerKind; 8] = [
        BrokerKind::Celery,
        BrokerKind::Rq,
        BrokerKind::Sidekiq,
        BrokerKind::Bullmq,
        BrokerKind::Dramatiq,
        BrokerKind::Arq,
        BrokerKind::Pgqueuer,
        BrokerKind::Generic,
    ];

    #[test]
    fn every_broker_kind_but_none_is_registered_once() {
        for kind in KINDS {
            assert_eq!(QUEUES.iter().filter(|q| q.kind() == kind).count(), 1, "{kind:?}");
        }
        assert!(queue_kind(BrokerKind::None).is_none());
        assert!(QUEUES.iter().all(|q| !q.tolerates_eviction()));
        // The semantic check names the kinds that read a setting from here.
        assert_eq!(readers("channel"), ["PgQueuer"]);
        assert_eq!(readers("result_backend"), ["Celery"]);
        assert_eq!(
            kind_names(),
            [
                "`celery`",
                "`rq`",
                "`sidekiq`",
                "`bullmq`",
                "`dramatiq`",
                "`arq`",
                "`pgqueuer`",
                "`generic`"
            ]
        );
    }

    /// Each kind's default transport is one it supports; the Redis-only kinds
    /// go with their Redis; only `generic` must be told where it reads.
    #[test]
    fn each_kind_declares_its_transports_and_what_redis_going_does() {
        for q in QUEUES {
            if let Some(t) = q.default_transport() {
                assert!(q.transports().contains(&t), "{}", q.name());
            }
            if q.transports() == [Transport::Redis] {
                assert_eq!(q.without_redis(), WithoutRedis::Goes, "{}", q.name());
            }
        }
        let redis_only: Vec<_> = QUEUES
            .iter()
            .filter(|q| q.transports() == [Transport::Redis])
            .map(|q| q.name())
            .collect();
        assert_eq!(redis_only, ["RQ", "Sidekiq", "BullMQ", "Dramatiq", "arq"]);
        assert!(queue_kind(BrokerKind::Generic).unwrap().default_transport().is_none());
        for kind in [
            BrokerKind::Rq,
            BrokerKind::Sidekiq,
            BrokerKind::Bullmq,
            BrokerKind::Dramatiq,
            BrokerKind::Arq,
        ] {
            assert_eq!(queue_kind(kind).unwrap().conventional_env(), [("url", "REDIS_URL")]);
        }
        // How the notes name each kind on each transport it takes.
        let named: Vec<String> = QUEUES
            .iter()
            .flat_map(|q| q.transports().iter().map(|t| q.describe(*t)))
            .collect();
        assert_eq!(
            named,
            [
                "Celery on Redis",
                "Celery on PostgreSQL",
                "RQ on Redis",
                "Sidekiq on Redis",
                "BullMQ on Redis",
                "Dramatiq on Redis",
                "arq on Redis",
                "PgQueuer on PostgreSQL (SQL queue)",
                "PgQueuer on Redis",
                "a worker of the app's own reading Redis",
                "a worker of the app's own reading PostgreSQL",
            ]
        );
    }

    /// The commands that count a Redis queue read the URL the worker has, in
    /// the worker's own language, never a `$VAR` a host shell would expand.
    #[test]
    fn each_redis_kind_counts_its_jobs_with_the_workers_url() {
        let mut seen = Vec::new();
        for kind in KINDS.into_iter().filter(|k| *k != BrokerKind::Pgqueuer) {
            let broker = serde_json::json!({"kind": kind, "transport": "redis"});
            let q = queue_of(&descriptor(broker, "run-worker")).unwrap();
            assert_eq!(q.backend, "Redis database 2 of the Redis container `redis`", "{kind:?}");
            for c in &q.pending {
                assert!(!c.contains('$'), "{kind:?}: {c}");
                seen.push(c.clone());
            }
            assert!(!q.lost.is_empty());
            if kind == BrokerKind::Generic {
                assert!(q.pending.is_empty(), "deploygen cannot count a generic worker's jobs");
            } else {
                assert!(
                    q.pending
                        .iter()
                        .any(|c| c.contains("REDIS_URL") || c.contains("Sidekiq::")),
                    "{kind:?}"
                );
            }
        }
        assert!(seen
            .iter()
            .any(|c| c.starts_with("bundle exec ruby -e '") && c.contains("Sidekiq::RetrySet")));
        assert!(seen
            .iter()
            .any(|c| c.contains("Sidekiq::ProcessSet.new.each(&:quiet!)")));
        assert!(seen
            .iter()
            .any(|c| c.starts_with("node -e ") && c.contains("getJobCounts()")));
        assert!(seen.iter().any(|c| c.contains("q.scheduled_job_registry.count")));
        assert!(seen.iter().any(|c| c.contains("r.zcard('arq:queue')")));
        assert!(seen.iter().any(|c| c.contains("scan_iter('dramatiq:*.msgs')")));
    }

    /// Issue 19, L3: the kinds whose jobs for later are plain keys name them;
    /// the others say plainly that they cannot be carried.
    #[test]
    fn each_kind_says_how_its_jobs_for_later_reach_another_redis() {
        use super::carry::Carry;
        let carried: Vec<&str> = QUEUES
            .iter()
            .filter(|q| matches!(q.carry(), Carry::Keys { .. }))
            .map(|q| q.name())
            .collect();
        assert_eq!(carried, ["Celery", "RQ", "Sidekiq", "Dramatiq", "arq"]);
        assert_eq!(
            queue_kind(BrokerKind::Sidekiq).unwrap().carry(),
            Carry::Keys {
                patterns: &["schedule", "retry", "dead"],
                what: "the scheduled set (`schedule`), the retry set (`retry`) and the dead set (`dead`)",
            }
        );
        for q in QUEUES.iter().filter(|q| !carried.contains(&q.name())) {
            assert!(
                matches!(q.carry(), Carry::Cannot(why) if why.contains("re-")),
                "{}",
                q.name()
            );
        }
    }

    #[test]
    fn sidekiq_runs_through_rails_when_the_app_is_rails() {
        let mut d = descriptor(serde_json::json!({"kind": "sidekiq"}), "bundle exec sidekiq");
        d.framework = Some(crate::model::Framework::Rails);
        let q = queue_of(&d).unwrap();
        assert!(
            q.pending.iter().all(|c| c.starts_with("bundle exec rails runner '")),
            "{:?}",
            q.pending
        );
    }
}
