//! Write-back caches (issue 19, L2): a cache the app writes to before the
//! database needs a replica and `noeviction`, and every migration away from
//! it, rollbacks included, flushes it first and checks the flush.

use crate::support::{repo, run_in, Test};

const CHAT: &str = "\
name: chat
platform: azure-app-service
framework: streamlit
azure:
  location: westeurope
postgres: {database: chat, user: chat}
cache:
  kind: redis
  provider: azure-cache
  write_back:
    flush: the Save All button
    pending: SCARD dirty:convs
  sku: Basic
  maxmemory_policy: allkeys-lru
  expose: {url: REDIS_URL}
services:
  web:
    image: example/web:1
    ports: [\"8000:8000\"]
accept:
  key-vault-public-network-access: not what this test is about
  postgres-azure-services-firewall: not what this test is about
";

/// Basic (one node) and `allkeys-lru` each lose unflushed entries: two
/// findings, at the setting that causes each; Standard with `noeviction`
/// (or the policy unset, which deploygen then writes as `noeviction`) is clean.
#[test]
fn a_write_back_cache_needs_a_replica_and_noeviction() {
    let run = Test::new().write("chat.yaml", CHAT).run(&["validate", "chat.yaml"]);
    assert!(
        run.stdout.contains("chat.yaml:11:10: warning: /cache/write_back: the cache is write-back, but Azure Cache for Redis (Basic C0) keeps one copy"),
        "{}",
        run.stdout
    );
    assert!(
        run.stdout.contains("chat.yaml:14:21: warning: /cache/maxmemory_policy: the cache is write-back, but `maxmemory_policy: allkeys-lru` evicts keys when memory is full"),
        "{}",
        run.stdout
    );
    let safe = CHAT.replace("sku: Basic", "sku: Standard");
    for text in [
        safe.replace("allkeys-lru", "noeviction"),
        safe.replace("  maxmemory_policy: allkeys-lru\n", ""),
    ] {
        let t = Test::new().write("chat.yaml", &text);
        let run = t.run(&["validate", "chat.yaml"]);
        assert!(!run.stdout.contains("write-back-cache"), "{}", run.stdout);
        t.run(&["render", "chat.yaml", "-o", "out"]);
        let bicep: String = walk(&t.path("out"))
            .iter()
            .filter(|p| p.extension().is_some_and(|x| x == "bicep"))
            .map(|p| std::fs::read_to_string(p).unwrap())
            .collect();
        assert!(bicep.contains("'maxmemory-policy': 'noeviction'"), "{bicep}");
    }
    // Not write-back: no finding, whatever the tier.
    let plain = CHAT.replace(
        "  write_back:\n    flush: the Save All button\n    pending: SCARD dirty:convs\n",
        "",
    );
    let run = Test::new().write("chat.yaml", &plain).run(&["validate", "chat.yaml"]);
    assert!(!run.stdout.contains("write-back-cache"), "{}", run.stdout);
}

fn walk(dir: &std::path::Path) -> Vec<std::path::PathBuf> {
    let mut out = Vec::new();
    for e in std::fs::read_dir(dir).into_iter().flatten().flatten() {
        let p = e.path();
        if p.is_dir() {
            out.extend(walk(&p));
        } else {
            out.push(p);
        }
    }
    out
}

/// Leaving the write-back cache (here: `chat` back to phase 1, without Redis)
/// flushes it before the deploy, with the app's own words and a check that
/// reads the variable the app really has; the rollback of adding it does the
/// same before its own deploy.
#[test]
fn leaving_a_write_back_cache_flushes_it_first_rollbacks_included() {
    let run = run_in(
        &repo(),
        &["diff", "chat-phase1", "--against", "chat", "--format", "markdown"],
    );
    let notes = &run.stdout;
    let steps = notes.split("## Migration steps").nth(1).unwrap();
    let flush = steps
        .find("Flush the write-back cache in Azure Cache for Redis")
        .expect(notes);
    let deploy = steps.find("Deploy the infrastructure").expect(notes);
    assert!(flush < deploy, "{notes}");
    assert!(steps.contains("\"Save All to Database\""), "{notes}");
    assert!(
        steps.contains("print(r.execute_command('SCARD', 'dirty:convs'))"),
        "{notes}"
    );
    assert!(steps.contains("os.environ['REDIS_CONNECTION_STRING']"), "{notes}");

    let run = run_in(
        &repo(),
        &["diff", "chat", "--against", "chat-phase1", "--format", "markdown"],
    );
    let rollback = run.stdout.split("## Rollback").nth(1).unwrap().to_string();
    assert!(
        rollback
            .trim_start()
            .starts_with("1. Flush the write-back cache in Azure Cache for Redis"),
        "{rollback}"
    );
    // Adding the cache flushes nothing: the forward steps have no flush.
    let forward = run.stdout.split("## Rollback").next().unwrap();
    assert!(!forward.contains("Flush the write-back cache"), "{forward}");
}
