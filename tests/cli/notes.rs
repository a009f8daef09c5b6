//! Migration notes an operator can follow, costs that say what they miss,
//! and diff errors that point at what the user wrote.

use crate::support::{git_in, migration_notes, repo, run_in, Test, MINIMAL};

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
        "  redis-access-key as REDIS_ACCESS_KEY in Key Vault `kv-magictoolbox-d-<suffix>` (written by the deployment); used by web, worker\n",
        "  redis-url as REDIS_URL in Key Vault `kv-magictoolbox-d-<suffix>` (written by the deployment); used by web, worker\n",
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
         \x20 database-url as DATABASE_URL in Key Vault `kv-shop-<suffix>` (written by the deployment); used by web\n"
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
        // Issue 19, item 25: the Key Value it adds has no price, so the change is unknown.
        "(change unknown: `instructly-redis` (added) has no price; -$7.00 on the priced resources), with list prices of 2026-11-29. **Partial:**",
        "- not priced: `instructly-redis` (render keyvalue, starter; after): no published figure found",
        "- not priced: `instructly-db` (render database, PostgreSQL 16 basic-256mb; both sides)",
    ] {
        assert!(notes.contains(text), "{text}\n{notes}");
    }
    let mut json = args.to_vec();
    json.extend(["--format", "json"]);
    let r: serde_json::Value = serde_json::from_str(&run_in(&repo(), &json).stdout).unwrap();
    assert_eq!(r["cost"]["partial"], true);
    assert_eq!(
        r["cost"]["delta_unpriced"],
        serde_json::json!(["`instructly-redis` (added)"])
    );
    assert!(r["cost"]["unpriced_resources_after"]
        .as_array()
        .unwrap()
        .iter()
        .any(|u| u["name"] == "instructly-redis" && u["kind"] == "render keyvalue"));
    let human = run_in(&repo(), &args[..]).stdout;
    assert!(
        human.contains("(change unknown: `instructly-redis` (added) has no price; -$7.00 on the priced resources), partial\n  not priced, left out of the totals"),
        "{human}"
    );
    assert!(
        human.contains("  + render keyvalue instructly-redis starter, not priced\n"),
        "{human}"
    );
}

/// Issue 19, item 25: replacing a Render private service by a Key Value, both
/// without a price, never reads as a `+$0.00` change.
#[test]
fn a_removal_without_a_price_never_reads_as_no_change() {
    let notes =
        std::fs::read_to_string(repo().join("environments/migrations/rails-sidekiq-private-service-to-key-value.md"))
            .unwrap();
    assert!(!notes.contains("(+$0.00)"), "{notes}");
    assert!(
        notes.contains(
            "(change unknown: `storefront-redis-private` (removed) and `storefront-redis` (added) have no price;"
        ),
        "{notes}"
    );
}

/// The committed migration notes (`environments/migrations/`) are what
/// deploygen writes today, byte for byte: a change to a runbook is reviewed.
#[test]
fn golden_migration_notes_are_current() {
    let dir = repo().join("environments/migrations");
    let index = std::fs::read_to_string(dir.join("index.txt")).unwrap();
    let bless = std::env::var_os("DEPLOYGEN_BLESS").is_some();
    let mut stale = Vec::new();
    let mut count = 0;
    for line in index.lines().filter(|l| !l.trim().is_empty() && !l.starts_with('#')) {
        let (file, command) = line.split_once(": ").expect("FILE: deploygen diff ...");
        let args: Vec<&str> = command.split_whitespace().collect();
        assert_eq!(args[..2], ["deploygen", "diff"], "{line}");
        let run = run_in(&repo(), &args[1..]);
        assert_eq!(run.code, 1, "{command}: {}", run.stderr);
        count += 1;
        let path = dir.join(file);
        if bless {
            std::fs::write(&path, &run.stdout).unwrap();
        } else if std::fs::read_to_string(&path).ok().as_deref() != Some(run.stdout.as_str()) {
            stale.push(format!("  {command} > environments/migrations/{file}"));
        }
    }
    assert!(count >= 5, "the index lists the shipped migrations");
    assert!(
        stale.is_empty(),
        "migration notes differ from what deploygen writes; read the new text, then regenerate with\n  \
         DEPLOYGEN_BLESS=1 cargo test --test cli golden_migration_notes\nor run from the repository root:\n{}",
        stale.join("\n")
    );
}

/// The position of the first line holding `text` in `section` of the notes.
fn at(notes: &str, section: &str, text: &str) -> usize {
    let start = notes.find(section).unwrap_or_else(|| panic!("no {section}:\n{notes}"));
    let body = &notes[start..];
    let end = body[section.len()..]
        .find("\n## ")
        .map_or(body.len(), |i| i + section.len());
    body[..end]
        .find(text)
        .unwrap_or_else(|| panic!("{section} lacks {text:?}:\n{notes}"))
}

#[test]
fn a_cache_move_on_container_apps_restarts_revisions_before_deleting_the_old_cache() {
    let notes = migration_notes(&["magictoolbox-dev-amr", "--against", "magictoolbox-dev"]);
    let steps = "## Migration steps";
    let drain = at(&notes, steps, "celery -A magictoolbox inspect active");
    let stop = at(
        &notes,
        steps,
        "az containerapp revision deactivate --name magictoolbox-dev-worker",
    );
    let deploy = at(&notes, steps, "bash environments/magictoolbox-dev-amr/infra/deploy.sh");
    let restart = at(
        &notes,
        steps,
        "az containerapp revision restart --name magictoolbox-dev-web",
    );
    let verify = at(&notes, steps, "Verify (next section) before deleting anything");
    let delete = at(
        &notes,
        steps,
        "az resource delete --resource-group '<resource-group>' --resource-type Microsoft.Cache/redis --name 'red-magictoolbox-dev",
    );
    assert!(drain < stop && stop < deploy && deploy < restart && restart < verify && verify < delete);
    assert!(notes.contains("changing a secret does not create a revision"));
    assert!(notes
        .contains("Lost if the old place goes while jobs wait in it: the jobs still waiting in it (the `celery` list"));
    assert!(notes.contains("Data: nothing in Azure Cache for Redis `red-magictoolbox-dev-<suffix>` is copied"));
    // The rollback brings the previous files back with a command that runs.
    at(
        &notes,
        "## Rollback",
        "deploygen render environments/magictoolbox-dev.yaml",
    );
    at(&notes, "## Rollback", "--name 'amr-magictoolbox-dev");
}

/// D3: the secrets nothing reads any more stay in Key Vault. Deleting or
/// recovering one is a data-plane call the operator cannot make on a vault
/// with public access off and RBAC authorisation, and a soft-deleted secret
/// would fail the rollback's deployment: the rollback stays a redeploy.
#[test]
fn removed_key_vault_secrets_stay_so_the_rollback_is_a_pure_redeploy() {
    for args in [
        &["magictoolbox-dev-dbcache", "--against", "magictoolbox-dev"][..],
        &["fastapi-rq", "--without", "redis"],
    ] {
        let notes = migration_notes(args);
        assert!(
            !notes.contains("az keyvault"),
            "{args:?}: a Key Vault data-plane call:\n{notes}"
        );
        assert!(
            notes.contains("these notes leave them, so the rollback stays a redeploy"),
            "{notes}"
        );
        let rollback = &notes[notes.find("## Rollback").unwrap()..];
        assert!(!rollback.contains("recover"), "{rollback}");
    }
    let notes = migration_notes(&["magictoolbox-dev-dbcache", "--against", "magictoolbox-dev"]);
    // A dev vault has soft delete without purge protection (Azure's default; the Plan decides by stage).
    assert!(
        notes.contains("for 90 days after it (soft delete) a deployment that creates a secret of the same name fails")
    );
    assert!(notes.contains("time-boxed *Key Vault Secrets Officer* assignment"));
    at(&notes, "## Migration steps", "python manage.py createcachetable");
}

#[test]
fn notes_hold_only_the_platforms_own_commands_and_caveats() {
    for (args, foreign) in [
        (
            &["revisbali", "--against", "revisbali-memcached"][..],
            &["Key Vault", "az ", "Render Dashboard", "Blueprint"][..],
        ),
        (
            &["instructly", "--against", "instructly-upstash"],
            &["Key Vault", "az ", "docker compose", "own hosts"],
        ),
        (
            &["chat", "--against", "chat-phase1"],
            &["docker compose", "Render Dashboard", "containerapp"],
        ),
    ] {
        let notes = migration_notes(args);
        for word in foreign {
            assert!(!notes.contains(word), "{args:?} mentions {word:?}:\n{notes}");
        }
    }
    // A PgQueuer SQL queue is drained with a query the compose database runs.
    let notes = migration_notes(&["revisbali", "--against", "revisbali-memcached"]);
    let drain = at(
        &notes,
        "## Migration steps",
        "docker compose exec db psql -U revisbali -d revisbali -c 'SELECT status, count(*) FROM pgqueuer GROUP BY status'",
    );
    let stop = at(&notes, "## Migration steps", "docker compose stop bs-worker");
    assert!(drain < stop);
    assert!(!notes.contains("django_cache_table"), "not a database cache");
}

#[test]
fn the_rollback_of_against_rev_runs_and_brings_the_revision_back() {
    let test = Test::new().write("env.yaml", MINIMAL);
    let git = |args: &[&str]| git_in(test.dir.path(), args);
    git(&["init", "-q"]);
    git(&["add", "env.yaml"]);
    git(&["commit", "-q", "-m", "base"]);
    let test = test.write("env.yaml", &MINIMAL.replace("kind: redis", "kind: memcached"));
    let run = test.run(&["diff", "env.yaml", "--against", "HEAD", "--format", "markdown"]);
    assert_eq!(run.code, 1, "{}", run.stderr);
    let rollback = &run.stdout[run.stdout.find("## Rollback").unwrap()..];
    assert!(!rollback.contains(" at HEAD"), "a label is not a command:\n{rollback}");
    let commands: Vec<&str> = rollback
        .lines()
        .map(str::trim)
        .filter(|l| l.starts_with("git checkout ") || l.starts_with("deploygen render "))
        .collect();
    assert_eq!(
        commands,
        ["git checkout HEAD -- env.yaml", "deploygen render env.yaml"],
        "{rollback}"
    );
    let status = std::process::Command::new("git")
        .args(commands[0].split_whitespace().skip(1))
        .current_dir(test.dir.path())
        .status()
        .unwrap();
    assert!(status.success());
    let args: Vec<&str> = commands[1].split_whitespace().skip(1).collect();
    assert_eq!(test.run(&args).code, 0);
    let run = test.run(&["diff", "env.yaml", "--against", "HEAD"]);
    assert_eq!(run.code, 0, "back at HEAD: {}", run.stdout);
}

#[test]
fn migrations_the_seeds_do_not_cover_get_their_own_steps() {
    // memcached -> no cache on compose, as an edit: the rollback reverts the edit.
    let notes = migration_notes(&[
        "revisbali-memcached",
        "--set",
        "cache.kind=none",
        "--set",
        "cache.service=null",
        "--set",
        "cache.expose=null",
    ]);
    assert!(notes.contains("Data: the memcached container `memcached` goes, and its contents with it"));
    at(
        &notes,
        "## Migration steps",
        "deploygen render environments/revisbali-memcached.yaml",
    );
    at(
        &notes,
        "## Rollback",
        "git revert --no-edit \"$(git log -1 --format=%H -- environments/revisbali-memcached.yaml)\"",
    );
    // Basic -> Standard is a scale in place: no delete, a warning about what it may lose.
    let notes = migration_notes(&[
        "magictoolbox-dev",
        "--set",
        "cache.sku=Standard",
        "--set",
        "cache.capacity=1",
    ]);
    assert!(notes.contains("scales `red-magictoolbox-dev-<suffix>` in place (Basic C0 → Standard C1)"));
    assert!(notes.contains("its queued jobs included"));
    assert!(!notes.contains("az resource delete"));
    // Secure parameters -> Key Vault references: no revision is made, so every app restarts.
    let test = with_shipped(Test::new()).write(
        "secure.yaml",
        "extends: environments/magictoolbox-dev.yaml\noutput: secure\nazure:\n  key_vault_references: false\n",
    );
    let run = run_in(
        &repo(),
        &[
            "diff",
            "magictoolbox-dev",
            "--against",
            test.path("secure.yaml").to_str().unwrap(),
            "--format",
            "markdown",
        ],
    );
    assert_eq!(run.code, 1, "{}", run.stderr);
    assert!(run
        .stdout
        .contains("Container app secrets: values from secure deployment parameters → Key Vault references"));
    at(
        &run.stdout,
        "## Migration steps",
        "az containerapp revision restart --name magictoolbox-dev-worker",
    );
    at(&run.stdout, "## Verification", "secrets[].[name, keyVaultUrl]");
}

#[test]
fn a_descriptor_prices_what_the_table_cannot() {
    let test = with_shipped(Test::new()).write(
        "amr.yaml",
        "extends: environments/magictoolbox-dev-amr.yaml\noutput: amr\ncosts:\n  - {kind: Microsoft.Cache/redisEnterprise, detail: Balanced_B0, monthly_usd: 45}\n",
    );
    let run = run_in(
        &repo(),
        &[
            "diff",
            test.path("amr.yaml").to_str().unwrap(),
            "--against",
            "magictoolbox-dev",
            "--format",
            "json",
        ],
    );
    let r: serde_json::Value = serde_json::from_str(&run.stdout).unwrap_or_else(|_| panic!("{}", run.stderr));
    let names: Vec<&str> = r["cost"]["unpriced_resources_after"]
        .as_array()
        .unwrap()
        .iter()
        .map(|u| u["name"].as_str().unwrap())
        .collect();
    assert!(!names.contains(&"amr-magictoolbox-dev-<suffix>"), "{names:?}");
    assert_eq!(r["cost"]["delta_monthly"], 45.0 - 20.0);
    let amr = r["resources"]["added"]
        .as_array()
        .unwrap()
        .iter()
        .find(|x| x["name"] == "amr-magictoolbox-dev-<suffix>")
        .unwrap();
    assert_eq!(amr["price_source"], "the descriptor's `costs`");
}

/// The shipped descriptors copied into a test's folder under `environments/`.
fn with_shipped(test: Test) -> Test {
    // `extends` stays inside the descriptor's folder tree (no repository
    // holds a temporary folder): the shipped descriptors are copied there.
    std::fs::create_dir_all(test.path("environments")).unwrap();
    for entry in std::fs::read_dir(repo().join("environments")).unwrap().flatten() {
        let name = entry.file_name().to_string_lossy().into_owned();
        if name.ends_with(".yaml") {
            std::fs::copy(entry.path(), test.path(&format!("environments/{name}"))).unwrap();
        }
    }
    test
}

/// A declared pre-deploy command already migrates on every deploy: the move
/// to Django's database cache says who runs it (and, on Container Apps, the
/// script that starts its job) instead of running `migrate` by hand again;
/// `createcachetable` stays a step, after it.
#[test]
fn a_declared_pre_deploy_command_is_not_run_again_by_the_database_cache_step() {
    for platform in ["compose", "render", "azure-container-apps"] {
        let azure = platform.starts_with("azure");
        let descriptor = format!(
            "name: shop\nplatform: {platform}\nframework: django\n{}postgres: {{database: app, user: app}}\n\
             cache: {{kind: redis}}\nservices:\n  web:\n    {}\n    ports: [\"8000:8000\"]\n    \
             command: gunicorn shop.wsgi --bind 0.0.0.0:8000\n    pre_deploy: python manage.py migrate --noinput\n",
            if azure { "azure: {location: westeurope}\n" } else { "" },
            if azure {
                "image: example.azurecr.io/shop:1"
            } else {
                "build: {context: .}"
            },
        );
        let test = Test::new().write("shop.yaml", &descriptor);
        let run = test.run(&["diff", "shop.yaml", "--without", "redis", "--format", "markdown"]);
        assert_eq!(run.code, 1, "{platform}: {}", run.stderr);
        let notes = &run.stdout;
        let steps = &notes[..notes.find("## Verification").expect("verification")];
        assert!(
            !steps
                .lines()
                .any(|l| l.contains("manage.py migrate") && !l.contains("pre-deploy command")),
            "{platform}: migrate runs by hand again:\n{notes}"
        );
        at(
            steps,
            "## Migration steps",
            "Create Django's cache table (the database cache needs it; `migrate` first, `createcachetable` is \
             idempotent). The pre-deploy command `python manage.py migrate --noinput` runs the migrations: ",
        );
        let create = at(steps, "## Migration steps", "python manage.py createcachetable");
        if platform == "azure-container-apps" {
            let script = at(
                steps,
                "## Migration steps",
                "RESOURCE_GROUP='<resource-group>' bash shop/infra/run-pre-deploy.sh",
            );
            assert!(script < create, "the job migrates before createcachetable:\n{notes}");
            assert!(
                steps.contains("its job `shop-web-pre`; start it with `shop/infra/run-pre-deploy.sh`"),
                "{notes}"
            );
        } else {
            assert!(!steps.contains("run-pre-deploy.sh"), "{platform}:\n{notes}");
        }
    }
}

/// The secret list names an env var only where one carries the secret on the
/// platform: magictoolbox's containers read `REDIS_ACCESS_KEY` (seed 000), but
/// fastapi-rq's Key Vault key only goes into `REDIS_URL`, and on Render the
/// hosted URL was typed into `REDIS_URL` and `CELERY_BROKER_URL`, not into a
/// variable named after the secret.
#[test]
fn the_secret_list_names_only_env_vars_that_carry_the_secret() {
    let fastapi = migration_notes(&["fastapi-rq", "--without", "redis"]);
    at(
        &fastapi,
        "### Secrets",
        "- remove `redis-access-key` from Key Vault `kv-fastapi-rq-<suffix>`",
    );
    at(
        &fastapi,
        "### Secrets",
        "- remove `redis-url` (`REDIS_URL`) from Key Vault",
    );
    assert!(!fastapi.contains("REDIS_ACCESS_KEY"), "{fastapi}");
    let magictoolbox = migration_notes(&["magictoolbox-dev-dbcache", "--against", "magictoolbox-dev"]);
    at(
        &magictoolbox,
        "### Secrets",
        "- remove `redis-access-key` (`REDIS_ACCESS_KEY`) from Key Vault",
    );
    let instructly = migration_notes(&["instructly", "--against", "instructly-upstash"]);
    at(
        &instructly,
        "### Secrets",
        "- remove `upstash-redis-url` (`REDIS_URL`, `CELERY_BROKER_URL`) from Render Dashboard",
    );
    let human = run_in(&repo(), &["diff", "fastapi-rq", "--without", "redis"]);
    assert!(
        human.stdout.contains("  - redis-access-key in Key Vault"),
        "{}",
        human.stdout
    );
    // The reverse adds the hosted URL: the step says where to type it.
    let back = migration_notes(&["instructly-upstash", "--against", "instructly"]);
    at(
        &back,
        "## Migration steps",
        "Provide the new secrets: `upstash-redis-url` (`REDIS_URL`, `CELERY_BROKER_URL`) in Render Dashboard",
    );
}

/// A queue that goes with its Redis takes the app's enqueueing calls with it,
/// and Django reads its cache from its settings: both are code changes that
/// come before the drain and the deploy (seed 000 changed both).
#[test]
fn the_app_changes_its_queue_calls_and_django_its_cache_settings_before_deploying() {
    let rq = migration_notes(&["fastapi-rq", "--without", "redis"]);
    let calls = at(
        &rq,
        "## Migration steps",
        "Before deploying, remove the app's calls that put jobs on RQ",
    );
    assert!(calls < at(&rq, "## Migration steps", "Drain the RQ queue"), "{rq}");
    assert!(!rq.contains("CACHES"), "FastAPI has no Django settings:\n{rq}");
    let django = migration_notes(&["magictoolbox-dev-dbcache", "--against", "magictoolbox-dev"]);
    let celery = at(
        &django,
        "## Migration steps",
        "Before deploying, remove the app's calls that put jobs on Celery",
    );
    let settings = at(
        &django,
        "## Migration steps",
        "Before deploying, point Django's `CACHES` at its database cache",
    );
    let drain = at(&django, "## Migration steps", "Drain the Celery queue");
    assert!(celery < drain && settings < drain, "{django}");
}

/// No command changes the shell's directory: a `cd` in the deploy step broke
/// every relative path after it (the clean-up's own `cd`, the rollback's into
/// the other folder). Azure commands name the rendered files from where
/// `deploygen render` ran; compose commands run in the folder the deploy names.
#[test]
fn no_step_changes_directory_so_the_next_commands_run_where_they_say() {
    let compose = migration_notes(&["node-bullmq", "--without", "redis"]);
    let azure = migration_notes(&["magictoolbox-dev-dbcache", "--against", "magictoolbox-dev"]);
    for notes in [&compose, &azure] {
        let cds: Vec<&str> = notes
            .lines()
            .map(str::trim)
            .filter(|l| l.starts_with("cd ") || l.contains("&& cd ") || l.contains("; cd "))
            .collect();
        assert!(cds.is_empty(), "{cds:?} in:\n{notes}");
    }
    at(
        &azure,
        "## Migration steps",
        "az deployment group what-if --resource-group '<resource-group>' --template-file \
         environments/magictoolbox-dev-dbcache/infra/main.bicep --parameters \
         environments/magictoolbox-dev-dbcache/infra/parameters.dev.json",
    );
    at(
        &azure,
        "## Rollback",
        "--template-file environments/magictoolbox-dev/infra/main.bicep",
    );
    at(
        &compose,
        "## Migration steps",
        "Deploy, in the rendered folder `environments/node-bullmq` on the host",
    );
}

/// Azure refuses to delete a private DNS zone that still has virtual network
/// links, so the clean-up deletes each zone's links right before the zone.
#[test]
fn the_cleanup_deletes_a_private_dns_zones_links_before_the_zone() {
    let notes = migration_notes(&["fastapi-rq", "--without", "redis"]);
    let lines: Vec<&str> = notes.lines().map(str::trim).collect();
    let zone = lines
        .iter()
        .position(|l| {
            l.contains("--resource-type Microsoft.Network/privateDnsZones --name privatelink.redis.azure.net")
        })
        .unwrap_or_else(|| panic!("no zone deletion in\n{notes}"));
    assert!(
        lines[zone - 1].starts_with("az resource delete --ids $(az network private-dns link vnet list")
            && lines[zone - 1].contains("--zone-name privatelink.redis.azure.net"),
        "{}",
        lines[zone - 1]
    );
}

/// R1: a deploy that takes away a variable the old code reads ships the new
/// code first, the platform's way: on Container Apps a new image pushed and
/// its tag set in the descriptor, then the pre-deploy job run with it, all
/// before the deploy step; on Render the change committed so the deploy's
/// push builds it; on compose the images built before `up` (which reuses
/// the images it has).
#[test]
fn the_new_code_ships_before_the_deploy_that_removes_what_the_old_code_reads() {
    let steps = "## Migration steps";
    let notes = migration_notes(&["fastapi-rq", "--without", "redis"]);
    let push = at(&notes, steps, "docker push 'orders.azurecr.io/orders-api:<new-tag>'");
    let tag = at(
        &notes,
        steps,
        "set `services.api.image` in `environments/fastapi-rq.yaml` to it",
    );
    let job = at(
        &notes,
        steps,
        "IMAGE='orders.azurecr.io/orders-api:<new-tag>' RESOURCE_GROUP='<resource-group>' bash \
         environments/fastapi-rq/infra/run-pre-deploy.sh",
    );
    let deploy = at(&notes, steps, "bash environments/fastapi-rq/infra/deploy.sh");
    assert!(tag < push && push < job && job < deploy, "{notes}");
    at(&notes, steps, "az acr login --name orders");

    let notes = migration_notes(&["rails-sidekiq", "--without", "redis"]);
    let ship = at(
        &notes,
        steps,
        "Ship the new code with the Blueprint: commit the app's change on the branch Render watches, so that the \
         deploy step's push builds storefront-web",
    );
    assert!(
        ship < at(&notes, steps, "Deploy: push the rendered Blueprint"),
        "{notes}"
    );
    assert!(
        !notes.contains("docker build"),
        "Render builds from the repository:\n{notes}"
    );

    let notes = migration_notes(&["revisbali", "--against", "revisbali-memcached"]);
    let build = at(&notes, steps, "docker compose build bs-core bs-worker");
    assert!(build < at(&notes, steps, "docker compose up -d"), "{notes}");

    // A move that leaves every variable the code reads needs no new code.
    let notes = migration_notes(&["fastapi-rq", "--against", "fastapi-rq-azure-cache"]);
    assert!(
        !notes.contains("Ship the new code") && !notes.contains("docker push"),
        "{notes}"
    );
}

/// R2 and R3 on Render: a Blueprint sync neither sets a `sync: false`
/// variable on an existing Blueprint nor removes one it no longer sets. The
/// cut-over removes the stale ones by hand before the workers resume, before
/// verification and before the old backend goes; a variable that becomes
/// `sync: false` (the rollback to Upstash) is set by hand before the deploy
/// and checked in its service before anything is deleted.
#[test]
fn render_variables_a_blueprint_sync_leaves_alone_are_set_and_removed_by_hand() {
    let notes = migration_notes(&["instructly", "--against", "instructly-upstash"]);
    let steps = "## Migration steps";
    let deploy = at(&notes, steps, "Deploy: push the rendered Blueprint");
    let remove = at(
        &notes,
        steps,
        "`CELERY_BROKER_URL` from instructly-api, instructly-celery-worker, instructly-celery-beat, \
         instructly-nightly-cleanup in the Render Dashboard (the service → Environment) now, before verifying",
    );
    let resume = at(&notes, steps, "Resume instructly-celery-worker");
    let verify = at(&notes, steps, "Verify (next section) before deleting anything");
    let close = at(&notes, steps, "Close the outside Redis");
    assert!(
        deploy < remove && remove < resume && resume < verify && verify < close,
        "{notes}"
    );
    assert!(!notes.contains("Remove the env vars nothing reads any more"), "{notes}");

    let rollback = "## Rollback";
    let set = at(
        &notes,
        rollback,
        "Before the deploy step, set `REDIS_URL` on instructly-api; `CELERY_BROKER_URL` on instructly-api in the \
         Render Dashboard (the service → Environment): Render ignores `sync: false` variables",
    );
    let deploy = at(&notes, rollback, "Deploy: push the rendered Blueprint");
    let check = at(
        &notes,
        rollback,
        "sh -c 'printf \"%s\\n\" \"$CELERY_BROKER_URL\" | sed -nE",
    );
    let delete = at(&notes, rollback, "delete the private service `instructly-redis`");
    assert!(set < deploy && deploy < check && check < delete, "{notes}");

    // The same move as a cut-over: set before the deploy, checked in verification.
    let back = migration_notes(&["instructly-upstash", "--against", "instructly"]);
    let set = at(
        &back,
        steps,
        "Before the deploy step, set `REDIS_URL` on instructly-api",
    );
    assert!(set < at(&back, steps, "Deploy: push the rendered Blueprint"), "{back}");
    at(
        &back,
        "## Verification",
        "`instructly-api` runs with the `CELERY_BROKER_URL` you set",
    );
}

/// M2: verification looks inside the running processes, with the variables
/// each one has: the host and port of the URL that leads to the moved cache
/// or queue (never its password), and for Sidekiq the process set the web
/// reads from the new Redis.
#[test]
fn verification_proves_the_running_processes_moved() {
    let notes = migration_notes(&["fastapi-rq", "--against", "fastapi-rq-azure-cache"]);
    let check = at(
        &notes,
        "## Verification",
        "az containerapp exec --name fastapi-rq-worker --resource-group '<resource-group>' --command sh  # then, in \
         that shell: sh -c 'printf \"%s\\n\" \"$REDIS_URL\" | sed -nE",
    );
    assert!(check > 0);
    let sidekiq = migration_notes(&["rails-sidekiq", "--against", "rails-sidekiq-pserv"]);
    at(
        &sidekiq,
        "## Verification",
        "bundle exec rails runner 'require \"sidekiq/api\"; puts Sidekiq::ProcessSet.new.size'  # in the Shell of \
         storefront-web, Render Dashboard",
    );
    at(
        &sidekiq,
        "## Verification",
        "# in the Shell of storefront-sidekiq, Render Dashboard",
    );

    // The command prints the host and port, and nothing of a value that is no URL.
    let compose = migration_notes(&["revisbali", "--against", "revisbali-memcached"]);
    let line = compose
        .lines()
        .map(str::trim)
        .find(|l| l.starts_with("docker compose exec bs-core sh -c 'printf"))
        .unwrap_or_else(|| panic!("no check in bs-core:\n{compose}"));
    let command = line.strip_prefix("docker compose exec bs-core ").unwrap();
    for (url, shown) in [
        (
            "rediss://:s3cret@red.example.net:6380/0?ssl_cert_reqs=required",
            "red.example.net:6380\n",
        ),
        ("redis://redis:6379/0", "redis:6379\n"),
        ("s3cret-token", ""),
    ] {
        let out = std::process::Command::new("bash")
            .args(["-c", command])
            .env("REDIS_URL", url)
            .output()
            .unwrap();
        assert_eq!(String::from_utf8_lossy(&out.stdout), shown, "{url}");
    }
}

/// Container Apps deploys stage by stage (grants, a wait while new ones
/// propagate, the pre-deploy jobs, then the apps): the notes run the rendered
/// `infra/deploy.sh`, never a single `az deployment group create`, which
/// would deploy the apps stage alone.
#[test]
fn container_apps_notes_deploy_through_the_staged_script() {
    let notes = migration_notes(&["fastapi-rq", "--without", "redis"]);
    let creates = |text: &str| {
        text.lines()
            .any(|l| l.trim_start().starts_with("az deployment group create"))
    };
    assert!(
        notes.contains("RESOURCE_GROUP='<resource-group>' bash environments/fastapi-rq/infra/deploy.sh"),
        "{notes}"
    );
    assert!(!creates(&notes), "{notes}");
    // App Service keeps its single deployment of the main file.
    let app_service = migration_notes(&["chat", "--against", "chat-phase1"]);
    assert!(creates(&app_service), "{app_service}");
}
