//! Stage 7: rendered files to disk (atomically), or compared with disk.

pub mod paths;

use crate::error::{Error, Result};
use crate::render::{manifest_entries, RenderedFile, MANIFEST, MARKER};
use std::collections::BTreeSet;
use std::fs;
use std::io::Read;
use std::path::{Path, PathBuf};

/// Does this text carry the header deploygen writes? (Looked for near the top.)
pub fn is_generated(contents: &str) -> bool {
    contents.lines().take(3).any(|line| line.contains(MARKER))
}

fn read_existing(path: &Path) -> Result<Option<String>> {
    match fs::read(path) {
        Ok(bytes) => Ok(Some(String::from_utf8_lossy(&bytes).into_owned())),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(None),
        Err(e) => Err(Error::Write {
            path: path.display().to_string(),
            source: e,
        }),
    }
}

/// Paths the manifest on disk says deploygen wrote (files without a header).
fn owned_by_manifest(root: &Path) -> BTreeSet<String> {
    match fs::read_to_string(root.join(MANIFEST)) {
        Ok(text) if is_generated(&text) => manifest_entries(&text).into_iter().collect(),
        _ => BTreeSet::new(),
    }
}

/// Generated files under `root` (by their header, or listed in its manifest)
/// that are not in `keep`.
pub fn stale_files(root: &Path, keep: &BTreeSet<String>) -> Vec<String> {
    let mut found: Vec<String> = owned_by_manifest(root)
        .into_iter()
        .filter(|p| !keep.contains(p) && paths::contained(root, p).is_ok_and(|full| full.is_file()))
        .collect();
    let mut dirs = vec![PathBuf::new()];
    while let Some(rel) = dirs.pop() {
        let Ok(entries) = fs::read_dir(root.join(&rel)) else {
            continue;
        };
        let mut entries: Vec<_> = entries.flatten().collect();
        entries.sort_by_key(|e| e.file_name());
        for entry in entries {
            let name = entry.file_name().to_string_lossy().into_owned();
            let Ok(kind) = entry.file_type() else {
                continue;
            };
            let rel_path = rel.join(&name);
            if kind.is_dir() && name != ".git" {
                dirs.push(rel_path);
            } else if kind.is_file() {
                let shown = rel_path.to_string_lossy().replace('\\', "/");
                if !keep.contains(&shown) && !found.contains(&shown) && starts_with_marker(&entry.path()) {
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

#[derive(Debug, Clone, Copy, Default)]
pub struct WriteOptions {
    /// Overwrite files that lack deploygen's header.
    pub force: bool,
    /// Delete generated files the render no longer produces.
    pub prune: bool,
}

#[derive(Debug, Default)]
pub struct WriteReport {
    pub written: Vec<String>,
    pub unchanged: Vec<String>,
    pub stale: Vec<String>,
    pub pruned: Vec<String>,
}

struct Staged {
    target: PathBuf,
    temp: PathBuf,
    previous: Option<String>,
}

/// Write every file or none: all contents go to temporary files beside their
/// targets first, then each is renamed into place. If anything fails, the
/// files already renamed get their previous contents back and nothing else
/// is touched.
pub fn write(root: &Path, files: &[RenderedFile], options: WriteOptions) -> Result<WriteReport> {
    check_root(root)?;
    let owned = owned_by_manifest(root);
    let mut report = WriteReport::default();
    let mut pending = Vec::new();
    for file in files {
        let target = paths::contained(root, &file.path)?;
        let previous = read_existing(&target)?;
        match &previous {
            Some(old) if *old == file.contents => report.unchanged.push(file.path.clone()),
            Some(old) if !options.force && !is_generated(old) && !owned.contains(&file.path) => {
                return Err(Error::WouldOverwrite {
                    path: target.display().to_string(),
                })
            }
            _ => pending.push((file, target, previous)),
        }
    }

    let mut created_dirs = Vec::new();
    let mut staged: Vec<Staged> = Vec::new();
    let stage_all = |created_dirs: &mut Vec<PathBuf>, staged: &mut Vec<Staged>| -> Result<()> {
        for (file, target, previous) in &pending {
            let parent = target.parent().unwrap_or(root);
            create_dirs(parent, created_dirs)?;
            let temp = parent.join(format!(
                ".{}.deploygen-tmp",
                target.file_name().unwrap_or_default().to_string_lossy()
            ));
            fs::write(&temp, &file.contents).map_err(|source| Error::Write {
                path: target.display().to_string(),
                source,
            })?;
            staged.push(Staged {
                target: target.clone(),
                temp,
                previous: previous.clone(),
            });
        }
        Ok(())
    };
    if let Err(e) = stage_all(&mut created_dirs, &mut staged) {
        discard(&staged, &created_dirs);
        return Err(e);
    }

    for (i, s) in staged.iter().enumerate() {
        if let Err(source) = fs::rename(&s.temp, &s.target) {
            roll_back(&staged[..i]);
            discard(&staged[i..], &created_dirs);
            return Err(Error::Write {
                path: s.target.display().to_string(),
                source,
            });
        }
    }
    report.written = pending.iter().map(|(f, _, _)| f.path.clone()).collect();

    let keep: BTreeSet<String> = files.iter().map(|f| f.path.clone()).collect();
    report.stale = stale_files(root, &keep);
    if options.prune {
        for path in std::mem::take(&mut report.stale) {
            let target = paths::contained(root, &path)?;
            fs::remove_file(&target).map_err(|source| Error::Write {
                path: target.display().to_string(),
                source,
            })?;
            report.pruned.push(path);
        }
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

fn create_dirs(dir: &Path, created: &mut Vec<PathBuf>) -> Result<()> {
    let mut missing = Vec::new();
    let mut cursor = Some(dir);
    while let Some(d) = cursor {
        if d.as_os_str().is_empty() || d.exists() {
            break;
        }
        missing.push(d.to_path_buf());
        cursor = d.parent();
    }
    for d in missing.into_iter().rev() {
        match fs::create_dir(&d) {
            Ok(()) => created.push(d),
            // Another environment rendering beside this one made it first:
            // fine, and not ours to remove if this write fails.
            Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists && d.is_dir() => {}
            Err(source) => {
                return Err(Error::Write {
                    path: d.display().to_string(),
                    source,
                })
            }
        }
    }
    Ok(())
}

/// Remove temporary files and the folders this write created.
fn discard(staged: &[Staged], created_dirs: &[PathBuf]) {
    for s in staged {
        let _ = fs::remove_file(&s.temp);
    }
    for d in created_dirs.iter().rev() {
        let _ = fs::remove_dir(d);
    }
}

/// Put back what was there before the files already renamed into place.
fn roll_back(done: &[Staged]) {
    for s in done {
        let _ = match &s.previous {
            Some(old) => fs::write(&s.target, old),
            None => fs::remove_file(&s.target),
        };
    }
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

pub fn check(root: &Path, files: &[RenderedFile]) -> Result<Drift> {
    let mut drift = Drift::default();
    for file in files {
        let target = paths::contained(root, &file.path)?;
        match read_existing(&target)? {
            None => drift.missing.push(file.path.clone()),
            Some(old) if old != file.contents => drift.changed.push(ChangedFile {
                path: file.path.clone(),
                diff: unified_diff(&old, &file.contents, &file.path),
            }),
            Some(_) => {}
        }
    }
    let keep: BTreeSet<String> = files.iter().map(|f| f.path.clone()).collect();
    drift.stale = stale_files(root, &keep);
    Ok(drift)
}

pub fn unified_diff(old: &str, new: &str, path: &str) -> String {
    similar::TextDiff::from_lines(old, new)
        .unified_diff()
        .context_radius(3)
        .header(&format!("a/{path}"), &format!("b/{path}"))
        .to_string()
}
