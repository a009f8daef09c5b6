//! Reading a descriptor as it was at a git revision (`diff --against REV`).

use std::path::Path;
use std::process::Command;

/// The text of `path` at `rev`, read with `git show REV:./NAME` from the
/// file's own folder (so the path is relative to it, wherever the repository is).
pub fn read_at(rev: &str, path: &Path) -> std::io::Result<String> {
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
