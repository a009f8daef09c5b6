//! YAML text to [`Node`]s, keeping the line and column of every key and value.

use super::node::{Entry, Node, NodeValue};
use crate::source::{FileId, Pos};
use std::collections::HashMap;
use yaml_rust2::parser::{Event, MarkedEventReceiver, Parser};
use yaml_rust2::scanner::{Marker, TScalarStyle};
use yaml_rust2::Yaml;

/// A YAML syntax problem (or a construct deploygen does not accept).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SyntaxError {
    pub line: usize,
    pub col: usize,
    pub message: String,
}

pub fn parse(text: &str, file: FileId) -> Result<Node, SyntaxError> {
    let mut builder = Builder {
        aliased: 0,
        file,
        stack: Vec::new(),
        anchors: HashMap::new(),
        documents: Vec::new(),
        error: None,
    };
    Parser::new_from_str(text)
        .load(&mut builder, true)
        .map_err(|e| SyntaxError {
            line: e.marker().line(),
            col: e.marker().col() + 1,
            message: e.info().to_string(),
        })?;
    if let Some(error) = builder.error {
        return Err(error);
    }
    let mut documents = builder.documents;
    match documents.len() {
        0 => Ok(Node {
            value: NodeValue::Null,
            pos: Pos { file, line: 1, col: 1 },
        }),
        1 => Ok(documents.remove(0)),
        _ => {
            let pos = documents[1].pos;
            Err(SyntaxError {
                line: pos.line,
                col: pos.col,
                message: "a descriptor holds one YAML document; found a second one".into(),
            })
        }
    }
}

enum Frame {
    Seq {
        node: Node,
        anchor: usize,
    },
    /// A map being filled: `pending` holds a key waiting for its value.
    Map {
        node: Node,
        anchor: usize,
        pending: Option<(String, Pos)>,
    },
}

/// How many values aliases may copy in one document: enough for any
/// descriptor, far too few for an alias bomb ("billion laughs").
const MAX_ALIASED_VALUES: usize = 10_000;

fn size(node: &Node) -> usize {
    1 + match &node.value {
        NodeValue::Seq(items) => items.iter().map(size).sum(),
        NodeValue::Map(entries) => entries.iter().map(|e| 1 + size(&e.value)).sum(),
        _ => 0,
    }
}

struct Builder {
    aliased: usize,
    file: FileId,
    stack: Vec<Frame>,
    anchors: HashMap<usize, Node>,
    documents: Vec<Node>,
    error: Option<SyntaxError>,
}

impl Builder {
    fn pos(&self, mark: Marker) -> Pos {
        Pos {
            file: self.file,
            line: mark.line(),
            col: mark.col() + 1,
        }
    }

    fn fail(&mut self, pos: Pos, message: String) {
        if self.error.is_none() {
            self.error = Some(SyntaxError {
                line: pos.line,
                col: pos.col,
                message,
            });
        }
    }

    /// Attach a finished node to its parent (or finish a document).
    fn push(&mut self, node: Node, anchor: usize) {
        if anchor > 0 {
            self.anchors.insert(anchor, node.clone());
        }
        match self.stack.last_mut() {
            None => self.documents.push(node),
            Some(Frame::Seq { node: seq, .. }) => {
                if let NodeValue::Seq(items) = &mut seq.value {
                    items.push(node);
                }
            }
            Some(Frame::Map { node: map, pending, .. }) => match pending.take() {
                None => {
                    let key = match &node.value {
                        NodeValue::Str(s) => Some(s.clone()),
                        NodeValue::Int(i) => Some(i.to_string()),
                        NodeValue::Bool(b) => Some(b.to_string()),
                        NodeValue::Float(f) => Some(f.to_string()),
                        NodeValue::Null => Some(String::new()),
                        _ => None,
                    };
                    let Some(key) = key else {
                        self.fail(
                            node.pos,
                            "a mapping key must be a plain value, not a list or a map".into(),
                        );
                        return;
                    };
                    let duplicate =
                        matches!(&map.value, NodeValue::Map(entries) if entries.iter().any(|e| e.key == key));
                    if duplicate {
                        self.fail(node.pos, format!("duplicate key `{key}`"));
                        return;
                    }
                    *pending = Some((key, node.pos));
                }
                Some((key, key_pos)) => {
                    if let NodeValue::Map(entries) = &mut map.value {
                        entries.push(Entry {
                            key,
                            key_pos,
                            value: node,
                        });
                    }
                }
            },
        }
    }
}

impl MarkedEventReceiver for Builder {
    fn on_event(&mut self, event: Event, mark: Marker) {
        if self.error.is_some() {
            return;
        }
        let pos = self.pos(mark);
        match event {
            Event::Scalar(text, style, anchor, tag) => {
                let value = scalar(text, style, tag.is_some_and(|t| t.suffix == "str"));
                self.push(Node { value, pos }, anchor);
            }
            Event::SequenceStart(anchor, _) => self.stack.push(Frame::Seq {
                node: Node {
                    value: NodeValue::Seq(Vec::new()),
                    pos,
                },
                anchor,
            }),
            Event::MappingStart(anchor, _) => self.stack.push(Frame::Map {
                node: Node {
                    value: NodeValue::Map(Vec::new()),
                    pos,
                },
                anchor,
                pending: None,
            }),
            Event::SequenceEnd | Event::MappingEnd => match self.stack.pop() {
                Some(Frame::Seq { node, anchor }) | Some(Frame::Map { node, anchor, .. }) => self.push(node, anchor),
                None => self.fail(pos, "unbalanced YAML structure".into()),
            },
            Event::Alias(id) => match self.anchors.get(&id) {
                Some(node) => {
                    self.aliased += size(node);
                    if self.aliased > MAX_ALIASED_VALUES {
                        self.fail(pos, format!("aliases expand to more than {MAX_ALIASED_VALUES} values"));
                        return;
                    }
                    let node = node.clone();
                    self.push(Node { pos, ..node }, 0);
                }
                None => self.fail(pos, "alias to an unknown anchor".into()),
            },
            Event::Nothing | Event::StreamStart | Event::StreamEnd | Event::DocumentStart | Event::DocumentEnd => {}
        }
    }
}

/// Resolve a scalar the way the YAML 1.2 core schema does: only plain
/// (unquoted) scalars can be numbers, booleans or null.
fn scalar(text: String, style: TScalarStyle, forced_string: bool) -> NodeValue {
    if style != TScalarStyle::Plain || forced_string {
        return NodeValue::Str(text);
    }
    match Yaml::from_str(&text) {
        Yaml::Integer(i) => NodeValue::Int(i),
        Yaml::Real(r) => r.parse::<f64>().map_or(NodeValue::Str(text), NodeValue::Float),
        Yaml::Boolean(b) => NodeValue::Bool(b),
        Yaml::Null => NodeValue::Null,
        _ => NodeValue::Str(text),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse0(text: &str) -> Result<Node, SyntaxError> {
        parse(text, FileId(0))
    }

    #[test]
    fn positions_are_one_based_and_point_at_keys_and_values() {
        let node = parse0("name: x\nservices:\n  web:\n    image: nginx\n").unwrap();
        let index = node.index();
        let image = index.value("/services/web/image").unwrap();
        assert_eq!((image.line, image.col), (4, 12));
        let key = index.key("/services/web/image").unwrap();
        assert_eq!((key.line, key.col), (4, 5));
    }

    #[test]
    fn quoted_scalars_stay_strings() {
        let node = parse0("a: '6379'\nb: 6379\nc: \"true\"\nd: true\ne: ~\n").unwrap();
        assert_eq!(
            node.to_json(),
            serde_json::json!({"a": "6379", "b": 6379, "c": "true", "d": true, "e": null})
        );
    }

    #[test]
    fn duplicate_keys_are_rejected_where_the_second_one_is() {
        let err = parse0("a: 1\nb: 2\na: 3\n").unwrap_err();
        assert_eq!((err.line, err.col), (3, 1));
        assert!(err.message.contains("duplicate key `a`"), "{}", err.message);
    }

    #[test]
    fn syntax_errors_carry_a_position() {
        let err = parse0("a: [1, 2\nb: 3\n").unwrap_err();
        assert!(err.line >= 1 && err.col >= 1, "{err:?}");
    }

    #[test]
    fn aliases_expand_to_the_anchored_value() {
        let node = parse0("a: &x {k: 1}\nb: *x\n").unwrap();
        assert_eq!(node.to_json(), serde_json::json!({"a": {"k": 1}, "b": {"k": 1}}));
    }

    #[test]
    fn an_alias_bomb_is_refused() {
        let mut text = String::from("a: &a [x, x, x, x, x, x, x, x, x, x]\n");
        for (name, prev) in ["b", "c", "d", "e", "f", "g"]
            .into_iter()
            .zip(["a", "b", "c", "d", "e", "f"])
        {
            let items = vec![format!("*{prev}"); 10].join(", ");
            text.push_str(&format!("{name}: &{name} [{items}]\n"));
        }
        let err = parse0(&text).unwrap_err();
        assert!(err.message.contains("aliases expand to more than"), "{}", err.message);
    }

    #[test]
    fn a_second_document_is_rejected() {
        let err = parse0("a: 1\n---\nb: 2\n").unwrap_err();
        assert!(err.message.contains("one YAML document"), "{}", err.message);
    }
}
