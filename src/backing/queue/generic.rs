//! A worker of the app's own that reads jobs from this Redis or database:
//! deploygen knows where its jobs wait, not how to count them.

use super::{redis_backend, Queue, QueueKind, WithoutRedis};
use crate::model::{BrokerKind, Descriptor, Transport};

pub struct Generic;

impl QueueKind for Generic {
    fn kind(&self) -> BrokerKind {
        BrokerKind::Generic
    }

    fn name(&self) -> &'static str {
        "generic worker"
    }

    // Nothing says where such a worker reads: `broker.transport` must say it.
    fn default_transport(&self) -> Option<Transport> {
        None
    }

    fn transports(&self) -> &'static [Transport] {
        &[Transport::Redis, Transport::Database]
    }

    // Its code reads Redis: without it, the worker has nothing to read.
    fn without_redis(&self) -> WithoutRedis {
        WithoutRedis::Goes
    }

    fn describe(&self, transport: Transport) -> String {
        match transport {
            Transport::Redis => "a worker of the app's own reading Redis",
            Transport::Database => "a worker of the app's own reading PostgreSQL",
        }
        .into()
    }

    fn app_without_queue(&self, _d: &Descriptor) -> Option<String> {
        Some(
            "Before deploying, stop the app putting jobs where its worker reads them (or move them elsewhere), and \
             commit: without its Redis, every call that enqueues a job fails."
                .into(),
        )
    }

    fn queue(&self, d: &Descriptor, transport: Transport) -> Queue {
        Queue {
            name: self.name(),
            backend: match transport {
                Transport::Redis => redis_backend(d),
                Transport::Database => "PostgreSQL (the app's own job tables)".into(),
            },
            lost: "whatever jobs the app keeps there".into(),
            // No command: the notes tell the operator to watch its logs and stop it once idle.
            pending: vec![],
            pending_sql: None,
            drained_when: "its logs show it idle",
        }
    }
}
