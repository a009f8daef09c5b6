//! The shipped Node example (issue 13): an Express API and a BullMQ worker on
//! docker compose. What an operator of that stack needs to be true of it.

use crate::support::{committed, repo, run_in};
use serde_yaml::Value;

fn compose() -> Value {
    serde_yaml::from_str(&committed("node-bullmq", "docker-compose.yml")).unwrap()
}

fn env_of(service: &Value) -> Vec<(String, String)> {
    service["environment"]
        .as_mapping()
        .unwrap()
        .iter()
        .map(|(k, v)| {
            (
                k.as_str().unwrap().to_string(),
                v.as_str().unwrap_or_default().to_string(),
            )
        })
        .collect()
}

#[test]
fn the_worker_publishes_no_port_and_both_processes_read_the_queue() {
    let doc = compose();
    let (api, worker) = (&doc["services"]["api"], &doc["services"]["worker"]);
    assert!(worker.get("ports").is_none(), "the worker publishes a port");
    assert!(
        worker.get("healthcheck").is_none(),
        "the worker has no HTTP endpoint to check"
    );
    assert_eq!(api["ports"][0], Value::from("3000:3000"));
    for service in [api, worker] {
        assert!(env_of(service).contains(&("REDIS_URL".into(), "redis://redis:6379".into())));
        assert!(service["depends_on"].get("redis").is_some());
    }
    assert_eq!(
        worker["command"],
        serde_yaml::from_str::<Value>("[node, dist/worker.js]").unwrap()
    );
}

#[test]
fn the_queues_redis_never_evicts_and_keeps_its_data() {
    let doc = compose();
    let command: Vec<&str> = doc["services"]["redis"]["command"]
        .as_sequence()
        .unwrap()
        .iter()
        .map(|v| v.as_str().unwrap())
        .collect();
    let policy = command
        .iter()
        .position(|a| *a == "--maxmemory-policy")
        .expect("a policy");
    assert_eq!(command[policy + 1], "noeviction");
    assert!(command.windows(2).any(|w| w == ["--appendonly", "yes"]));
    let local = committed("node-bullmq", "docker-compose-local.yml");
    assert!(local.contains("- \"--maxmemory-policy\"\n      - noeviction\n"));
}

/// Node images carry neither curl nor python: the API's check runs in node.
#[test]
fn the_health_check_runs_in_node() {
    let doc = compose();
    let test: Vec<&str> = doc["services"]["api"]["healthcheck"]["test"]
        .as_sequence()
        .unwrap()
        .iter()
        .map(|v| v.as_str().unwrap())
        .collect();
    assert_eq!(&test[..3], ["CMD", "node", "-e"]);
    assert!(test[3].contains("http://127.0.0.1:3000/healthz"));
}

/// No habit of the Python stacks leaks into this one. The `.env` examples'
/// note on how dotenv loaders expand `${VAR}` is issue 13's dotenv change.
#[test]
fn no_django_celery_or_python_word_in_its_files() {
    // Every file the example's folder holds, whatever renders it in future.
    let mut files: Vec<String> = std::fs::read_dir(repo().join("environments/node-bullmq"))
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    files.sort();
    assert!(files.len() >= 4, "{files:?}");
    for file in &files {
        let text = committed("node-bullmq", file).to_lowercase();
        for word in ["django", "celery", "gunicorn", "manage.py", "python", "curl"] {
            assert!(!text.contains(word), "{file} says `{word}`");
        }
    }
    // The `.env` files a Node process may load hold no `${VAR}` it would
    // not expand; the compose `.env.example` is read by compose, which does.
    let local = committed("node-bullmq", ".env.local.example");
    assert!(
        local.lines().filter(|l| !l.starts_with('#')).all(|l| !l.contains("${")),
        "{local}"
    );
}

#[test]
fn without_redis_the_bullmq_jobs_are_lost_and_the_worker_goes() {
    let run = run_in(
        &repo(),
        &[
            "diff",
            "environments/node-bullmq.yaml",
            "--without",
            "redis",
            "--format",
            "markdown",
        ],
    );
    assert_eq!(run.code, 1, "{}", run.stderr);
    let notes = &run.stdout;
    for expected in [
        "Task queue: BullMQ on Redis → no task queue.",
        "Service `worker` is removed.",
        "Jobs: the BullMQ queue in Redis database 0 of the Redis container `redis` goes, with its workers. \
         Lost if the old place goes while jobs wait in it: the jobs waiting in it, delayed and prioritized jobs, \
         repeatable jobs and job schedulers",
        "Drain the BullMQ queue in Redis database 0 of the Redis container `redis`: keep worker running",
        // Step 1 renders the new files into the same folder, and its compose
        // file has no `worker` any more: the drain and the stop name the
        // container, which `docker compose` could no longer find.
        "docker exec node-bullmq-worker-1 node -e \"const { Queue } = require('bullmq');",
        "new IORedis(process.env.REDIS_URL, { maxRetriesPerRequest: null })",
        "docker stop node-bullmq-worker-1\n",
    ] {
        assert!(notes.contains(expected), "missing {expected:?} in:\n{notes}");
    }
    assert!(!notes.contains("docker compose exec worker"), "{notes}");
    let lower = notes.to_lowercase();
    for word in [
        "celery",
        "django",
        "manage.py",
        "createcachetable",
        "python",
        "gunicorn",
        "curl",
    ] {
        assert!(!lower.contains(word), "the notes say `{word}`:\n{notes}");
    }
}
