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
            "'postgresql://app:${uriComponent(postgresPassword)}@${postgresHostName}:5432/app?sslmode=verify-full'"
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
        assert!(apps.contains("environmentId: environmentId") && !apps.contains("managedEnvironmentId"));
        let environment = committed(env, "infra/modules/container-apps-environment.bicep");
        assert!(environment.contains("output id string = environment.id"), "{env}");
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

/// Issue 19, D1: AcrPull on the registry itself, in a module deployed to the
/// registry's resource group, and `validate` names the registry and group it
/// assumes when the descriptor does not say.
#[test]
fn acr_pull_is_granted_on_the_registry_and_validate_names_the_assumed_group() {
    let t = render(ACA);
    let grant = t.read("out/infra/modules/acr-pull.bicep");
    assert!(
        grant.contains("resource registry 'Microsoft.ContainerRegistry/registries@2025-11-01' existing = {\n  name: registryName\n}"),
        "{grant}"
    );
    assert!(
        block(&grant, "resource acrPull ").contains("  scope: registry\n"),
        "{grant}"
    );
    assert!(grant.contains("name: guid(registry.id, principalId, "), "{grant}");
    let main = t.read("out/infra/main.bicep");
    assert!(
        block(&main, "module acrPull ").contains("registryName: 'myteam'"),
        "{main}"
    );

    let run = t.run(&["validate", "demo.yaml"]);
    assert!(
        run.stdout
            .contains("AcrPull is granted on registry `myteam` in the deployment's own resource group")
            && run.stdout.contains("acr-registry-resource-group"),
        "{}",
        run.stdout
    );
    let placed = ACA.replace(
        "  stage: dev\n",
        "  stage: dev\n  registries:\n    myteam.azurecr.io:\n      resource_group: rg-shared\n",
    );
    let t = Test::new().write("demo.yaml", &placed);
    let run = t.run(&["validate", "demo.yaml"]);
    assert!(!run.stdout.contains("acr-registry-resource-group"), "{}", run.stdout);
    // The type data is vendored now: the README no longer says otherwise.
    let readme = std::fs::read_to_string(crate::support::repo().join("templates/azure/README.md")).unwrap();
    assert!(!readme.contains("does not carry"), "templates/azure/README.md");
}

/// Issue 19, D2 and M4: the grants are deployed in a stage before anything
/// that uses them, the pre-deploy jobs in a module of their own that the apps
/// depend on, and deploy.sh runs infrastructure, wait, jobs, the jobs
/// themselves, then the apps.
#[test]
fn grants_jobs_and_apps_are_deployed_in_order_by_stage() {
    let main = committed("fastapi-rq", "infra/main.bicep");
    assert!(main.contains("param deployStage string = 'apps'"), "{main}");
    let jobs = block(&main, "module preDeployJobs ");
    assert!(
        jobs.starts_with(
            "module preDeployJobs 'modules/pre-deploy-jobs.bicep' = if (deployStage != 'infrastructure') {"
        ),
        "{jobs}"
    );
    assert!(jobs.contains("    acrPull\n"), "{jobs}");
    let apps = block(&main, "module containerApps ");
    assert!(
        apps.starts_with("module containerApps 'modules/container-apps.bicep' = if (deployStage == 'apps') {"),
        "{apps}"
    );
    assert!(apps.contains("    acrPull\n    preDeployJobs\n  ]"), "{apps}");
    // Nothing that reads a secret or pulls an image is in a module the
    // infrastructure stage deploys, beside the grants.
    for module in ["keyVault", "acrPull", "containerAppsEnvironment"] {
        assert!(
            !block(&main, &format!("module {module} ")).contains("if (deployStage"),
            "{module}"
        );
    }
    let app_module = committed("fastapi-rq", "infra/modules/container-apps.bicep");
    assert!(!app_module.contains("Microsoft.App/jobs") && !app_module.contains("managedEnvironments"));
    let job_module = committed("fastapi-rq", "infra/modules/pre-deploy-jobs.bicep");
    assert!(job_module.contains("resource apiPreDeploy 'Microsoft.App/jobs@2025-01-01'"));
    assert!(!job_module.contains("Microsoft.App/containerApps"));

    let script = committed("fastapi-rq", "infra/deploy.sh");
    let order = [
        "deploy infrastructure \"$@\"",
        "sleep \"$wait_seconds\"",
        "deploy jobs \"$@\"",
        "bash \"$infra/run-pre-deploy.sh\"",
        "deploy apps \"$@\"",
    ];
    let at: Vec<usize> = order
        .iter()
        .map(|s| script.find(s).unwrap_or_else(|| panic!("no {s:?} in\n{script}")))
        .collect();
    assert!(at.windows(2).all(|w| w[0] < w[1]), "{script}");
    assert!(script.contains("--parameters deployStage=\"$1\""), "{script}");
    assert!(script.contains("run this script again"), "{script}");
    // Without a pre-deploy command there is no jobs stage.
    let dbcache = committed("magictoolbox-dev-dbcache", "infra/deploy.sh");
    assert!(!dbcache.contains("deploy jobs") && dbcache.contains("deploy apps \"$@\""));
    assert!(!committed("magictoolbox-dev-dbcache", "infra/main.bicep").contains("preDeployJobs"));
}

/// Issue 19, R5: a changed secret reaches running replicas only through a new
/// or restarted revision, so the script restarts each app's latest one.
#[test]
fn the_secrets_script_restarts_each_apps_latest_revision() {
    let script = committed("fastapi-rq", "infra/update-container-app-secrets.sh");
    for app in ["fastapi-rq-api", "fastapi-rq-worker"] {
        assert!(
            script.contains(&format!(
                "az containerapp revision restart --resource-group \"$RESOURCE_GROUP\" --name {app} \\\n  --revision \"$(az containerapp show --resource-group \"$RESOURCE_GROUP\" --name {app} --query properties.latestRevisionName --output tsv)\""
            )),
            "{app}:\n{script}"
        );
    }
    // A job has no revision: it reads the new values at its next execution.
    assert!(!script.contains("--name fastapi-rq-api-pre --query properties.latestRevisionName"));
    assert!(
        script.contains("a job reads the\n# new values at its next execution"),
        "{script}"
    );
}

/// Issue 19, L1: a queue on Azure Managed Redis is persisted (AOF every
/// second); on Azure Cache for Redis below Premium `validate` says jobs do
/// not survive a node loss.
#[test]
fn a_queue_on_redis_is_persisted_or_the_loss_is_a_finding() {
    let redis = render(ACA).read("out/infra/modules/redis.bicep");
    assert!(
        redis.contains("    persistence: {\n      aofEnabled: true\n      aofFrequency: '1s'\n    }\n"),
        "{redis}"
    );
    assert!(committed("fastapi-rq", "infra/modules/redis.bicep").contains("aofFrequency: '1s'"));
    let cache_only = ACA.replace("broker:\n  kind: celery\n  expose:\n    url: CELERY_BROKER_URL\n", "");
    assert!(!render(&cache_only)
        .read("out/infra/modules/redis.bicep")
        .contains("persistence"));

    for (sku, fires) in [("Basic", true), ("Standard", true), ("Premium", false)] {
        let classic = ACA.replace(
            "  provider: azure-managed\n",
            &format!("  provider: azure-cache\n  sku: {sku}\n"),
        );
        let run = Test::new().write("demo.yaml", &classic).run(&["validate", "demo.yaml"]);
        assert_eq!(
            run.stdout.contains("redis-queue-not-persisted"),
            fires,
            "{sku}: {}",
            run.stdout
        );
        if fires {
            assert!(run.stdout.contains("jobs do not survive a node loss"), "{}", run.stdout);
        }
    }
}

/// Issue 19, I3: Container Apps verify the PostgreSQL server (certificate and
/// host name), with the CA bundle named for libpq and asyncpg, and `validate`
/// says the apps connect as the administrator.
#[test]
fn container_apps_verify_the_postgres_server_and_the_admin_login_is_a_finding() {
    let t = render(ACA);
    let apps = t.read("out/infra/modules/container-apps.bicep");
    for app in ["resource webApp ", "resource workerApp "] {
        let app = block(&apps, app);
        assert!(
            app.contains("name: 'PGSSLMODE'\n              value: 'verify-full'"),
            "{app}"
        );
        assert!(
            app.contains("name: 'PGSSLROOTCERT'\n              value: '/etc/ssl/certs/ca-certificates.crt'"),
            "{app}"
        );
    }
    // The developers' compose file talks to a local container without TLS.
    assert!(!t.read("out/docker-compose.yml").contains("PGSSLROOTCERT"));
    // A variable the descriptor sets wins.
    let own = ACA.replace(
        "    image: myteam.azurecr.io/app:1\n    ports:",
        "    image: myteam.azurecr.io/app:1\n    env:\n      PGSSLROOTCERT: /etc/pki/tls/certs/ca-bundle.crt\n    ports:",
    );
    let apps = render(&own).read("out/infra/modules/container-apps.bicep");
    let web = block(&apps, "resource webApp ");
    assert_eq!(web.matches("name: 'PGSSLROOTCERT'").count(), 1, "{web}");
    assert!(web.contains("value: '/etc/pki/tls/certs/ca-bundle.crt'"), "{web}");

    let run = t.run(&["validate", "demo.yaml"]);
    assert!(
        run.stdout
            .contains("web, worker connect to PostgreSQL as `app`, the server's administrator login")
            && run.stdout.contains("postgres-admin-connection"),
        "{}",
        run.stdout
    );
    // App Service keeps its own query until its pass.
    let bicep = render(APP_SERVICE).read("out/infra/main.bicep");
    assert!(bicep.contains("5432/app?sslmode=require'") && !bicep.contains("PGSSLROOTCERT"));
}

/// Issue 19, M3: a `prod` Container Apps environment gets the settings only
/// creation can choose (PostgreSQL geo-redundant backup and HA outside
/// Burstable, storage auto-grow, a zone-redundant environment); leaving one
/// off is a warning that names it.
#[test]
fn a_prod_data_tier_gets_the_settings_only_creation_can_choose() {
    let prod = ACA.replace(
        "  stage: dev\n",
        "  stage: prod\n  postgres:\n    sku: Standard_D2ds_v5\n    tier: GeneralPurpose\n",
    );
    let t = render(&prod);
    let pg = t.read("out/infra/modules/postgres.bicep");
    for line in [
        "      autoGrow: 'Enabled'\n",
        "    backup: {\n      geoRedundantBackup: 'Enabled'\n    }\n",
        "    highAvailability: {\n      mode: 'ZoneRedundant'\n    }\n",
    ] {
        assert!(pg.contains(line), "{line} missing:\n{pg}");
    }
    let environment = t.read("out/infra/modules/container-apps-environment.bicep");
    assert!(environment.contains("    zoneRedundant: true\n"), "{environment}");
    assert!(!t.run(&["validate", "demo.yaml"]).stdout.contains("azure-creation-only"));
    assert!(committed("fastapi-rq", "infra/modules/postgres.bicep").contains("geoRedundantBackup: 'Enabled'"));

    // dev: none of it.
    let t = render(ACA);
    let pg = t.read("out/infra/modules/postgres.bicep");
    assert!(!pg.contains("geoRedundantBackup") && !pg.contains("highAvailability") && !pg.contains("autoGrow"));
    assert!(!t
        .read("out/infra/modules/container-apps-environment.bicep")
        .contains("zoneRedundant"));

    // prod on Burstable, a server kept without geo-backup, no VNet: each named.
    let kept = ACA.replace(
        "  stage: dev\n",
        "  stage: prod\n  private_endpoints: false\n  postgres:\n    geo_redundant_backup: false\n",
    )
    .replace("  provider: azure-managed\n", "  provider: azure-managed\n  public_network_access: true\n")
        + "accept:\n  key-vault-public-network-access: public in this test only\n  postgres-azure-services-firewall: public in this test only\n  redis-public-network-access: public in this test only\n";
    let t = Test::new().write("demo.yaml", &kept);
    let run = t.run(&["validate", "demo.yaml"]);
    for named in [
        "PostgreSQL high availability (`azure.postgres.high_availability`)",
        "PostgreSQL geo-redundant backup (`azure.postgres.geo_redundant_backup`)",
        "the Container Apps environment's zone redundancy (`azure.zone_redundant`)",
    ] {
        assert!(run.stdout.contains(named), "{named}:\n{}", run.stdout);
    }
    assert_eq!(t.run(&["render", "demo.yaml", "-o", "out"]).code, 0);
    assert!(!t
        .read("out/infra/modules/postgres.bicep")
        .contains("geoRedundantBackup"));

    // Impossible choices are refused.
    let bad = ACA.replace(
        "  stage: dev\n",
        "  stage: prod\n  private_endpoints: false\n  zone_redundant: true\n  postgres:\n    high_availability: true\n",
    );
    let run = Test::new().write("demo.yaml", &bad).run(&["validate", "demo.yaml"]);
    assert_eq!(run.code, 1, "{}", run.stdout);
    assert!(
        run.stdout.contains("the Burstable tier has no high availability"),
        "{}",
        run.stdout
    );
    assert!(
        run.stdout.contains("needs a VNet with an infrastructure subnet"),
        "{}",
        run.stdout
    );
}
