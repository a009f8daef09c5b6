//! A YAML document as a tree of values that remember where they were written.

use crate::source::Pos;
use serde_json::{Map, Number, Value};
use std::collections::HashMap;

#[derive(Clone, Debug)]
pub struct Node {
    pub value: NodeValue,
    pub pos: Pos,
}

#[derive(Clone, Debug)]
pub enum NodeValue {
    Null,
    Bool(bool),
    Int(i64),
    Float(f64),
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

    pub fn to_json(&self) -> Value {
        match &self.value {
            NodeValue::Null => Value::Null,
            NodeValue::Bool(b) => Value::Bool(*b),
            NodeValue::Int(i) => Value::Number((*i).into()),
            NodeValue::Float(f) => Number::from_f64(*f).map_or(Value::Null, Value::Number),
            NodeValue::Str(s) => Value::String(s.clone()),
            NodeValue::Seq(items) => Value::Array(items.iter().map(Node::to_json).collect()),
            NodeValue::Map(entries) => Value::Object(
                entries
                    .iter()
                    .map(|e| (e.key.clone(), e.value.to_json()))
                    .collect::<Map<_, _>>(),
            ),
        }
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
