//! Monthly cost estimates: a dated price table kept in the repository, which a
//! descriptor overrides under `costs:`. Prices are found by the resource's
//! kind (ARM type, Render service type) and its SKU as the typed models hold
//! it, never by the text a report shows; a resource without a price stays
//! unpriced and is named as such.

use crate::model::{CacheProvider, Descriptor, Platform};
use crate::plan::{azure, Plan, Resource};
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
    pub kind: String,
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

/// What a resource is priced by: its kind and its SKU.
#[derive(Debug, Clone, PartialEq)]
struct Key {
    kind: String,
    sku: String,
    /// Consumption apps: vCPU and GiB held around the clock (minimum replicas).
    usage: Option<Usage>,
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

/// The key of each resource, read from the typed models of the Plan.
fn key(d: &Descriptor, apps: &[azure::container_apps::ContainerApp], r: &Resource) -> Key {
    let render = d.render.clone().unwrap_or_default();
    let render_plan = || {
        render
            .plan
            .clone()
            .unwrap_or_else(|| crate::plan::render::DEFAULT_PLAN.into())
    };
    let mut usage = None;
    let sku = match r.kind.as_str() {
        "Microsoft.Cache/redis" | "Microsoft.Cache/redisEnterprise" => azure::redis_model(d)
            .map(|m| match m.managed {
                true => m.sku_name,
                false => format!("{} {}{}", m.sku_name, m.sku_family, m.capacity),
            })
            .unwrap_or_default(),
        "Microsoft.DBforPostgreSQL/flexibleServers" => azure::postgres_model(d, false)
            .map(|p| format!("{} {}", p.tier, p.sku))
            .unwrap_or_default(),
        "Microsoft.Web/serverfarms" => d
            .azure
            .as_ref()
            .and_then(|a| a.app_service.as_ref())
            .and_then(|s| s.sku.clone())
            .unwrap_or_else(|| "B1".into()),
        "Microsoft.App/containerApps" => {
            if let Some(app) = apps.iter().find(|a| a.name == r.name) {
                usage = Some(Usage {
                    vcpu: app.cpu.parse::<f64>().unwrap_or(0.0) * f64::from(app.min_replicas),
                    gib: gibibytes(&app.memory).unwrap_or(0.0) * f64::from(app.min_replicas),
                });
            }
            "Consumption".into()
        }
        "render web" | "render worker" | "render cron" => render_plan(),
        "render pserv" => format!("{} (docker)", render_plan()),
        "render database" => render.database_plan.clone().unwrap_or_else(|| "basic-256mb".into()),
        "render keyvalue" => match d.cache.provider_on(d.platform) {
            Some(CacheProvider::RenderKeyValue) => render
                .key_value_plan
                .clone()
                .unwrap_or_else(|| crate::plan::render::DEFAULT_PLAN.into()),
            _ => String::new(),
        },
        // Priced per resource, whatever its detail (endpoints, zones, vaults).
        _ => String::new(),
    };
    Key {
        kind: r.kind.clone(),
        sku,
        usage,
    }
}

/// The table matches on kind and SKU only.
fn matches(kind: &str, sku: &str, key: &Key) -> bool {
    kind == key.kind && (sku == "*" || sku == key.sku)
}

/// A descriptor's `costs:` entry names the SKU or, as `deploygen plan`
/// shows it, the resource's detail.
fn overrides(kind: &str, detail: Option<&str>, key: &Key, shown: &str) -> bool {
    matches(kind, detail.unwrap_or("*"), key) || (kind == key.kind && detail == Some(shown))
}

/// Price every resource: the descriptor's `costs:` first, then the table.
/// Compose containers run on the operator's own hosts: nothing to price.
pub fn price(d: &Descriptor, plan: &Plan, resources: &mut [Resource]) {
    let apps = if d.platform == Platform::AzureContainerApps {
        azure::container_apps::model(d, plan).apps
    } else {
        vec![]
    };
    for resource in resources {
        let key = key(d, &apps, resource);
        let own = d
            .costs
            .iter()
            .find(|c| overrides(&c.kind, c.detail.as_deref(), &key, &resource.detail));
        if let Some(c) = own {
            resource.monthly_usd = Some(c.monthly_usd);
            resource.price_source = Some("the descriptor's `costs`".into());
            continue;
        }
        let Some(p) = table().prices.iter().find(|p| matches(&p.kind, &p.sku, &key)) else {
            if resource.kind != "container" {
                resource.price_source = Some("not in the price table".into());
            }
            continue;
        };
        resource.monthly_usd = match (p.monthly_usd, p.vcpu_second_usd, p.gib_second_usd, key.usage) {
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
}

/// A resource the estimate leaves out, and why.
#[derive(Debug, Clone, serde::Serialize)]
pub struct Unpriced {
    pub kind: String,
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
        .filter(|r| r.monthly_usd.is_none() && r.kind != "container")
        .map(|r| Unpriced {
            kind: r.kind.clone(),
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

#[cfg(test)]
mod tests {
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
    fn memory_sizes_read_as_gibibytes() {
        assert_eq!(super::gibibytes("1Gi"), Some(1.0));
        assert_eq!(super::gibibytes("1.5Gi"), Some(1.5));
        assert_eq!(super::gibibytes("512Mi"), Some(0.5));
        assert_eq!(super::gibibytes("lots"), None);
    }
}
