//! PgQueuer: jobs wait in PostgreSQL's `pgqueuer` table (or on Redis), woken by a channel.

use super::{redis_backend, Queue, QueueKind, WithoutRedis};
use crate::model::{BrokerKind, Descriptor, Transport};

pub struct Pgqueuer;

impl QueueKind for Pgqueuer {
    fn kind(&self) -> BrokerKind {
        BrokerKind::Pgqueuer
    }

    fn name(&self) -> &'static str {
        "PgQueuer"
    }

    fn default_transport(&self) -> Option<Transport> {
        Some(Transport::Database)
    }

    fn transports(&self) -> &'static [Transport] {
        &[Transport::Database, Transport::Redis]
    }

    fn without_redis(&self) -> WithoutRedis {
        WithoutRedis::MovesToDatabase
    }

    fn conventional_env(&self) -> &'static [(&'static str, &'static str)] {
        &[("channel", "PGQUEUE_CHANNEL")]
    }

    fn describe(&self, transport: Transport) -> String {
        match transport {
            Transport::Redis => "PgQueuer on Redis",
            Transport::Database => "PgQueuer on PostgreSQL (SQL queue)",
        }
        .into()
    }

    fn queue(&self, d: &Descriptor, transport: Transport) -> Queue {
        let on_redis = transport == Transport::Redis;
        Queue {
            name: self.name(),
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
}
