//! Swapping a whole environment's files into its output folder, all or none.
//!
//! Every new file is first written into a staging folder inside the output
//! folder (created exclusively, so nothing planted there is followed), next to
//! a hard link (or exact copy) of each file it replaces or prunes. A journal
//! then records the swap before the folder is touched, and each file takes
//! one rename. Undoing renames the kept files back: the same bytes, the same
//! mode. An interrupted process leaves the journal behind; the next run under
//! the folder's lock undoes the swap from it.

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
    Write {
        contents: Vec<u8>,
        previous: Option<fs::Permissions>,
    },
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
}

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

/// The staging folder, if an earlier run left one (a link there is refused).
fn existing_staging(root: &Path) -> Result<Option<PathBuf>> {
    let stage = root.join(STAGING);
    match fs::symlink_metadata(&stage) {
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(None),
        Err(e) => Err(write_error(&stage, e)),
        Ok(meta) if meta.is_dir() => Ok(Some(stage)),
        Ok(_) => Err(Error::UnsafePath {
            path: format!("{}/{STAGING}", root.display()),
            reason: "deploygen stages its writes there, and it is not a plain folder; remove it".into(),
        }),
    }
}

/// Does `root` hold a swap that an interrupted run left half done?
pub fn interrupted_swap(root: &Path) -> Result<bool> {
    Ok(existing_staging(root)?.is_some_and(|stage| stage.join(JOURNAL).exists()))
}

/// Finish what an interrupted run left (call with the folder locked).
pub fn recover(root: &Path) -> Result<Option<Recovered>> {
    let Some(stage) = existing_staging(root)? else {
        return Ok(None);
    };
    let journal_path = stage.join(JOURNAL);
    if !journal_path.exists() {
        fs::remove_dir_all(&stage).map_err(|e| write_error(&stage, e))?;
        return Ok(Some(Recovered::Discarded));
    }
    let refuse = |reason: &str| Error::UnsafePath {
        path: journal_path.display().to_string(),
        reason: format!("{reason}; inspect `{}` and remove it", stage.display()),
    };
    let bytes = fs::read(&journal_path).map_err(|e| write_error(&journal_path, e))?;
    let journal: Journal = serde_json::from_slice(&bytes).map_err(|_| refuse("it is not a journal deploygen wrote"))?;
    if journal.version != 1 || journal.folder != folder_id(root) {
        return Err(refuse("it was written for another folder (copied or committed?)"));
    }
    // Every path is checked as if it were being written now.
    for path in journal.dirs.iter().chain(journal.ops.iter().map(|o| &o.path)) {
        paths::contained(root, path)?;
    }
    undo(root, &stage, &journal);
    Ok(Some(Recovered::Undone))
}

/// Stage, journal and swap `ops` into `root` (locked). On any failure or
/// signal the folder is put back as it was and the error returned.
pub fn apply(root: &Path, ops: &[Op]) -> Result<()> {
    let stage = root.join(STAGING);
    fs::create_dir(&stage).map_err(|e| write_error(&stage, e))?;
    if let Err(e) = stage_all(&stage, ops) {
        let _ = fs::remove_dir_all(&stage);
        return Err(e);
    }
    let journal = Journal {
        version: 1,
        folder: folder_id(root),
        dirs: missing_dirs(root, ops),
        ops: ops
            .iter()
            .enumerate()
            .map(|(i, op)| JournalOp {
                path: op.path.clone(),
                kind: match op.kind {
                    OpKind::Write { .. } => "write".into(),
                    OpKind::Delete => "delete".into(),
                },
                kept: stage.join(format!("old-{i}")).exists(),
            })
            .collect(),
    };
    if let Err(e) = write_journal(&stage, &journal) {
        let _ = fs::remove_dir_all(&stage);
        return Err(e);
    }
    if let Err(e) = swap_all(root, &stage, ops, &journal.dirs) {
        undo(root, &stage, &journal);
        return Err(e);
    }
    // The commit point: without its journal the staging folder is litter.
    let journal_path = stage.join(JOURNAL);
    if let Err(e) = hook::step("commit").and_then(|()| fs::remove_file(&journal_path)) {
        undo(root, &stage, &journal);
        return Err(write_error(&journal_path, e));
    }
    let _ = fs::remove_dir_all(&stage);
    Ok(())
}

fn stage_all(stage: &Path, ops: &[Op]) -> Result<()> {
    for (i, op) in ops.iter().enumerate() {
        stop_if_signalled()?;
        let fail = |e| write_error(&op.target, e);
        hook::step(&format!("stage {i}")).map_err(fail)?;
        let exists = fs::symlink_metadata(&op.target).is_ok();
        if let OpKind::Write { contents, previous } = &op.kind {
            let new = stage.join(format!("new-{i}"));
            let mut file = fs::OpenOptions::new()
                .write(true)
                .create_new(true)
                .open(&new)
                .map_err(fail)?;
            file.write_all(contents).map_err(fail)?;
            if let Some(mode) = previous {
                file.set_permissions(mode.clone()).map_err(fail)?;
            }
        }
        if exists {
            keep(&op.target, &stage.join(format!("old-{i}"))).map_err(fail)?;
        }
    }
    Ok(())
}

/// Keep the file at `target` as `kept`: a hard link (the very same file), or
/// an exact copy where links are not possible.
fn keep(target: &Path, kept: &Path) -> std::io::Result<()> {
    if fs::hard_link(target, kept).is_ok() {
        return Ok(());
    }
    fs::copy(target, kept).map(|_| ())
}

/// Parent folders of the new files that do not exist yet, parents first.
fn missing_dirs(root: &Path, ops: &[Op]) -> Vec<String> {
    let mut dirs = Vec::new();
    for op in ops {
        let mut rel = Path::new(&op.path).parent();
        let mut chain = Vec::new();
        while let Some(dir) = rel.filter(|d| !d.as_os_str().is_empty()) {
            if fs::symlink_metadata(root.join(dir)).is_ok() {
                break;
            }
            chain.push(dir.to_string_lossy().replace('\\', "/"));
            rel = dir.parent();
        }
        for dir in chain.into_iter().rev() {
            if !dirs.contains(&dir) {
                dirs.push(dir);
            }
        }
    }
    dirs
}

fn write_journal(stage: &Path, journal: &Journal) -> Result<()> {
    let temp = stage.join("journal.tmp");
    let path = stage.join(JOURNAL);
    let fail = |e| write_error(&path, e);
    hook::step("journal").map_err(fail)?;
    let text = serde_json::to_vec_pretty(journal).map_err(|e| fail(e.into()))?;
    let mut file = fs::OpenOptions::new()
        .write(true)
        .create_new(true)
        .open(&temp)
        .map_err(fail)?;
    file.write_all(&text).map_err(fail)?;
    fs::rename(&temp, &path).map_err(fail)
}

fn swap_all(root: &Path, stage: &Path, ops: &[Op], dirs: &[String]) -> Result<()> {
    for dir in dirs {
        stop_if_signalled()?;
        let full = root.join(dir);
        fs::create_dir(&full).map_err(|e| write_error(&full, e))?;
    }
    for (i, op) in ops.iter().enumerate() {
        stop_if_signalled()?;
        let fail = |e| write_error(&op.target, e);
        hook::step(&format!("swap {i}")).map_err(fail)?;
        match op.kind {
            OpKind::Write { .. } => fs::rename(stage.join(format!("new-{i}")), &op.target).map_err(fail)?,
            OpKind::Delete => fs::remove_file(&op.target).map_err(fail)?,
        }
    }
    Ok(())
}

/// Put every file the journal names back as it was, then remove the staging
/// folder. Idempotent: a run interrupted while undoing is undone again.
fn undo(root: &Path, stage: &Path, journal: &Journal) {
    for (i, op) in journal.ops.iter().enumerate().rev() {
        let target = root.join(&op.path);
        let new = stage.join(format!("new-{i}"));
        let old = stage.join(format!("old-{i}"));
        let placed = match op.kind.as_str() {
            "write" => !new.exists(),
            _ => fs::symlink_metadata(&target).is_err(),
        };
        if op.kept {
            // Gone already if an earlier undo put it back: leave it be.
            if placed && old.exists() {
                let _ = fs::rename(&old, &target);
            }
        } else if placed && op.kind == "write" {
            let _ = fs::remove_file(&target);
        }
    }
    for dir in journal.dirs.iter().rev() {
        let _ = fs::remove_dir(root.join(dir));
    }
    let _ = fs::remove_file(stage.join(JOURNAL));
    let _ = fs::remove_dir_all(stage);
}

#[cfg(test)]
mod tests {
    use super::*;

    fn journal(root: &Path, kept: bool) -> Journal {
        Journal {
            version: 1,
            folder: folder_id(root),
            dirs: vec![],
            ops: vec![JournalOp {
                path: "a.yml".into(),
                kind: "write".into(),
                kept,
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
}
