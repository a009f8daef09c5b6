//! Swapping a whole environment's files into its output folder, all or none.
//!
//! Every new file is first written into a staging folder inside the output
//! folder (created exclusively, so nothing planted there is followed), next to
//! a hard link (or exact copy) of each file it replaces or prunes. A journal
//! then records the swap before the folder is touched, and each file takes
//! one rename. Undoing renames the kept files back: the same bytes, the same
//! mode. An interrupted process leaves the journal behind; the next run under
//! the folder's lock undoes the swap from it.

use super::folder::{read_capped, Blocked, Dir, Kind, Tree};
use super::manifest::{self, MANIFEST};
use super::{hook, interrupt, paths};
use crate::error::{Error, Result};
use std::fs;
use std::io::Write;
use std::path::{Path, PathBuf};

pub const STAGING: &str = ".deploygen-staging";
const JOURNAL: &str = "journal";

/// One change to the output folder.
pub struct Op {
    pub path: String,
    pub target: PathBuf,
    pub kind: OpKind,
}

pub enum OpKind {
    /// Write these bytes; `previous` is the mode of the file replaced, if any.
    Write { contents: Vec<u8>, previous: Option<u32> },
    /// Delete (prune) the file.
    Delete,
}

#[derive(serde::Serialize, serde::Deserialize)]
struct Journal {
    version: u32,
    /// The output folder's identity, so that a staging folder copied or
    /// committed from elsewhere is never replayed here.
    folder: String,
    /// Folders the swap creates, parents first.
    dirs: Vec<String>,
    ops: Vec<JournalOp>,
}

#[derive(serde::Serialize, serde::Deserialize)]
struct JournalOp {
    path: String,
    /// `write` or `delete`.
    kind: String,
    /// A previous file is kept as `old-N`.
    kept: bool,
    /// SHA-256 of the bytes written (writes): an undo removes or replaces
    /// only a file that still holds them, so a planted journal cannot make
    /// a render delete or overwrite a file deploygen did not write.
    #[serde(default)]
    written: Option<String>,
}

/// The journal format this deploygen writes and replays.
const JOURNAL_VERSION: u32 = 2;

/// What an earlier, interrupted run left, and what became of it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Recovered {
    /// Interrupted while staging: the folder was untouched; staging removed.
    Discarded,
    /// Interrupted mid-swap: every file is back as it was before that run.
    Undone,
}

fn folder_id(root: &Path) -> String {
    #[cfg(unix)]
    {
        use std::os::unix::fs::MetadataExt;
        fs::metadata(root)
            .map(|m| format!("{}:{}", m.dev(), m.ino()))
            .unwrap_or_default()
    }
    #[cfg(not(unix))]
    {
        let _ = root;
        String::new()
    }
}

fn write_error(path: &Path, source: std::io::Error) -> Error {
    Error::Write {
        path: path.display().to_string(),
        source,
    }
}

fn stop_if_signalled() -> Result<()> {
    match interrupt::received() {
        Some(signal) => Err(Error::Interrupted { signal }),
        None => Ok(()),
    }
}

/// Something moved underneath while deploygen held the folder.
fn moved(root: &Path) -> Error {
    Error::UnsafePath {
        path: root.display().to_string(),
        reason: "a folder inside it was moved or replaced (by a link?) while deploygen was writing; everything was put back as it was".into(),
    }
}

/// The staging folder, if an earlier run left one (a link there is refused).
fn existing_staging(root: &Path, dir: &Dir) -> Result<Option<Dir>> {
    let stage = root.join(STAGING);
    let refuse = || Error::UnsafePath {
        path: format!("{}/{STAGING}", root.display()),
        reason: "deploygen stages its writes there, and it is not a plain folder; remove it".into(),
    };
    match dir.stat(STAGING).map_err(|e| write_error(&stage, e))? {
        None => Ok(None),
        Some(entry) if entry.kind == Kind::Dir => match dir.open_dir(STAGING) {
            Ok(opened) => Ok(Some(opened)),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(None),
            Err(_) => Err(refuse()),
        },
        Some(_) => Err(refuse()),
    }
}

/// Does `root` hold a swap that an interrupted run left half done?
pub fn interrupted_swap(root: &Path) -> Result<bool> {
    let dir = Dir::open_root(root).map_err(|e| write_error(root, e))?;
    Ok(existing_staging(root, &dir)?.is_some_and(|stage| stage.stat(JOURNAL).is_ok_and(|e| e.is_some())))
}

/// Remove the staging folder (flat: files only) through handles.
fn remove_staging(root: &Dir, stage: &Dir) -> std::io::Result<()> {
    for name in stage.names()? {
        stage.remove_file(&name)?;
    }
    root.remove_dir(STAGING)
}

/// A journal larger than this is not one of ours.
const MAX_JOURNAL: u64 = 16 << 20;

/// Finish what an interrupted run left (call with the folder locked).
pub fn recover(root: &Path) -> Result<Option<Recovered>> {
    let mut tree = Tree::open(root).map_err(|e| write_error(root, e))?;
    let Some(stage) = existing_staging(root, tree.root())? else {
        return Ok(None);
    };
    let stage_path = root.join(STAGING);
    let journal_path = stage_path.join(JOURNAL);
    let journal_file = match stage.open_file(JOURNAL) {
        Ok(found) => Some(found),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => None,
        Err(e) => return Err(write_error(&journal_path, e)),
    };
    let Some((file, _)) = journal_file else {
        remove_staging(tree.root(), &stage).map_err(|e| write_error(&stage_path, e))?;
        return Ok(Some(Recovered::Discarded));
    };
    let refuse = |reason: &str| Error::UnsafePath {
        path: journal_path.display().to_string(),
        reason: format!("{reason}; inspect `{}` and remove it", stage_path.display()),
    };
    let bytes = read_capped(file, MAX_JOURNAL)
        .map_err(|e| write_error(&journal_path, e))?
        .ok_or_else(|| refuse("it is not a journal deploygen wrote"))?;
    let journal: Journal = serde_json::from_slice(&bytes).map_err(|_| refuse("it is not a journal deploygen wrote"))?;
    if journal.version != JOURNAL_VERSION || journal.folder != folder_id(root) {
        return Err(refuse("it was written for another folder (copied or committed?)"));
    }
    // Every path is checked as if it were being written now.
    for path in journal.dirs.iter().chain(journal.ops.iter().map(|o| &o.path)) {
        paths::contained(root, path)?;
    }
    // Only files deploygen writes, each write with the hash of its bytes:
    // anything else is no journal of ours (`.env`, `.git/config`...).
    let ours = |op: &JournalOp| {
        (op.path == MANIFEST || manifest::could_generate(&op.path))
            && match op.kind.as_str() {
                "write" => op.written.as_deref().is_some_and(|h| h.len() == 64),
                "delete" => op.written.is_none(),
                _ => false,
            }
    };
    if let Some(op) = journal.ops.iter().find(|op| !ours(op)) {
        return Err(refuse(&format!(
            "it names `{}`, which is not a file deploygen writes",
            op.path
        )));
    }
    for op in &journal.ops {
        let _ = tree.reach(&op.path);
    }
    undo(&tree, &stage, &journal);
    Ok(Some(Recovered::Undone))
}

/// Stage, journal and swap `ops` into `root` (locked). On any failure or
/// signal the folder is put back as it was and the error returned.
pub fn apply(root: &Path, ops: &[Op]) -> Result<()> {
    let mut tree = Tree::open(root).map_err(|e| write_error(root, e))?;
    let stage_path = root.join(STAGING);
    tree.root().make_dir(STAGING).map_err(|e| write_error(&stage_path, e))?;
    let stage = match tree.root().open_dir(STAGING) {
        Ok(stage) => stage,
        Err(e) => {
            let _ = tree.root().remove_dir(STAGING);
            return Err(write_error(&stage_path, e));
        }
    };
    let staged = stage_all(root, &mut tree, &stage, ops).and_then(|kept| match tree.unchanged() {
        true => Ok(kept),
        false => Err(moved(root)),
    });
    let kept = match staged {
        Ok(kept) => kept,
        Err(e) => {
            let _ = remove_staging(tree.root(), &stage);
            return Err(e);
        }
    };
    let journal = Journal {
        version: JOURNAL_VERSION,
        folder: folder_id(root),
        dirs: missing_dirs(&tree, ops),
        ops: ops
            .iter()
            .zip(kept)
            .map(|(op, kept)| JournalOp {
                path: op.path.clone(),
                kind: match op.kind {
                    OpKind::Write { .. } => "write".into(),
                    OpKind::Delete => "delete".into(),
                },
                kept,
                written: match &op.kind {
                    OpKind::Write { contents, .. } => Some(manifest::sha256(contents)),
                    OpKind::Delete => None,
                },
            })
            .collect(),
    };
    if let Err(e) = write_journal(&stage, &stage_path, &journal) {
        let _ = remove_staging(tree.root(), &stage);
        return Err(e);
    }
    let swapped = swap_all(&mut tree, &stage, ops, &journal.dirs).and_then(|()| match tree.unchanged() {
        true => Ok(()),
        false => Err(moved(root)),
    });
    if let Err(e) = swapped {
        undo(&tree, &stage, &journal);
        return Err(e);
    }
    // The commit point: without its journal the staging folder is litter.
    let journal_path = stage_path.join(JOURNAL);
    if let Err(e) = hook::step("commit").and_then(|()| stage.remove_file(JOURNAL)) {
        undo(&tree, &stage, &journal);
        return Err(write_error(&journal_path, e));
    }
    let _ = remove_staging(tree.root(), &stage);
    Ok(())
}

/// The held folder a path's file sits in, if it exists.
fn parent_of<'t>(tree: &'t Tree, path: &str) -> Option<&'t Dir> {
    tree.dir(path.rsplit_once('/').map_or("", |(parent, _)| parent))
}

fn leaf(path: &str) -> &str {
    path.rsplit_once('/').map_or(path, |(_, leaf)| leaf)
}

/// Stage every op; for each, whether the file it replaces is kept as `old-N`.
fn stage_all(root: &Path, tree: &mut Tree, stage: &Dir, ops: &[Op]) -> Result<Vec<bool>> {
    let mut kept = Vec::new();
    for (i, op) in ops.iter().enumerate() {
        stop_if_signalled()?;
        let fail = |e| write_error(&op.target, e);
        hook::step(&format!("stage {i}")).map_err(fail)?;
        let parent = match tree.reach(&op.path) {
            Ok(parent) => parent,
            Err(Blocked::Io(e)) => return Err(fail(e)),
            Err(Blocked::Link) => return Err(moved(root)),
        };
        let parent = parent.and_then(|key| tree.dir(&key));
        let existing = match parent {
            Some(dir) => dir.stat(leaf(&op.path)).map_err(fail)?,
            None => None,
        };
        if existing.is_some_and(|e| e.kind != Kind::File) {
            return Err(moved(root));
        }
        if let OpKind::Write { contents, previous } = &op.kind {
            let mut file = stage.create_new(&format!("new-{i}"), 0o666).map_err(fail)?;
            file.write_all(contents).map_err(fail)?;
            if let Some(mode) = previous {
                Dir::set_mode(&file, *mode).map_err(fail)?;
            }
        }
        if let (Some(dir), Some(_)) = (parent, existing) {
            keep(dir, leaf(&op.path), stage, &format!("old-{i}")).map_err(fail)?;
        }
        kept.push(existing.is_some());
    }
    Ok(kept)
}

/// Keep the file `name` in `dir` as `kept` in the staging folder: a hard link
/// (the very same file), or an exact copy where links are not possible.
fn keep(dir: &Dir, name: &str, stage: &Dir, kept: &str) -> std::io::Result<()> {
    if dir.link(name, stage, kept).is_ok() {
        return Ok(());
    }
    let (mut from, entry) = dir.open_file(name)?;
    if entry.kind != Kind::File {
        return Err(std::io::Error::new(
            std::io::ErrorKind::InvalidInput,
            "not a regular file",
        ));
    }
    let mut to = stage.create_new(kept, 0o600)?;
    std::io::copy(&mut from, &mut to)?;
    Dir::set_mode(&to, entry.mode)
}

/// Parent folders of the new files that do not exist yet, parents first
/// (the ones on the way that [`Tree::reach`] could not open).
fn missing_dirs(tree: &Tree, ops: &[Op]) -> Vec<String> {
    let mut dirs = Vec::new();
    for op in ops {
        let (folders, _) = super::folder::split(&op.path);
        for i in 1..=folders.len() {
            let dir = folders[..i].join("/");
            if tree.dir(&dir).is_none() && !dirs.contains(&dir) {
                dirs.push(dir);
            }
        }
    }
    dirs
}

fn write_journal(stage: &Dir, stage_path: &Path, journal: &Journal) -> Result<()> {
    let path = stage_path.join(JOURNAL);
    let fail = |e| write_error(&path, e);
    hook::step("journal").map_err(fail)?;
    let text = serde_json::to_vec_pretty(journal).map_err(|e| fail(e.into()))?;
    let mut file = stage.create_new("journal.tmp", 0o600).map_err(fail)?;
    file.write_all(&text).map_err(fail)?;
    stage.rename("journal.tmp", stage, JOURNAL).map_err(fail)
}

fn swap_all(tree: &mut Tree, stage: &Dir, ops: &[Op], dirs: &[String]) -> Result<()> {
    for dir in dirs {
        stop_if_signalled()?;
        tree.make(dir).map_err(|e| write_error(&tree.path_of(dir), e))?;
    }
    for (i, op) in ops.iter().enumerate() {
        stop_if_signalled()?;
        let fail = |e| write_error(&op.target, e);
        hook::step(&format!("swap {i}")).map_err(fail)?;
        let dir = parent_of(tree, &op.path).ok_or_else(|| fail(std::io::ErrorKind::NotFound.into()))?;
        match op.kind {
            OpKind::Write { .. } => stage.rename(&format!("new-{i}"), dir, leaf(&op.path)).map_err(fail)?,
            OpKind::Delete => dir.remove_file(leaf(&op.path)).map_err(fail)?,
        }
    }
    Ok(())
}

/// Put every file the journal names back as it was, then remove the staging
/// folder. Idempotent: a run interrupted while undoing is undone again.
/// Every step goes through the folders `tree` holds: never by path.
fn undo(tree: &Tree, stage: &Dir, journal: &Journal) {
    let present = |dir: &Dir, name: &str| dir.stat(name).is_ok_and(|e| e.is_some());
    // Does the file at `name` hold the bytes this run wrote there?
    let ours = |dir: &Dir, name: &str, op: &JournalOp| match (op.written.as_deref(), dir.open_file(name)) {
        (Some(hash), Ok((file, entry))) if entry.kind == Kind::File => {
            read_capped(file, MAX_JOURNAL).is_ok_and(|bytes| bytes.is_some_and(|b| manifest::sha256(&b) == hash))
        }
        _ => false,
    };
    for (i, op) in journal.ops.iter().enumerate().rev() {
        let Some(dir) = parent_of(tree, &op.path) else {
            continue;
        };
        let name = leaf(&op.path);
        let new = format!("new-{i}");
        let old = format!("old-{i}");
        let placed = match op.kind.as_str() {
            // Placed, and what is there now is what was placed.
            "write" => !present(stage, &new) && ours(dir, name, op),
            _ => !present(dir, name),
        };
        if op.kept {
            // Gone already if an earlier undo put it back: leave it be.
            if placed && present(stage, &old) {
                let _ = stage.rename(&old, dir, name);
            }
        } else if placed && op.kind == "write" {
            let _ = dir.remove_file(name);
        }
    }
    for rel in journal.dirs.iter().rev() {
        let (parent, name) = rel.rsplit_once('/').unwrap_or(("", rel));
        if let Some(dir) = tree.dir(parent) {
            let _ = dir.remove_dir(name);
        }
    }
    let _ = stage.remove_file(JOURNAL);
    let _ = remove_staging(tree.root(), stage);
}

#[cfg(test)]
mod tests {
    use super::*;

    fn journal(root: &Path, kept: bool) -> Journal {
        Journal {
            version: JOURNAL_VERSION,
            folder: folder_id(root),
            dirs: vec![],
            ops: vec![JournalOp {
                path: "a.yml".into(),
                kind: "write".into(),
                kept,
                written: Some(manifest::sha256(b"new\n")),
            }],
        }
    }

    fn stage_with(root: &Path, journal: &Journal) -> PathBuf {
        let stage = root.join(STAGING);
        fs::create_dir(&stage).unwrap();
        fs::write(stage.join(JOURNAL), serde_json::to_vec(journal).unwrap()).unwrap();
        stage
    }

    #[test]
    fn an_undo_interrupted_after_putting_a_file_back_is_undone_again_safely() {
        let dir = tempfile::tempdir().unwrap();
        let root = dir.path();
        // The new file was swapped in, then an undo put the old one back
        // (so neither `new-0` nor `old-0` is left), then that undo died.
        fs::write(root.join("a.yml"), "old\n").unwrap();
        stage_with(root, &journal(root, true));
        assert_eq!(recover(root).unwrap(), Some(Recovered::Undone));
        assert_eq!(fs::read_to_string(root.join("a.yml")).unwrap(), "old\n");
        assert!(!root.join(STAGING).exists());
    }

    #[test]
    fn a_half_done_swap_is_undone_to_the_previous_file() {
        let dir = tempfile::tempdir().unwrap();
        let root = dir.path();
        fs::write(root.join("a.yml"), "new\n").unwrap();
        let stage = stage_with(root, &journal(root, true));
        fs::write(stage.join("old-0"), "old\n").unwrap();
        assert_eq!(recover(root).unwrap(), Some(Recovered::Undone));
        assert_eq!(fs::read_to_string(root.join("a.yml")).unwrap(), "old\n");
    }

    #[test]
    fn staging_left_without_a_journal_is_removed_and_nothing_else_touched() {
        let dir = tempfile::tempdir().unwrap();
        let root = dir.path();
        fs::write(root.join("a.yml"), "old\n").unwrap();
        let stage = root.join(STAGING);
        fs::create_dir(&stage).unwrap();
        fs::write(stage.join("new-0"), "new\n").unwrap();
        assert_eq!(recover(root).unwrap(), Some(Recovered::Discarded));
        assert!(!stage.exists());
        assert_eq!(fs::read_to_string(root.join("a.yml")).unwrap(), "old\n");
        assert_eq!(recover(root).unwrap(), None);
    }

    #[test]
    fn a_journal_from_another_folder_is_never_replayed() {
        let dir = tempfile::tempdir().unwrap();
        let root = dir.path();
        fs::write(root.join("a.yml"), "mine\n").unwrap();
        let mut foreign = journal(root, false);
        foreign.folder = "1:2".into();
        stage_with(root, &foreign);
        let err = recover(root).unwrap_err().to_string();
        assert!(err.contains("written for another folder"), "{err}");
        assert_eq!(fs::read_to_string(root.join("a.yml")).unwrap(), "mine\n");
    }

    #[test]
    fn a_planted_journal_naming_a_user_file_is_refused() {
        let dir = tempfile::tempdir().unwrap();
        let root = dir.path();
        fs::write(root.join(".env"), "SECRET=mine\n").unwrap();
        let mut planted = journal(root, false);
        planted.ops[0].path = ".env".into();
        stage_with(root, &planted);
        let err = recover(root).unwrap_err().to_string();
        assert!(
            err.contains("it names `.env`, which is not a file deploygen writes"),
            "{err}"
        );
        assert_eq!(fs::read_to_string(root.join(".env")).unwrap(), "SECRET=mine\n");
    }

    #[test]
    fn a_planted_journal_never_deletes_bytes_deploygen_did_not_write() {
        let dir = tempfile::tempdir().unwrap();
        let root = dir.path();
        // The journal says `a.yml` was written (new, nothing kept) with
        // bytes other than the ones there: the file is not removed.
        fs::write(root.join("a.yml"), "mine\n").unwrap();
        let mut planted = journal(root, false);
        planted.ops[0].written = Some(manifest::sha256(b"other\n"));
        stage_with(root, &planted);
        assert_eq!(recover(root).unwrap(), Some(Recovered::Undone));
        assert_eq!(fs::read_to_string(root.join("a.yml")).unwrap(), "mine\n");
        // A journal of the old format is not replayed at all.
        let mut old = journal(root, false);
        old.version = 1;
        stage_with(root, &old);
        assert!(recover(root).is_err());
        assert_eq!(fs::read_to_string(root.join("a.yml")).unwrap(), "mine\n");
    }
}
