//! `azure-app-service` (S3, seed 002): one Bicep file with the App Service
//! plan and web app, Key Vault, PostgreSQL and Redis when on; app settings
//! read secrets through Key Vault references.

use super::*;
use crate::plan::bicep::BicepPart;
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
    pub role_definition_id: &'static str,
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
    AppServiceModel {
        location: azure.location.clone(),
        parameters_path: format!("{dir}parameters.{stage}.json"),
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
        sku: app_service.sku.unwrap_or_else(|| "B1".into()),
        runtime: app_service
            .runtime
            .unwrap_or_else(|| crate::resolve::framework::app_service_runtime(d).into()),
        https_only: true,
        minimum_tls_version: "1.2",
        ftps_state: "Disabled",
        startup_command: service.and_then(|s| s.command.as_ref()).map(|c| {
            let line = Command::shell_line;
            // App Service has no release hook: the startup shell runs the
            // pre-deploy command first and starts the app only if it succeeds.
            match service.and_then(|s| s.pre_deploy.as_ref()) {
                // Plain words stay readable; anything else (a list, a `#`
                // comment, a line break, quotes) is one `sh -c` word, so it
                // cannot swallow or reshape the app's start after `&&`.
                Some(pre) => match line(pre) {
                    pre if pre.split(' ').all(|w| shell_join(&[w.to_string()]) == w) => {
                        format!("{pre} && {}", line(c))
                    }
                    pre => format!("sh -c {} && {}", shell_join(&[pre]), line(c)),
                },
                None => line(c),
            }
        }),
        postgres: postgres_model(d, true),
        key_vault: key_vault_model(d, true, true),
        secure_params: params,
        redis,
        secrets,
        settings,
        role_definition_id: KEY_VAULT_SECRETS_USER_ROLE,
    }
}

pub fn files(d: &Descriptor, plan: &Plan) -> Vec<FilePlan> {
    let m = model(d, plan);
    vec![
        FilePlan {
            path: m.bicep_path.clone(),
            template: "azure/app-service/main.bicep.j2".into(),
            model: FileModel::AppService(Box::new(m.clone())),
        },
        FilePlan {
            path: m.parameters_path.clone(),
            template: "azure/app-service/parameters.json.j2".into(),
            model: FileModel::AppService(Box::new(m)),
        },
    ]
}
