//! Monthly cost estimates, a step after planning: a dated price table kept
//! in the repository, which a descriptor overrides under `costs:`. Prices
//! are found by the resource's typed kind and the SKU the Plan gave it, never
//! by the text a report shows; a resource without a price stays unpriced and
//! is named as such.

use crate::model::CostOverride;
use crate::plan::{FileModel, Plan, Resource, ResourceKind};
use serde::Deserialize;
use std::sync::OnceLock;

/// Hours in the month the table's monthly prices assume.
pub const HOURS_PER_MONTH: f64 = 730.0;

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PriceTable {
    pub as_of: String,
    pub currency: String,
    pub note: String,
    pub prices: Vec<Price>,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Price {
    pub kind: ResourceKind,
    /// The SKU or plan as deploygen's models name it; `*` matches any.
    pub sku: String,
    /// A flat monthly price; `null` where no published figure was found.
    pub monthly_usd: Option<f64>,
    /// Consumption billing (Container Apps): per vCPU-second and GiB-second.
    #[serde(default)]
    pub vcpu_second_usd: Option<f64>,
    #[serde(default)]
    pub gib_second_usd: Option<f64>,
    /// Where the figure comes from, or why there is none.
    pub source: String,
}

pub fn table() -> &'static PriceTable {
    static TABLE: OnceLock<PriceTable> = OnceLock::new();
    TABLE.get_or_init(|| {
        serde_json::from_str(include_str!("prices.json")).expect("the price table is valid JSON (tested)")
    })
}

#[derive(Debug, Clone, Copy, PartialEq)]
struct Usage {
    vcpu: f64,
    gib: f64,
}

/// `1Gi` -> 1.0, `512Mi` -> 0.5.
fn gibibytes(memory: &str) -> Option<f64> {
    if let Some(n) = memory.strip_suffix("Gi") {
        return n.parse().ok();
    }
    memory
        .strip_suffix("Mi")
        .and_then(|n| n.parse::<f64>().ok())
        .map(|m| m / 1024.0)
}

/// Consumption apps: the vCPU and GiB their minimum replicas hold around the
/// clock, as the Plan's Container Apps model sizes them.
fn usage(plan: &Plan, r: &Resource) -> Option<Usage> {
    if r.kind != ResourceKind::ContainerApp {
        return None;
    }
    let app = plan.files.iter().find_map(|f| match &f.model {
        FileModel::ContainerApps(m) => m.apps.iter().find(|a| a.name == r.name),
        _ => None,
    })?;
    Some(Usage {
        vcpu: app.cpu.parse::<f64>().unwrap_or(0.0) * f64::from(app.min_replicas),
        gib: gibibytes(&app.memory).unwrap_or(0.0) * f64::from(app.min_replicas),
    })
}

/// A table entry's SKU: `*` any, else the resource's own.
fn sku_matches(sku: &str, r: &Resource) -> bool {
    sku == "*" || r.sku.as_deref() == Some(sku)
}

/// A descriptor's `costs:` entry names the kind and, optionally, the SKU
/// or, as `deploygen plan` shows it, the resource's detail.
fn overrides(c: &CostOverride, r: &Resource) -> bool {
    ResourceKind::parse(&c.kind) == Some(r.kind)
        && match c.detail.as_deref() {
            None => true,
            Some(detail) => sku_matches(detail, r) || detail == r.detail,
        }
}

/// Price every resource of a built Plan: the descriptor's `costs:` first,
/// then the table. Compose containers run on the operator's own hosts:
/// nothing to price.
pub fn price(plan: &mut Plan, costs: &[CostOverride]) {
    let mut resources = std::mem::take(&mut plan.resources);
    for resource in &mut resources {
        let usage = usage(plan, resource);
        price_one(resource, costs, usage);
    }
    plan.resources = resources;
}

fn price_one(resource: &mut Resource, costs: &[CostOverride], usage: Option<Usage>) {
    if let Some(c) = costs.iter().find(|c| overrides(c, resource)) {
        resource.monthly_usd = Some(c.monthly_usd);
        resource.price_source = Some("the descriptor's `costs`".into());
        return;
    }
    let found = table()
        .prices
        .iter()
        .find(|p| p.kind == resource.kind && sku_matches(&p.sku, resource));
    let Some(p) = found else {
        if !resource.kind.self_hosted() {
            resource.price_source = Some("not in the price table".into());
        }
        return;
    };
    resource.monthly_usd = match (p.monthly_usd, p.vcpu_second_usd, p.gib_second_usd, usage) {
        (Some(flat), ..) => Some(flat),
        (None, Some(per_vcpu), Some(per_gib), Some(u)) => {
            let seconds = HOURS_PER_MONTH * 3600.0;
            Some(((u.vcpu * per_vcpu + u.gib * per_gib) * seconds * 100.0).round() / 100.0)
        }
        _ => None,
    };
    resource.price_source = Some(match resource.monthly_usd {
        Some(_) => format!("{} (prices of {})", p.source, table().as_of),
        None => p.source.clone(),
    });
}

/// A resource the estimate leaves out, and why.
#[derive(Debug, Clone, serde::Serialize)]
pub struct Unpriced {
    pub kind: ResourceKind,
    pub name: String,
    pub detail: String,
    pub reason: String,
}

/// Sum of the priced resources, and every resource without a price (compose
/// containers excepted: they cost what the operator's hosts cost).
pub fn total(resources: &[Resource]) -> (f64, Vec<Unpriced>) {
    let sum = resources.iter().filter_map(|r| r.monthly_usd).sum();
    let unpriced = resources
        .iter()
        .filter(|r| r.monthly_usd.is_none() && !r.kind.self_hosted())
        .map(|r| Unpriced {
            kind: r.kind,
            name: r.name.clone(),
            detail: r.detail.clone(),
            reason: r
                .price_source
                .clone()
                .unwrap_or_else(|| "not in the price table".into()),
        })
        .collect();
    (sum, unpriced)
}

/// The resources that make the change in cost unknown: each one without a
/// price that is added, removed or changed (a resource without a price on
/// both sides, unchanged, leaves the change as it is). Named `name` (added,
/// removed or changed), in the order the sides list them.
pub fn delta_unpriced(before: &[Resource], after: &[Resource]) -> Vec<String> {
    let same = |a: &Resource, b: &Resource| a.kind == b.kind && a.name == b.name;
    let unpriced = |r: &Resource| r.monthly_usd.is_none() && !r.kind.self_hosted();
    let mut out = Vec::new();
    for b in before {
        match after.iter().find(|a| same(a, b)) {
            None if unpriced(b) => out.push(format!("`{}` (removed)", b.name)),
            Some(a) if (unpriced(a) || unpriced(b)) && (a.detail != b.detail || unpriced(a) != unpriced(b)) => {
                out.push(format!("`{}` (changed)", b.name))
            }
            _ => {}
        }
    }
    for a in after {
        if unpriced(a) && !before.iter().any(|b| same(a, b)) {
            out.push(format!("`{}` (added)", a.name));
        }
    }
    out
}

/// How a report writes the change in cost: signed dollars, or why it is not
/// known (`+$0.00` for a removal that has no price would be a claim).
pub fn delta_text(delta: f64, unknown: &[String], money: impl Fn(f64) -> String) -> String {
    let signed = format!("{}{}", if delta >= 0.0 { "+" } else { "" }, money(delta));
    match unknown {
        [] => signed,
        [one] => format!("change unknown: {one} has no price; {signed} on the priced resources"),
        [rest @ .., last] => format!(
            "change unknown: {} and {last} have no price; {signed} on the priced resources",
            rest.join(", ")
        ),
    }
}

#[cfg(test)]
mod tests {
    use super::{delta_text, delta_unpriced};
    use crate::model::CostOverride;
    use crate::plan::{Resource, ResourceKind};

    #[test]
    fn the_price_table_parses_is_dated_and_every_entry_says_where_it_comes_from() {
        let table = super::table();
        assert_eq!(table.currency, "USD");
        assert!(table.as_of.len() == 10 && table.prices.len() >= 8);
        for p in &table.prices {
            assert!(!p.source.is_empty(), "{} {}: no source", p.kind, p.sku);
        }
    }

    #[test]
    fn every_kind_but_containers_has_a_table_entry() {
        for kind in ResourceKind::ALL {
            let any = super::table().prices.iter().any(|p| p.kind == kind);
            assert_eq!(any, !kind.self_hosted(), "{kind}");
        }
    }

    #[test]
    fn every_resource_kind_is_listed_once_and_reads_back_from_its_string() {
        use ResourceKind::*;
        for kind in ResourceKind::ALL {
            assert_eq!(ResourceKind::parse(kind.as_str()), Some(kind));
            assert_eq!(ResourceKind::ALL.iter().filter(|k| **k == kind).count(), 1, "{kind}");
            // A new kind stops this match compiling: list it here and in `ALL`.
            match kind {
                AzureCacheForRedis
                | AzureManagedRedis
                | PostgresFlexibleServer
                | AppServicePlan
                | WebApp
                | ContainerApp
                | ContainerAppsEnvironment
                | KeyVault
                | PrivateEndpoint
                | PrivateDnsZone
                | VirtualNetwork
                | UserAssignedIdentity
                | LogAnalyticsWorkspace
                | RenderWeb
                | RenderWorker
                | RenderCron
                | RenderPrivateService
                | RenderDatabase
                | RenderKeyValue
                | ExternalRedis
                | Container => {}
            }
        }
        assert_eq!(ResourceKind::parse("Microsoft.Cache/Redis"), None, "strings are exact");
    }

    #[test]
    fn a_resource_is_priced_by_its_sku_never_by_the_detail_shown() {
        let mut r = Resource::sized(ResourceKind::AzureCacheForRedis, "redis-x", "Basic C0");
        r.detail = "Azure Cache for Redis, Basic tier, 250 MB".into();
        super::price_one(&mut r, &[], None);
        assert_eq!(r.monthly_usd, Some(20.0));
        let mut pserv =
            Resource::new(ResourceKind::RenderPrivateService, "cache", "Redis (docker) starter").with_sku("starter");
        super::price_one(&mut pserv, &[], None);
        assert_eq!(pserv.monthly_usd, Some(7.0));
    }

    #[test]
    fn costs_entries_match_kind_and_sku_or_the_detail_shown() {
        let own = |kind: &str, detail: Option<&str>| CostOverride {
            kind: kind.into(),
            detail: detail.map(String::from),
            monthly_usd: 45.0,
        };
        let r = Resource::sized(ResourceKind::AzureManagedRedis, "amr", "Balanced_B0");
        for (entry, priced) in [
            (own("Microsoft.Cache/redisEnterprise", None), true),
            (own("Microsoft.Cache/redisEnterprise", Some("Balanced_B0")), true),
            (own("Microsoft.Cache/redisEnterprise", Some("Balanced_B1")), false),
            (own("Microsoft.Cache/redis", None), false),
            (own("redis", None), false),
        ] {
            let mut r = r.clone();
            super::price_one(&mut r, std::slice::from_ref(&entry), None);
            assert_eq!(r.monthly_usd == Some(45.0), priced, "{entry:?}");
        }
        let mut db =
            Resource::new(ResourceKind::RenderDatabase, "x-db", "PostgreSQL 16 basic-256mb").with_sku("basic-256mb");
        super::price_one(
            &mut db,
            &[own("render database", Some("PostgreSQL 16 basic-256mb"))],
            None,
        );
        assert_eq!(db.monthly_usd, Some(45.0));
    }

    #[test]
    fn consumption_apps_cost_their_minimum_replicas_all_month() {
        let mut app = Resource::new(ResourceKind::ContainerApp, "x-web", "").with_sku("Consumption");
        let usage = super::Usage { vcpu: 0.5, gib: 1.0 };
        super::price_one(&mut app, &[], Some(usage));
        // (0.5 * 0.000024 + 1.0 * 0.000003) * 730 * 3600
        assert_eq!(app.monthly_usd, Some(39.42));
    }

    #[test]
    fn memory_sizes_read_as_gibibytes() {
        assert_eq!(super::gibibytes("1Gi"), Some(1.0));
        assert_eq!(super::gibibytes("1.5Gi"), Some(1.5));
        assert_eq!(super::gibibytes("512Mi"), Some(0.5));
        assert_eq!(super::gibibytes("lots"), None);
    }

    fn resource(kind: ResourceKind, name: &str, detail: &str, usd: Option<f64>) -> Resource {
        Resource {
            kind,
            name: name.into(),
            detail: detail.into(),
            sku: None,
            monthly_usd: usd,
            price_source: None,
        }
    }

    /// Issue 19, item 25: removing or adding a resource without a price makes
    /// the change unknown, never `+$0.00`; one unpriced on both sides and
    /// unchanged does not.
    #[test]
    fn a_change_touching_an_unpriced_resource_is_unknown() {
        let db = resource(ResourceKind::RenderDatabase, "db", "basic-1gb", None);
        let worker = resource(ResourceKind::RenderWorker, "worker", "starter", Some(7.0));
        let pserv = resource(ResourceKind::RenderPrivateService, "redis", "standard", None);
        let kv = resource(ResourceKind::RenderKeyValue, "kv", "starter", None);
        let before = [db.clone(), worker.clone(), pserv];
        let after = [db.clone(), worker.clone(), kv];
        let unknown = delta_unpriced(&before, &after);
        assert_eq!(unknown, ["`redis` (removed)", "`kv` (added)"]);
        let money = |v: f64| format!("${v:.2}");
        assert_eq!(
            delta_text(0.0, &unknown, money),
            "change unknown: `redis` (removed) and `kv` (added) have no price; +$0.00 on the priced resources"
        );
        assert!(delta_unpriced(&before[..2], &after[..2]).is_empty());
        assert_eq!(delta_text(0.0, &[], money), "+$0.00");
        assert_eq!(delta_text(-7.0, &[], money), "$-7.00");
    }
}
