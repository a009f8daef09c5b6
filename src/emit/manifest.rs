//! `.deploygen-manifest`: the record of the files deploygen wrote in an output
//! folder. Only the files it lists are overwritten without `--force`, reported
//! stale and pruned: a user's `.env` copied from `.env.example` carries the
//! header too, but is not deploygen's.

use crate::render::MARKER;
use std::collections::BTreeSet;
use std::path::Path;

pub const MANIFEST: &str = ".deploygen-manifest";

/// The line that tells this record from the list of header-less files that
/// deploygen wrote before (which left the other files to their headers).
const VERSION_LINE: &str =
    "# deploygen manifest v2: the files deploygen wrote in this folder; only these are overwritten without --force, reported stale or pruned.";

/// A manifest larger than this is not one of ours.
const MAX_BYTES: u64 = 4 << 20;

/// What an output folder's manifest says.
#[derive(Debug)]
pub enum Record {
    /// A v2 manifest: exactly the files deploygen wrote.
    Full(BTreeSet<String>),
    /// No manifest, or one from before v2 listing only the header-less files
    /// (JSON): the files with a header are deploygen's by their header, as
    /// they were then, but are never pruned on that evidence alone.
    Legacy(BTreeSet<String>),
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
        let entries = text
            .lines()
            .filter(|l| !l.starts_with('#') && !l.trim().is_empty())
            .map(String::from)
            .collect();
        if text.lines().any(|l| l == VERSION_LINE) {
            Record::Full(entries)
        } else {
            Record::Legacy(entries)
        }
    }

    /// Paths the record lists as deploygen's.
    pub fn entries(&self) -> &BTreeSet<String> {
        match self {
            Record::Full(e) | Record::Legacy(e) => e,
        }
    }

    /// May deploygen overwrite this existing file without `--force`?
    pub fn owns(&self, path: &str, contents: &[u8]) -> bool {
        match self {
            Record::Full(entries) => entries.contains(path),
            Record::Legacy(entries) => {
                entries.contains(path)
                    || super::is_generated(&String::from_utf8_lossy(&contents[..contents.len().min(1024)]))
            }
        }
    }
}

/// The manifest listing `paths` (one per line, sorted).
pub fn contents(paths: &BTreeSet<String>) -> String {
    let mut text = format!("# {MARKER}. Do not edit: `deploygen render` keeps this record.\n{VERSION_LINE}\n");
    for path in paths {
        text.push_str(path);
        text.push('\n');
    }
    text
}
