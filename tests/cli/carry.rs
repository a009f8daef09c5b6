//! Issue 19, L3: queue moves carry the jobs for later (Sidekiq's scheduled,
//! retry and dead sets; RQ's registries; Celery's handed-back tasks) from the
//! old Redis to the new one. The copy the notes give is run here, as written,
//! against two real redis-server processes.

use crate::support::repo;
use std::process::{Child, Command, Stdio};

/// A redis-server on a free 127.0.0.1 port, stopped when dropped.
struct Redis {
    child: Child,
    port: u16,
}

impl Redis {
    fn start() -> Option<Redis> {
        let port = std::net::TcpListener::bind("127.0.0.1:0")
            .ok()?
            .local_addr()
            .ok()?
            .port();
        let child = Command::new("redis-server")
            .args([
                "--bind",
                "127.0.0.1",
                "--port",
                &port.to_string(),
                "--save",
                "",
                "--appendonly",
                "no",
            ])
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .ok()?;
        let redis = Redis { child, port };
        for _ in 0..100 {
            if redis.cli(&["PING"]).trim() == "PONG" {
                return Some(redis);
            }
            std::thread::sleep(std::time::Duration::from_millis(50));
        }
        None
    }

    fn url(&self) -> String {
        format!("redis://127.0.0.1:{}/0", self.port)
    }

    fn cli(&self, args: &[&str]) -> String {
        let out = Command::new("redis-cli")
            .args(["-p", &self.port.to_string()])
            .args(args)
            .output()
            .expect("redis-cli");
        String::from_utf8_lossy(&out.stdout).into_owned()
    }
}

impl Drop for Redis {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// The command lines of the carry step of a committed migration note.
fn carry_lines(note: &str) -> Vec<String> {
    let text = std::fs::read_to_string(repo().join("environments/migrations").join(note)).unwrap();
    let at = text
        .find("jobs for later from")
        .unwrap_or_else(|| panic!("{note} has no carry step"));
    let block = &text[at..];
    let start = block.find("```bash\n").unwrap() + "```bash\n".len();
    let end = block[start..].find("```").unwrap() + start;
    block[start..end]
        .lines()
        .map(|l| l.trim().to_string())
        .filter(|l| !l.is_empty())
        .collect()
}

/// Runs the step's lines in bash with the two servers' URLs in place of the placeholders.
fn run_carry(lines: &[String], old: &Redis, new: &Redis) -> String {
    assert!(lines[0].starts_with("export OLD_REDIS_URL='<old Redis URL>' NEW_REDIS_URL='<new Redis URL>'"));
    let script = format!(
        "set -e -o pipefail\nexport OLD_REDIS_URL='{}' NEW_REDIS_URL='{}'\n{}\n",
        old.url(),
        new.url(),
        lines[1..].join("\n")
    );
    let out = Command::new("bash").arg("-c").arg(&script).output().unwrap();
    assert!(
        out.status.success(),
        "{}\n{}",
        script,
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8_lossy(&out.stdout).into_owned()
}

fn servers() -> Option<(Redis, Redis)> {
    if Command::new("redis-server").arg("--version").output().is_err() {
        eprintln!("SKIPPED: redis-server is not installed, so the carry step cannot be run against real servers");
        return None;
    }
    Some((
        Redis::start().expect("old redis-server"),
        Redis::start().expect("new redis-server"),
    ))
}

#[test]
fn sidekiqs_scheduled_retry_and_dead_sets_reach_the_new_redis_merged() {
    let Some((old, new)) = servers() else { return };
    // A job whose payload holds a newline and bytes a shell would mangle.
    old.cli(&[
        "ZADD",
        "schedule",
        "100",
        "{\"jid\":\"a\",\"args\":[\"x\\ny\"]}",
        "200",
        "{\"jid\":\"b\"}",
    ]);
    old.cli(&["ZADD", "retry", "150", "{\"jid\":\"r\"}"]);
    old.cli(&["ZADD", "dead", "50", "{\"jid\":\"d\"}"]);
    // The app enqueued a job on the new side since the switch: it stays.
    new.cli(&["ZADD", "schedule", "300", "{\"jid\":\"n\"}"]);
    let lines = carry_lines("rails-sidekiq-private-service-to-key-value.md");
    assert_eq!(lines[2..], ["carry 'schedule'", "carry 'retry'", "carry 'dead'"]);
    let printed = run_carry(&lines, &old, &new);
    assert!(
        printed.contains("merged schedule") && printed.contains("carried retry"),
        "{printed}"
    );
    assert_eq!(
        new.cli(&["ZRANGE", "schedule", "0", "-1"]),
        "{\"jid\":\"a\",\"args\":[\"x\\ny\"]}\n{\"jid\":\"b\"}\n{\"jid\":\"n\"}\n"
    );
    assert_eq!(new.cli(&["ZSCORE", "schedule", "{\"jid\":\"b\"}"]).trim(), "200");
    assert_eq!(new.cli(&["ZRANGE", "retry", "0", "-1"]), "{\"jid\":\"r\"}\n");
    assert_eq!(new.cli(&["ZRANGE", "dead", "0", "-1"]), "{\"jid\":\"d\"}\n");
    assert_eq!(new.cli(&["EXISTS", "deploygen:carry"]).trim(), "0");
}

#[test]
fn rq_registries_and_their_jobs_and_celery_lists_reach_the_new_redis() {
    let Some((old, new)) = servers() else { return };
    old.cli(&["SADD", "rq:queues", "rq:queue:default"]);
    old.cli(&["ZADD", "rq:scheduled:default", "1700000000", "job1"]);
    old.cli(&["ZADD", "rq:failed:default", "1700000000", "job2"]);
    old.cli(&["HSET", "rq:job:job1", "status", "scheduled", "data", "\u{1}bin\nary"]);
    old.cli(&["HSET", "rq:job:job2", "status", "failed"]);
    old.cli(&["EXPIRE", "rq:job:job2", "3600"]);
    new.cli(&["SADD", "rq:queues", "rq:queue:high"]);
    let lines = carry_lines("fastapi-rq-azure-cache-to-managed-redis.md");
    run_carry(&lines, &old, &new);
    assert_eq!(new.cli(&["SMEMBERS", "rq:queues"]).lines().count(), 2);
    assert_eq!(new.cli(&["ZRANGE", "rq:scheduled:default", "0", "-1"]), "job1\n");
    assert_eq!(new.cli(&["HGET", "rq:job:job1", "data"]), "\u{1}bin\nary\n");
    let ttl: i64 = new.cli(&["TTL", "rq:job:job2"]).trim().parse().unwrap();
    assert!((3000..=3600).contains(&ttl), "the job keeps its expiry: {ttl}");

    // Celery: the tasks the stopped workers handed back wait in the `celery`
    // list; the new side's own tasks stay first in line after them.
    let (old, new) = servers().unwrap();
    old.cli(&["LPUSH", "celery", "t1", "t2"]);
    new.cli(&["LPUSH", "celery", "t3"]);
    run_carry(&carry_lines("004-upstash-to-render-redis.md"), &old, &new);
    // kombu pushes on the left and pops on the right: the old tasks (t1, then t2) are consumed first.
    assert_eq!(new.cli(&["LRANGE", "celery", "0", "-1"]), "t3\nt2\nt1\n");
}

/// A kind with no safe key copy (BullMQ) says so plainly instead of a copy.
#[test]
fn bullmq_moves_say_its_jobs_for_later_are_not_carried() {
    let t = crate::support::Test::new()
        .write(
            "old.yaml",
            "name: shop\nplatform: render\ncache:\n  kind: redis\n  provider: render-private-service\nbroker:\n  kind: bullmq\n\
             services:\n  web:\n    build: {context: .}\n    ports: [\"3000:3000\"]\n  worker:\n    role: worker\n    build: {context: .}\n    command: [\"node\", \"worker.js\"]\n",
        )
        .write(
            "new.yaml",
            "name: shop\nplatform: render\ncache:\n  kind: redis\n  provider: render-key-value\nbroker:\n  kind: bullmq\n\
             services:\n  web:\n    build: {context: .}\n    ports: [\"3000:3000\"]\n  worker:\n    role: worker\n    build: {context: .}\n    command: [\"node\", \"worker.js\"]\n",
        );
    let run = t.run(&["diff", "new.yaml", "--against", "old.yaml", "--format", "markdown"]);
    assert!(
        run.stdout
            .contains("The BullMQ jobs for later in Redis database 0 of the Render private service")
            && run
                .stdout
                .contains("are not carried to Redis database 0 of Render Key Value")
            && run.stdout.contains("collides on job ids"),
        "{}\n{}",
        run.stdout,
        run.stderr
    );
    assert!(!run.stdout.contains("carry '"), "{}", run.stdout);
}
