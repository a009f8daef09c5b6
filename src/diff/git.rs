//! Reading a descriptor as it was at a git revision (`diff --against REV`).

use std::path::{Component, Path, PathBuf};
use std::process::Command;

/// How many symbolic links in a row `read_at` follows.
const MAX_LINKS: usize = 16;

/// The text of `path` at `rev`, read with `git show REV:./NAME` from the
/// file's own folder (so the path is relative to it, wherever the repository is).
/// A symbolic link committed there is followed as `git checkout` would
/// make it, to its target at the same revision, never outside the repository.
pub fn read_at(rev: &str, path: &Path) -> std::io::Result<String> {
    let mut path = path.to_path_buf();
    for _ in 0..MAX_LINKS {
        match link_target(rev, &path)? {
            None => return read_blob(rev, &path),
            Some(target) => path = target,
        }
    }
    Err(std::io::Error::other(format!(
        "more than {MAX_LINKS} symbolic links in a row at {rev}"
    )))
}

/// Where the symbolic link at `path` points at `rev` (`None`: not a link).
fn link_target(rev: &str, path: &Path) -> std::io::Result<Option<PathBuf>> {
    let (dir, name) = split(path)?;
    let output = Command::new("git")
        .arg("-C")
        .arg(dir)
        .args(["ls-tree", rev, "--"])
        .arg(format!("./{name}"))
        .output()?;
    // Mode 120000 is a symbolic link; its blob is the target path.
    if !output.status.success() || !output.stdout.starts_with(b"120000 ") {
        return Ok(None);
    }
    let target = read_blob(rev, path)?;
    let outside = || {
        std::io::Error::new(
            std::io::ErrorKind::InvalidInput,
            format!(
                "`{}` at {rev} is a symbolic link to `{target}`, outside the repository",
                path.display()
            ),
        )
    };
    if Path::new(&target).is_absolute() || target.starts_with('/') {
        return Err(outside());
    }
    let top = Command::new("git")
        .arg("-C")
        .arg(dir)
        .args(["rev-parse", "--show-toplevel"])
        .output()?;
    let top = PathBuf::from(String::from_utf8_lossy(&top.stdout).trim());
    let absolute_dir = dir.canonicalize()?;
    let mut resolved = absolute_dir.clone();
    for component in Path::new(&target).components() {
        match component {
            Component::ParentDir => {
                resolved.pop();
            }
            Component::Normal(part) => resolved.push(part),
            _ => {}
        }
    }
    if top.as_os_str().is_empty() || !resolved.starts_with(top.canonicalize()?) {
        return Err(outside());
    }
    Ok(Some(resolved))
}

fn split(path: &Path) -> std::io::Result<(&Path, String)> {
    let dir = path
        .parent()
        .filter(|p| !p.as_os_str().is_empty())
        .unwrap_or(Path::new("."));
    let name = path
        .file_name()
        .ok_or_else(|| std::io::Error::new(std::io::ErrorKind::InvalidInput, "not a file"))?;
    Ok((dir, name.to_string_lossy().into_owned()))
}

fn read_blob(rev: &str, path: &Path) -> std::io::Result<String> {
    let dir = path
        .parent()
        .filter(|p| !p.as_os_str().is_empty())
        .unwrap_or(Path::new("."));
    let name = path
        .file_name()
        .ok_or_else(|| std::io::Error::new(std::io::ErrorKind::InvalidInput, "not a file"))?;
    let output = Command::new("git")
        .arg("-C")
        .arg(dir)
        .arg("show")
        .arg(format!("{rev}:./{}", name.to_string_lossy()))
        .output()?;
    if !output.status.success() {
        let message = String::from_utf8_lossy(&output.stderr).trim().to_string();
        return Err(std::io::Error::new(
            std::io::ErrorKind::NotFound,
            format!("git: {message}"),
        ));
    }
    String::from_utf8(output.stdout).map_err(|e| std::io::Error::new(std::io::ErrorKind::InvalidData, e))
}

/// Does `rev` name a commit in the repository holding `dir`?
pub fn is_revision(rev: &str, dir: &Path) -> bool {
    Command::new("git")
        .arg("-C")
        .arg(dir)
        .args(["rev-parse", "--verify", "--quiet"])
        .arg(format!("{rev}^{{commit}}"))
        .output()
        .is_ok_and(|o| o.status.success())
}
