//! Where generated files may go: always below the output folder, never
//! through a symbolic link.

use crate::error::{Error, Result};
use std::path::{Component, Path, PathBuf};

/// The output folder for a descriptor: `-o` if given, else its `output:`
/// (relative to the descriptor), else a folder named after the descriptor, beside it.
pub fn output_dir(descriptor: &Path, output: Option<&str>, override_dir: Option<&Path>) -> PathBuf {
    if let Some(dir) = override_dir {
        return dir.to_path_buf();
    }
    let parent = descriptor.parent().unwrap_or(Path::new(""));
    match output {
        Some(out) => parent.join(out),
        None => parent.join(descriptor.file_stem().unwrap_or_default()),
    }
}

/// A folder the descriptor chose (`output:` or the default) is reached
/// without a symbolic link below the descriptor's folder: a committed link
/// could aim it anywhere. Rendering through one is `-o DIR`, on purpose.
pub fn descriptor_output(descriptor: &Path, dir: &Path) -> Result<()> {
    let parent = descriptor.parent().unwrap_or(Path::new(""));
    let Ok(rel) = dir.strip_prefix(parent) else {
        return Ok(());
    };
    let mut path = parent.to_path_buf();
    for component in rel.components() {
        path.push(component);
        if std::fs::symlink_metadata(&path).is_ok_and(|m| m.file_type().is_symlink()) {
            return Err(Error::UnsafePath {
                path: crate::source::display_path(dir),
                reason: format!(
                    "`{}` is a symbolic link, and a descriptor's output folder is never reached through one; use `-o DIR` to render there",
                    crate::source::display_path(&path)
                ),
            });
        }
    }
    Ok(())
}

/// `relative` checked to stay inside `root`: no absolute paths, no `..`, no
/// symbolic link on the way (an existing link could point anywhere).
pub fn contained(root: &Path, relative: &str) -> Result<PathBuf> {
    let unsafe_path = |reason: &str| Error::UnsafePath {
        path: relative.to_string(),
        reason: reason.to_string(),
    };
    // Control characters (a line break above all) would split a line of
    // the manifest into two paths.
    if relative.is_empty() || relative.chars().any(|c| c.is_control() || c == '\\') {
        return Err(unsafe_path("not a plain relative path"));
    }
    let rel = Path::new(relative);
    if !rel.components().all(|c| matches!(c, Component::Normal(_))) {
        return Err(unsafe_path(
            "it would leave the output folder (absolute path, `..` or `.`)",
        ));
    }
    let mut path = root.to_path_buf();
    for component in rel.components() {
        path.push(component);
        if let Ok(meta) = std::fs::symlink_metadata(&path) {
            if meta.file_type().is_symlink() {
                return Err(unsafe_path("a symbolic link is in the way inside the output folder"));
            }
        }
    }
    Ok(path)
}

/// Where `dir` really is, for telling whether two spellings name one folder:
/// links resolved in every part that exists, the rest taken as spelled.
pub fn canonical(dir: &Path) -> PathBuf {
    let absolute = if dir.is_absolute() {
        dir.to_path_buf()
    } else {
        std::env::current_dir().unwrap_or_default().join(dir)
    };
    let mut out = PathBuf::new();
    for component in absolute.components() {
        match component {
            Component::CurDir => {}
            // `out` is resolved already, so its parent is the real one.
            Component::ParentDir => {
                out.pop();
            }
            Component::Normal(name) => {
                out.push(name);
                if let Ok(real) = out.canonicalize() {
                    out = real;
                }
            }
            other => out.push(other),
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn paths_cannot_leave_the_output_folder() {
        let root = Path::new("/tmp/deploygen-out-does-not-exist");
        assert!(contained(root, "docker-compose.yml").is_ok());
        assert!(contained(root, "infra/modules/redis.bicep").is_ok());
        let here = std::env::current_dir().unwrap();
        assert_eq!(canonical(Path::new("no-such/../src/x")), canonical(&here.join("src/x")));
        for bad in [
            "../x",
            "/etc/passwd",
            "a/../../x",
            "./x",
            "",
            "a\\..\\x",
            "a\0b",
            "a\n.env",
            "a\rb",
        ] {
            assert!(contained(root, bad).is_err(), "{bad:?} accepted");
        }
    }
}
