//! `azure-app-service` (S3, seed 002): one Bicep file with the App Service
//! plan and web app, Key Vault, PostgreSQL and Redis when on; app settings
//! read secrets through Key Vault references. With private endpoints (the
//! default, as on Container Apps) the site joins a VNet through regional VNet
//! integration and reaches Redis, PostgreSQL and Key Vault at private
//! addresses only.

use super::*;
use crate::plan::bicep::{expr, BicepPart};
use crate::plan::wiring::{POSTGRES_HOST_ATTRIBUTE, REDIS_ACCESS_KEY_SECRET, REDIS_HOST_ATTRIBUTE};
use crate::plan::{FileModel, FilePlan};
use crate::render::escape::shell_join;

#[derive(Debug, Clone, Serialize)]
pub struct AppServiceModel {
    pub location: String,
    pub stage: String,
    /// Where the Bicep file and its parameters file are, below the output folder.
    pub bicep_path: String,
    pub parameters_path: String,
    /// Step 1 of a first deployment: the Key Vault, the identity and its
    /// grant, a step ahead of the site that uses the grant (RBAC propagation).
    pub identity_path: String,
    pub plan_name: String,
    pub web_app_name: GlobalName,
    /// User-assigned, so that it holds Key Vault Secrets User before the site
    /// exists and the Key Vault references resolve on the first start.
    pub identity_name: String,
    pub web_sockets: bool,
    pub health_check_path: Option<String>,
    pub name_suffix_param: &'static str,
    pub name_suffix_length: usize,
    pub sku: String,
    pub runtime: String,
    /// HTTPS only, modern TLS, no FTP.
    pub https_only: bool,
    pub minimum_tls_version: &'static str,
    pub ftps_state: &'static str,
    pub startup_command: Option<String>,
    pub secure_params: Vec<SecureParam>,
    pub redis: Option<RedisModel>,
    pub postgres: Option<PostgresModel>,
    pub key_vault: KeyVaultModel,
    pub secrets: Vec<SecretValue>,
    pub settings: Vec<AppSetting>,
    /// `SCM_DO_BUILD_DURING_DEPLOYMENT=true`: a code site (Python, Node)
    /// installs its dependencies when its code is zip-deployed.
    pub build_during_deployment: bool,
    pub role_definition_id: &'static str,
    /// The VNet, its integration subnet and the private endpoints.
    pub private_network: Option<PrivateNetwork>,
    /// Without private endpoints: PostgreSQL's firewall admits the site's
    /// possible outbound addresses, one rule each, instead of the 0.0.0.0 rule.
    pub postgres_firewall: Option<PostgresFirewall>,
}

/// A module beside the main file, fed `split(webApp.properties.
/// possibleOutboundIpAddresses, ',')`: a loop's count must be known when the
/// deployment starts, which a module parameter is and the site's property,
/// in the file that creates the site, is not.
#[derive(Debug, Clone, Serialize)]
pub struct PostgresFirewall {
    /// The module's path relative to the main file (`postgres-firewall.bicep`).
    pub module: &'static str,
}

/// Regional VNet integration and private endpoints for the site's backends.
#[derive(Debug, Clone, Serialize)]
pub struct PrivateNetwork {
    pub vnet_name: String,
    pub address_space: &'static str,
    /// Delegated to `Microsoft.Web/serverFarms`: one address per plan
    /// instance, doubled during a scale operation; Microsoft Learn
    /// ("Integrate your app with an Azure virtual network", subnet
    /// requirements) recommends a /26.
    pub integration_subnet: &'static str,
    pub endpoints_subnet: &'static str,
    /// Basic and Standard plans get VNet integration only on newer App
    /// Service deployments (same page, "Limitations"): said in the Bicep.
    pub older_deployments_caveat: bool,
    pub endpoints: Vec<SiteEndpoint>,
}

/// A private endpoint, its private DNS zone and the zone's link to the VNet.
#[derive(Debug, Clone, Serialize)]
pub struct SiteEndpoint {
    /// Prefix of the Bicep symbols (`redis` -> `redisEndpoint`, `redisZone`).
    pub symbol: &'static str,
    pub name: String,
    /// The target's resource id.
    pub target: BicepValue,
    pub group_id: &'static str,
    pub dns_zone: &'static str,
}

#[derive(Debug, Clone, Serialize)]
pub struct AppSetting {
    pub name: String,
    pub value: BicepValue,
}

/// In one file, secrets and attributes are read from the resources themselves.
fn symbols(params: &[SecureParam], redis: &Option<RedisModel>) -> Symbols {
    let mut symbols = Symbols::default();
    for p in params {
        symbols.secrets.insert(p.secret.clone(), p.name.clone());
    }
    let managed = redis.as_ref().is_some_and(|r| r.managed);
    let (key, host) = if managed {
        (
            "redisDatabase.listKeys().primaryKey",
            "redisCluster.properties.hostName",
        )
    } else {
        ("redisCache.listKeys().primaryKey", "redisCache.properties.hostName")
    };
    symbols.secrets.insert(REDIS_ACCESS_KEY_SECRET.into(), key.into());
    symbols.resources.insert(REDIS_HOST_ATTRIBUTE.into(), host.into());
    symbols.resources.insert(
        POSTGRES_HOST_ATTRIBUTE.into(),
        "postgresServer.properties.fullyQualifiedDomainName".into(),
    );
    symbols
}

/// Step 1 of a first deployment, beside the main Bicep file.
pub const IDENTITY_FILE: &str = "identity.bicep";
/// The per-address PostgreSQL firewall module, beside the main Bicep file.
pub const POSTGRES_FIREWALL_FILE: &str = "postgres-firewall.bicep";

/// Whether the site reaches its backends through a VNet (`azure.private_endpoints`, default on).
pub fn private(d: &Descriptor) -> bool {
    d.azure.as_ref().and_then(|a| a.private_endpoints).unwrap_or(true)
}

/// Plan SKUs on which regional VNet integration depends on the scale unit
/// the plan lands on: Basic and Standard (Microsoft Learn, "Integrate your
/// app with an Azure virtual network", Limitations: "also available in Basic
/// and Standard tier but only from newer App Service deployments"). Premium
/// v2/v3 have it everywhere; Free and Shared never (the schema refuses them).
fn vnet_integration_depends_on_deployment(sku: &str) -> bool {
    sku.starts_with('B') || sku.starts_with('S')
}

fn private_network(
    d: &Descriptor,
    sku: &str,
    redis: &Option<RedisModel>,
    postgres: &Option<PostgresModel>,
    key_vault: &KeyVaultModel,
) -> Option<PrivateNetwork> {
    if !private(d) {
        return None;
    }
    let mut endpoints = Vec::new();
    if let Some(r) = redis {
        endpoints.push(SiteEndpoint {
            symbol: "redis",
            name: format!("pe-{}", r.name),
            target: expr(if r.managed { "redisCluster.id" } else { "redisCache.id" }),
            group_id: r.private_endpoint_group,
            dns_zone: r.private_dns_zone,
        });
    }
    if let Some(p) = postgres {
        endpoints.push(SiteEndpoint {
            symbol: "postgres",
            name: format!("pe-{}", p.name),
            target: expr("postgresServer.id"),
            group_id: "postgresqlServer",
            dns_zone: "privatelink.postgres.database.azure.com",
        });
    }
    endpoints.push(SiteEndpoint {
        symbol: "keyVault",
        name: format!("pe-{}", key_vault.name),
        target: expr("keyVault.id"),
        group_id: "vault",
        dns_zone: "privatelink.vaultcore.azure.net",
    });
    Some(PrivateNetwork {
        vnet_name: format!("vnet-{}", resource_base(d)),
        address_space: "10.42.0.0/16",
        integration_subnet: "10.42.0.0/26",
        endpoints_subnet: "10.42.1.0/24",
        older_deployments_caveat: vnet_integration_depends_on_deployment(sku),
        endpoints,
    })
}

/// The startup line: the pre-deploy command first, the app only if it
/// succeeded. App Service has no release hook, so its startup shell runs both.
fn startup_line(command: &Command, pre_deploy: Option<&Command>) -> String {
    let line = Command::shell_line;
    let Some(pre) = pre_deploy else {
        return line(command);
    };
    // Plain words stay readable; anything else (a list, `;`, `||`, a `#`
    // comment, a line break, quotes) is one `sh -c` word, so neither side
    // can reach past the `&&`: a failed pre-deploy never starts the app.
    let grouped = |text: String| {
        if text.split(' ').all(|w| shell_join(&[w.to_string()]) == w) {
            text
        } else {
            format!("sh -c {}", shell_join(&[text]))
        }
    };
    format!("{} && {}", grouped(line(pre)), grouped(line(command)))
}

pub fn model(d: &Descriptor, plan: &Plan) -> AppServiceModel {
    let azure = d.azure.clone().expect("validated: Azure platforms have `azure`");
    let base = resource_base(d);
    let redis = redis_model(d);
    let params = secure_params(plan);
    let symbols = symbols(&params, &redis);
    let delivery = delivery(plan, &symbols);
    let secrets: Vec<SecretValue> = delivery
        .secrets
        .iter()
        .map(|(name, value)| SecretValue {
            name: name.clone(),
            value: symbols.value(value),
            about: plan
                .secrets
                .iter()
                .find(|s| &s.id == name)
                .map(|s| s.description.clone())
                .unwrap_or_default(),
        })
        .collect();
    let settings = delivery
        .apps
        .first()
        .map(|(_, env)| {
            env.iter()
                .map(|e| AppSetting {
                    name: e.name.clone(),
                    value: match &e.secret {
                        Some(secret) => vec![
                            BicepPart::Text("@Microsoft.KeyVault(SecretUri=".into()),
                            BicepPart::Expr("keyVault.properties.vaultUri".into()),
                            BicepPart::Text(format!("secrets/{secret}/)")),
                        ],
                        None => e.value.clone().unwrap_or_default(),
                    },
                })
                .collect()
        })
        .unwrap_or_default();
    let service = d.services.values().next();
    let stage = stage(d);
    let bicep_path = azure.bicep_file.clone().unwrap_or_else(|| "infra/main.bicep".into());
    let dir = bicep_path
        .rsplit_once('/')
        .map(|(dir, _)| format!("{dir}/"))
        .unwrap_or_default();
    let app_service = azure.app_service.clone().unwrap_or_default();
    let sku = app_service.sku.unwrap_or_else(|| "B1".into());
    let runtime = app_service
        .runtime
        .unwrap_or_else(|| crate::resolve::framework::app_service_runtime(d).into());
    let private = private(d);
    let mut postgres = postgres_model(d, !private);
    // Public PostgreSQL admits the site's own outbound addresses, not every
    // Azure customer's resources (the 0.0.0.0 rule Container Apps writes).
    let postgres_firewall = postgres.as_mut().filter(|_| !private).map(|pg| {
        pg.allow_azure_services = false;
        pg.accepted = None;
        PostgresFirewall {
            module: POSTGRES_FIREWALL_FILE,
        }
    });
    // Without VNet integration the site reads Key Vault references over the
    // vault's public endpoint, from outbound addresses it does not control.
    let key_vault = key_vault_model(d, !private, !private);
    AppServiceModel {
        location: azure.location.clone(),
        parameters_path: format!("{dir}parameters.{stage}.json"),
        identity_path: format!("{dir}{IDENTITY_FILE}"),
        bicep_path,
        stage,
        plan_name: format!("asp-{base}"),
        web_app_name: web_app_name(d),
        identity_name: format!("id-{base}"),
        web_sockets: app_service.web_sockets.unwrap_or(false),
        health_check_path: service
            .and_then(|s| s.healthcheck.as_ref())
            .and_then(|h| h.http.clone()),
        name_suffix_param: NAME_SUFFIX_PARAM,
        name_suffix_length: NAME_SUFFIX_LEN,
        https_only: true,
        minimum_tls_version: "1.2",
        ftps_state: "Disabled",
        startup_command: service
            .and_then(|s| s.command.as_ref())
            .map(|c| startup_line(c, service.and_then(|s| s.pre_deploy.as_ref()))),
        build_during_deployment: code_site(&runtime),
        runtime,
        private_network: private_network(d, &sku, &redis, &postgres, &key_vault),
        postgres_firewall,
        sku,
        postgres,
        key_vault,
        secure_params: params,
        redis,
        secrets,
        settings,
        role_definition_id: KEY_VAULT_SECRETS_USER_ROLE,
    }
}

/// Python and Node sites run the code a zip deploy uploads, and only Oryx's
/// build installs their dependencies: "By default, the deployment engine
/// assumes that a ZIP package is ready to run as-is and doesn't run any build
/// automation. To enable the same build automation as in a Git deployment,
/// set the SCM_DO_BUILD_DURING_DEPLOYMENT app setting" (Microsoft Learn,
/// "Deploy files to App Service", Enable build automation for ZIP deploy).
fn code_site(runtime: &str) -> bool {
    runtime.starts_with("PYTHON|") || runtime.starts_with("NODE|")
}

pub fn files(d: &Descriptor, plan: &Plan) -> Vec<FilePlan> {
    let m = model(d, plan);
    let dir = m.identity_path.trim_end_matches(IDENTITY_FILE).to_string();
    let firewall = m.postgres_firewall.as_ref().map(|f| FilePlan {
        path: format!("{dir}{}", f.module),
        template: "azure/app-service/postgres-firewall.bicep.j2".into(),
        model: FileModel::AppService(Box::new(m.clone())),
    });
    let mut files = vec![
        FilePlan {
            path: m.bicep_path.clone(),
            template: "azure/app-service/main.bicep.j2".into(),
            model: FileModel::AppService(Box::new(m.clone())),
        },
        FilePlan {
            path: m.identity_path.clone(),
            template: "azure/app-service/identity.bicep.j2".into(),
            model: FileModel::AppService(Box::new(m.clone())),
        },
        FilePlan {
            path: m.parameters_path.clone(),
            template: "azure/app-service/parameters.json.j2".into(),
            model: FileModel::AppService(Box::new(m)),
        },
    ];
    files.extend(firewall);
    files
}
