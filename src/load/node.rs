//! A YAML document as a tree of values that remember where they were written.

use crate::source::Pos;
use serde_json::{Map, Number, Value};
use std::collections::HashMap;
use yaml_rust2::Yaml;

#[derive(Clone, Debug)]
pub struct Node {
    pub value: NodeValue,
    pub pos: Pos,
}

#[derive(Clone, Debug)]
pub enum NodeValue {
    Null,
    Bool(bool),
    /// A plain scalar the YAML core schema reads as a number, as written.
    Number(String),
    Str(String),
    Seq(Vec<Node>),
    Map(Vec<Entry>),
}

/// One `key: value` pair; the key keeps its own position so that "unknown
/// key" errors point at the key, not at its value.
#[derive(Clone, Debug)]
pub struct Entry {
    pub key: String,
    pub key_pos: Pos,
    pub value: Node,
}

impl Node {
    pub fn get(&self, key: &str) -> Option<&Node> {
        match &self.value {
            NodeValue::Map(entries) => entries.iter().find(|e| e.key == key).map(|e| &e.value),
            _ => None,
        }
    }

    pub fn remove(&mut self, key: &str) -> Option<Node> {
        match &mut self.value {
            NodeValue::Map(entries) => {
                let index = entries.iter().position(|e| e.key == key)?;
                Some(entries.remove(index).value)
            }
            _ => None,
        }
    }

    /// The document as JSON. Numbers that are env values become the text the
    /// user wrote (`12345678901234567890`, `1.10` and `1e-400` reach the app
    /// unchanged); other numbers become JSON numbers.
    pub fn to_json(&self) -> Value {
        self.json(Place::Root)
    }

    fn json(&self, place: Place) -> Value {
        match &self.value {
            NodeValue::Null => Value::Null,
            NodeValue::Bool(b) => Value::Bool(*b),
            NodeValue::Number(text) if place == Place::EnvValue => Value::String(text.clone()),
            // Unrepresentable numbers are refused when parsed; text here is a fallback.
            NodeValue::Number(text) => number(text).map_or_else(|| Value::String(text.clone()), Value::Number),
            NodeValue::Str(s) => Value::String(s.clone()),
            NodeValue::Seq(items) => Value::Array(items.iter().map(|i| i.json(Place::Other)).collect()),
            NodeValue::Map(entries) => Value::Object(
                entries
                    .iter()
                    .map(|e| (e.key.clone(), e.value.json(place.child(&e.key))))
                    .collect::<Map<_, _>>(),
            ),
        }
    }

    /// The first number outside an env map that no JSON number holds
    /// (`1e400`, `.inf`, `1e-400`), with where it is.
    pub fn unrepresentable_number(&self) -> Option<(Pos, &str)> {
        let mut work = vec![(self, Place::Root)];
        while let Some((node, place)) = work.pop() {
            match &node.value {
                NodeValue::Number(text) if place != Place::EnvValue && number(text).is_none() => {
                    return Some((node.pos, text));
                }
                NodeValue::Seq(items) => work.extend(items.iter().rev().map(|i| (i, Place::Other))),
                NodeValue::Map(entries) => work.extend(entries.iter().rev().map(|e| (&e.value, place.child(&e.key)))),
                _ => {}
            }
        }
        None
    }

    /// Positions of every value and key, by JSON pointer.
    pub fn index(&self) -> PositionIndex {
        let mut index = PositionIndex::default();
        self.index_into(&mut String::new(), &mut index);
        index
    }

    fn index_into(&self, pointer: &mut String, index: &mut PositionIndex) {
        index.values.insert(pointer.clone(), self.pos);
        let len = pointer.len();
        match &self.value {
            NodeValue::Seq(items) => {
                for (i, item) in items.iter().enumerate() {
                    pointer.push('/');
                    pointer.push_str(&i.to_string());
                    item.index_into(pointer, index);
                    pointer.truncate(len);
                }
            }
            NodeValue::Map(entries) => {
                for entry in entries {
                    pointer.push('/');
                    pointer.push_str(&escape_pointer(&entry.key));
                    index.keys.insert(pointer.clone(), entry.key_pos);
                    entry.value.index_into(pointer, index);
                    pointer.truncate(len);
                }
            }
            _ => {}
        }
    }
}

/// Where a value sits, as far as env values are concerned: `/env/K`,
/// `/services/S/env/K` and `/infrastructure/S/env/K`.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Place {
    Root,
    Services,
    Service,
    Env,
    EnvValue,
    Other,
}

impl Place {
    fn child(self, key: &str) -> Place {
        match (self, key) {
            (Place::Root | Place::Service, "env") => Place::Env,
            (Place::Root, "services" | "infrastructure") => Place::Services,
            (Place::Services, _) => Place::Service,
            (Place::Env, _) => Place::EnvValue,
            _ => Place::Other,
        }
    }
}

/// The JSON number a YAML core-schema number stands for; `None` when no f64
/// holds it: infinite, not a number, or so small it would round to zero.
pub fn number(text: &str) -> Option<Number> {
    match Yaml::from_str(text) {
        Yaml::Integer(i) => Some(i.into()),
        Yaml::Real(real) => {
            if let Ok(u) = real.parse::<u64>() {
                return Some(u.into());
            }
            let f = real.parse::<f64>().ok().filter(|f| f.is_finite())?;
            let mantissa = real.split(['e', 'E']).next().unwrap_or_default();
            if f == 0.0 && mantissa.bytes().any(|b| (b'1'..=b'9').contains(&b)) {
                return None;
            }
            Number::from_f64(f)
        }
        _ => None,
    }
}

/// Where each part of a (merged) document came from.
#[derive(Debug, Default, Clone)]
pub struct PositionIndex {
    values: HashMap<String, Pos>,
    keys: HashMap<String, Pos>,
}

impl PositionIndex {
    /// The position of the value at `pointer`, or of its nearest ancestor
    /// (a missing key is reported where its parent map is).
    pub fn value(&self, pointer: &str) -> Option<Pos> {
        let mut p = pointer;
        loop {
            if let Some(pos) = self.values.get(p) {
                return Some(*pos);
            }
            p = &p[..p.rfind('/')?];
        }
    }

    /// The position of the key that introduced `pointer`, falling back to its value.
    pub fn key(&self, pointer: &str) -> Option<Pos> {
        self.keys.get(pointer).copied().or_else(|| self.value(pointer))
    }
}

/// RFC 6901 escaping of one pointer segment.
pub fn escape_pointer(segment: &str) -> String {
    segment.replace('~', "~0").replace('/', "~1")
}
