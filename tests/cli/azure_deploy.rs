//! Issue 11: Azure output that deploys and runs as written, beyond what the
//! parsers and Checkov see (registry pulls, URL encoding, probes, clustering,
//! Key Vault references on the first start, WebSockets, names, teardown).

use crate::support::{committed, Test};

/// Container Apps with PostgreSQL behind a URL, Azure Managed Redis carrying
/// Celery, a health check and an ACR image.
const ACA: &str = "\
name: demo
platform: azure-container-apps
azure:
  location: westeurope
  stage: dev
postgres:
  database: app
  user: app
  expose:
    url: DATABASE_URL
cache:
  kind: redis
  provider: azure-managed
broker:
  kind: celery
  expose:
    url: CELERY_BROKER_URL
services:
  web:
    role: web
    image: myteam.azurecr.io/app:1
    ports: [\"8000:8000\"]
    healthcheck:
      http: /healthz
      interval_seconds: 15
  worker:
    role: worker
    image: myteam.azurecr.io/app:1
";

const APP_SERVICE: &str = "\
name: demo
platform: azure-app-service
azure:
  location: westeurope
  private_endpoints: false
postgres:
  database: app
  user: app
  expose:
    url: DATABASE_URL
services:
  web:
    role: web
    image: example/web:1
    ports: [\"8000:8000\"]
    healthcheck:
      http: /healthz
accept:
  key-vault-public-network-access: no VNet integration in this test
";

fn render(descriptor: &str) -> Test {
    let t = Test::new().write("demo.yaml", descriptor);
    let run = t.run(&["render", "demo.yaml", "-o", "out"]);
    assert_eq!(run.code, 0, "{}\n{}", run.stdout, run.stderr);
    t
}

/// The `resource`/`module` block that starts with `head`, up to its closing brace.
fn block(text: &str, head: &str) -> String {
    let start = text.find(head).unwrap_or_else(|| panic!("no {head:?} in\n{text}"));
    let end = text[start..].find("\n}\n").map(|e| start + e + 3).unwrap_or(text.len());
    text[start..end].to_string()
}

#[test]
fn secrets_in_url_userinfo_are_percent_encoded_in_both_modes() {
    let t = render(ACA);
    let apps = t.read("out/infra/modules/container-apps.bicep");
    let vault = t.read("out/infra/modules/keyvault.bicep");
    for text in [&apps, &vault] {
        assert!(text.contains(
            "'postgresql://app:${uriComponent(postgresPassword)}@${postgresHostName}:5432/app?sslmode=require'"
        ));
        assert!(
            text.contains("'rediss://:${uriComponent(redisAccessKey)}@${redisHostName}:10000?ssl_cert_reqs=required'")
        );
        assert!(!text.contains(":${redisAccessKey}@") && !text.contains(":${postgresPassword}@"));
    }
    // A whole secret stays as it is.
    assert!(vault.contains("value: redisAccessKey\n"));
    let t = render(APP_SERVICE);
    let bicep = t.read("out/infra/main.bicep");
    assert!(bicep.contains(
        "'postgresql://app:${uriComponent(postgresPassword)}@${postgresServer.properties.fullyQualifiedDomainName}:5432/app?sslmode=require'"
    ));
}

#[test]
fn acr_images_are_pulled_with_the_identity_granted_acr_pull_before_the_apps() {
    let t = render(ACA);
    let apps = t.read("out/infra/modules/container-apps.bicep");
    let web = block(&apps, "resource webApp ");
    assert!(
        web.contains("registries: [\n        {\n          server: 'myteam.azurecr.io'\n          identity: identityId\n        }\n      ]"),
        "{web}"
    );
    let main = t.read("out/infra/main.bicep");
    let pull = block(&main, "module acrPull ");
    assert!(
        pull.contains("principalId: keyVault.outputs.identityPrincipalId"),
        "{pull}"
    );
    assert!(
        !pull.contains("scope:"),
        "registry in the deployment's resource group by default"
    );
    let apps_module = block(&main, "module containerApps ");
    assert!(
        apps_module.contains("dependsOn: [\n    privateEndpoints\n    acrPull\n  ]"),
        "{apps_module}"
    );
    let grant = t.read("out/infra/modules/acr-pull.bicep");
    assert!(grant.contains(&format!("'{}'", crate::support::role_id("AcrPull"))));
    assert!(grant.contains("principalType: 'ServicePrincipal'"));
    // The shipped S1 environments pull from ACR too.
    assert!(committed("magictoolbox-dev", "infra/modules/container-apps.bicep")
        .contains("server: 'magictoolbox.azurecr.io'"));
}

#[test]
fn a_registry_in_another_resource_group_or_with_a_login() {
    let other_group = ACA.replace(
        "  stage: dev\n",
        "  stage: dev\n  registries:\n    myteam.azurecr.io:\n      resource_group: rg-shared\n",
    );
    let main = render(&other_group).read("out/infra/main.bicep");
    assert!(block(&main, "module acrPull ").contains("scope: resourceGroup('rg-shared')"));

    let login = ACA
        .replace(
            "  stage: dev\n",
            "  stage: dev\n  registries:\n    ghcr.io:\n      username: deploy\n      password_secret: ghcr-token\n",
        )
        .replace("myteam.azurecr.io/app:1", "ghcr.io/team/app:1")
        + "secrets:\n  ghcr-token:\n    description: GitHub token with read:packages\n";
    let t = Test::new().write("demo.yaml", &login);
    let run = t.run(&["validate", "demo.yaml"]);
    assert!(!run.stdout.contains("unused-secret"), "{}", run.stdout);
    assert_eq!(t.run(&["render", "demo.yaml", "-o", "out"]).code, 0);
    let apps = t.read("out/infra/modules/container-apps.bicep");
    assert!(apps.contains("server: 'ghcr.io'\n          username: 'deploy'\n          passwordSecretRef: 'ghcr-token'"));
    assert!(apps.contains("name: 'ghcr-token'\n    keyVaultUrl: '${keyVaultUri}secrets/ghcr-token'"));
    assert!(apps.contains("name: 'ghcr-token'\n    value: ghcrToken"));
    assert!(t
        .read("out/infra/modules/keyvault.bicep")
        .contains("name: 'ghcr-token'\n  properties: {\n    value: ghcrToken"));
    assert!(!t.path("out/infra/modules/acr-pull.bicep").exists());
    assert!(!t.read("out/infra/main.bicep").contains("acrPull"));
}

#[test]
fn registry_logins_are_checked() {
    let bad = ACA.replace(
        "  stage: dev\n",
        "  stage: dev\n  registries:\n    ghcr.io:\n      username: deploy\n      password_secret: nope\n    docker.io: {}\n",
    );
    let run = Test::new().write("demo.yaml", &bad).run(&["validate", "demo.yaml"]);
    assert_eq!(run.code, 1);
    assert!(run.stdout.contains("secret `nope` is not declared"), "{}", run.stdout);
    assert!(
        run.stdout.contains("`docker.io` is not an Azure Container Registry"),
        "{}",
        run.stdout
    );
}

#[test]
fn http_health_checks_become_startup_liveness_and_readiness_probes() {
    let apps = render(ACA).read("out/infra/modules/container-apps.bicep");
    let web = block(&apps, "resource webApp ");
    for kind in ["Startup", "Liveness", "Readiness"] {
        assert!(
            web.contains(&format!(
                "type: '{kind}'\n              httpGet: {{\n                path: '/healthz'\n                port: 8000\n"
            )),
            "{kind} probe missing:\n{web}"
        );
    }
    assert!(web.contains("periodSeconds: 15"));
    assert!(!block(&apps, "resource workerApp ").contains("probes"));
    // App Service: the same check as the site's health check path.
    let bicep = render(APP_SERVICE).read("out/infra/main.bicep");
    assert!(bicep.contains("healthCheckPath: '/healthz'"));
}

#[test]
fn a_command_health_check_cannot_be_a_container_apps_probe() {
    let bad = ACA.replace("      http: /healthz\n", "      command: curl -f localhost:8000\n");
    let run = Test::new().write("demo.yaml", &bad).run(&["validate", "demo.yaml"]);
    assert_eq!(run.code, 1);
    assert!(
        run.stdout.contains("Container Apps probes are HTTP requests"),
        "{}",
        run.stdout
    );
}

#[test]
fn managed_redis_carrying_a_queue_is_not_clustered_unless_the_descriptor_says_so() {
    let redis = render(ACA).read("out/infra/modules/redis.bicep");
    assert!(redis.contains("clusteringPolicy: 'NoCluster'"));
    assert!(committed("magictoolbox-dev-amr", "infra/modules/redis.bicep").contains("clusteringPolicy: 'NoCluster'"));
    let cache_only = ACA.replace("broker:\n  kind: celery\n  expose:\n    url: CELERY_BROKER_URL\n", "");
    let cache_only = cache_only.replace("  worker:\n    role: worker\n    image: myteam.azurecr.io/app:1\n", "");
    assert!(render(&cache_only)
        .read("out/infra/modules/redis.bicep")
        .contains("clusteringPolicy: 'EnterpriseCluster'"));
    let classic = ACA.replace("provider: azure-managed", "provider: azure-cache").replace(
        "  stage: dev\n",
        "  stage: dev\n  redis_clustering_policy: no-cluster\n",
    );
    let run = Test::new().write("demo.yaml", &classic).run(&["validate", "demo.yaml"]);
    assert!(
        run.stdout.contains("only applies to Azure Managed Redis"),
        "{}",
        run.stdout
    );
    let chosen = ACA.replace(
        "  stage: dev\n",
        "  stage: dev\n  redis_clustering_policy: enterprise-cluster\n",
    );
    assert!(render(&chosen)
        .read("out/infra/modules/redis.bicep")
        .contains("clusteringPolicy: 'EnterpriseCluster'"));
}

#[test]
fn container_apps_use_environment_id_and_main_has_no_redundant_depends_on() {
    for env in ["magictoolbox-dev", "magictoolbox-dev-amr", "magictoolbox-dev-dbcache"] {
        let apps = committed(env, "infra/modules/container-apps.bicep");
        assert!(apps.contains("environmentId: environment.id") && !apps.contains("managedEnvironmentId"));
        let main = committed(env, "infra/main.bicep");
        assert!(!block(&main, "module keyVault ").contains("dependsOn"), "{env}");
    }
}

#[test]
fn app_service_key_vault_references_resolve_on_the_first_start() {
    let bicep = committed("chat", "deployment/simplified.bicep");
    let grant = bicep.find("resource secretsUser ").unwrap();
    let site = bicep.find("resource webApp ").unwrap();
    let web = block(&bicep, "resource webApp ");
    assert!(web.contains("type: 'UserAssigned'") && web.contains("'${identity.id}': {}"));
    assert!(web.contains("keyVaultReferenceIdentity: identity.id"));
    assert!(web.contains("dependsOn: [\n    secretsUser\n"), "{web}");
    assert!(grant < site, "the grant is declared before the site it serves");
    assert!(block(&bicep, "resource secretsUser ").contains("principalId: identity.properties.principalId"));
    assert!(!bicep.contains("webApp.identity.principalId"));
}

#[test]
fn web_sockets_are_a_choice_off_by_default() {
    assert!(committed("chat", "deployment/simplified.bicep").contains("webSocketsEnabled: true"));
    assert!(render(APP_SERVICE)
        .read("out/infra/main.bicep")
        .contains("webSocketsEnabled: false"));
}

#[test]
fn the_azure_services_firewall_rule_is_a_finding_until_accepted() {
    let public = ACA
        .replace("  stage: dev\n", "  stage: dev\n  private_endpoints: false\n")
        .replace(
            "  provider: azure-managed\n",
            "  provider: azure-managed\n  public_network_access: true\n",
        );
    let run = Test::new().write("demo.yaml", &public).run(&["validate", "demo.yaml"]);
    assert_eq!(run.code, 1);
    assert!(
        run.stdout
            .contains("error: /azure/private_endpoints: PostgreSQL gets the 0.0.0.0 firewall rule"),
        "{}",
        run.stdout
    );
    let accepted = format!(
        "{public}accept:\n  postgres-azure-services-firewall: no VNet integration in this test\n  key-vault-public-network-access: no VNet integration in this test\n"
    )
    .replace("accept:\n", "accept:\n  redis-public-network-access: no VNet integration in this test\n");
    let bicep = render(&accepted).read("out/infra/modules/postgres.bicep");
    assert!(bicep.contains("// accepted as `postgres-azure-services-firewall`: no VNet integration in this test\nresource allowAzureServices"), "{bicep}");
    // Behind private endpoints there is no such rule and no finding.
    let private = Test::new().write("demo.yaml", ACA).run(&["validate", "demo.yaml"]);
    assert!(
        !private.stdout.contains("postgres-azure-services-firewall"),
        "{}",
        private.stdout
    );
}

/// App Service without private endpoints admits its own possible outbound
/// addresses, one rule each, through a module fed the site's property: no
/// 0.0.0.0 rule, so no finding to accept.
#[test]
fn app_service_without_private_endpoints_admits_only_its_outbound_addresses() {
    let t = render(APP_SERVICE);
    let main = t.read("out/infra/main.bicep");
    assert!(
        !main.contains("startIpAddress: '0.0.0.0'") && !main.contains("allowAzureServices"),
        "{main}"
    );
    let module = block(&main, "module postgresFirewall ");
    assert!(module.starts_with("module postgresFirewall 'postgres-firewall.bicep' = {"));
    assert!(module.contains("addresses: split(webApp.properties.possibleOutboundIpAddresses, ',')"));
    let rules = t.read("out/infra/postgres-firewall.bicep");
    assert!(rules.contains("= [for (address, i) in addresses: {"), "{rules}");
    assert!(rules.contains("startIpAddress: address\n    endIpAddress: address"));
    let run = Test::new()
        .write("demo.yaml", APP_SERVICE)
        .run(&["validate", "demo.yaml"]);
    assert!(!run.stdout.contains("error"), "{}", run.stdout);
}

#[test]
fn query_parameters_redis_py_rejects_are_a_warning() {
    let seed_002 = ACA.replace(
        "  provider: azure-managed\n",
        "  provider: azure-managed\n  url_query: ssl=true\n",
    );
    let run = Test::new()
        .write("demo.yaml", &seed_002)
        .run(&["validate", "demo.yaml"]);
    assert!(
        run.stdout
            .contains("warning: /cache/url_query: `REDIS_URL` has `?ssl=` in its query"),
        "{}",
        run.stdout
    );
    // The default query is what redis-py and Celery want.
    let run = Test::new().write("demo.yaml", ACA).run(&["validate", "demo.yaml"]);
    assert!(!run.stdout.contains("redis-url-query"), "{}", run.stdout);
    // A TLS broker URL without ssl_cert_reqs is refused by Celery.
    let no_cert = ACA.replace(
        "  provider: azure-managed\n",
        "  provider: azure-managed\n  url_query: socket_timeout=5\n",
    );
    let run = Test::new().write("demo.yaml", &no_cert).run(&["validate", "demo.yaml"]);
    assert!(run.stdout.contains("without `ssl_cert_reqs`"), "{}", run.stdout);
}

#[test]
fn global_names_get_a_stable_unique_suffix_cut_to_each_limit() {
    let t = render(ACA);
    let main = t.read("out/infra/main.bicep");
    assert!(main.contains("param nameSuffix string = take(uniqueString(resourceGroup().id), 6)"));
    assert!(main.contains("keyVaultName: 'kv-demo-${nameSuffix}'"));
    assert!(main.contains("redisName: 'amr-demo-${nameSuffix}'"));
    assert!(main.contains("serverName: 'psql-demo-${nameSuffix}'"));
    // Container app names are not global: no suffix.
    assert!(t
        .read("out/infra/modules/container-apps.bicep")
        .contains("name: 'demo-web'"));
    // Key Vault: 24 characters with the 6-character suffix and its dash.
    let long = committed("magictoolbox-dev", "infra/main.bicep");
    let name = "kv-magictoolbox-d-";
    assert!(long.contains(&format!("keyVaultName: '{name}${{nameSuffix}}'")));
    assert_eq!(name.len() + 6, 24);
    // App Service: the web app too.
    let app = render(APP_SERVICE).read("out/infra/main.bicep");
    assert!(app.contains("name: 'app-demo-${nameSuffix}'"));
    assert!(app.contains("name: 'kv-demo-${nameSuffix}'"));
}

#[test]
fn explicit_names_are_kept_as_given() {
    let named = ACA.replace(
        "  stage: dev\n",
        "  stage: dev\n  names:\n    key_vault: kv-team-demo\n    redis: amr-team-demo\n    postgres: psql-team-demo\n",
    );
    let main = render(&named).read("out/infra/main.bicep");
    assert!(main.contains("keyVaultName: 'kv-team-demo'\n"));
    assert!(main.contains("redisName: 'amr-team-demo'\n"));
    assert!(main.contains("serverName: 'psql-team-demo'\n"));
}

#[test]
fn purge_protection_follows_the_stage_unless_chosen() {
    let dev = render(ACA).read("out/infra/modules/keyvault.bicep");
    // Azure refuses `enablePurgeProtection: false`: off is the property left out.
    assert!(!dev.contains("enablePurgeProtection"), "{dev}");
    assert!(dev.contains("enableSoftDelete: true"));
    assert!(dev.contains("// checkov:skip=CKV_AZURE_110: purge protection off on stage `dev`"));
    let prod = render(&ACA.replace("stage: dev", "stage: prod")).read("out/infra/modules/keyvault.bicep");
    assert!(prod.contains("enablePurgeProtection: true") && !prod.contains("CKV_AZURE_110"));
    let chosen = render(&ACA.replace("  stage: dev\n", "  stage: dev\n  purge_protection: true\n"))
        .read("out/infra/modules/keyvault.bicep");
    assert!(chosen.contains("enablePurgeProtection: true"));
    assert!(committed("chat", "deployment/simplified.bicep").contains("enablePurgeProtection: true"));
}

#[test]
fn container_app_names_with_underscores_are_refused() {
    let bad = ACA.replace("  worker:\n", "  bg_worker:\n");
    let run = Test::new().write("demo.yaml", &bad).run(&["validate", "demo.yaml"]);
    assert_eq!(run.code, 1);
    assert!(
        run.stdout.contains("container app name `demo-bg_worker` is not valid"),
        "{}",
        run.stdout
    );
}

#[test]
fn reserved_postgres_administrator_logins_are_refused() {
    let bad = ACA.replace("  user: app\n", "  user: admin\n");
    let run = Test::new().write("demo.yaml", &bad).run(&["validate", "demo.yaml"]);
    assert_eq!(run.code, 1);
    assert!(
        run.stdout.contains("refuses `admin` as the administrator login"),
        "{}",
        run.stdout
    );
}

#[test]
fn a_name_base_with_a_double_dash_is_refused() {
    let bad = ACA.replace("name: demo\n", "name: my--demo\n");
    let run = Test::new().write("demo.yaml", &bad).run(&["validate", "demo.yaml"]);
    assert_eq!(run.code, 1);
    assert!(run.stdout.contains("`my--demo` has `--`"), "{}", run.stdout);
}
