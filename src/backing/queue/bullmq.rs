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

    fn queue(&self, d: &Descriptor, _: Transport) -> Queue {
        let var = super::redis_url_var(d, self);
        // Queue names are the app's own: one command per queue it uses.
        let count = format!(
            "node -e \"const {{ Queue }} = require('bullmq'); const IORedis = require('ioredis'); \
             const q = new Queue('<queue>', {{ connection: new IORedis(process.env.{var}, {{ maxRetriesPerRequest: null }}) }}); \
             q.getJobCounts().then((c) => {{ console.log(c); process.exit(0); }})\""
        );
        Queue {
            name: self.name(),
            backend: redis_backend(d),
            lost: "the jobs waiting in it, delayed and prioritized jobs, repeatable jobs and job schedulers, and the \
                   completed and failed jobs kept there"
                .into(),
            pending: vec![count],
            pending_sql: None,
            drained_when: "every count but `completed` and `failed` is 0, for each queue the app uses (its name in \
                           place of `<queue>`)",
        }
    }
}
