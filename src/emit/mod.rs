//! Stage 7: rendered files to disk (all or none), or compared with disk.

mod folder;
mod hook;
pub mod interrupt;
mod lock;
pub mod manifest;
pub mod paths;
mod swap;

use crate::error::{Error, Result};
use crate::render::{RenderedFile, MARKER};
use folder::Tree;
use manifest::{Record, MANIFEST};
use std::collections::BTreeSet;
use std::fs;
use std::io::Read;
use std::path::{Path, PathBuf};

pub use swap::{Recovered, STAGING};

/// Does this text carry the header deploygen writes? (Looked for near the top.)
pub fn is_generated(contents: &str) -> bool {
    contents.lines().take(3).any(|line| line.contains(MARKER))
}

/// A file on disk, compared with what would be written there: read whole
/// only when its size matches (a 4 GiB file at a generated path is never
/// read into memory).
struct Existing {
    /// Its bytes are the render's.
    same: bool,
    /// Its first bytes, where deploygen's header would be.
    head: Vec<u8>,
    mode: u32,
}

/// Files larger than this are shown in `check` by size, not by a diff.
const MAX_DIFF_BYTES: u64 = 16 << 20;

/// The file at `relative`, reached through `tree` without following a link.
fn open_existing(tree: &mut Tree, root: &Path, relative: &str) -> Result<Option<(std::fs::File, folder::Entry)>> {
    let path = root.join(relative);
    let fail = |source| Error::Write {
        path: path.display().to_string(),
        source,
    };
    let link = || Error::UnsafePath {
        path: relative.to_string(),
        reason: "a symbolic link is in the way inside the output folder".into(),
    };
    let parent = match tree.reach(relative) {
        Ok(Some(key)) => key,
        Ok(None) => return Ok(None),
        Err(folder::Blocked::Link) => return Err(link()),
        Err(folder::Blocked::Io(e)) => return Err(fail(e)),
    };
    let dir = tree.dir(&parent).expect("reached");
    let (_, name) = folder::split(relative);
    let entry = match dir.stat(name).map_err(fail)? {
        None => return Ok(None),
        Some(entry) => entry,
    };
    match entry.kind {
        folder::Kind::Dir => Err(fail(std::io::Error::new(
            std::io::ErrorKind::IsADirectory,
            "a folder is in the way",
        ))),
        folder::Kind::Link => Err(link()),
        folder::Kind::Other => Err(Error::UnsafePath {
            path: path.display().to_string(),
            reason: "it is not a regular file (a pipe or a device?)".into(),
        }),
        folder::Kind::File => match dir.open_file(name) {
            Ok((file, found)) if found.kind == folder::Kind::File => Ok(Some((file, found))),
            Ok(_) => Err(Error::UnsafePath {
                path: path.display().to_string(),
                reason: "it is not a regular file (a pipe or a device?)".into(),
            }),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(None),
            Err(e) => Err(fail(e)),
        },
    }
}

fn read_existing(tree: &mut Tree, root: &Path, relative: &str, new: &[u8]) -> Result<Option<Existing>> {
    let Some((mut file, entry)) = open_existing(tree, root, relative)? else {
        return Ok(None);
    };
    let fail = |source| Error::Write {
        path: root.join(relative).display().to_string(),
        source,
    };
    let mut head = vec![0u8; 1024];
    let n = read_full(&mut file, &mut head).map_err(fail)?;
    head.truncate(n);
    let same = entry.len == new.len() as u64 && new.starts_with(&head) && {
        let rest = folder::read_capped(file, new.len() as u64).map_err(fail)?;
        rest.is_some_and(|rest| head.len() + rest.len() == new.len() && new[head.len()..] == rest[..])
    };
    Ok(Some(Existing {
        same,
        head,
        mode: entry.mode,
    }))
}

/// Fill `buf` as far as the file goes.
fn read_full(file: &mut std::fs::File, buf: &mut [u8]) -> std::io::Result<usize> {
    let mut n = 0;
    while n < buf.len() {
        match file.read(&mut buf[n..])? {
            0 => break,
            k => n += k,
        }
    }
    Ok(n)
}

/// Files the record lists that this render no longer produces and that are
/// still there (regular files, inside the folder).
fn stale_files(root: &Path, tree: &mut Tree, record: &Record, rendered: &BTreeSet<String>) -> Vec<String> {
    record
        .entries()
        .into_iter()
        .filter(|p| !rendered.contains(*p) && p.as_str() != MANIFEST)
        .filter(|p| paths::contained(root, p).is_ok())
        .filter(|p| {
            let Ok(Some(key)) = tree.reach(p) else {
                return false;
            };
            let (_, name) = folder::split(p);
            tree.dir(&key)
                .and_then(|dir| dir.stat(name).ok().flatten())
                .is_some_and(|e| e.kind == folder::Kind::File)
        })
        .cloned()
        .collect()
}

/// The record of a render: each file with the hash of its bytes, and each
/// stale file still there with the hash recorded for it.
fn listing<'a>(
    files: &[RenderedFile],
    record: &Record,
    stale: impl IntoIterator<Item = &'a String>,
) -> manifest::Entries {
    let mut listed: manifest::Entries = files
        .iter()
        .map(|f| (f.path.clone(), Some(manifest::sha256(f.contents.as_bytes()))))
        .collect();
    for path in stale {
        listed.insert(path.clone(), record.hash(path).map(String::from));
    }
    listed
}

/// May `--prune` delete this stale file? Only a kind of file deploygen's
/// templates write, and only while its bytes are still the ones recorded.
fn still_as_written(tree: &mut Tree, root: &Path, record: &Record, path: &str) -> bool {
    let Some(recorded) = record.hash(path) else {
        return false;
    };
    if !manifest::could_generate(path) {
        return false;
    }
    match open_existing(tree, root, path) {
        Ok(Some((file, entry))) if entry.len <= MAX_DIFF_BYTES => {
            folder::read_capped(file, MAX_DIFF_BYTES).is_ok_and(|b| b.is_some_and(|b| manifest::sha256(&b) == recorded))
        }
        _ => false,
    }
}

/// In a folder from before the manifest recorded every file: files with
/// deploygen's header that no record lists and this render does not produce.
/// Reported, never pruned: a copy of `.env.example` has the header too.
fn unrecorded_files(root: &Path, record: &Record, rendered: &BTreeSet<String>) -> Vec<String> {
    let Record::Legacy(entries) = record else {
        return Vec::new();
    };
    let mut found = Vec::new();
    let mut dirs = vec![PathBuf::new()];
    while let Some(rel) = dirs.pop() {
        let Ok(entries_here) = fs::read_dir(root.join(&rel)) else {
            continue;
        };
        for entry in entries_here.flatten() {
            let name = entry.file_name().to_string_lossy().into_owned();
            let Ok(kind) = entry.file_type() else {
                continue;
            };
            let rel_path = rel.join(&name);
            if kind.is_dir() && name != ".git" && name != STAGING {
                dirs.push(rel_path);
            } else if kind.is_file() {
                let shown = rel_path.to_string_lossy().replace('\\', "/");
                if shown != MANIFEST
                    && !rendered.contains(&shown)
                    && !entries.contains(&shown)
                    && starts_with_marker(&entry.path())
                {
                    found.push(shown);
                }
            }
        }
    }
    found.sort();
    found
}

fn starts_with_marker(path: &Path) -> bool {
    let mut head = [0u8; 1024];
    let Ok(mut file) = fs::File::open(path) else {
        return false;
    };
    let n = file.read(&mut head).unwrap_or(0);
    is_generated(&String::from_utf8_lossy(&head[..n]))
}

fn no_wait(_: &Path) {}

#[derive(Clone, Copy)]
pub struct WriteOptions<'a> {
    /// Overwrite files that deploygen's record does not list.
    pub force: bool,
    /// Delete recorded files the render no longer produces.
    pub prune: bool,
    /// Told once when another deploygen holds the folder and this one waits.
    pub on_wait: &'a (dyn Fn(&Path) + Sync),
}

impl Default for WriteOptions<'_> {
    fn default() -> Self {
        WriteOptions {
            force: false,
            prune: false,
            on_wait: &no_wait,
        }
    }
}

#[derive(Debug, Default)]
pub struct WriteReport {
    pub written: Vec<String>,
    pub unchanged: Vec<String>,
    pub stale: Vec<String>,
    pub pruned: Vec<String>,
    /// Stale files `--prune` left: their bytes are not the ones recorded, or
    /// deploygen never writes such a file (a line added to the record by hand).
    pub kept: Vec<String>,
    /// Files with deploygen's header that no record lists (older folders).
    pub unrecorded: Vec<String>,
    /// What this run did about a write an earlier run left half done.
    pub recovered: Option<Recovered>,
}

/// Write every file or none. The folder is locked against other deploygen
/// processes; the files are staged inside it, then swapped in under a journal
/// (see [`swap`]); any failure or signal puts back exactly what was there.
pub fn write(root: &Path, files: &[RenderedFile], options: WriteOptions) -> Result<WriteReport> {
    if let Some(signal) = interrupt::received() {
        return Err(Error::Interrupted { signal });
    }
    check_root(root)?;
    for file in files {
        paths::contained(root, &file.path)?;
        if file.path == MANIFEST || file.path.split('/').next() == Some(STAGING) {
            return Err(Error::UnsafePath {
                path: file.path.clone(),
                reason: "deploygen keeps its record and its staging there".into(),
            });
        }
    }
    let created = create_dirs(root)?;
    let result = write_locked(root, files, options);
    if result.is_err() {
        for dir in created.iter().rev() {
            let _ = fs::remove_dir(dir);
        }
    }
    result
}

fn write_locked(root: &Path, files: &[RenderedFile], options: WriteOptions) -> Result<WriteReport> {
    let _lock = lock::lock(root, lock::Mode::Exclusive, options.on_wait)?;
    let mut report = WriteReport {
        recovered: swap::recover(root)?,
        ..WriteReport::default()
    };
    let record = Record::read(root);
    let mut tree = Tree::open(root).map_err(|source| Error::Write {
        path: root.display().to_string(),
        source,
    })?;
    let rendered: BTreeSet<String> = files.iter().map(|f| f.path.clone()).collect();
    let mut ops = Vec::new();
    for file in files {
        let target = paths::contained(root, &file.path)?;
        let existing = read_existing(&mut tree, root, &file.path, file.contents.as_bytes())?;
        match &existing {
            Some(old) if old.same => {
                report.unchanged.push(file.path.clone());
                continue;
            }
            Some(old) if !options.force && !record.owns(&file.path, &old.head) => {
                let path = target.display().to_string();
                return Err(match record {
                    Record::Full(_) => Error::NotRecorded { path },
                    Record::Legacy(_) => Error::WouldOverwrite { path },
                });
            }
            _ => {}
        }
        report.written.push(file.path.clone());
        ops.push(swap::Op {
            path: file.path.clone(),
            target,
            kind: swap::OpKind::Write {
                contents: file.contents.clone().into_bytes(),
                previous: existing.map(|e| e.mode),
            },
        });
    }
    let stale = stale_files(root, &mut tree, &record, &rendered);
    if options.prune {
        for path in stale {
            if !still_as_written(&mut tree, root, &record, &path) {
                report.kept.push(path);
                continue;
            }
            ops.push(swap::Op {
                target: paths::contained(root, &path)?,
                path: path.clone(),
                kind: swap::OpKind::Delete,
            });
            report.pruned.push(path);
        }
    } else {
        report.stale = stale;
    }
    report.unrecorded = unrecorded_files(root, &record, &rendered);
    // The record lists what is written, and what is stale but still there.
    let listed = listing(files, &record, report.stale.iter().chain(&report.kept));
    let text = manifest::contents(&listed);
    let target = paths::contained(root, MANIFEST)?;
    let existing = read_existing(&mut tree, root, MANIFEST, text.as_bytes())?;
    match &existing {
        Some(old) if old.same => {}
        Some(old) if !options.force && !is_generated(&String::from_utf8_lossy(&old.head)) => {
            return Err(Error::WouldOverwrite {
                path: target.display().to_string(),
            })
        }
        _ => ops.push(swap::Op {
            path: MANIFEST.into(),
            target,
            kind: swap::OpKind::Write {
                contents: text.into_bytes(),
                previous: existing.map(|e| e.mode),
            },
        }),
    }
    if !ops.is_empty() {
        drop(tree);
        swap::apply(root, &ops)?;
    }
    Ok(report)
}

/// The output folder must be a folder, or creatable: name the file in the way.
fn check_root(root: &Path) -> Result<()> {
    let existing = root.ancestors().find(|p| p.as_os_str().is_empty() || p.exists());
    match existing {
        Some(p) if !p.as_os_str().is_empty() && !p.is_dir() => Err(Error::Write {
            path: root.display().to_string(),
            source: std::io::Error::new(
                std::io::ErrorKind::NotADirectory,
                format!("`{}` is a file, not a folder", p.display()),
            ),
        }),
        _ => Ok(()),
    }
}

/// Create `dir` and its missing parents; the ones created, parents first.
fn create_dirs(dir: &Path) -> Result<Vec<PathBuf>> {
    let mut missing = Vec::new();
    let mut cursor = Some(dir);
    while let Some(d) = cursor {
        if d.as_os_str().is_empty() || d.exists() {
            break;
        }
        missing.push(d.to_path_buf());
        cursor = d.parent();
    }
    let mut created = Vec::new();
    for d in missing.into_iter().rev() {
        match fs::create_dir(&d) {
            Ok(()) => created.push(d),
            // Another environment rendering beside this one made it first:
            // fine, and not ours to remove if this write fails.
            Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists && d.is_dir() => {}
            Err(source) => {
                for made in created.iter().rev() {
                    let _ = fs::remove_dir(made);
                }
                return Err(Error::Write {
                    path: d.display().to_string(),
                    source,
                });
            }
        }
    }
    Ok(created)
}

/// How the files on disk differ from a fresh render.
#[derive(Debug, Default, serde::Serialize)]
pub struct Drift {
    pub changed: Vec<ChangedFile>,
    pub missing: Vec<String>,
    pub stale: Vec<String>,
}

#[derive(Debug, serde::Serialize)]
pub struct ChangedFile {
    pub path: String,
    /// A unified diff from the file on disk to the fresh render.
    pub diff: String,
}

impl Drift {
    pub fn is_clean(&self) -> bool {
        self.changed.is_empty() && self.missing.is_empty() && self.stale.is_empty()
    }
}

/// Compare byte for byte what `render` would write with the files on disk,
/// the record included (under a shared lock: never a folder half written).
pub fn check(root: &Path, files: &[RenderedFile], on_wait: &dyn Fn(&Path)) -> Result<Drift> {
    let _lock = match root.is_dir() {
        true => Some(lock::lock(root, lock::Mode::Shared, on_wait)?),
        false => None,
    };
    if _lock.is_some() && swap::interrupted_swap(root)? {
        return Err(Error::InterruptedSwap {
            path: root.display().to_string(),
        });
    }
    let record = Record::read(root);
    let rendered: BTreeSet<String> = files.iter().map(|f| f.path.clone()).collect();
    let mut tree = match _lock {
        Some(_) => Some(Tree::open(root).map_err(|source| Error::Write {
            path: root.display().to_string(),
            source,
        })?),
        None => None,
    };
    let mut drift = Drift {
        stale: match tree.as_mut() {
            Some(tree) => stale_files(root, tree, &record, &rendered),
            None => Vec::new(),
        },
        ..Drift::default()
    };
    let listed = listing(files, &record, &drift.stale);
    let expected_manifest = RenderedFile {
        path: MANIFEST.into(),
        contents: manifest::contents(&listed),
    };
    for file in files.iter().chain([&expected_manifest]) {
        paths::contained(root, &file.path)?;
        let found = match tree.as_mut() {
            Some(tree) => open_existing(tree, root, &file.path)?,
            None => None,
        };
        let Some((handle, entry)) = found else {
            drift.missing.push(file.path.clone());
            continue;
        };
        let new = file.contents.as_bytes();
        let fail = |source| Error::Write {
            path: root.join(&file.path).display().to_string(),
            source,
        };
        // Read no more than the render, or than a diff is worth.
        let cap = (new.len() as u64).max(MAX_DIFF_BYTES);
        let old = match entry.len <= cap {
            true => folder::read_capped(handle, cap).map_err(fail)?,
            false => None,
        };
        match old {
            Some(old) if old == new => {}
            Some(old) => drift.changed.push(ChangedFile {
                path: file.path.clone(),
                diff: byte_diff(&old, &file.contents, &file.path),
            }),
            None => drift.changed.push(ChangedFile {
                path: file.path.clone(),
                diff: format!(
                    "--- a/{0}\n+++ b/{0}\n(the file on disk is {1} bytes, the render {2}: too large to show as a diff)\n",
                    file.path,
                    entry.len,
                    new.len()
                ),
            }),
        }
    }
    Ok(drift)
}

/// A unified diff; bytes that are not UTF-8 are named, never hidden by decoding.
fn byte_diff(old: &[u8], new: &str, path: &str) -> String {
    let text = String::from_utf8_lossy(old);
    if text == new {
        return format!(
            "--- a/{path}\n+++ b/{path}\n(the file on disk has bytes that are not UTF-8 where the render has the same text)\n"
        );
    }
    unified_diff(&text, new, path)
}

/// A unified diff of two texts. Myers' algorithm is quadratic on texts that
/// share little (80,000 changed lines took 90 s), so past a deadline it
/// settles for a correct but coarser diff: real drift diffs finish long before.
pub fn unified_diff(old: &str, new: &str, path: &str) -> String {
    similar::TextDiff::configure()
        .timeout(std::time::Duration::from_secs(2))
        .diff_lines(old, new)
        .unified_diff()
        .context_radius(3)
        .header(&format!("a/{path}"), &format!("b/{path}"))
        .to_string()
}
