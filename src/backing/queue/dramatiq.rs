//! Dramatiq on its Redis broker: each queue is a list of message ids and a
//! `.msgs` hash (`dramatiq:<queue>.msgs`), delayed messages in `<queue>.DQ`,
//! dead letters in `<queue>.XQ`. Its other broker is RabbitMQ, which
//! deploygen does not run, so it lives on Redis only.

use super::{redis_backend, Queue, QueueKind};
use crate::model::{BrokerKind, Descriptor, Transport};

pub struct Dramatiq;

impl QueueKind for Dramatiq {
    fn kind(&self) -> BrokerKind {
        BrokerKind::Dramatiq
    }

    fn name(&self) -> &'static str {
        "Dramatiq"
    }

    // Dramatiq's Redis broker keeps delayed messages in `<queue>.DQ` and dead
    // letters in `<queue>.XQ`, each with its `.msgs` hash of message bodies.
    fn carry(&self) -> super::carry::Carry {
        super::carry::Carry::Keys {
            patterns: &[
                "dramatiq:*.DQ",
                "dramatiq:*.DQ.msgs",
                "dramatiq:*.XQ",
                "dramatiq:*.XQ.msgs",
            ],
            what: "the delayed messages (`dramatiq:<queue>.DQ` and its `.msgs`) and the dead letters \
                   (`dramatiq:<queue>.XQ` and its `.msgs`)",
        }
    }

    // Dramatiq's CLI (`dramatiq --help`, dramatiq/cli.py): TERM stops the
    // worker, which waits `--worker-shutdown-timeout` for running actors,
    // 600000 ms (10 minutes) by default, the same as the TimeLimit
    // middleware's default actor time limit. A message killed mid-run stays
    // unacknowledged and runs again once the dead worker's heartbeat expires.
    fn stop_needs_seconds(&self) -> Option<u32> {
        Some(600)
    }

    fn queue(&self, d: &Descriptor, _: Transport) -> Queue {
        Queue {
            name: self.name(),
            backend: redis_backend(d),
            lost: "the messages still waiting or running in it (each queue and its `.DQ` delay queue, retries \
                   included), the dead-letter queues (`.XQ`) and any results the Results middleware keeps there"
                .into(),
            // A `.msgs` hash holds every message enqueued and not yet acknowledged.
            pending: super::python_redis(
                d,
                "",
                "[print(k.decode(), r.hlen(k)) for k in r.scan_iter('dramatiq:*.msgs') if not k.endswith(b'.XQ.msgs')]",
            )
            .into_iter()
            .collect(),
            pending_sql: None,
            drained_when: "every count is 0 (or nothing is printed)",
        }
    }
}
