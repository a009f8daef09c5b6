//! arq: job ids wait in one sorted set (`arq:queue`, deferred jobs scored by
//! when they run), jobs under `arq:job:*`, results under `arq:result:*`.

use super::{redis_backend, Queue, QueueKind};
use crate::model::{BrokerKind, Descriptor, Transport};

pub struct Arq;

impl QueueKind for Arq {
    fn kind(&self) -> BrokerKind {
        BrokerKind::Arq
    }

    fn name(&self) -> &'static str {
        "arq"
    }

    // arq keeps deferred jobs in its queue's sorted set, scored by when they
    // run, each job's body in `arq:job:<id>` and its retry count in `arq:retry:<id>`.
    fn carry(&self) -> super::carry::Carry {
        super::carry::Carry::Keys {
            patterns: &["arq:queue", "arq:job:*", "arq:retry:*"],
            what: "the deferred jobs in `arq:queue` (a custom `queue_name` in its place) with their bodies \
                   (`arq:job:*`) and retry counts (`arq:retry:*`)",
        }
    }

    // arq's worker (python-arq/arq, `Worker.handle_sig`; docs, "pessimistic
    // execution"): TERM cancels running jobs at once and they stay queued, to
    // run again ("cancelled, will be run again"); it then needs only the Redis
    // round trips that release them. Killed before that, a job stays locked by
    // its `arq:in-progress:*` key until `job_timeout` (300 s) + 10 s passes.
    fn stop_needs_seconds(&self) -> Option<u32> {
        Some(10)
    }

    fn queue(&self, d: &Descriptor, _: Transport) -> Queue {
        Queue {
            name: self.name(),
            backend: redis_backend(d),
            lost: "the jobs queued in it (`arq:queue`, deferred jobs included) and the job results kept there".into(),
            // Queued (and deferred) jobs, then jobs in progress.
            pending: super::python_redis(
                d,
                "",
                "print(r.zcard('arq:queue'), sum(1 for _ in r.scan_iter('arq:in-progress:*')))",
            )
            .into_iter()
            .collect(),
            pending_sql: None,
            drained_when: "it prints `0 0` (a custom `queue_name` is counted in place of `arq:queue`)",
        }
    }
}
