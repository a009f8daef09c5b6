//! Stage 2a: the merged document against `schemas/environment.schema.json`.

use super::suggest::did_you_mean;
use crate::findings::Finding;
use crate::load::node::{escape_pointer, PositionIndex};
use crate::rules;
use crate::source::Sources;
use jsonschema::error::ValidationErrorKind;
use jsonschema::ValidationError;
use serde_json::Value;
use std::sync::OnceLock;

/// The environment schema, embedded so the binary works anywhere.
pub const ENVIRONMENT_SCHEMA: &str = include_str!("../../schemas/environment.schema.json");

pub fn schema_json() -> &'static Value {
    static SCHEMA: OnceLock<Value> = OnceLock::new();
    SCHEMA.get_or_init(|| serde_json::from_str(ENVIRONMENT_SCHEMA).expect("the embedded schema is valid JSON (tested)"))
}

/// The environment schema turned into Rust code when deploygen is built
/// (jsonschema's `validator` macro): no process compiles the schema, checks it
/// against its draft or builds its regexes at start-up, which was most of the
/// time `validate` took (issue 25). The same errors, at the same schema paths,
/// as the run-time validator: `generated_and_runtime_validators_agree` below.
#[jsonschema::validator(path = "schemas/environment.schema.json")]
struct EnvironmentSchema;

pub fn check(instance: &Value, index: &PositionIndex, sources: &Sources) -> Vec<Finding> {
    let mut findings = Vec::new();
    let mut more = 0;
    for error in EnvironmentSchema::iter_errors(instance) {
        // Past the cap, errors are counted, not described (no hints computed).
        if findings.len() >= super::semantic::MAX_FINDINGS {
            more += 1;
            continue;
        }
        match property_name(&error, instance) {
            Some(key) => findings.push(bad_name(
                error.instance_path().as_str(),
                key,
                error.schema_path().as_str(),
                index,
                sources,
            )),
            None => findings.extend(describe(&error, index, sources)),
        }
    }
    super::semantic::cap_findings(&mut findings, more);
    findings
}

/// The key a `propertyNames` error is about. The generated validator reports
/// the failed check on the key itself (a `pattern` error whose instance is the
/// key) at the map's path, where the run-time one wraps it in `PropertyNames`:
/// a string error at the path of a map holding that string as a key.
fn property_name<'e>(error: &'e ValidationError<'_>, instance: &Value) -> Option<&'e str> {
    let key = error.instance().as_str()?;
    let map = instance.pointer(error.instance_path().as_str())?.as_object()?;
    map.contains_key(key).then_some(key)
}

/// A key that breaks its map's `propertyNames`; `schema_path` is the path of
/// the keyword the key failed, whose schema describes the names expected.
fn bad_name(pointer: &str, key: &str, schema_path: &str, index: &PositionIndex, sources: &Sources) -> Finding {
    let key_pointer = format!("{pointer}/{}", escape_pointer(key));
    let names = subschema(parent(schema_path))
        .and_then(|n| n.get("description"))
        .and_then(Value::as_str)
        .map(|d| format!(": expected {}", lower_first(d.trim_end_matches('.'))))
        .unwrap_or_default();
    let location = index.key(&key_pointer).map(|p| sources.locate(p));
    Finding::new(
        rules::SCHEMA,
        location,
        key_pointer,
        format!("`{key}` is not a valid name here{names}"),
    )
}

fn describe(error: &ValidationError<'_>, index: &PositionIndex, sources: &Sources) -> Vec<Finding> {
    let pointer = error.instance_path().as_str().to_string();
    let at_value = |p: &str| index.value(p).map(|pos| sources.locate(pos));
    let keyword_parent = subschema(parent(error.schema_path().as_str()));
    match error.kind() {
        ValidationErrorKind::AdditionalProperties { unexpected } => {
            let known: Vec<&str> = keyword_parent
                .and_then(|s| s.get("properties"))
                .and_then(Value::as_object)
                .map(|props| props.keys().map(String::as_str).collect())
                .unwrap_or_default();
            unexpected
                .iter()
                .map(|key| {
                    let key_pointer = format!("{pointer}/{}", escape_pointer(key));
                    let mut message = format!("unknown key `{key}`");
                    match did_you_mean(key, known.iter().copied()) {
                        Some(s) => message.push_str(&format!("; did you mean `{s}`?")),
                        None if !known.is_empty() => message.push_str(&format!("; expected one of {}", list(&known))),
                        None => {}
                    }
                    Finding::new(
                        rules::SCHEMA,
                        index.key(&key_pointer).map(|p| sources.locate(p)),
                        key_pointer,
                        message,
                    )
                })
                .collect()
        }
        ValidationErrorKind::Enum { options } => {
            let options: Vec<String> = options
                .as_array()
                .map(|a| a.iter().map(short).collect())
                .unwrap_or_default();
            let found = short(error.instance());
            let mut message = format!("{found} is not one of {}", list(&options));
            let found_text = error.instance().as_str().unwrap_or_default();
            let names = options.iter().map(|o| o.trim_matches('`'));
            if let Some(s) = did_you_mean(found_text, names) {
                message = format!("{found} is not one of {}; did you mean `{s}`?", list(&options));
            }
            vec![Finding::new(rules::SCHEMA, at_value(&pointer), pointer, message)]
        }
        ValidationErrorKind::PropertyNames { error: inner } => {
            // The inner error's instance is the offending key itself.
            let key = inner.instance().as_str().unwrap_or_default();
            vec![bad_name(&pointer, key, inner.schema_path().as_str(), index, sources)]
        }
        ValidationErrorKind::Required { property } => {
            let name = property.as_str().unwrap_or_default();
            vec![Finding::new(
                rules::SCHEMA,
                at_value(&pointer),
                pointer,
                format!("missing required key `{name}`"),
            )]
        }
        ValidationErrorKind::Type { .. } => {
            let expected = keyword_parent
                .and_then(|s| s.get("type"))
                .map(type_names)
                .unwrap_or_default();
            let message = format!("expected {expected}, found {}", kind_of(error.instance()));
            vec![Finding::new(rules::SCHEMA, at_value(&pointer), pointer, message)]
        }
        ValidationErrorKind::Pattern { .. }
        | ValidationErrorKind::OneOfNotValid { .. }
        | ValidationErrorKind::OneOfMultipleValid { .. } => {
            let what = keyword_parent
                .and_then(|s| s.get("description"))
                .and_then(Value::as_str)
                .map(|d| format!(": expected {}", lower_first(d.trim_end_matches('.'))))
                .unwrap_or_default();
            let message = format!("{} is not valid here{what}", short(error.instance()));
            vec![Finding::new(rules::SCHEMA, at_value(&pointer), pointer, message)]
        }
        _ => vec![Finding::new(
            rules::SCHEMA,
            at_value(&pointer),
            pointer,
            error.to_string(),
        )],
    }
}

/// The schema object a canonical schema path (such as `/$defs/cache/properties/kind`)
/// points to. `schema_path` never crosses a `$ref`, so it resolves in the root schema.
fn subschema(path: &str) -> Option<&'static Value> {
    schema_json().pointer(path)
}

fn parent(path: &str) -> &str {
    path.rfind('/').map_or("", |i| &path[..i])
}

fn type_names(types: &Value) -> String {
    let names: Vec<String> = match types {
        Value::String(s) => vec![article(s)],
        Value::Array(a) => a.iter().filter_map(Value::as_str).map(article).collect(),
        _ => vec![],
    };
    names.join(" or ")
}

fn article(t: &str) -> String {
    match t {
        "object" => "a map".into(),
        "array" => "a list".into(),
        "integer" => "a whole number".into(),
        "null" => "nothing".into(),
        other => format!("a {other}"),
    }
}

fn kind_of(value: &Value) -> &'static str {
    match value {
        Value::Null => "nothing",
        Value::Bool(_) => "a boolean",
        Value::Number(n) if n.is_i64() || n.is_u64() => "a whole number",
        Value::Number(_) => "a number",
        Value::String(_) => "a string",
        Value::Array(_) => "a list",
        Value::Object(_) => "a map",
    }
}

/// A value as a short quoted snippet for messages.
fn short(value: &Value) -> String {
    let text = match value {
        Value::String(s) => s.clone(),
        Value::Array(_) => return "this list".into(),
        Value::Object(_) => return "this map".into(),
        other => other.to_string(),
    };
    let mut clipped: String = text.chars().take(60).collect();
    if clipped.len() < text.len() {
        clipped.push('…');
    }
    format!("`{}`", clipped.escape_debug())
}

fn list<S: AsRef<str>>(items: &[S]) -> String {
    items
        .iter()
        .map(|s| {
            let s = s.as_ref();
            if s.starts_with('`') {
                s.to_string()
            } else {
                format!("`{s}`")
            }
        })
        .collect::<Vec<_>>()
        .join(", ")
}

/// "A service name..." reads "expected a service name...": lower-case a
/// leading article only, never a name such as "App Service".
fn lower_first(s: &str) -> String {
    for article in ["A ", "An ", "The "] {
        if let Some(rest) = s.strip_prefix(article) {
            return format!("{}{rest}", article.to_lowercase());
        }
    }
    s.to_string()
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The schema is part of the binary, so it is checked against its draft
    /// here, once, instead of by every process.
    #[test]
    fn the_embedded_schema_is_valid_against_its_draft() {
        jsonschema::meta::validate(schema_json()).expect("environment.schema.json against draft 2020-12");
    }

    /// What `describe` reads of an error: kind, paths, instance, text, and
    /// the same of each `oneOf` branch's errors.
    fn show(e: &ValidationError<'_>, at: &str) -> String {
        let kind = match e.kind() {
            ValidationErrorKind::OneOfNotValid { context } | ValidationErrorKind::OneOfMultipleValid { context } => {
                let branches: Vec<String> = context
                    .iter()
                    .map(|errors| {
                        let shown: Vec<String> = errors.iter().map(|c| show(c, c.instance_path().as_str())).collect();
                        shown.join(", ")
                    })
                    .collect();
                format!("oneOf [{}]", branches.join(" | "))
            }
            kind => format!("{kind:?}"),
        };
        format!("{kind} {at} {} {} {e}", e.instance(), e.schema_path().as_str())
    }

    /// Every error the run-time validator finds, the generated one finds too:
    /// same kind, instance path and schema path (what `describe` reads).
    #[test]
    fn generated_and_runtime_validators_agree() {
        let runtime = jsonschema::validator_for(schema_json()).expect("the schema compiles");
        let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR"));
        let mut dirs: Vec<std::path::PathBuf> = [
            "environments",
            "tests/fixtures/invalid",
            "tests/fixtures/new-fields",
            "tests/fixtures",
        ]
        .iter()
        .map(|d| root.join(d))
        .collect();
        // Each rule's fires.yaml and quiet.yaml too.
        for entry in std::fs::read_dir(root.join("tests/fixtures/rules")).unwrap() {
            dirs.push(entry.unwrap().path());
        }
        let mut files = Vec::new();
        for dir in dirs {
            for entry in std::fs::read_dir(dir).unwrap() {
                let path = entry.unwrap().path();
                if path.extension().is_some_and(|e| e == "yaml") {
                    files.push(path);
                }
            }
        }
        let mut compared = 0;
        for path in files {
            let Ok(loaded) = crate::load::load(&path) else { continue };
            let instance = loaded.root.to_json();
            // The run-time validator wraps a key's failed check in
            // `PropertyNames`; the generated one reports it as is (see `property_name`).
            let flat = |e: ValidationError<'_>| match e.kind() {
                ValidationErrorKind::PropertyNames { error: inner } => show(inner, e.instance_path().as_str()),
                _ => show(&e, e.instance_path().as_str()),
            };
            let mut expected: Vec<String> = runtime.iter_errors(&instance).map(flat).collect();
            let mut got: Vec<String> = EnvironmentSchema::iter_errors(&instance)
                .map(|e| show(&e, e.instance_path().as_str()))
                .collect();
            expected.sort();
            got.sort();
            assert_eq!(got, expected, "{}", path.display());
            compared += 1;
        }
        assert!(compared > 100, "only {compared} descriptors compared");
    }
}
