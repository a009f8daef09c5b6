//! Settings a resource takes only when it is created. Changing one is never
//! an in-place redeploy: the platform refuses the update (or ignores it), so
//! `diff` reports the resource as replaced and the notes refuse the change as
//! it stands and say how to plan it as a move to a new resource.
//!
//! One entry per setting the descriptor can express. Today that is Azure
//! Managed Redis' clustering policy; PostgreSQL high availability and
//! geo-redundant backup, and the Container Apps environment's zone
//! redundancy, slot in as entries of [`SETTINGS`] once the descriptor
//! expresses them (each with its resource, its value and how to move).

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
const SETTINGS: &[fn(&Descriptor) -> Option<Fixed>] = &[managed_redis_clustering];

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
