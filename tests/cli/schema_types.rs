//! The committed schema and the Rust types agree: a fixture that sets every
//! schema property passes the schema and deserializes into the types (which
//! reject unknown fields), and the fixture really covers every property.

use crate::support::repo;
use deploygen::model::Descriptor;
use deploygen::validate::schema::schema_json;
use serde_json::Value;
use std::collections::BTreeSet;

fn fixture() -> Value {
    let loaded = deploygen::load::load(&repo().join("tests/fixtures/maximal.yaml")).unwrap();
    loaded.root.to_json()
}

/// Every `.../properties/<name>` pointer in the schema.
fn schema_properties(node: &Value, at: String, out: &mut BTreeSet<String>) {
    if let Value::Object(map) = node {
        if let Some(Value::Object(props)) = map.get("properties") {
            for key in props.keys() {
                out.insert(format!("{at}/properties/{key}"));
            }
        }
        for (key, child) in map {
            schema_properties(child, format!("{at}/{key}"), out);
        }
    } else if let Value::Array(items) = node {
        for (i, child) in items.iter().enumerate() {
            schema_properties(child, format!("{at}/{i}"), out);
        }
    }
}

/// The schema properties an instance sets, following `$ref`s and branches.
fn used_properties(schema_at: &str, instance: &Value, out: &mut BTreeSet<String>) {
    let root = schema_json();
    let schema = root.pointer(schema_at).unwrap();
    if let Some(reference) = schema.get("$ref").and_then(Value::as_str) {
        used_properties(reference.trim_start_matches('#'), instance, out);
    }
    for branch in ["oneOf", "anyOf", "allOf"] {
        if let Some(Value::Array(options)) = schema.get(branch) {
            for i in 0..options.len() {
                used_properties(&format!("{schema_at}/{branch}/{i}"), instance, out);
            }
        }
    }
    match instance {
        Value::Object(map) => {
            for (key, value) in map {
                if schema.get("properties").and_then(|p| p.get(key)).is_some() {
                    let at = format!("{schema_at}/properties/{key}");
                    out.insert(at.clone());
                    used_properties(&at, value, out);
                } else if schema.get("additionalProperties").is_some_and(Value::is_object) {
                    used_properties(&format!("{schema_at}/additionalProperties"), value, out);
                }
            }
        }
        Value::Array(items) if schema.get("items").is_some_and(Value::is_object) => {
            for item in items {
                used_properties(&format!("{schema_at}/items"), item, out);
            }
        }
        _ => {}
    }
}

#[test]
fn the_maximal_fixture_passes_the_schema_and_fits_the_types() {
    let instance = fixture();
    let validator = jsonschema::validator_for(schema_json()).unwrap();
    let errors: Vec<String> = validator
        .iter_errors(&instance)
        .map(|e| format!("{} {e}", e.instance_path()))
        .collect();
    assert!(errors.is_empty(), "{errors:#?}");
    let typed: Result<Descriptor, _> = serde_json::from_value(instance);
    assert!(
        typed.is_ok(),
        "schema-valid fixture rejected by the types: {:?}",
        typed.err()
    );
}

#[test]
fn the_maximal_fixture_sets_every_schema_property() {
    let mut all = BTreeSet::new();
    schema_properties(schema_json(), String::new(), &mut all);
    let mut used = BTreeSet::new();
    used_properties("", &fixture(), &mut used);
    let missing: Vec<_> = all.difference(&used).collect();
    // `extends` is consumed by the loader before validation.
    assert_eq!(
        missing,
        ["/properties/extends"],
        "add these to tests/fixtures/maximal.yaml"
    );
}

#[test]
fn every_schema_property_has_a_description() {
    let mut all = BTreeSet::new();
    schema_properties(schema_json(), String::new(), &mut all);
    for pointer in all {
        let node = schema_json().pointer(&pointer).unwrap();
        let described = node.get("description").is_some()
            || node
                .get("$ref")
                .and_then(Value::as_str)
                .and_then(|r| schema_json().pointer(r.trim_start_matches('#')))
                .is_some_and(|target| target.get("description").is_some());
        assert!(described, "{pointer} has no description (editors show them)");
    }
}
