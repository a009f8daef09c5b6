//! Settings a resource takes only when it is created. Changing one is never
//! an in-place redeploy: the platform refuses the update (or ignores it), so
//! `diff` reports the resource as replaced and the notes refuse the change as
//! it stands and say how to plan it as a move to a new resource.
//!
//! One entry per setting the descriptor can express: Azure Managed Redis'
//! clustering policy, PostgreSQL geo-redundant backup and the Container Apps
//! environment's zone redundancy. PostgreSQL high availability is not one:
//! Azure turns it on and off on a running server.

use crate::model::Descriptor;
use crate::plan::ResourceKind;
use serde::Serialize;

/// One creation-only setting of one resource, as a side decides it.
#[derive(Debug, Clone)]
pub struct Fixed {
    pub kind: ResourceKind,
    /// The resource's name as the Plan shows it.
    pub name: String,
    /// The setting, as the platform names it.
    pub setting: &'static str,
    pub value: String,
    /// How to get the other value: a new resource beside the old one, in the
    /// descriptor's terms, and what then moves.
    pub way_out: &'static str,
    /// The platform's own word that the setting is fixed, cited.
    pub source: &'static str,
    /// Whether the platform updates `before` to `after` in place after all.
    pub in_place: fn(before: &str, after: &str) -> bool,
}

/// A resource whose creation-only setting differs between the sides.
#[derive(Debug, Clone, Serialize)]
pub struct Replacement {
    pub kind: ResourceKind,
    pub name: String,
    pub setting: String,
    pub before: String,
    pub after: String,
    #[serde(skip)]
    pub way_out: &'static str,
    #[serde(skip)]
    pub source: &'static str,
}

/// The creation-only settings of a descriptor, one function per setting.
const SETTINGS: &[fn(&Descriptor) -> Option<Fixed>] = &[
    managed_redis_clustering,
    postgres_geo_redundant_backup,
    container_apps_zone_redundancy,
];

fn on_off(on: bool) -> String {
    if on { "Enabled" } else { "Disabled" }.into()
}

/// PostgreSQL flexible server: `backup.geoRedundantBackup` (Container Apps
/// decides it per stage). Azure Policy's text for flexible servers:
/// "Configuring geo-redundant storage for backup is only allowed during
/// server create".
fn postgres_geo_redundant_backup(d: &Descriptor) -> Option<Fixed> {
    if d.platform != crate::model::Platform::AzureContainerApps {
        return None;
    }
    let server = crate::target::project::azure::postgres_model(d, false)?;
    Some(Fixed {
        kind: ResourceKind::PostgresFlexibleServer,
        name: server.resource_name.shown,
        setting: "geo-redundant backup",
        value: on_off(crate::target::project::azure::creation_only(d).geo_redundant_backup),
        way_out: "give the server a new name in the same change (`azure.names.postgres`), so the deployment creates a \
                  new server beside the old one, then move the data with `pg_dump`/`pg_restore` while the apps are \
                  stopped, or restore a backup into the new server (`az postgres flexible-server geo-restore` or \
                  `restore`); or keep the old value (`azure.postgres.geo_redundant_backup`)",
        source: "only allowed during server create (Azure Policy, flexible servers' geo-redundant backup)",
        in_place: |_, _| false,
    })
}

/// Container Apps environment: `zoneRedundant`. "To take advantage of
/// availability zones, you must enable zone redundancy when you create a
/// Container Apps environment" (Microsoft's Azure Proactive Resiliency
/// Library, managedEnvironments; Microsoft Learn, "Reliability in Azure
/// Container Apps").
fn container_apps_zone_redundancy(d: &Descriptor) -> Option<Fixed> {
    if d.platform != crate::model::Platform::AzureContainerApps {
        return None;
    }
    let private = d.azure.as_ref().and_then(|a| a.private_endpoints).unwrap_or(true);
    let zone_redundant = crate::target::project::azure::creation_only(d).zone_redundant && private;
    Some(Fixed {
        kind: ResourceKind::ContainerAppsEnvironment,
        name: format!("cae-{}", crate::resolve::resource_base(d)),
        setting: "zone redundancy",
        value: on_off(zone_redundant),
        way_out: "deploy the environment in a new resource group (or under a new `azure.resource_name`), then move \
                  the apps: the environment's name comes from the resource name, and the apps follow it; or keep the \
                  old value (`azure.zone_redundant`)",
        source: "chosen when the environment is created (Microsoft Learn, Reliability in Azure Container Apps)",
        in_place: |_, _| false,
    })
}

/// Azure Managed Redis: `clusteringPolicy` of the database. The resource's
/// reference for the API version the Bicep uses (2025-07-01, Microsoft
/// Learn, `Microsoft.Cache/redisEnterprise/databases` clusteringPolicy): "This
/// property can be updated only if the current value is NoCluster. If the
/// value is OSSCluster or EnterpriseCluster, it cannot be updated without
/// deleting the database."
fn managed_redis_clustering(d: &Descriptor) -> Option<Fixed> {
    let model = crate::target::project::azure::redis_model(d).filter(|m| m.managed)?;
    Some(Fixed {
        kind: ResourceKind::AzureManagedRedis,
        name: model.resource_name.shown,
        setting: "clustering policy",
        value: model.clustering_policy.to_string(),
        way_out: "give the cache a new name in the same change (`azure.names.redis`), so the deployment creates a new \
                  Azure Managed Redis beside the old one; `deploygen diff` then plans the move (the queue drained, the \
                  apps switched, the old cache verified unused and deleted, its contents not copied)",
        source: "Azure updates it in place only from NoCluster; from OSSCluster or EnterpriseCluster, not without \
                 deleting the database",
        in_place: |before, _| before == "NoCluster",
    })
}

/// Every creation-only setting `d` decides.
pub fn fixed(d: &Descriptor) -> Vec<Fixed> {
    SETTINGS.iter().filter_map(|setting| setting(d)).collect()
}

/// The resources both sides have whose creation-only settings differ.
pub fn replacements(before: &Descriptor, after: &Descriptor) -> Vec<Replacement> {
    let old = fixed(before);
    fixed(after)
        .into_iter()
        .filter_map(|new| {
            let was = old
                .iter()
                .find(|o| o.kind == new.kind && o.name == new.name && o.setting == new.setting)?;
            (was.value != new.value && !(new.in_place)(&was.value, &new.value)).then(|| Replacement {
                kind: new.kind,
                name: new.name,
                setting: new.setting.to_string(),
                before: was.value.clone(),
                after: new.value,
                way_out: new.way_out,
                source: new.source,
            })
        })
        .collect()
}
