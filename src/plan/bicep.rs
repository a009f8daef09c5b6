//! Values as they appear in Bicep: literal text (escaped by the template
//! engine) and expressions the Plan itself chose (parameter names, resource
//! properties, `listKeys()` calls), never text from the descriptor.

use super::{EnvValue, Part};
use serde::Serialize;
use std::collections::BTreeMap;

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum BicepPart {
    Text(String),
    Expr(String),
}

pub type BicepValue = Vec<BicepPart>;

pub fn text(s: impl Into<String>) -> BicepValue {
    vec![BicepPart::Text(s.into())]
}

pub fn expr(s: impl Into<String>) -> BicepValue {
    vec![BicepPart::Expr(s.into())]
}

/// How one Bicep file refers to secrets and resource attributes.
#[derive(Debug, Default, Clone)]
pub struct Symbols {
    pub secrets: BTreeMap<String, String>,
    pub resources: BTreeMap<String, String>,
}

impl Symbols {
    /// An env value as a Bicep value. Every secret and attribute must have a
    /// symbol here; a missing one is a deploygen bug, reported by the
    /// template engine as an invalid expression.
    pub fn value(&self, value: &EnvValue) -> BicepValue {
        value
            .parts()
            .into_iter()
            .map(|part| match part {
                Part::Text { text } => BicepPart::Text(text),
                Part::Secret { secret } => BicepPart::Expr(self.secrets.get(&secret).cloned().unwrap_or_default()),
                Part::Resource { attribute } => {
                    BicepPart::Expr(self.resources.get(&attribute).cloned().unwrap_or_default())
                }
            })
            .collect()
    }
}

/// `django-secret-key` -> `djangoSecretKey`: a Bicep identifier.
pub fn camel(id: &str) -> String {
    let mut out = String::new();
    let mut upper = false;
    for c in id.chars() {
        if c == '-' || c == '_' {
            upper = true;
        } else if upper {
            out.extend(c.to_uppercase());
            upper = false;
        } else {
            out.push(c);
        }
    }
    out
}

/// `REDIS_URL` -> `redis-url`: the Container Apps / Key Vault secret name for a
/// value built from other secrets.
pub fn kebab(env_name: &str) -> String {
    env_name.to_lowercase().replace('_', "-")
}
