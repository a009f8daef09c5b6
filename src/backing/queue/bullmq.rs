//! BullMQ: jobs wait in Redis (`bull:<queue>:wait`, `:delayed`, …), with
//! repeatable jobs and job schedulers beside them.

use super::{redis_backend, Queue, QueueKind};
use crate::model::{BrokerKind, Descriptor, Transport};

pub struct Bullmq;

impl QueueKind for Bullmq {
    fn kind(&self) -> BrokerKind {
        BrokerKind::Bullmq
    }

    fn name(&self) -> &'static str {
        "BullMQ"
    }

    // BullMQ links each job across several keys (ids, markers, event
    // streams, the `id` counter): merged into a Redis the app already uses,
    // copied keys would collide on job ids.
    fn carry(&self) -> super::carry::Carry {
        super::carry::Carry::Cannot(
            "BullMQ links each delayed or repeatable job across several keys (the `id` counter, markers, event \
             streams), so a key copy into a Redis the app already uses collides on job ids: re-add them with the \
             app (`queue.add` with the delay left, `upsertJobScheduler` for repeatable ones), or keep the old Redis \
             and a worker on it until they have run",
        )
    }

    // BullMQ's `QueueOptions.prefix`, `bull` unless the app sets another:
    // its keys are `<prefix>:<queue>:wait` and so on.
    fn key_prefix(&self) -> Option<&'static str> {
        Some("bull")
    }

    fn queue(&self, d: &Descriptor, _: Transport) -> Queue {
        let prefix = d.broker.prefix.as_deref().or(self.key_prefix()).unwrap_or("bull");
        // Queue names are the app's own: one command per queue it uses. The
        // connection is built from the worker's own env vars.
        let count = super::connect::of(d).node().map(|connection| {
            format!(
                "node -e \"const {{ Queue }} = require('bullmq'); const IORedis = require('ioredis'); \
                 const q = new Queue('<queue>', {{ connection: {connection}, prefix: '{prefix}' }}); \
                 q.getJobCounts().then((c) => {{ console.log(c); process.exit(0); }})\""
            )
        });
        Queue {
            name: self.name(),
            backend: redis_backend(d),
            lost: "the jobs waiting in it, delayed and prioritized jobs, repeatable jobs and job schedulers, and the \
                   completed and failed jobs kept there"
                .into(),
            pending: count.into_iter().collect(),
            pending_sql: None,
            drained_when: "every count but `completed` and `failed` is 0, for each queue the app uses (its name in \
                           place of `<queue>`)",
        }
    }
}
