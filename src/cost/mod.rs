//! Monthly cost estimates: a dated price table kept in the repository, which a
//! descriptor overrides under `costs:`.

use crate::model::Descriptor;
use crate::plan::Resource;
use serde::Deserialize;
use std::sync::OnceLock;

#[derive(Debug, Deserialize)]
pub struct PriceTable {
    pub as_of: String,
    pub currency: String,
    pub note: String,
    pub prices: Vec<Price>,
}

#[derive(Debug, Clone, Deserialize)]
pub struct Price {
    pub kind: String,
    /// `*` matches any detail.
    pub detail: String,
    pub monthly_usd: Option<f64>,
    pub source: String,
}

pub fn table() -> &'static PriceTable {
    static TABLE: OnceLock<PriceTable> = OnceLock::new();
    TABLE.get_or_init(|| {
        serde_json::from_str(include_str!("prices.json")).expect("the price table is valid JSON (tested)")
    })
}

fn matches(price_kind: &str, price_detail: &str, resource: &Resource) -> bool {
    price_kind == resource.kind && (price_detail == "*" || price_detail == resource.detail)
}

/// Price every resource: the descriptor's `costs:` first, then the table.
pub fn price(d: &Descriptor, resources: &mut [Resource]) {
    for resource in resources {
        let own = d
            .costs
            .iter()
            .find(|c| matches(&c.kind, c.detail.as_deref().unwrap_or("*"), resource));
        if let Some(c) = own {
            resource.monthly_usd = Some(c.monthly_usd);
            resource.price_source = Some("the descriptor's `costs`".into());
        } else if let Some(p) = table().prices.iter().find(|p| matches(&p.kind, &p.detail, resource)) {
            resource.monthly_usd = p.monthly_usd;
            resource.price_source = Some(format!("{} (prices of {})", p.source, table().as_of));
        }
    }
}

/// Sum of the priced resources and how many have no price.
pub fn total(resources: &[Resource]) -> (f64, usize) {
    let sum = resources.iter().filter_map(|r| r.monthly_usd).sum();
    let unpriced = resources
        .iter()
        .filter(|r| r.monthly_usd.is_none() && r.price_source.is_some())
        .count();
    (sum, unpriced)
}

#[cfg(test)]
mod tests {
    #[test]
    fn the_price_table_parses_and_is_dated() {
        let table = super::table();
        assert_eq!(table.currency, "USD");
        assert!(table.as_of.len() == 10 && table.prices.len() >= 8);
    }
}
