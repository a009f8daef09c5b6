//! YAML text to [`Node`]s, keeping the line and column of every key and value.

use super::node::{Entry, Node, NodeValue};
use crate::source::{FileId, Pos};
use std::collections::{HashMap, HashSet};
use yaml_rust2::parser::{Event, Parser};
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
        copied: 0,
        file,
        stack: Vec::new(),
        anchors: HashMap::new(),
        documents: Vec::new(),
        error: None,
    };
    // The parser's own `load` recurses once per nesting level and would
    // overflow the stack on `- - - …`; pulling events keeps the depth ours to cap.
    let mut parser = Parser::new_from_str(text);
    loop {
        let (event, mark) = parser.next_token().map_err(|e| SyntaxError {
            line: e.marker().line(),
            col: e.marker().col() + 1,
            message: e.info().to_string(),
        })?;
        if event == Event::StreamEnd {
            break;
        }
        builder.on_event(event, mark);
        if let Some(error) = builder.error {
            return Err(error);
        }
    }
    let mut documents = builder.documents;
    let document = match documents.len() {
        0 => Node {
            value: NodeValue::Null,
            pos: Pos { file, line: 1, col: 1 },
        },
        1 => documents.remove(0),
        _ => {
            let pos = documents[1].pos;
            return Err(SyntaxError {
                line: pos.line,
                col: pos.col,
                message: "a descriptor holds one YAML document; found a second one".into(),
            });
        }
    };
    match document.unrepresentable_number() {
        Some((pos, text)) => Err(SyntaxError {
            line: pos.line,
            col: pos.col,
            message: format!(
                "`{text}` is outside the range of a number (about ±1.8e308, no closer to zero than 2.2e-308); quote it if it is text"
            ),
        }),
        None => Ok(document),
    }
}

enum Frame {
    Seq {
        node: Node,
        anchor: usize,
    },
    /// A map being filled: `pending` holds a key waiting for its value;
    /// `keys` finds duplicates without rescanning the entries.
    Map {
        node: Node,
        anchor: usize,
        pending: Option<(String, Pos)>,
        keys: HashSet<String>,
    },
}

/// How deep lists and maps may nest: a descriptor needs about eight levels;
/// every later stage walks the tree recursively, on threads with small stacks.
pub const MAX_DEPTH: usize = 64;

/// How many bytes aliases may copy in one document: far more than
/// any descriptor shares, far too few for an alias bomb ("billion laughs"),
/// whether it multiplies many small values or one long string.
pub const MAX_COPIED_BYTES: usize = 1 << 20;

/// What a copy of `node` costs: its text plus a node's worth per value.
fn cost(node: &Node) -> usize {
    std::mem::size_of::<Node>()
        + match &node.value {
            NodeValue::Str(s) | NodeValue::Number(s) => s.len(),
            NodeValue::Seq(items) => items.iter().map(cost).sum(),
            NodeValue::Map(entries) => entries.iter().map(|e| e.key.len() + cost(&e.value)).sum(),
            _ => 0,
        }
}

struct Builder {
    /// Bytes copied so far by aliases.
    copied: usize,
    file: FileId,
    stack: Vec<Frame>,
    anchors: HashMap<usize, (Node, usize)>,
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

    /// Count a copy against the budget; false (and an error) once it is spent.
    fn copy(&mut self, pos: Pos, bytes: usize) -> bool {
        self.copied = self.copied.saturating_add(bytes);
        if self.copied > MAX_COPIED_BYTES {
            self.fail(
                pos,
                format!(
                    "aliases expand to more than {} KiB; a descriptor shares far less (is this an alias bomb?)",
                    MAX_COPIED_BYTES / 1024
                ),
            );
            return false;
        }
        true
    }

    fn open(&mut self, frame: Frame, pos: Pos) {
        if self.stack.len() >= MAX_DEPTH {
            self.fail(pos, format!("lists and maps nest more than {MAX_DEPTH} levels deep"));
            return;
        }
        self.stack.push(frame);
    }

    /// Attach a finished node to its parent (or finish a document).
    fn push(&mut self, node: Node, anchor: usize) {
        if anchor > 0 {
            // Not counted: an anchor copies text the document holds (or
            // aliases already counted), at most once per nesting level.
            self.anchors.insert(anchor, (node.clone(), cost(&node)));
        }
        match self.stack.last_mut() {
            None => self.documents.push(node),
            Some(Frame::Seq { node: seq, .. }) => {
                if let NodeValue::Seq(items) = &mut seq.value {
                    items.push(node);
                }
            }
            Some(Frame::Map {
                node: map,
                pending,
                keys,
                ..
            }) => match pending.take() {
                None => {
                    let key = match &node.value {
                        NodeValue::Str(s) | NodeValue::Number(s) => Some(s.clone()),
                        NodeValue::Bool(b) => Some(b.to_string()),
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
                    if !keys.insert(key.clone()) {
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

    fn on_event(&mut self, event: Event, mark: Marker) {
        let pos = self.pos(mark);
        match event {
            Event::Scalar(text, style, anchor, tag) => {
                let value = scalar(text, style, tag.is_some_and(|t| t.suffix == "str"));
                self.push(Node { value, pos }, anchor);
            }
            Event::SequenceStart(anchor, _) => self.open(
                Frame::Seq {
                    node: Node {
                        value: NodeValue::Seq(Vec::new()),
                        pos,
                    },
                    anchor,
                },
                pos,
            ),
            Event::MappingStart(anchor, _) => self.open(
                Frame::Map {
                    node: Node {
                        value: NodeValue::Map(Vec::new()),
                        pos,
                    },
                    anchor,
                    pending: None,
                    keys: HashSet::new(),
                },
                pos,
            ),
            Event::SequenceEnd | Event::MappingEnd => match self.stack.pop() {
                Some(Frame::Seq { node, anchor }) | Some(Frame::Map { node, anchor, .. }) => self.push(node, anchor),
                None => self.fail(pos, "unbalanced YAML structure".into()),
            },
            Event::Alias(id) => match self.anchors.get(&id) {
                Some((node, bytes)) => {
                    let node = node.clone();
                    if self.copy(pos, *bytes) {
                        self.push(Node { pos, ..node }, 0);
                    }
                }
                None => self.fail(pos, "alias to an unknown anchor".into()),
            },
            Event::Nothing | Event::StreamStart | Event::StreamEnd | Event::DocumentStart | Event::DocumentEnd => {}
        }
    }
}

/// Resolve a scalar the way the YAML 1.2 core schema does: only plain
/// (unquoted) scalars can be numbers, booleans or null. Numbers keep the text
/// the user wrote: an env value is that text, not a float's rounding of it.
fn scalar(text: String, style: TScalarStyle, forced_string: bool) -> NodeValue {
    if style != TScalarStyle::Plain || forced_string {
        return NodeValue::Str(text);
    }
    match Yaml::from_str(&text) {
        Yaml::Integer(_) | Yaml::Real(_) => NodeValue::Number(text),
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
    fn a_long_string_aliased_a_few_times_is_an_alias_bomb_too() {
        let text = format!("a: &a \"{}\"\nb: [*a, *a, *a, *a]\n", "x".repeat(300_000));
        let err = parse0(&text).unwrap_err();
        assert!(err.message.contains("aliases expand to more than"), "{}", err.message);
        // A few small aliases are what anchors are for.
        assert!(parse0("a: &a {k: v}\nb: *a\nc: *a\n").is_ok());
    }

    #[test]
    fn nesting_is_capped_on_every_path_even_on_a_small_stack() {
        let block_seq = format!("{}x\n", "- ".repeat(10_000));
        let block_map: String = (0..MAX_DEPTH + 1).map(|i| format!("{}k:\n", "  ".repeat(i))).collect();
        let flow = format!("{}{}", "[".repeat(200), "]".repeat(200));
        // A worker thread with a small stack: the cap must hold long before it runs out.
        std::thread::Builder::new()
            .stack_size(256 * 1024)
            .spawn(move || {
                for text in [block_seq, block_map, flow] {
                    let err = parse0(&text).unwrap_err();
                    assert!(err.message.contains("nest more than 64 levels"), "{}", err.message);
                }
            })
            .unwrap()
            .join()
            .unwrap();
        let ok: String = (0..MAX_DEPTH - 1).map(|i| format!("{}k:\n", "  ".repeat(i))).collect();
        assert!(parse0(&ok).is_ok());
    }

    #[test]
    fn numbers_keep_their_text_in_env_values_and_out_of_range_ones_are_refused_elsewhere() {
        let node =
            parse0("env: {A: 12345678901234567890, B: 1e-400, C: 3.10}\nport: 0x1F\nbig: 12345678901234567890\n")
                .unwrap();
        assert_eq!(
            node.to_json(),
            serde_json::json!({"env": {"A": "12345678901234567890", "B": "1e-400", "C": "3.10"}, "port": 31, "big": 12345678901234567890u64})
        );
        for bad in ["1e400", "-1e400", ".inf", ".nan", "1e-400"] {
            let err = parse0(&format!("services:\n  web:\n    cpu: {bad}\n")).unwrap_err();
            assert_eq!((err.line, err.col), (3, 10), "{bad}");
            assert!(err.message.contains("outside the range of a number"), "{}", err.message);
        }
    }

    #[test]
    fn a_second_document_is_rejected() {
        let err = parse0("a: 1\n---\nb: 2\n").unwrap_err();
        assert!(err.message.contains("one YAML document"), "{}", err.message);
    }
}
