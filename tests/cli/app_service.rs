//! Issue 19 for App Service: private networking (item 20), the build on zip
//! deploy (R4), the Key Vault grant a step ahead of the site (D2), the shipped
//! `chat` environments (item 27); issue 22 item 14: a failed pre-deploy never
//! starts the app.

use crate::support::{committed, render_to_out, repo, run_in, Test};

/// App Service with PostgreSQL and Azure Cache for Redis, nothing said about
/// the network (private endpoints are the default).
const SITE: &str = "\
name: demo
platform: azure-app-service
azure:
  location: westeurope
postgres:
  database: app
  user: app
  expose:
    url: DATABASE_URL
cache:
  kind: redis
  provider: azure-cache
  expose:
    url: REDIS_URL
services:
  web:
    role: web
    image: example/web:1
    ports: [\"8000:8000\"]
    command: gunicorn app.wsgi
accept:
  azure-cache-retirement: a test of App Service networking
";

fn render(descriptor: &str) -> Test {
    let test = Test::new().write("demo.yaml", descriptor);
    render_to_out(&test, "demo.yaml");
    test
}

/// The `resource` block that starts with `head`, up to its closing brace.
fn block(text: &str, head: &str) -> String {
    let start = text.find(head).unwrap_or_else(|| panic!("no {head:?} in\n{text}"));
    let end = text[start..].find("\n}\n").map(|e| start + e + 3).unwrap_or(text.len());
    text[start..end].to_string()
}

/// Item 20: by default the site joins a VNet (regional VNet integration on a
/// subnet delegated to `Microsoft.Web/serverFarms`) and reaches Redis,
/// PostgreSQL and Key Vault through private endpoints whose DNS zones are
/// linked to that VNet; none of the three takes public connections.
#[test]
fn the_site_reaches_redis_postgres_and_key_vault_through_its_vnet() {
    let bicep = render(SITE).read("out/infra/main.bicep");
    let vnet = block(&bicep, "resource vnet ");
    assert!(
        vnet.contains("addressPrefix: '10.42.0.0/26'\n          delegations: [\n            {\n              name: 'app-service'\n              properties: {\n                serviceName: 'Microsoft.Web/serverFarms'"),
        "{vnet}"
    );
    let site = block(&bicep, "resource webApp ");
    assert!(
        site.contains("virtualNetworkSubnetId: vnet.properties.subnets[0].id"),
        "{site}"
    );
    assert!(site.contains("vnetRouteAllEnabled: true"), "{site}");
    for (symbol, target, group, zone) in [
        (
            "redis",
            "redisCache.id",
            "redisCache",
            "privatelink.redis.cache.windows.net",
        ),
        (
            "postgres",
            "postgresServer.id",
            "postgresqlServer",
            "privatelink.postgres.database.azure.com",
        ),
        ("keyVault", "keyVault.id", "vault", "privatelink.vaultcore.azure.net"),
    ] {
        let endpoint = block(&bicep, &format!("resource {symbol}Endpoint "));
        assert!(
            endpoint.contains(&format!("privateLinkServiceId: {target}"))
                && endpoint.contains(&format!("'{group}'"))
                && endpoint.contains("id: vnet.properties.subnets[1].id"),
            "{endpoint}"
        );
        assert!(block(&bicep, &format!("resource {symbol}Zone ")).contains(&format!("name: '{zone}'")));
        assert!(block(&bicep, &format!("resource {symbol}ZoneLink ")).contains("id: vnet.id"));
        // The site starts once the private names resolve.
        assert!(site.contains(&format!("    {symbol}ZoneGroup\n")), "{site}");
    }
    for resource in ["resource keyVault ", "resource redisCache ", "resource postgresServer "] {
        let b = block(&bicep, resource);
        assert!(b.contains("publicNetworkAccess: 'Disabled'"), "{b}");
    }
    assert!(!bicep.contains("firewallRules"), "{bicep}");
    // Nothing to accept: no public Key Vault, no Azure-services rule.
    Test::new()
        .write("demo.yaml", SITE)
        .run(&["validate", "demo.yaml"])
        .expect(0, "", "demo.yaml: ok\n");
}

/// Item 20: without private endpoints, Redis with public access off (the
/// default) has no way in at all: `validate` refuses, on both Azure targets,
/// instead of rendering a cache nothing can reach.
#[test]
fn a_redis_nothing_can_reach_is_refused() {
    let public = SITE.replace(
        "  location: westeurope\n",
        "  location: westeurope\n  private_endpoints: false\n",
    );
    let run = Test::new().write("demo.yaml", &public).run(&["validate", "demo.yaml"]);
    assert_eq!(run.code, 1, "{}{}", run.stdout, run.stderr);
    assert!(
        run.stdout.contains("demo.yaml:5:22: error: /azure/private_endpoints: without private endpoints the apps reach Redis only over its public endpoint, but `cache.public_network_access` is off: nothing could connect"),
        "{}",
        run.stdout
    );
    let container_apps = public.replace("platform: azure-app-service", "platform: azure-container-apps");
    let run = Test::new()
        .write("demo.yaml", &container_apps)
        .run(&["validate", "demo.yaml"]);
    assert!(
        run.stdout
            .contains("error: /azure/private_endpoints: without private endpoints the apps reach Redis"),
        "{}",
        run.stdout
    );
    // Public on purpose: reachable, and the public endpoints are lints to accept.
    let open = public.replace(
        "  provider: azure-cache\n",
        "  provider: azure-cache\n  public_network_access: true\n",
    );
    let run = Test::new().write("demo.yaml", &open).run(&["validate", "demo.yaml"]);
    assert!(!run.stdout.contains("nothing could connect"), "{}", run.stdout);
    for rule in ["redis-public-network-access", "key-vault-public-network-access"] {
        assert!(
            run.stdout.contains(&format!("`deploygen explain {rule}`")),
            "{rule}: {}",
            run.stdout
        );
    }
    let bicep = render(&format!(
        "{open}  redis-public-network-access: public in this test\n  key-vault-public-network-access: public in this test\n"
    ))
    .read("out/infra/main.bicep");
    assert!(!bicep.contains("virtualNetworkSubnetId") && !bicep.contains("resource vnet "));
}

/// Basic and Standard plans get VNet integration only on newer App Service
/// deployments (Microsoft Learn): the Bicep says so above the plan, and what
/// to do; Premium v3 needs no such note.
#[test]
fn basic_and_standard_plans_carry_the_vnet_integration_caveat() {
    let bicep = render(SITE).read("out/infra/main.bicep");
    assert!(bicep.contains("// Plan B1: Basic and Standard get VNet integration only on newer\n"));
    let premium = SITE.replace(
        "  location: westeurope\n",
        "  location: westeurope\n  app_service:\n    sku: P0v3\n",
    );
    assert!(!render(&premium)
        .read("out/infra/main.bicep")
        .contains("get VNet integration only"));
}

/// R4: a zip deploy runs Oryx's build (pip/npm install) only with
/// `SCM_DO_BUILD_DURING_DEPLOYMENT=true`; Python and Node sites get it.
#[test]
fn code_sites_build_their_dependencies_on_zip_deploy() {
    let setting = "          name: 'SCM_DO_BUILD_DURING_DEPLOYMENT'\n          value: 'true'\n";
    assert!(committed("chat", "deployment/simplified.bicep").contains(setting));
    assert!(committed("chat-phase1", "deployment/simplified.bicep").contains(setting));
    let node = SITE.replace(
        "  location: westeurope\n",
        "  location: westeurope\n  app_service:\n    runtime: NODE|22-lts\n",
    );
    assert!(render(&node).read("out/infra/main.bicep").contains(setting));
    let dotnet = SITE.replace(
        "  location: westeurope\n",
        "  location: westeurope\n  app_service:\n    runtime: DOTNETCORE|8.0\n",
    );
    assert!(!render(&dotnet)
        .read("out/infra/main.bicep")
        .contains("SCM_DO_BUILD_DURING_DEPLOYMENT"));
}

/// D2: on a new resource group the identity and its Key Vault grant are
/// deployed a step ahead of the site that reads Key Vault references with it
/// (`identity.bicep`, then the main file), in the order the header says.
#[test]
fn the_key_vault_grant_is_deployed_a_step_before_the_site() {
    let bicep = committed("chat", "deployment/simplified.bicep");
    let first = committed("chat", "deployment/identity.bicep");
    for resource in [
        "resource keyVault 'Microsoft.KeyVault/vaults@2024-11-01'",
        "resource identity 'Microsoft.ManagedIdentity/userAssignedIdentities@2023-01-31'",
        "resource secretsUser 'Microsoft.Authorization/roleAssignments@2022-04-01'",
    ] {
        // Declared alike in both files: step 2 leaves them as step 1 made them.
        assert_eq!(
            block(&first, resource),
            block(&bicep, resource),
            "{resource} differs between the steps"
        );
    }
    assert!(!first.contains("Microsoft.Web/sites"), "{first}");
    let step1 = bicep
        .find("--template-file deployment/identity.bicep")
        .expect("step 1 in the header");
    let step2 = bicep
        .find("--template-file deployment/simplified.bicep")
        .expect("step 2 in the header");
    assert!(step1 < step2);
    // The README documents re-running as the recovery.
    let readme = std::fs::read_to_string(repo().join("templates/azure/README.md")).unwrap();
    assert!(readme.contains("**Recovery**: if a reference still did not resolve"));
}

/// The main file cannot take the name of step 1's file beside it.
#[test]
fn the_main_bicep_file_cannot_be_named_like_step_one() {
    for file in ["identity.bicep", "deploy/identity.bicep"] {
        let named = SITE.replace(
            "  location: westeurope\n",
            &format!("  location: westeurope\n  bicep_file: {file}\n"),
        );
        let run = Test::new().write("demo.yaml", &named).run(&["validate", "demo.yaml"]);
        assert_eq!(run.code, 1, "{}", run.stdout);
        assert!(
            run.stdout.contains(&format!("demo.yaml:5:15: error: /azure/bicep_file: `{file}` is the name of the file deploygen writes beside the main Bicep file")),
            "{}",
            run.stdout
        );
    }
}

/// Item 27: `chat` follows seed 002 where it works and says where it does
/// not: no `?ssl=true` (redis-py 5.0.1 raises `TypeError` on the first
/// command), no 0.0.0.0 rule, and every lint it accepts still occurs.
#[test]
fn the_shipped_chat_environments_accept_only_what_still_occurs() {
    let chat = committed("chat", "deployment/simplified.bicep");
    assert!(
        chat.contains("@${redisCache.properties.hostName}:6380/0?ssl_cert_reqs=required'"),
        "{chat}"
    );
    assert!(!chat.contains("ssl=true"));
    for env in ["chat", "chat-phase1"] {
        let bicep = committed(env, "deployment/simplified.bicep");
        assert!(
            !bicep.contains("startIpAddress: '0.0.0.0'") && !bicep.contains("firewallRules"),
            "{env}"
        );
        let run = run_in(&repo(), &["validate", &format!("environments/{env}.yaml")]);
        assert_eq!(
            (run.code, run.stdout.as_str()),
            (0, ""),
            "{env}: an accepted lint that no longer occurs, or a finding:\n{}",
            run.stderr
        );
    }
    let descriptor = std::fs::read_to_string(repo().join("environments/chat.yaml")).unwrap();
    assert!(descriptor.contains("deviates where seed 002 would not work"));
    assert!(!descriptor.contains("redis-url-query") && !descriptor.contains("postgres-azure-services-firewall"));
}

/// Issue 22 item 14: `PRE && COMMAND` where COMMAND holds `;` or `||` must not
/// run any part of COMMAND after a failed pre-deploy.
#[test]
fn a_failed_pre_deploy_never_starts_the_app() {
    for command in [
        "echo A; echo B",
        "echo A || echo B",
        "echo A && echo B | cat",
        "echo A & echo B",
    ] {
        for pre in ["false", "false; false", "echo pre && false"] {
            let descriptor = format!(
                "\
name: demo
platform: azure-app-service
azure:
  location: westeurope
services:
  web:
    image: example/web:1
    ports: [\"8000:8000\"]
    command: {}
    pre_deploy: {}
",
                serde_json::to_string(command).unwrap(),
                serde_json::to_string(pre).unwrap()
            );
            let bicep = render(&descriptor).read("out/infra/main.bicep");
            let line = startup_line(&bicep);
            let out = std::process::Command::new("sh").args(["-c", &line]).output().unwrap();
            let stdout = String::from_utf8_lossy(&out.stdout);
            assert!(
                !out.status.success() && !stdout.contains('A') && !stdout.contains('B'),
                "{pre:?} then {command:?} -> {line:?} printed {stdout:?}"
            );
            // With a pre-deploy that succeeds, the command runs as it would alone.
            let ok = descriptor.replace(&serde_json::to_string(pre).unwrap(), "\"echo ok\"");
            let line = startup_line(&render(&ok).read("out/infra/main.bicep"));
            let sh = |line: &str| {
                let out = std::process::Command::new("sh").args(["-c", line]).output().unwrap();
                let mut lines: Vec<String> = String::from_utf8_lossy(&out.stdout).lines().map(String::from).collect();
                lines.sort();
                lines
            };
            let mut alone = sh(command);
            alone.push("ok".into());
            alone.sort();
            assert_eq!(sh(&line), alone, "{command:?} -> {line:?}");
        }
    }
}

/// The value of `appCommandLine` (a Bicep string: `\'` and `\\` escapes).
fn startup_line(bicep: &str) -> String {
    let line = bicep
        .lines()
        .find_map(|l| l.trim().strip_prefix("appCommandLine: '"))
        .unwrap_or_else(|| panic!("no appCommandLine:\n{bicep}"));
    let body = line.strip_suffix('\'').unwrap();
    let (mut out, mut chars) = (String::new(), body.chars());
    while let Some(c) = chars.next() {
        match c {
            '\\' => out.push(chars.next().unwrap()),
            c => out.push(c),
        }
    }
    out
}
