//! `.deploygen-manifest`: the record of the files deploygen wrote in an output
//! folder. Only the files it lists are overwritten without `--force`, reported
//! stale and pruned: a user's `.env` copied from `.env.example` carries the
//! header too, but is not deploygen's.

use crate::render::MARKER;
use std::collections::{BTreeMap, BTreeSet};
use std::path::Path;

pub const MANIFEST: &str = ".deploygen-manifest";

/// The line that tells this record from the list of header-less files that
/// deploygen wrote before (which left the other files to their headers).
const VERSION_LINE_V2: &str =
    "# deploygen manifest v2: the files deploygen wrote in this folder; only these are overwritten without --force, reported stale or pruned.";

/// v3 records each file's SHA-256 too: `--prune` deletes only a file whose
/// bytes are still the ones deploygen wrote (a line added by hand names no
/// such bytes).
const VERSION_LINE: &str =
    "# deploygen manifest v3: the files deploygen wrote in this folder, each after the SHA-256 of its bytes; only these are overwritten without --force or reported stale, and --prune deletes only those whose bytes still match.";

/// A manifest larger than this is not one of ours.
const MAX_BYTES: u64 = 4 << 20;

/// Recorded paths, with the SHA-256 (hex) of the bytes written where known.
pub type Entries = BTreeMap<String, Option<String>>;

/// What an output folder's manifest says.
#[derive(Debug)]
pub enum Record {
    /// A v2 or v3 manifest: exactly the files deploygen wrote.
    Full(Entries),
    /// No manifest, or one from before v2 listing only the header-less files
    /// (JSON): the files with a header are deploygen's by their header, as
    /// they were then, but are never pruned on that evidence alone.
    Legacy(BTreeSet<String>),
}

/// `HEX  path` (as `sha256sum` prints it), or a bare path (v2).
fn parse_line(line: &str) -> (String, Option<String>) {
    match line.split_once("  ") {
        Some((hash, path)) if hash.len() == 64 && hash.bytes().all(|b| b.is_ascii_hexdigit()) => {
            (path.to_string(), Some(hash.to_ascii_lowercase()))
        }
        _ => (line.to_string(), None),
    }
}

impl Record {
    pub fn read(root: &Path) -> Record {
        let path = root.join(MANIFEST);
        let text = match std::fs::symlink_metadata(&path) {
            Ok(meta) if meta.is_file() && meta.len() <= MAX_BYTES => std::fs::read(&path)
                .map(|b| String::from_utf8_lossy(&b).into_owned())
                .unwrap_or_default(),
            _ => String::new(),
        };
        if !super::is_generated(&text) {
            return Record::Legacy(BTreeSet::new());
        }
        let lines = text.lines().filter(|l| !l.starts_with('#') && !l.trim().is_empty());
        if text.lines().any(|l| l == VERSION_LINE) {
            Record::Full(lines.map(parse_line).collect())
        } else if text.lines().any(|l| l == VERSION_LINE_V2) {
            Record::Full(lines.map(|l| (l.to_string(), None)).collect())
        } else {
            Record::Legacy(lines.map(String::from).collect())
        }
    }

    /// Paths the record lists as deploygen's.
    pub fn entries(&self) -> Vec<&String> {
        match self {
            Record::Full(e) => e.keys().collect(),
            Record::Legacy(e) => e.iter().collect(),
        }
    }

    /// The SHA-256 the record holds for `path`, if any.
    pub fn hash(&self, path: &str) -> Option<&str> {
        match self {
            Record::Full(e) => e.get(path).and_then(|h| h.as_deref()),
            Record::Legacy(_) => None,
        }
    }

    /// May deploygen overwrite this existing file without `--force`?
    pub fn owns(&self, path: &str, contents: &[u8]) -> bool {
        match self {
            Record::Full(entries) => entries.contains_key(path),
            Record::Legacy(entries) => {
                entries.contains(path)
                    || super::is_generated(&String::from_utf8_lossy(&contents[..contents.len().min(1024)]))
            }
        }
    }
}

/// SHA-256 of `bytes`, in lower-case hex.
pub fn sha256(bytes: &[u8]) -> String {
    use sha2::Digest;
    sha2::Sha256::digest(bytes).iter().map(|b| format!("{b:02x}")).collect()
}

/// Could deploygen's templates ever write `path`? Never a file in a hidden
/// folder (`.git/config`), never a dotfile other than an `.example`
/// (`.env.example` is deploygen's, `.env` is the user's), and only the kinds
/// of file the templates produce.
pub fn could_generate(path: &str) -> bool {
    let (folders, name) = super::folder::split(path);
    if folders.iter().any(|f| f.starts_with('.')) || (name.starts_with('.') && !name.ends_with(".example")) {
        return false;
    }
    const KINDS: [&str; 8] = ["yml", "yaml", "bicep", "json", "sh", "conf", "alloy", "example"];
    name == "Dockerfile" || name.rsplit_once('.').is_some_and(|(_, ext)| KINDS.contains(&ext))
}

/// The manifest listing `paths`, each after its hash where known (sorted).
pub fn contents(paths: &Entries) -> String {
    let mut text = format!("# {MARKER}. Do not edit: `deploygen render` keeps this record.\n{VERSION_LINE}\n");
    for (path, hash) in paths {
        if let Some(hash) = hash {
            text.push_str(hash);
            text.push_str("  ");
        }
        text.push_str(path);
        text.push('\n');
    }
    text
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_files_the_templates_could_write_are_ever_pruned() {
        for yes in [
            "docker-compose.yml",
            "infra/modules/redis.bicep",
            ".env.example",
            "redis/Dockerfile",
            "infra/parameters.prod.json",
        ] {
            assert!(could_generate(yes), "{yes}");
        }
        for no in [
            ".env",
            ".git/config",
            "NOTES.md",
            "a/.hidden/x.yml",
            ".deploygen-manifest",
            "src/main.rs",
        ] {
            assert!(!could_generate(no), "{no}");
        }
    }

    #[test]
    fn a_v3_line_holds_a_hash_and_a_path_with_spaces() {
        let hash = sha256(b"x");
        assert_eq!(parse_line(&format!("{hash}  a b.yml")), ("a b.yml".into(), Some(hash)));
        assert_eq!(parse_line("docker-compose.yml"), ("docker-compose.yml".into(), None));
    }
}
