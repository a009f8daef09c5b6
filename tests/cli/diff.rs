//! `deploygen diff`: the seed migrations reproduced from two descriptor
//! states, the variants, the formats and the exit codes.

use crate::support::{git_in, repo, run_in, Test, MINIMAL};

fn diff(args: &[&str]) -> (i32, String) {
    let mut all = vec!["diff"];
    all.extend_from_slice(args);
    let run = run_in(&repo(), &all);
    assert!(run.code == 0 || run.code == 1, "diff failed: {}", run.stderr);
    (run.code, run.stdout)
}

fn json(args: &[&str]) -> serde_json::Value {
    let mut all = args.to_vec();
    all.extend(["--format", "json"]);
    let (_, out) = diff(&all);
    let report: serde_json::Value = serde_json::from_str(&out).unwrap();
    assert_eq!(report["version"], 1);
    report
}

fn names(v: &serde_json::Value) -> Vec<String> {
    v.as_array()
        .unwrap()
        .iter()
        .map(|x| x.as_str().unwrap().to_string())
        .collect()
}

#[test]
fn seed_000_redis_removed_from_container_apps() {
    for args in [
        &["magictoolbox-dev", "--without", "redis"][..],
        &["magictoolbox-dev-dbcache", "--against", "magictoolbox-dev"][..],
    ] {
        let r = json(args);
        assert_eq!(r["changed"], true);
        assert_eq!(names(&r["files"]["removed"]), ["infra/modules/redis.bicep"], "{args:?}");
        let changed = names(&r["files"]["changed"]);
        for file in [
            "infra/main.bicep",
            "infra/modules/keyvault.bicep",
            "infra/modules/container-apps.bicep",
            "infra/modules/private-endpoints.bicep",
            "docker-compose.yml",
        ] {
            assert!(changed.contains(&file.to_string()), "{file} not modified: {changed:?}");
        }
        assert_eq!(
            names(&r["notes"]["env_to_remove"]),
            [
                "REDIS_URL",
                "REDIS_HOST",
                "REDIS_ACCESS_KEY",
                "CELERY_BROKER_URL",
                "CELERY_RESULT_BACKEND"
            ],
            "{args:?}"
        );
        let removed: Vec<&str> = r["resources"]["removed"]
            .as_array()
            .unwrap()
            .iter()
            .map(|x| x["kind"].as_str().unwrap())
            .collect();
        assert!(removed.contains(&"Microsoft.Cache/redis") && removed.contains(&"Microsoft.Network/privateDnsZones"));
        // Redis, its endpoint and DNS zone, and the worker app (0.5 vCPU, 1 GiB, one replica).
        assert_eq!(r["cost"]["delta_monthly"], -(20.0 + 7.3 + 0.5 + 39.42));
        assert_eq!(r["cost"]["partial"], true, "PostgreSQL and Log Analytics have no price");
    }
    let (code, notes) = diff(&["magictoolbox-dev", "--without", "redis", "--format", "markdown"]);
    assert_eq!(code, 1);
    for text in [
        "## Overview",
        "**Removed files:**\n\n- `infra/modules/redis.bicep`",
        "### Environment variables to remove",
        "python manage.py migrate --noinput",
        "python manage.py createcachetable",
        "## Verification",
        "## Rollback",
        "what-if reports them as Ignore",
        "az resource delete --resource-group '<resource-group>' --resource-type Microsoft.Cache/redis --name 'red-magictoolbox-dev",
    ] {
        assert!(notes.contains(text), "markdown lacks {text:?}");
    }
}

#[test]
fn seed_001_memcached_to_redis_on_compose() {
    let r = json(&["revisbali", "--against", "revisbali-memcached"]);
    let services: Vec<(&str, &str)> = r["services"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| (s["service"].as_str().unwrap(), s["status"].as_str().unwrap()))
        .collect();
    assert!(
        services.contains(&("memcached", "removed")) && services.contains(&("redis", "added")),
        "{services:?}"
    );
    assert_eq!(names(&r["notes"]["env_to_remove"]), ["MEMCACHED_LOCATION"]);
    assert_eq!(
        names(&r["notes"]["env_to_add"]),
        ["REDIS_URL", "REDIS_HOST", "REDIS_PORT", "PGQUEUE_CHANNEL"]
    );
    let steps: Vec<String> = r["notes"]["steps"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| s["commands"].to_string())
        .collect();
    let stop = steps
        .iter()
        .position(|s| s.contains("docker compose stop bs-worker"))
        .expect("stop the worker first");
    let start = steps
        .iter()
        .position(|s| s.contains("docker compose up -d bs-worker"))
        .expect("start it after");
    assert!(stop < start);
}

#[test]
fn seed_002_redis_phase_two_on_app_service_with_its_cost() {
    let r = json(&["chat", "--against", "chat-phase1"]);
    let web = &r["services"][0];
    assert_eq!(web["env_changed"][0]["name"], "REDIS_ENABLED");
    assert_eq!(web["env_changed"][0]["after"], "true");
    let added: Vec<&str> = web["env_added"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["name"].as_str().unwrap())
        .collect();
    assert_eq!(added, ["REDIS_CONNECTION_STRING", "REDIS_CACHE_TTL"]);
    assert_eq!(r["resources"]["added"][0]["kind"], "Microsoft.Cache/redis");
    // Standard C1, not seed 002's Basic C0: the cache is write-back (L2).
    assert_eq!(r["resources"]["added"][0]["detail"], "Standard C1");
    // Seed 002 prices Standard C1 at $80; its private endpoint and DNS zone
    // come on top, PostgreSQL's and Key Vault's are on both sides.
    assert_eq!(r["resources"]["added"][0]["monthly_usd"], 80.0);
    let (before, after) = (
        r["cost"]["before_monthly"].as_f64().unwrap(),
        r["cost"]["after_monthly"].as_f64().unwrap(),
    );
    assert!(
        (after - before - (80.0 + 7.3 + 0.5)).abs() < 1e-9,
        "{before} -> {after}"
    );
    assert!(r["resources"]["added"][0]["price_source"]
        .as_str()
        .unwrap()
        .contains("seed 002"));
    // chat reaches Redis through a private endpoint (seed 002 kept it public):
    // the endpoint ($7.30) and its DNS zone ($0.50) come with the cache.
    let kinds: Vec<&str> = r["resources"]["added"]
        .as_array()
        .unwrap()
        .iter()
        .map(|a| a["kind"].as_str().unwrap())
        .collect();
    assert_eq!(
        kinds,
        [
            "Microsoft.Cache/redis",
            "Microsoft.Network/privateEndpoints",
            "Microsoft.Network/privateDnsZones"
        ]
    );
    assert_eq!(r["cost"]["delta_monthly"], 87.8);
}

#[test]
fn seed_004_upstash_to_a_render_private_service() {
    let r = json(&["instructly", "--against", "instructly-upstash"]);
    assert_eq!(names(&r["notes"]["env_to_remove"]), ["CELERY_BROKER_URL"]);
    assert_eq!(names(&r["files"]["added"]), ["redis/Dockerfile", "redis/redis.conf"]);
    assert_eq!(r["secrets"]["removed"][0]["id"], "upstash-redis-url");
    let changed = &r["services"][0]["env_changed"];
    assert!(changed.as_array().unwrap().iter().any(|c| c["name"] == "REDIS_URL"
        && c["before"] == "<secret upstash-redis-url>"
        && c["after"] == "redis://:<secret redis-password>@<redis-host>:6379"));
    assert_eq!(r["cost"]["delta_monthly"], 7.0);
}

#[test]
fn azure_cache_for_redis_to_azure_managed_redis() {
    let r = json(&["magictoolbox-dev-amr", "--against", "magictoolbox-dev"]);
    let added: Vec<&str> = r["resources"]["added"]
        .as_array()
        .unwrap()
        .iter()
        .map(|x| x["kind"].as_str().unwrap())
        .collect();
    let removed: Vec<&str> = r["resources"]["removed"]
        .as_array()
        .unwrap()
        .iter()
        .map(|x| x["kind"].as_str().unwrap())
        .collect();
    assert!(added.contains(&"Microsoft.Cache/redisEnterprise") && removed.contains(&"Microsoft.Cache/redis"));
    let web = r["services"]
        .as_array()
        .unwrap()
        .iter()
        .find(|s| s["service"] == "web")
        .unwrap();
    let url = web["env_changed"]
        .as_array()
        .unwrap()
        .iter()
        .find(|c| c["name"] == "CELERY_BROKER_URL")
        .unwrap();
    assert!(url["before"].as_str().unwrap().contains(":6380/1"), "{url}");
    assert!(url["after"].as_str().unwrap().contains(":10000/0"), "{url}");
    let unpriced: Vec<&str> = r["cost"]["unpriced_resources_after"]
        .as_array()
        .unwrap()
        .iter()
        .map(|x| x["name"].as_str().unwrap())
        .collect();
    assert!(
        unpriced.contains(&"amr-magictoolbox-dev-<suffix>"),
        "Azure Managed Redis has no published price: named as unpriced, {unpriced:?}"
    );
    assert_eq!(r["cost"]["partial"], true);
}

#[test]
fn no_change_exits_zero_and_secret_values_never_appear() {
    let (code, out) = diff(&["revisbali", "--against", "revisbali"]);
    assert_eq!(code, 0);
    assert!(out.contains("Plan: 0 files to add, 0 to change, 0 to remove."), "{out}");
    let (code, _) = diff(&["revisbali", "--set", "naming.key_prefix=revisbali"]);
    assert_eq!(code, 0, "setting a value to what it is changes nothing");
    let (_, out) = diff(&["magictoolbox-dev", "--without", "redis"]);
    assert!(out.contains("<secret redis-access-key>") && !out.contains("change-me"));
}

#[test]
fn set_changes_one_field_and_invalid_variants_are_reported_like_any_descriptor() {
    let r = json(&[
        "magictoolbox-dev",
        "--set",
        "cache.sku=Standard",
        "--set",
        "cache.capacity=1",
    ]);
    assert_eq!(r["resources"]["changed"][0]["before"], "Basic C0");
    assert_eq!(r["resources"]["changed"][0]["after"], "Standard C1");
    assert_eq!(r["cost"]["delta_monthly"], 60.0);
    let run = run_in(
        &repo(),
        &["diff", "magictoolbox-dev", "--set", "cache.provider=azure-managed"],
    );
    assert_eq!(run.code, 2);
    assert!(
        run.stderr
            .contains("error: /cache/sku: `Basic` is an Azure Cache for Redis SKU"),
        "{}",
        run.stderr
    );
    let run = run_in(&repo(), &["diff", "revisbali-memcached", "--without", "redis"]);
    assert_eq!(run.code, 2);
    assert_eq!(
        run.stderr,
        "error: `--without redis`: the cache is `memcached`, there is no Redis to remove\n"
    );
}

#[test]
fn against_a_git_revision_shows_what_a_commit_changes() {
    let test = Test::new().write("env.yaml", MINIMAL);
    let git = |args: &[&str]| git_in(test.dir.path(), args);
    git(&["init", "-q"]);
    git(&["add", "env.yaml"]);
    git(&["commit", "-q", "-m", "base"]);
    let test = test.write("env.yaml", &MINIMAL.replace("example/web:1.0", "example/web:2.0"));
    let run = test.run(&["diff", "env.yaml", "--against", "HEAD", "--quiet"]);
    assert_eq!(run.code, 1, "{}", run.stderr);
    assert!(
        run.stdout.starts_with(
            "env.yaml at HEAD → env.yaml\nPlan: 0 files to add, 1 to change, 0 to remove.\n  ~ docker-compose.yml\n"
        ),
        "{}",
        run.stdout
    );
    let run = test.run(&["diff", "env.yaml", "--against", "no-such-branch"]);
    assert_eq!(
        run.stderr,
        "error: `--against no-such-branch`: neither a descriptor file nor a git revision\n"
    );
}

/// Item 26: a setting Azure takes only at creation is never an in-place
/// redeploy. Azure Managed Redis' clustering policy updates in place only
/// from NoCluster: from EnterpriseCluster, `diff` says "replace" and the notes
/// refuse the change as it stands and say how to make it a move (a new name:
/// then `diff` plans a new cache beside the old one). The other direction
/// deploys, and its rollback says a redeploy cannot undo it.
#[test]
fn a_creation_only_setting_is_a_replacement_never_an_in_place_redeploy() {
    let base = std::fs::read_to_string(repo().join("environments/fastapi-rq.yaml")).unwrap();
    let clustered = base.replace("output: fastapi-rq\n", "output: ec\n").replace(
        "  stage: prod\n",
        "  stage: prod\n  redis_clustering_policy: enterprise-cluster\n",
    );
    assert_ne!(clustered, base);
    let test = Test::new()
        .write("ec.yaml", &clustered)
        .write("nc.yaml", &base.replace("output: fastapi-rq\n", "output: nc\n"));
    let run = test.run(&["diff", "nc.yaml", "--against", "ec.yaml", "--format", "markdown"]);
    assert_eq!(run.code, 1, "{}", run.stderr);
    let notes = &run.stdout;
    assert!(notes.contains(
        "- replace Microsoft.Cache/redisEnterprise `amr-fastapi-rq-<suffix>`: clustering policy EnterpriseCluster → \
         NoCluster (fixed at creation)"
    ), "{notes}");
    let steps = &notes[notes.find("## Migration steps").unwrap()..];
    assert!(
        steps.starts_with("## Migration steps\n\n1. Do not deploy this change as it stands."),
        "{steps}"
    );
    assert!(
        !notes.contains("az deployment group create") && !notes.contains("deploy.sh"),
        "an in-place redeploy:\n{notes}"
    );
    assert!(notes.contains("`azure.names.redis`"), "{notes}");
    let run = test.run(&["diff", "nc.yaml", "--against", "ec.yaml", "--format", "json"]);
    let report: serde_json::Value = serde_json::from_str(&run.stdout).unwrap();
    let replaced = &report["resources"]["replaced"][0];
    assert_eq!(
        (
            replaced["setting"].as_str(),
            replaced["before"].as_str(),
            replaced["after"].as_str()
        ),
        (Some("clustering policy"), Some("EnterpriseCluster"), Some("NoCluster"))
    );
    let human = test.run(&["diff", "nc.yaml", "--against", "ec.yaml"]);
    assert!(
        human
            .stdout
            .contains("  ! replace Microsoft.Cache/redisEnterprise amr-fastapi-rq-<suffix>"),
        "{}",
        human.stdout
    );

    // The way out the notes give: a new name makes it a move, which diff plans.
    let run = test.run(&[
        "diff",
        "nc.yaml",
        "--against",
        "ec.yaml",
        "--set",
        "azure.names.redis=amr-orders-2",
        "--format",
        "json",
    ]);
    let report: serde_json::Value = serde_json::from_str(&run.stdout).unwrap();
    assert_eq!(report["resources"]["replaced"], serde_json::json!([]));
    assert!(report["resources"]["added"]
        .as_array()
        .unwrap()
        .iter()
        .any(|r| r["name"] == "amr-orders-2"));

    // From NoCluster Azure updates in place; going back is the replacement.
    let run = test.run(&["diff", "ec.yaml", "--against", "nc.yaml", "--format", "markdown"]);
    assert!(
        run.stdout.contains("bash ec/infra/deploy.sh") && !run.stdout.contains("- replace "),
        "{}",
        run.stdout
    );
    let rollback = &run.stdout[run.stdout.find("## Rollback").unwrap()..];
    assert!(
        rollback.contains("A redeploy does not take `amr-fastapi-rq-<suffix>` back to its clustering policy NoCluster"),
        "{rollback}"
    );
}

/// Geo-redundant backup and the Container Apps environment's zone redundancy
/// are chosen when the resource is created: turning either off on a `prod`
/// environment (where deploygen turns them on) is a replacement, never an
/// in-place redeploy that Azure would refuse.
#[test]
fn geo_backup_and_zone_redundancy_are_fixed_at_creation() {
    for (set, setting) in [
        ("azure.zone_redundant=false", "zone redundancy"),
        ("azure.postgres.geo_redundant_backup=false", "geo-redundant backup"),
    ] {
        let run = run_in(&repo(), &["diff", "fastapi-rq", "--set", set, "--format", "json"]);
        assert_eq!(run.code, 1, "{set}: {}", run.stderr);
        let report: serde_json::Value = serde_json::from_str(&run.stdout).unwrap();
        let replaced = &report["resources"]["replaced"][0];
        assert_eq!(
            (
                replaced["setting"].as_str(),
                replaced["before"].as_str(),
                replaced["after"].as_str()
            ),
            (Some(setting), Some("Enabled"), Some("Disabled")),
            "{set}: {report}"
        );
    }
}
