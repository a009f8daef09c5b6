//! Migration notes an operator can follow, costs that say what they miss,
//! and diff errors that point at what the user wrote.

use crate::support::{repo, run_in, Test, MINIMAL};

#[test]
fn a_descriptor_that_is_not_a_map_is_reported_not_a_panic() {
    for (text, found) in [("- a\n- b\n", "a list"), ("hello\n", "a string")] {
        let test = Test::new().write("base.yaml", MINIMAL).write("env.yaml", text);
        for variant in [
            &["--with", "redis"][..],
            &["--without", "redis"],
            &["--set", "cache.kind=redis"],
        ] {
            let mut args = vec!["diff", "env.yaml", "--against", "base.yaml"];
            args.extend_from_slice(variant);
            let run = test.run(&args);
            assert_eq!(
                (run.code, run.stderr.as_str()),
                (
                    2,
                    format!("env.yaml:1:1: error: expected a map, found {found}\nerror: the descriptor is invalid (1 error)\n")
                        .as_str()
                ),
                "{variant:?}"
            );
        }
    }
}

#[test]
fn a_misspelt_set_path_names_the_option_not_a_line_of_the_file() {
    let run = run_in(&repo(), &["diff", "revisbali", "--set", "cache.kinnd=redis"]);
    run.expect(
        2,
        "",
        "error: `--set cache.kinnd=redis`: /cache/kinnd: unknown key `kinnd`; did you mean `kind`?\n\
         error: the descriptor is invalid (1 error)\n",
    );
}

#[test]
fn plan_shows_who_reads_each_secret_and_where_it_really_lives() {
    let run = run_in(&repo(), &["plan", "magictoolbox-dev"]);
    for line in [
        "  redis-access-key as REDIS_ACCESS_KEY in Key Vault `kv-magictoolbox-dev` (written by the deployment); used by web, worker\n",
        "  redis-url as REDIS_URL in Key Vault `kv-magictoolbox-dev` (written by the deployment); used by web, worker\n",
    ] {
        assert!(run.stdout.contains(line), "{line}\n{}", run.stdout);
    }
    // App Service reads the access key with listKeys() into the URL: Key Vault never holds it.
    let run = run_in(&repo(), &["plan", "chat"]);
    assert!(run.stdout.contains(
        "  redis-access-key as REDIS_ACCESS_KEY in the deployment only (read from the cache with `listKeys()`, never stored); used by web\n"
    ), "{}", run.stdout);
    // The password travels only inside DATABASE_URL: no Bicep writes it into Key Vault.
    let test = Test::new().write(
        "shop.yaml",
        "name: shop\nplatform: azure-container-apps\nazure: {location: westeurope, stage: dev}\n\
         postgres: {database: shop, user: shop, expose: {url: DATABASE_URL}}\n\
         services:\n  web: {image: shop.azurecr.io/web:1, ports: [\"8000:8000\"]}\n",
    );
    let run = test.run(&["plan", "shop.yaml"]);
    assert!(run.stdout.contains(
        "  postgres-password as POSTGRES_PASSWORD in a secure deployment parameter only (not written to Key Vault); used by web\n\
         \x20 database-url as DATABASE_URL in Key Vault `kv-shop` (written by the deployment); used by web\n"
    ), "{}", run.stdout);
    test.run(&["render", "shop.yaml", "-o", "out", "--quiet"]);
    let vault = test.read("out/infra/modules/keyvault.bicep");
    assert!(vault.contains("name: 'database-url'") && !vault.contains("name: 'postgres-password'"));
}

#[test]
fn costs_name_every_unpriced_resource_and_say_the_delta_is_partial() {
    let args = [
        "diff",
        "instructly",
        "--set",
        "cache.provider=render-key-value",
        "--set",
        "cache.loglevel=null",
        "--set",
        "cache.maxmemory=null",
        "--set",
        "cache.service=null",
    ];
    let mut markdown = args.to_vec();
    markdown.extend(["--format", "markdown"]);
    let notes = run_in(&repo(), &markdown).stdout;
    assert!(!notes.contains("own hosts"), "Render is not self-hosted:\n{notes}");
    for text in [
        "(-$7.00), with list prices of 2026-11-29. **Partial:**",
        "- not priced: `instructly-redis` (render keyvalue, starter; after): no published figure found",
        "- not priced: `instructly-db` (render database, PostgreSQL 16 basic-256mb; both sides)",
    ] {
        assert!(notes.contains(text), "{text}\n{notes}");
    }
    let mut json = args.to_vec();
    json.extend(["--format", "json"]);
    let r: serde_json::Value = serde_json::from_str(&run_in(&repo(), &json).stdout).unwrap();
    assert_eq!(r["cost"]["partial"], true);
    assert!(r["cost"]["unpriced_resources_after"]
        .as_array()
        .unwrap()
        .iter()
        .any(|u| u["name"] == "instructly-redis" && u["kind"] == "render keyvalue"));
    let human = run_in(&repo(), &args[..]).stdout;
    assert!(
        human.contains("(-$7.00), partial\n  not priced, left out of the totals"),
        "{human}"
    );
    assert!(
        human.contains("  + render keyvalue instructly-redis starter, not priced\n"),
        "{human}"
    );
}
