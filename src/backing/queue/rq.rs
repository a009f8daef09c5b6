//! RQ: jobs wait in Redis lists (`rq:queue:<name>`), beside registries of
//! started, scheduled, deferred and failed jobs and the jobs' results.

use super::{redis_backend, Queue, QueueKind};
use crate::model::{BrokerKind, Descriptor, Transport};

pub struct Rq;

impl QueueKind for Rq {
    fn kind(&self) -> BrokerKind {
        BrokerKind::Rq
    }

    fn name(&self) -> &'static str {
        "RQ"
    }

    // RQ keeps jobs for later in per-queue registries (sorted sets of job
    // ids: `rq:scheduled:<queue>`, `rq:deferred:<queue>`, `rq:failed:<queue>`)
    // and each job in its own hash (`rq:job:<id>`, its dependents beside it).
    fn carry(&self) -> super::carry::Carry {
        super::carry::Carry::Keys {
            patterns: &[
                "rq:queues",
                "rq:scheduled:*",
                "rq:deferred:*",
                "rq:failed:*",
                "rq:job:*",
            ],
            what: "the scheduled, deferred and failed job registries (`rq:scheduled:*`, `rq:deferred:*`, \
                   `rq:failed:*`) with the jobs they name (`rq:job:*`); the workers' scheduler (`rq worker \
                   --with-scheduler`) then enqueues them when due",
        }
    }

    // RQ's docs (Workers, Jobs): SIGTERM is a warm shutdown that waits for the
    // current job, whose default timeout is 180 s; a job killed mid-run stays
    // in the started registry and ends up failed, not retried.
    fn stop_needs_seconds(&self) -> Option<u32> {
        Some(180)
    }

    fn queue(&self, d: &Descriptor, _: Transport) -> Queue {
        Queue {
            name: self.name(),
            backend: redis_backend(d),
            lost: "the jobs still queued in it, jobs scheduled for later (`enqueue_at`/`enqueue_in`) or deferred \
                   behind another job, the failed job registry, and the job results stored there"
                .into(),
            // Per queue: queued, started (running), scheduled, deferred.
            pending: super::python_redis(
                d,
                ", rq",
                "[print(q.name, q.count, q.started_job_registry.count, q.scheduled_job_registry.count, \
                 q.deferred_job_registry.count) for q in rq.Queue.all(connection=r)]",
            )
            .into_iter()
            .collect(),
            pending_sql: None,
            drained_when: "each queue prints `0 0` for queued and started jobs; what is left scheduled or deferred \
                           (the last two numbers) waits for later and is not part of the drain",
        }
    }
}
