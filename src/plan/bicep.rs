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
    ///
    /// A secret inside a larger value is the userinfo of a URL (the Redis
    /// access key, a PostgreSQL password): it is percent-encoded with
    /// `uriComponent()`, since base64 keys hold `/` and `+` and clients then
    /// misread the URL (`Port could not be cast to integer`).
    pub fn value(&self, value: &EnvValue) -> BicepValue {
        let in_url = matches!(value, EnvValue::Template { .. });
        value
            .parts()
            .into_iter()
            .map(|part| match part {
                Part::Text { text } => BicepPart::Text(text),
                Part::Secret { secret } => {
                    let symbol = self.secrets.get(&secret).cloned().unwrap_or_default();
                    BicepPart::Expr(if in_url {
                        format!("uriComponent({symbol})")
                    } else {
                        symbol
                    })
                }
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn secrets_inside_urls_are_percent_encoded_and_whole_secrets_are_not() {
        let mut symbols = Symbols::default();
        symbols.secrets.insert("key".into(), "redisAccessKey".into());
        let url = EnvValue::Template {
            parts: vec![
                Part::Text {
                    text: "rediss://:".into(),
                },
                Part::Secret { secret: "key".into() },
                Part::Text {
                    text: "@host:6380/0".into(),
                },
            ],
        };
        assert_eq!(
            symbols.value(&url)[1],
            BicepPart::Expr("uriComponent(redisAccessKey)".into())
        );
        let whole = EnvValue::Secret { secret: "key".into() };
        assert_eq!(symbols.value(&whole), expr("redisAccessKey"));
    }
}
