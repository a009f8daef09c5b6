//! The Azure platforms: names, Redis (Azure Cache for Redis or Azure Managed
//! Redis), PostgreSQL flexible server, Key Vault, and which secrets exist.

pub mod app_service;
pub mod container_apps;

use crate::model::*;
use crate::plan::bicep::{camel, kebab, BicepValue, Symbols};
use crate::plan::wiring::{REDIS_ACCESS_KEY_SECRET, REDIS_HOST_ATTRIBUTE};
use crate::plan::{EnvValue, Part, Plan, ServiceKind};
use crate::resolve::resource_base;
use crate::rules::{self, Rule};
use serde::Serialize;

/// Built-in role ids. Source: Microsoft Learn, "Azure built-in roles"
/// (learn.microsoft.com/azure/role-based-access-control/built-in-roles), the
/// Security and Containers sections; checked against the catalogue vendored in
/// `shared/schemas-external/azure-built-in-roles.json` by `tests/cli/role_ids.rs`.
/// Key Vault Secrets User: read secret contents (Key Vault references).
pub const KEY_VAULT_SECRETS_USER_ROLE: &str = "4633458b-17de-408a-b874-0445c86b69e6";
/// AcrPull: pull artifacts from a container registry.
pub const ACR_PULL_ROLE: &str = "7f951dda-4ed3-4680-a7ca-43fe172d538d";

/// The Bicep parameter holding the suffix of global names; its default,
/// `take(uniqueString(resourceGroup().id), 6)`, is stable for one resource
/// group and differs between resource groups (and tenants).
pub const NAME_SUFFIX_PARAM: &str = "nameSuffix";
pub const NAME_SUFFIX_LEN: usize = 6;
/// How `plan`, `diff` and the notes show the suffix Bicep computes.
pub const NAME_SUFFIX_SHOWN: &str = "<suffix>";

/// The name of a resource whose name is global (a DNS name): the explicit
/// one, or `<prefix>-<suffix>` with the prefix cut so the whole fits `max`.
#[derive(Debug, Clone, Serialize)]
pub struct GlobalName {
    pub bicep: BicepValue,
    pub shown: String,
}

pub fn global_name(prefix: &str, max: usize, explicit: Option<&String>) -> GlobalName {
    if let Some(name) = explicit {
        return GlobalName {
            bicep: crate::plan::bicep::text(name),
            shown: name.clone(),
        };
    }
    let cut: String = prefix.chars().take(max - NAME_SUFFIX_LEN - 1).collect();
    let cut = format!("{}-", cut.trim_end_matches('-'));
    GlobalName {
        bicep: vec![
            crate::plan::bicep::BicepPart::Text(cut.clone()),
            crate::plan::bicep::BicepPart::Expr(NAME_SUFFIX_PARAM.into()),
        ],
        shown: format!("{cut}{NAME_SUFFIX_SHOWN}"),
    }
}

fn names(d: &Descriptor) -> AzureNames {
    d.azure.as_ref().and_then(|a| a.names.clone()).unwrap_or_default()
}

/// Key Vault names: 3-24 characters.
pub fn key_vault_name(d: &Descriptor) -> GlobalName {
    global_name(&crate::resolve::key_vault_base(d), 24, names(d).key_vault.as_ref())
}

/// App Service web app names: 2-60 characters.
pub fn web_app_name(d: &Descriptor) -> GlobalName {
    global_name(&crate::resolve::web_app_base(d), 60, names(d).web_app.as_ref())
}

/// A Checkov check the generated file suppresses, because the descriptor
/// accepted the finding with this reason.
#[derive(Debug, Clone, Serialize)]
pub struct Suppression {
    pub check: &'static str,
    pub reason: String,
}

fn suppressions(d: &Descriptor, rule: &Rule, checks: &[&'static str]) -> Vec<Suppression> {
    match d.accept.get(rule.id) {
        Some(reason) => checks
            .iter()
            .map(|check| Suppression {
                check,
                reason: format!("accepted as `{rule}`: {reason}"),
            })
            .collect(),
        None => vec![],
    }
}

#[derive(Debug, Clone, Serialize)]
pub struct RedisModel {
    /// Azure Managed Redis (`redisEnterprise`) rather than Azure Cache for Redis.
    pub managed: bool,
    /// Name without the unique suffix, for names derived from it (`pe-<name>`).
    pub name: String,
    pub resource_name: GlobalName,
    pub sku_name: String,
    pub sku_family: &'static str,
    pub capacity: u8,
    pub port: u16,
    pub public_network_access: bool,
    /// TLS only: the non-TLS port stays closed, and old TLS versions too.
    pub non_ssl_port: bool,
    pub minimum_tls_version: &'static str,
    /// Azure Managed Redis: fixed at creation; `NoCluster` when a broker
    /// uses the cache (multi-key BRPOP across hash slots fails with CROSSSLOT).
    /// Access keys on (the URLs carry one).
    pub clustering_policy: &'static str,
    pub access_keys_authentication: &'static str,
    /// Azure Cache for Redis spelling (`allkeys-lru`).
    pub maxmemory_policy: Option<String>,
    /// Azure Managed Redis spelling (`AllKeysLRU`).
    pub eviction_policy: String,
    pub private_endpoint_group: &'static str,
    pub private_dns_zone: &'static str,
    /// Azure Managed Redis carrying a job queue: AOF persistence, every
    /// second, so queued jobs survive a node loss (Microsoft Learn,
    /// "Configure data persistence for Azure Managed Redis"; property names
    /// and values from the redisEnterprise/databases@2025-07-01 type data:
    /// `aofEnabled`, `aofFrequency` in `'1s' | 'always'`): the frequency, or
    /// `None` for no persistence.
    pub aof_frequency: Option<&'static str>,
    pub suppressions: Vec<Suppression>,
}

#[derive(Debug, Clone, Serialize)]
pub struct PostgresModel {
    pub name: String,
    pub resource_name: GlobalName,
    pub version: String,
    pub sku: String,
    pub tier: String,
    pub storage_gb: u32,
    pub database: String,
    pub admin_user: String,
    pub password_param: String,
    pub public_network_access: bool,
    /// The 0.0.0.0 rule: Azure services (not the internet) may connect, the
    /// way in for apps that reach the server over its public endpoint.
    pub allow_azure_services: bool,
    /// Why the descriptor accepts that rule (lint `postgres-azure-services-firewall`).
    pub accepted: Option<String>,
    /// Settings of a production data tier (`highAvailability.mode:
    /// ZoneRedundant`, `backup.geoRedundantBackup: Enabled`, `storage.autoGrow:
    /// Enabled`; names and values from the flexibleServers@2024-08-01 type
    /// data). Geo-redundant backup can only be chosen at creation (Azure
    /// Policy: "Configuring geo-redundant storage for backup is only allowed
    /// during server create"); HA is set here at creation too, before the
    /// server holds data.
    pub high_availability: bool,
    pub geo_redundant_backup: bool,
    pub auto_grow: bool,
}

#[derive(Debug, Clone, Serialize)]
pub struct KeyVaultModel {
    pub name: String,
    pub resource_name: GlobalName,
    pub public_network_access: bool,
    /// Deleted secrets stay recoverable; nobody can purge them early.
    pub soft_delete_days: u32,
    /// Off means the property is left out: Azure refuses `false` (turning it
    /// on is irreversible, and the API takes only `true`).
    pub purge_protection: bool,
    /// What the firewall does with traffic no rule names (trusted Azure services pass).
    pub network_default_action: &'static str,
    pub suppressions: Vec<Suppression>,
}

/// A `@secure()` parameter of the deployment, for a secret the operator supplies.
#[derive(Debug, Clone, Serialize)]
pub struct SecureParam {
    pub name: String,
    pub secret: String,
    pub description: String,
}

/// A secret as stored in Key Vault (and offered to the apps).
#[derive(Debug, Clone, Serialize)]
pub struct SecretValue {
    pub name: String,
    pub value: BicepValue,
    /// Where the value comes from, for the comment above it.
    pub about: String,
}

/// How one app receives one env var: a value, or a reference to a secret.
#[derive(Debug, Clone, Serialize)]
pub struct AppEnv {
    pub name: String,
    pub value: Option<BicepValue>,
    pub secret: Option<String>,
}

pub fn redis_model(d: &Descriptor) -> Option<RedisModel> {
    let cache = &d.cache;
    let provider = cache.provider_on(d.platform)?;
    if cache.kind != CacheKind::Redis {
        return None;
    }
    let public = cache.public_network_access.unwrap_or(false);
    let policy = crate::resolve::maxmemory_policy(d, None);
    let managed = provider == CacheProvider::AzureManaged;
    let name = crate::resolve::azure_redis_base(d, managed);
    let resource_name = global_name(&name, if managed { 60 } else { 63 }, names(d).redis.as_ref());
    let queue = d.broker.transport() == Some(Transport::Redis);
    let clustering = d
        .azure
        .as_ref()
        .and_then(|a| a.redis_clustering_policy)
        .unwrap_or(if queue {
            ClusteringPolicy::NoCluster
        } else {
            ClusteringPolicy::EnterpriseCluster
        });
    let sku = cache
        .sku
        .clone()
        .unwrap_or_else(|| if managed { "Balanced_B0" } else { "Basic" }.into());
    let suppressions = if public {
        suppressions(d, rules::REDIS_PUBLIC_NETWORK_ACCESS, &["CKV_AZURE_89"])
    } else {
        vec![]
    };
    Some(RedisModel {
        managed,
        name,
        resource_name,
        sku_family: if sku == "Premium" { "P" } else { "C" },
        capacity: cache.capacity.unwrap_or(if sku == "Premium" { 1 } else { 0 }),
        sku_name: sku,
        port: if managed {
            crate::plan::wiring::AZURE_MANAGED_REDIS_PORT
        } else {
            crate::plan::wiring::AZURE_CACHE_TLS_PORT
        },
        public_network_access: public,
        non_ssl_port: false,
        minimum_tls_version: "1.2",
        clustering_policy: match clustering {
            ClusteringPolicy::NoCluster => "NoCluster",
            ClusteringPolicy::EnterpriseCluster => "EnterpriseCluster",
            ClusteringPolicy::OssCluster => "OSSCluster",
        },
        access_keys_authentication: "Enabled",
        eviction_policy: managed_eviction(policy.as_deref()),
        maxmemory_policy: policy,
        private_endpoint_group: if managed { "redisEnterprise" } else { "redisCache" },
        private_dns_zone: if managed {
            "privatelink.redis.azure.net"
        } else {
            "privatelink.redis.cache.windows.net"
        },
        // Every second: a node loss costs at most a second of jobs.
        aof_frequency: (managed && queue).then_some("1s"),
        suppressions,
    })
}

/// `allkeys-lru` -> `AllKeysLRU`, Azure Managed Redis's spelling.
fn managed_eviction(policy: Option<&str>) -> String {
    match policy.unwrap_or("volatile-lru") {
        "noeviction" => "NoEviction",
        "allkeys-lru" => "AllKeysLRU",
        "allkeys-lfu" => "AllKeysLFU",
        "allkeys-random" => "AllKeysRandom",
        "volatile-lfu" => "VolatileLFU",
        "volatile-random" => "VolatileRandom",
        "volatile-ttl" => "VolatileTTL",
        _ => "VolatileLRU",
    }
    .to_string()
}

pub fn postgres_model(d: &Descriptor, public: bool) -> Option<PostgresModel> {
    let pg = d.postgres.as_ref()?;
    let size = d.azure.as_ref().and_then(|a| a.postgres.clone()).unwrap_or_default();
    let name = crate::resolve::postgres_server_base(d);
    Some(PostgresModel {
        resource_name: global_name(&name, 63, names(d).postgres.as_ref()),
        name,
        version: crate::resolve::postgres_version(pg),
        sku: size.sku.unwrap_or_else(|| "Standard_B1ms".into()),
        tier: size.tier.unwrap_or_else(|| "Burstable".into()),
        storage_gb: size.storage_gb.unwrap_or(32),
        database: pg.database.clone(),
        admin_user: pg.user.clone(),
        password_param: camel(&crate::plan::wiring::postgres_password_secret(pg)),
        public_network_access: public,
        allow_azure_services: public,
        accepted: d
            .accept
            .get(rules::POSTGRES_AZURE_SERVICES_FIREWALL.id)
            .filter(|_| public)
            .map(|reason| format!("accepted as `{}`: {reason}", rules::POSTGRES_AZURE_SERVICES_FIREWALL)),
        high_availability: size.high_availability.unwrap_or(false),
        geo_redundant_backup: size.geo_redundant_backup.unwrap_or(false),
        auto_grow: false,
    })
}

/// Stage `prod` (or `production`).
pub fn is_prod(d: &Descriptor) -> bool {
    matches!(stage(d).as_str(), "prod" | "production")
}

/// The creation-only settings of a production data tier, as Container Apps
/// defaults them: on for `prod` unless the descriptor says otherwise (HA not
/// on Burstable, which has none; zone redundancy only with the VNet).
pub struct CreationOnly {
    pub high_availability: bool,
    pub geo_redundant_backup: bool,
    pub zone_redundant: bool,
}

pub fn creation_only(d: &Descriptor) -> CreationOnly {
    let prod = is_prod(d);
    let azure = d.azure.as_ref();
    let size = azure.and_then(|a| a.postgres.clone()).unwrap_or_default();
    let burstable = size.tier.as_deref().unwrap_or("Burstable") == "Burstable";
    let private = azure.and_then(|a| a.private_endpoints).unwrap_or(true);
    CreationOnly {
        high_availability: size.high_availability.unwrap_or(prod && !burstable),
        geo_redundant_backup: size.geo_redundant_backup.unwrap_or(prod),
        zone_redundant: azure.and_then(|a| a.zone_redundant).unwrap_or(prod && private),
    }
}

/// `public`: reachable over the internet at all; `open_firewall`: the firewall
/// lets everyone through (App Service without VNet integration needs both).
pub fn key_vault_model(d: &Descriptor, public: bool, open_firewall: bool) -> KeyVaultModel {
    let purge_protection = purge_protection(d);
    let mut suppressions = if public {
        suppressions(
            d,
            rules::KEY_VAULT_PUBLIC_NETWORK_ACCESS,
            &["CKV_AZURE_109", "CKV_AZURE_189"],
        )
    } else {
        vec![]
    };
    if !purge_protection {
        let reason = format!(
            "purge protection off on stage `{}` so that a teardown can be redeployed (azure.purge_protection)",
            stage(d)
        );
        for check in ["CKV_AZURE_42", "CKV_AZURE_110"] {
            suppressions.push(Suppression {
                check,
                reason: reason.clone(),
            });
        }
    }
    KeyVaultModel {
        name: crate::resolve::key_vault_base(d),
        resource_name: key_vault_name(d),
        public_network_access: public,
        soft_delete_days: 90,
        purge_protection,
        network_default_action: if open_firewall { "Allow" } else { "Deny" },
        suppressions,
    }
}

pub fn stage(d: &Descriptor) -> String {
    d.azure
        .as_ref()
        .and_then(|a| a.stage.clone())
        .unwrap_or_else(|| "main".into())
}

/// On in production, where losing the vault is worse than a blocked name;
/// off elsewhere, so that a torn-down environment can be deployed again
/// (after `az keyvault purge`) instead of waiting 90 days for the name.
pub fn purge_protection(d: &Descriptor) -> bool {
    d.azure
        .as_ref()
        .and_then(|a| a.purge_protection)
        .unwrap_or_else(|| is_prod(d))
}

/// One secure parameter per secret the operator supplies (declared ones and
/// the database password); the Redis access key is read from Redis instead.
pub fn secure_params(plan: &Plan) -> Vec<SecureParam> {
    plan.secrets
        .iter()
        .filter(|s| s.id != REDIS_ACCESS_KEY_SECRET && !s.derived)
        .map(|s| SecureParam {
            name: camel(&s.id),
            secret: s.id.clone(),
            description: if s.description.is_empty() {
                format!("Secret `{}`.", s.id)
            } else {
                format!("{} (secret `{}`).", s.description.trim_end_matches('.'), s.id)
            },
        })
        .collect()
}

/// Env delivery for every application service, and the secrets that delivery
/// needs: a declared secret keeps its id; a value built from secrets (a URL
/// carrying the access key) becomes a secret named after its variable.
pub struct Delivery {
    pub apps: Vec<(String, Vec<AppEnv>)>,
    /// Secret name -> its value as an env value, in first-use order.
    pub secrets: Vec<(String, EnvValue)>,
}

pub fn delivery(plan: &Plan, symbols: &Symbols) -> Delivery {
    let mut secrets: Vec<(String, EnvValue)> = Vec::new();
    let mut apps = Vec::new();
    for service in plan.services.iter().filter(|s| s.kind == ServiceKind::Application) {
        let mut env = Vec::new();
        for var in &service.env {
            let entry = match &var.value {
                EnvValue::Secret { secret } => {
                    if !secrets.iter().any(|(n, _)| n == secret) {
                        secrets.push((secret.clone(), var.value.clone()));
                    }
                    AppEnv {
                        name: var.name.clone(),
                        value: None,
                        secret: Some(secret.clone()),
                    }
                }
                value if !value.secrets().is_empty() => {
                    let name = kebab(&var.name);
                    if !secrets.iter().any(|(n, _)| *n == name) {
                        secrets.push((name.clone(), value.clone()));
                    }
                    AppEnv {
                        name: var.name.clone(),
                        value: None,
                        secret: Some(name),
                    }
                }
                value => AppEnv {
                    name: var.name.clone(),
                    value: Some(symbols.value(value)),
                    secret: None,
                },
            };
            env.push(entry);
        }
        apps.push((service.name.clone(), env));
    }
    Delivery { apps, secrets }
}

/// Secrets derived from other secrets (the URLs carrying the Redis access key)
/// and the access key itself, added to the Plan's list so that diffs and
/// `.env` examples know them.
pub fn derived_secrets(plan: &Plan) -> Vec<crate::plan::SecretPlan> {
    let symbols = Symbols::default();
    let delivery = delivery(plan, &symbols);
    let mut out = Vec::new();
    let uses_access_key = plan.services.iter().any(|s| {
        s.env
            .iter()
            .any(|e| e.value.secrets().contains(&REDIS_ACCESS_KEY_SECRET))
    });
    if uses_access_key {
        out.push(derived(
            REDIS_ACCESS_KEY_SECRET,
            "Redis access key, read from the cache at deployment",
        ));
    }
    for (name, value) in &delivery.secrets {
        if matches!(value, EnvValue::Template { .. }) {
            let about = if value
                .parts()
                .iter()
                .any(|p| matches!(p, Part::Resource { attribute } if attribute == REDIS_HOST_ATTRIBUTE))
            {
                "Redis URL with the access key, built at deployment"
            } else {
                "built at deployment from other secrets"
            };
            out.push(derived(name, about));
        }
    }
    out
}

fn derived(id: &str, description: &str) -> crate::plan::SecretPlan {
    crate::plan::SecretPlan {
        id: id.to_string(),
        env_name: secret_env_name(id),
        description: description.to_string(),
        // Placed by the Azure projection (Key Vault or the deployment only).
        stored_in: crate::plan::SecretStore::DeploymentOnly,
        used_by: vec![],
        derived: true,
    }
}

/// Descriptor for the developers' local compose file: the same services, the
/// cache as a container instead of an Azure resource.
pub fn local_descriptor(d: &Descriptor) -> Descriptor {
    let mut local = d.clone();
    local.azure = None;
    if matches!(local.cache.kind, CacheKind::Redis | CacheKind::Memcached) {
        local.cache.provider = Some(CacheProvider::Container);
    }
    local.cache.sku = None;
    local.cache.capacity = None;
    local.cache.public_network_access = None;
    local.cache.url_query = None;
    for service in local.services.values_mut() {
        service.ingress = None;
        service.cpu = None;
        service.memory = None;
        service.replicas = None;
    }
    local
}

/// Where the apps run on Azure: what differs between the two Azure targets'
/// resources.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Host {
    ContainerApps,
    AppService,
}

/// The Azure resources the environment creates, by ARM type and name.
pub fn resources(d: &Descriptor, plan: &Plan, host: Host) -> Vec<crate::plan::Resource> {
    let base = resource_base(d);
    let mut out = Vec::new();
    use crate::plan::{Resource as R, ResourceKind as K};
    let mut add = |r: R| out.push(r);
    let private = d.azure.as_ref().and_then(|a| a.private_endpoints).unwrap_or(true);
    if let Some(r) = redis_model(d) {
        if r.managed {
            add(R::sized(
                K::AzureManagedRedis,
                r.resource_name.shown.clone(),
                r.sku_name.clone(),
            ));
        } else {
            add(R::sized(
                K::AzureCacheForRedis,
                r.resource_name.shown.clone(),
                format!("{} {}{}", r.sku_name, r.sku_family, r.capacity),
            ));
        }
        if private {
            add(R::new(
                K::PrivateEndpoint,
                format!("pe-{}", r.name),
                r.private_endpoint_group,
            ));
            add(R::new(K::PrivateDnsZone, r.private_dns_zone, String::new()));
        }
    }
    if let Some(p) = postgres_model(d, !private) {
        add(R::sized(
            K::PostgresFlexibleServer,
            p.resource_name.shown.clone(),
            format!("{} {}", p.tier, p.sku),
        ));
        if private {
            add(R::new(K::PrivateEndpoint, format!("pe-{}", p.name), "postgresqlServer"));
            add(R::new(
                K::PrivateDnsZone,
                "privatelink.postgres.database.azure.com",
                String::new(),
            ));
        }
    }
    add(R::new(K::KeyVault, key_vault_name(d).shown, "standard"));
    let _ = plan;
    match host {
        Host::ContainerApps => {
            if private {
                add(R::new(K::PrivateEndpoint, format!("pe-kv-{base}"), "vault"));
                add(R::new(
                    K::PrivateDnsZone,
                    "privatelink.vaultcore.azure.net",
                    String::new(),
                ));
                add(R::new(K::VirtualNetwork, format!("vnet-{base}"), String::new()));
            }
            add(R::new(K::UserAssignedIdentity, format!("id-{base}"), String::new()));
            add(R::new(K::LogAnalyticsWorkspace, format!("log-{base}"), "PerGB2018"));
            add(R::new(
                K::ContainerAppsEnvironment,
                format!("cae-{base}"),
                "Consumption",
            ));
            for name in d.services.keys() {
                add(R::new(K::ContainerApp, format!("{base}-{name}"), String::new()).with_sku("Consumption"));
            }
        }
        Host::AppService => {
            let sku = d
                .azure
                .as_ref()
                .and_then(|a| a.app_service.as_ref())
                .and_then(|a| a.sku.clone())
                .unwrap_or_else(|| "B1".into());
            if private {
                add(R::new(K::PrivateEndpoint, format!("pe-kv-{base}"), "vault"));
                add(R::new(
                    K::PrivateDnsZone,
                    "privatelink.vaultcore.azure.net",
                    String::new(),
                ));
                add(R::new(K::VirtualNetwork, format!("vnet-{base}"), String::new()));
            }
            add(R::new(K::UserAssignedIdentity, format!("id-{base}"), String::new()));
            add(R::sized(K::AppServicePlan, format!("asp-{base}"), sku));
            add(R::new(K::WebApp, web_app_name(d).shown, String::new()));
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn global_names_fit_their_limit_with_the_suffix_and_never_end_a_cut_on_a_dash() {
        for prefix in [
            "kv-demo",
            "kv-magictoolbox-dev",
            "kv-aaaaaaaaaaaaa-bbbb",
            "kv-aaaaaaaaaaaaaa-",
        ] {
            let name = global_name(prefix, 24, None);
            let crate::plan::bicep::BicepPart::Text(text) = &name.bicep[0] else {
                panic!("{name:?}")
            };
            assert!(text.len() + NAME_SUFFIX_LEN <= 24, "{text}");
            assert!(text.ends_with('-') && !text.ends_with("--"), "{text}");
            assert!(prefix.starts_with(text.trim_end_matches('-')), "{text}");
        }
        let explicit = global_name("kv-demo", 24, Some(&"kv-mine".to_string()));
        assert_eq!(explicit.shown, "kv-mine");
        assert_eq!(explicit.bicep, crate::plan::bicep::text("kv-mine"));
    }
}
