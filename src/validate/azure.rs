//! Semantic rules for the Azure platforms: what Azure accepts, and settings
//! that only mean something on one platform.

use super::semantic::{hosted_cache_provider, provider_name, Checker};
use crate::load::node::escape_pointer;
use crate::model::*;
use crate::rules;
use crate::target::{self, owners, Field};

const CLASSIC_SKUS: &[&str] = &["Basic", "Standard", "Premium"];

/// Kept at its old path for callers not yet moved to [`crate::resolve`].
use crate::resolve::resource_base;

/// What both Azure targets check ([`crate::target::Target::check`]).
pub fn check(d: &Descriptor, c: &mut Checker) {
    // Global names (Key Vault, Redis, PostgreSQL, web app) are cut to fit
    // before the unique suffix; container app names are used as they are.
    let base = resource_base(d);
    if base.contains("--") {
        c.error(
            rules::AZURE_NAME,
            if d.azure.as_ref().is_some_and(|a| a.resource_name.is_some()) {
                "/azure/resource_name"
            } else {
                "/name"
            }
            .into(),
            format!(
                "`{base}` has `--`, which Key Vault, Redis and container app names refuse; set `azure.resource_name`"
            ),
        );
    }
    check_cache(d, c);
    check_cache_reachable(d, c);
    check_registries(d, c);
    check_clustering(d, c);
    check_postgres_admin(d, c);
    check_creation_only(d, c);
}

/// Zone redundancy is a Container Apps environment setting that needs its
/// VNet; high availability does not exist on the Burstable tier.
fn check_creation_only(d: &Descriptor, c: &mut Checker) {
    let Some(azure) = &d.azure else { return };
    if let Some(zone) = azure.zone_redundant {
        if d.platform != Platform::AzureContainerApps {
            c.error_at_key(
                rules::PLATFORM_FIELD,
                "/azure/zone_redundant".into(),
                "`zone_redundant` only applies to azure-container-apps (the environment's zone redundancy)".into(),
            );
        } else if zone && azure.private_endpoints == Some(false) {
            c.error(
                rules::CONTRADICTION,
                "/azure/zone_redundant".into(),
                "a zone-redundant Container Apps environment needs a VNet with an infrastructure subnet, which `private_endpoints: false` leaves out".into(),
            );
        }
    }
    let size = azure.postgres.clone().unwrap_or_default();
    if size.high_availability == Some(true) && size.tier.as_deref().unwrap_or("Burstable") == "Burstable" {
        c.error(
            rules::CONTRADICTION,
            "/azure/postgres/high_availability".into(),
            "the Burstable tier has no high availability: set `azure.postgres.tier` to `GeneralPurpose` or `MemoryOptimized`".into(),
        );
    }
}

/// Container Apps: app, environment and secret names, probes.
pub fn check_container_apps(d: &Descriptor, c: &mut Checker) {
    let base = resource_base(d);
    check_derived_names(d, &base, c);
    for (name, service) in &d.services {
        let app = format!("{base}-{name}");
        if app.len() > 32 {
            c.error_at_key(
                rules::AZURE_NAME,
                format!("/services/{}", escape_pointer(name)),
                format!("container app name `{app}` is longer than Azure's 32 characters; shorten the service name or `azure.resource_name`"),
            );
        } else if !container_app_name_ok(&app) {
            c.error_at_key(
                rules::AZURE_NAME,
                format!("/services/{}", escape_pointer(name)),
                format!("container app name `{app}` is not valid: lower-case letters, digits and single dashes only (no `_`)"),
            );
        }
        check_probe(name, service, c);
    }
}

/// App Service runs one web app, nothing beside it.
pub fn check_app_service(d: &Descriptor, c: &mut Checker) {
    let web: Vec<&String> = d
        .services
        .iter()
        .filter(|(_, s)| s.role() == Role::Web)
        .map(|(n, _)| n)
        .collect();
    if d.services.len() != 1 || web.len() != 1 {
        c.error(
            rules::APP_SERVICE_SHAPE,
            "/services".into(),
            "`azure-app-service` runs exactly one `web` service; run workers on `azure-container-apps`".into(),
        );
    }
    if d.broker.kind != BrokerKind::None {
        c.error(
            rules::APP_SERVICE_SHAPE,
            "/broker/kind".into(),
            "`azure-app-service` has no worker to consume a broker; use `azure-container-apps`".into(),
        );
    }
    // `identity.bicep` is step 1 of a first deployment, written beside the main file.
    if let Some(file) = d.azure.as_ref().and_then(|a| a.bicep_file.as_deref()) {
        if file.rsplit('/').next() == Some(crate::target::project::azure::app_service::IDENTITY_FILE) {
            c.error(
                rules::CONTRADICTION,
                "/azure/bicep_file".into(),
                format!("`{file}` is the name of the file deploygen writes beside the main Bicep file for the first deployment step (the identity and its Key Vault grant); name the main file otherwise"),
            );
        }
    }
    if !d.infrastructure.is_empty() {
        c.error_at_key(
            rules::APP_SERVICE_SHAPE,
            "/infrastructure".into(),
            "`azure-app-service` deploys no infrastructure containers".into(),
        );
    }
    // Linux App Service's built-in stacks are Python, Node, .NET, Java and
    // PHP: a Ruby app given the default stack would start on Python.
    // `runtime` takes only built-in stacks (`LANG|version`), so no setting helps.
    if let Some((name, s)) = d.services.iter().find(|(_, s)| s.role() == Role::Web) {
        if crate::resolve::service_framework(d, s).language() == Language::Ruby {
            let pointer = match s.framework {
                Some(_) => format!("/services/{}/framework", crate::load::node::escape_pointer(name)),
                None => "/framework".into(),
            };
            c.error(
                rules::APP_SERVICE_SHAPE,
                pointer,
                format!("Linux App Service has no built-in Ruby stack (its last, Ruby 2.7, is retired), so `{name}` would start on Python: deploy a Rails app on `azure-container-apps` or `render`"),
            );
        }
    }
}

/// The flexible server refuses these administrator logins at creation.
const RESERVED_ADMIN_LOGINS: &[&str] = &[
    "azure_superuser",
    "azure_pg_admin",
    "admin",
    "administrator",
    "root",
    "guest",
    "public",
];

fn check_postgres_admin(d: &Descriptor, c: &mut Checker) {
    let Some(pg) = &d.postgres else { return };
    if RESERVED_ADMIN_LOGINS.contains(&pg.user.as_str()) || pg.user.starts_with("pg_") {
        c.error(
            rules::AZURE_POSTGRES_ADMIN,
            "/postgres/user".into(),
            format!(
                "Azure Database for PostgreSQL refuses `{}` as the administrator login (reserved, or starting with `pg_`); pick another user",
                pg.user
            ),
        );
    }
}

/// Names Container Apps builds from the base and the secret ids, beyond the
/// container apps (checked below): the managed environment, its Log Analytics
/// workspace, the VNet and the private endpoints end with a letter or digit,
/// and so do Container Apps secret names (Microsoft Learn, "Naming rules and
/// restrictions for Azure resources"; the Container Apps API's secret-name error).
fn check_derived_names(d: &Descriptor, base: &str, c: &mut Checker) {
    if base.ends_with('-') {
        let explicit = d.azure.as_ref().is_some_and(|a| a.resource_name.is_some());
        c.error(
            rules::AZURE_NAME,
            if explicit { "/azure/resource_name" } else { "/name" }.into(),
            format!(
                "`{base}` ends with `-`, so the Container Apps environment `cae-{base}`, its Log Analytics workspace `log-{base}` and the virtual network `vnet-{base}` would end with a dash, which Azure refuses; set `azure.resource_name`"
            ),
        );
    }
    for id in d.secrets.keys() {
        if !id.ends_with(|c: char| c.is_ascii_alphanumeric()) {
            c.error_at_key(
                rules::AZURE_NAME,
                format!("/secrets/{}", escape_pointer(id)),
                format!(
                    "Container Apps refuses the secret name `{id}`: secret names start and end with a letter or digit"
                ),
            );
        }
    }
}

/// Container app names: lower-case letters, digits and single dashes,
/// starting with a letter and ending with a letter or digit.
fn container_app_name_ok(name: &str) -> bool {
    name.starts_with(|c: char| c.is_ascii_lowercase())
        && name.ends_with(|c: char| c.is_ascii_lowercase() || c.is_ascii_digit())
        && name
            .chars()
            .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-')
        && !name.contains("--")
}

/// Container Apps probes are HTTP (or TCP) on a port: no commands.
fn check_probe(name: &str, service: &Service, c: &mut Checker) {
    let Some(h) = &service.healthcheck else { return };
    let at = format!("/services/{}/healthcheck", escape_pointer(name));
    if h.http.is_none() && h.command.is_some() {
        c.error_at_key(
            rules::PLATFORM_FIELD,
            format!("{at}/command"),
            "Container Apps probes are HTTP requests, not commands; give `http` (a path on the service's port)".into(),
        );
    }
    if h.http.is_some() && service.ports.is_empty() {
        c.error_at_key(
            rules::CONTRADICTION,
            format!("{at}/http"),
            "an HTTP health check needs the port to probe: add `ports`".into(),
        );
    }
}

/// Registry logins: a user name and a declared password secret, together.
fn check_registries(d: &Descriptor, c: &mut Checker) {
    let Some(azure) = &d.azure else { return };
    for (server, r) in &azure.registries {
        let at = format!("/azure/registries/{}", escape_pointer(server));
        if !target::reads(d, Field::Registries) {
            c.error_at_key(
                rules::PLATFORM_FIELD,
                at.clone(),
                format!("`registries` only applies to {}", owners(Field::Registries)),
            );
        }
        match (&r.username, &r.password_secret) {
            (Some(_), None) | (None, Some(_)) => c.error_at_key(
                rules::CONTRADICTION,
                at.clone(),
                "give `username` and `password_secret` together (or neither, to pull with the managed identity)".into(),
            ),
            _ => {}
        }
        if let Some(secret) = &r.password_secret {
            if !d.secrets.contains_key(secret) {
                c.error(
                    rules::UNDECLARED_SECRET,
                    format!("{at}/password_secret"),
                    format!("secret `{secret}` is not declared; declare it under `secrets`"),
                );
            }
        }
        if r.username.is_none() && !server.ends_with(".azurecr.io") {
            c.error_at_key(
                rules::CONTRADICTION,
                at,
                format!("`{server}` is not an Azure Container Registry: the managed identity cannot log in; give `username` and `password_secret`"),
            );
        }
    }
}

/// Azure's Redis with public network access off is reachable through a
/// private endpoint only: without one (`azure.private_endpoints: false`) no
/// app can connect, and a clean render would hide that until the first call.
fn check_cache_reachable(d: &Descriptor, c: &mut Checker) {
    let azure_redis = matches!(
        d.cache.provider_on(d.platform),
        Some(CacheProvider::AzureCache | CacheProvider::AzureManaged)
    );
    let private = d.azure.as_ref().and_then(|a| a.private_endpoints).unwrap_or(true);
    if !azure_redis || d.cache.kind != CacheKind::Redis || private || d.cache.public_network_access == Some(true) {
        return;
    }
    c.error(
        rules::CONTRADICTION,
        "/azure/private_endpoints".into(),
        "without private endpoints the apps reach Redis only over its public endpoint, but `cache.public_network_access` is off: nothing could connect; leave private endpoints on, or set `cache.public_network_access: true` (and accept `redis-public-network-access`)".into(),
    );
}

fn check_clustering(d: &Descriptor, c: &mut Checker) {
    let managed = d.cache.provider_on(d.platform) == Some(CacheProvider::AzureManaged);
    if d.azure.as_ref().is_some_and(|a| a.redis_clustering_policy.is_some()) && !managed {
        c.error_at_key(
            rules::PLATFORM_FIELD,
            "/azure/redis_clustering_policy".into(),
            "only applies to Azure Managed Redis (`cache.provider: azure-managed`)".into(),
        );
    }
}

/// Fields only some platforms read ([`Field`]), and what they hold; run for
/// every platform.
pub(super) fn check_fields(d: &Descriptor, c: &mut Checker) {
    for (name, s) in &d.services {
        for (field, set, owned) in [
            ("ingress", s.ingress.is_some(), Field::Ingress),
            ("cpu", s.cpu.is_some(), Field::Cpu),
            ("memory", s.memory.is_some(), Field::Memory),
            ("replicas", s.replicas.is_some(), Field::Replicas),
        ] {
            if set && !target::reads(d, owned) {
                c.error_at_key(
                    rules::PLATFORM_FIELD,
                    format!("/services/{}/{field}", escape_pointer(name)),
                    format!("`{field}` only applies to {}", owners(owned)),
                );
            }
        }
        if let (Some(min), Some(max)) = (s.replicas.and_then(|r| r.min), s.replicas.and_then(|r| r.max)) {
            if min > max {
                c.error(
                    rules::CONTRADICTION,
                    format!("/services/{}/replicas/min", escape_pointer(name)),
                    format!("`min` ({min}) is above `max` ({max})"),
                );
            }
        }
    }
    if let Some(file) = d.azure.as_ref().and_then(|a| a.bicep_file.as_deref()) {
        if file
            .split('/')
            .any(|part| part == ".." || part == "." || part.is_empty())
        {
            c.error(
                rules::UNSAFE_PATH,
                "/azure/bicep_file".into(),
                format!("`{file}` must stay inside the output folder: no `..`, `.` or empty parts"),
            );
        }
    }
    if let Some(azure) = &d.azure {
        for (field, set, owned) in [
            (
                "private_endpoints",
                azure.private_endpoints.is_some(),
                Field::PrivateEndpoints,
            ),
            (
                "key_vault_references",
                azure.key_vault_references.is_some(),
                Field::KeyVaultReferences,
            ),
            ("bicep_file", azure.bicep_file.is_some(), Field::BicepFile),
            ("app_service", azure.app_service.is_some(), Field::AppService),
        ] {
            if set && !target::reads(d, owned) {
                c.error_at_key(
                    rules::PLATFORM_FIELD,
                    format!("/azure/{field}"),
                    format!("`{field}` only applies to {}", owners(owned)),
                );
            }
        }
    }
    let azure_cache = matches!(
        d.cache.provider_on(d.platform),
        Some(CacheProvider::AzureCache | CacheProvider::AzureManaged)
    );
    for (field, set) in [
        ("sku", d.cache.sku.is_some()),
        ("capacity", d.cache.capacity.is_some()),
        ("public_network_access", d.cache.public_network_access.is_some()),
    ] {
        if set && !azure_cache {
            c.error_at_key(
                rules::PLATFORM_FIELD,
                format!("/cache/{field}"),
                "only applies to Azure Cache for Redis or Azure Managed Redis".into(),
            );
        }
    }
}

fn check_cache(d: &Descriptor, c: &mut Checker) {
    let cache = &d.cache;
    let Some(provider) = hosted_cache_provider(d, c, "Azure") else {
        return;
    };
    for field in ["service", "container_name", "image", "password_secret", "maxmemory"] {
        let set = match field {
            "service" => cache.service.is_some(),
            "container_name" => cache.container_name.is_some(),
            "image" => cache.image.is_some(),
            "password_secret" => cache.password_secret.is_some(),
            _ => cache.maxmemory.is_some(),
        };
        if set {
            c.error_at_key(
                rules::CONTRADICTION,
                format!("/cache/{field}"),
                format!(
                    "`{field}` does not apply to `{}`: Azure runs the cache and holds its access key",
                    provider_name(provider)
                ),
            );
        }
    }
    if cache.port.is_some() {
        c.error_at_key(
            rules::CONTRADICTION,
            "/cache/port".into(),
            "Azure fixes the port (6380 for Azure Cache for Redis, 10000 for Azure Managed Redis)".into(),
        );
    }
    let sku = cache.sku.as_deref();
    match provider {
        CacheProvider::AzureCache => {
            if let Some(s) = sku.filter(|s| !CLASSIC_SKUS.contains(s)) {
                c.error(rules::AZURE_SKU, "/cache/sku".into(), format!("`{s}` is an Azure Managed Redis SKU; Azure Cache for Redis takes `Basic`, `Standard` or `Premium` (or set `provider: azure-managed`)"));
            }
            let premium = sku == Some("Premium");
            if let Some(cap) = cache.capacity {
                if premium && !(1..=5).contains(&cap) {
                    c.error(
                        rules::AZURE_SKU,
                        "/cache/capacity".into(),
                        format!("Premium sizes are P1-P5; `capacity: {cap}` does not exist"),
                    );
                }
            }
        }
        CacheProvider::AzureManaged => {
            if let Some(s) = sku.filter(|s| CLASSIC_SKUS.contains(s)) {
                c.error(rules::AZURE_SKU, "/cache/sku".into(), format!("`{s}` is an Azure Cache for Redis SKU; Azure Managed Redis takes `Balanced_B0`, `Balanced_B1`..."));
            }
            if cache.capacity.is_some() {
                c.error_at_key(
                    rules::AZURE_SKU,
                    "/cache/capacity".into(),
                    "Azure Managed Redis sizes are in the SKU name (`Balanced_B1`); remove `capacity`".into(),
                );
            }
            // One database, and clients cannot SELECT another one.
            if cache.database.is_some_and(|db| db != 0) {
                c.error(
                    rules::AZURE_MANAGED_DATABASE,
                    "/cache/database".into(),
                    "Azure Managed Redis has a single database (0); separate data with key prefixes instead".into(),
                );
            }
            if d.broker.transport() == Some(Transport::Redis) && d.broker.database.is_some_and(|db| db != 0) {
                c.error(
                    rules::AZURE_MANAGED_DATABASE,
                    "/broker/database".into(),
                    "Azure Managed Redis has a single database (0); the broker cannot use another one".into(),
                );
            }
        }
        // Not on Azure: hosted_cache_provider only returns Azure's here.
        CacheProvider::Container
        | CacheProvider::RenderPrivateService
        | CacheProvider::RenderKeyValue
        | CacheProvider::External => {}
    }
}
