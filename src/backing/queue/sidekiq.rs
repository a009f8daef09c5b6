//! Sidekiq: jobs wait in Redis lists (`queue:<name>`), beside the scheduled,
//! retry and dead sets. It reads `REDIS_URL` by itself.

use super::{redis_backend, Queue, QueueKind};
use crate::model::{BrokerKind, Descriptor, Framework, Transport};

pub struct Sidekiq;

/// Counts, then (last command) quiets every Sidekiq process through its API,
/// as TSTP does: no new job is fetched, running ones finish.
const COUNT: &str = "require \"sidekiq/api\"; Sidekiq::Queue.all.each { |q| puts \"queue #{q.name}: #{q.size}\" }; \
puts \"busy: #{Sidekiq::Workers.new.size}\", \"scheduled: #{Sidekiq::ScheduledSet.new.size}\", \
\"retries: #{Sidekiq::RetrySet.new.size}\"";
const QUIET: &str = "require \"sidekiq/api\"; Sidekiq::ProcessSet.new.each(&:quiet!)";

impl QueueKind for Sidekiq {
    fn kind(&self) -> BrokerKind {
        BrokerKind::Sidekiq
    }

    fn name(&self) -> &'static str {
        "Sidekiq"
    }

    fn app_without_queue(&self, d: &Descriptor) -> Option<String> {
        // Enqueueing to Sidekiq without its Redis raises in the request that enqueues.
        Some(match crate::resolve::framework(d) {
            Framework::Rails => "Before deploying, take Active Job and the app's own `perform_async` calls off \
                Sidekiq: set `config.active_job.queue_adapter` to Solid Queue (`bundle add solid_queue`, \
                `bin/rails solid_queue:install`, its tables in the app's database, `bin/jobs` run by a worker the \
                descriptor then declares or inside Puma with `SOLID_QUEUE_IN_PUMA=1` on the web service, since the \
                Sidekiq worker goes) or to `:async` (in-process, lost on restart), and commit; otherwise every \
                request that enqueues a job fails once Redis is gone."
                .into(),
            _ => "Before deploying, remove the app's Sidekiq calls (`perform_async`, `perform_in`) or move them to \
                  another queue, and commit: without its Redis, every call that enqueues a job fails."
                .into(),
        })
    }

    // Sidekiq's scheduled, retry and dead sets are sorted sets whose members
    // are the jobs themselves (Sidekiq wiki, "Scheduled Jobs", "Error
    // Handling"): a key copy carries them whole.
    fn carry(&self) -> super::carry::Carry {
        super::carry::Carry::Keys {
            patterns: &["schedule", "retry", "dead"],
            what: "the scheduled set (`schedule`), the retry set (`retry`) and the dead set (`dead`)",
        }
    }

    // Sidekiq's wiki (Signals, Kubernetes): TERM waits up to the `-t` timeout,
    // 25 s by default, then pushes unfinished jobs back to Redis; a 30 s grace
    // leaves time for that push.
    fn stop_needs_seconds(&self) -> Option<u32> {
        Some(30)
    }

    fn queue(&self, d: &Descriptor, _: Transport) -> Queue {
        // A Rails app loads its Sidekiq settings with the app; elsewhere plain Ruby.
        let ruby = |code: &str| match crate::resolve::framework(d) {
            Framework::Rails => format!("bundle exec rails runner '{code}'"),
            _ => format!("bundle exec ruby -e '{code}'"),
        };
        Queue {
            name: self.name(),
            backend: redis_backend(d),
            lost: "the jobs enqueued in it (every queue), the scheduled set (`perform_in`/`perform_at`), the retry \
                   set and the dead set"
                .into(),
            pending: vec![ruby(COUNT), ruby(QUIET)],
            pending_sql: None,
            drained_when: "every queue and `busy` show 0; what is left in the scheduled and retry sets waits for \
                           later and is not part of the drain. Then the last command quiets Sidekiq (as TSTP does), so \
                           it takes no new job before it stops",
        }
    }
}
