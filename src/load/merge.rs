//! `extends`: maps deep-merge, everything else (lists, scalars) is replaced by
//! the extending file's value, and `null` removes the key (as in Helm). Every
//! node keeps the position of the file that set it, so errors in merged values
//! point at the right file.

use super::node::{Entry, Node, NodeValue};
use indexmap::IndexMap;

pub fn merge(base: Node, overlay: Node) -> Node {
    match (base.value, overlay.value) {
        (NodeValue::Map(entries), NodeValue::Map(overrides)) => {
            // Keyed by name so that merging n entries costs n, not n².
            // A removed key is left as `None` (removing from the middle would cost n).
            let mut merged: IndexMap<String, Option<Entry>> =
                entries.into_iter().map(|e| (e.key.clone(), Some(e))).collect();
            for over in overrides {
                if matches!(over.value.value, NodeValue::Null) {
                    if let Some(slot) = merged.get_mut(&over.key) {
                        *slot = None;
                    }
                    continue;
                }
                match merged.get_mut(&over.key).and_then(Option::as_mut) {
                    Some(existing) => {
                        let old = std::mem::replace(&mut existing.value, placeholder(over.value.pos));
                        existing.value = merge(old, over.value);
                        existing.key_pos = over.key_pos;
                    }
                    None => {
                        merged.insert(over.key.clone(), Some(over));
                    }
                }
            }
            Node {
                value: NodeValue::Map(merged.into_values().flatten().collect()),
                pos: overlay.pos,
            }
        }
        (_, value) => Node {
            value,
            pos: overlay.pos,
        },
    }
}

fn placeholder(pos: crate::source::Pos) -> Node {
    Node {
        value: NodeValue::Null,
        pos,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::load::yaml::parse;
    use crate::source::FileId;

    #[test]
    fn maps_merge_deeply_lists_replace_and_positions_follow_the_setter() {
        let base = parse("a: {x: 1, y: [1, 2]}\nb: base\n", FileId(0)).unwrap();
        let over = parse("a:\n  y: [3]\n  z: 4\n", FileId(1)).unwrap();
        let merged = merge(base, over);
        assert_eq!(
            merged.to_json(),
            serde_json::json!({"a": {"x": 1, "y": [3], "z": 4}, "b": "base"})
        );
        let index = merged.index();
        assert_eq!(index.value("/a/x").unwrap().file, FileId(0));
        assert_eq!(index.value("/a/y/0").unwrap().file, FileId(1));
        assert_eq!(index.value("/b").unwrap().file, FileId(0));
    }

    #[test]
    fn null_removes_a_key_from_the_base() {
        let base = parse("a: {x: 1, y: 2}\nb: 3\n", FileId(0)).unwrap();
        let over = parse("a: {x: null}\nb: ~\n", FileId(1)).unwrap();
        assert_eq!(merge(base, over).to_json(), serde_json::json!({"a": {"y": 2}}));
    }
}
