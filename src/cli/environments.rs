//! Environment names on the command line to descriptor files.

use crate::error::{Error, Result};
use crate::validate::suggest::did_you_mean;
use std::path::{Path, PathBuf};

pub const ENVIRONMENTS_DIR: &str = "environments";

/// A descriptor path, or a name looked up in `environments/`.
pub fn resolve(arg: &str) -> Result<PathBuf> {
    let path = Path::new(arg);
    let looks_like_path = arg.ends_with(".yaml") || arg.ends_with(".yml") || arg.contains('/') || arg.contains('\\');
    if looks_like_path || path.is_file() {
        if path.is_file() {
            return Ok(path.to_path_buf());
        }
        // A folder, FIFO or device is named as such: never read, never waited on.
        let source = match path.exists() {
            true => std::io::Error::new(std::io::ErrorKind::InvalidInput, "it is not a regular file"),
            false => std::io::Error::new(std::io::ErrorKind::NotFound, "no such file"),
        };
        return Err(Error::Read {
            path: arg.to_string(),
            source,
        });
    }
    for ext in ["yaml", "yml"] {
        let candidate = Path::new(ENVIRONMENTS_DIR).join(format!("{arg}.{ext}"));
        if candidate.is_file() {
            return Ok(candidate);
        }
    }
    let known: Vec<String> = all(Path::new(ENVIRONMENTS_DIR))
        .unwrap_or_default()
        .iter()
        .filter_map(|p| p.file_stem().map(|s| s.to_string_lossy().into_owned()))
        .collect();
    Err(Error::EnvironmentNotFound {
        name: arg.to_string(),
        dir: ENVIRONMENTS_DIR.to_string(),
        suggestion: did_you_mean(arg, known.iter().map(String::as_str)).map(String::from),
    })
}

/// Every environment descriptor in `dir`, sorted. Files starting with `_` are
/// bases for `extends`, not environments.
pub fn all(dir: &Path) -> Result<Vec<PathBuf>> {
    let entries = std::fs::read_dir(dir).map_err(|source| Error::Io {
        context: format!("cannot list `{}`", dir.display()),
        source,
    })?;
    let mut found: Vec<PathBuf> = entries
        .flatten()
        .map(|e| e.path())
        .filter(|p| {
            let name = p
                .file_name()
                .map(|n| n.to_string_lossy().into_owned())
                .unwrap_or_default();
            p.is_file()
                && !name.starts_with('_')
                && !name.starts_with('.')
                && (name.ends_with(".yaml") || name.ends_with(".yml"))
        })
        .collect();
    found.sort();
    if found.is_empty() {
        return Err(Error::NoEnvironments {
            dir: dir.display().to_string(),
        });
    }
    Ok(found)
}

/// The arguments resolved, or every environment when there are none.
pub fn resolve_all(args: &[String]) -> Result<Vec<PathBuf>> {
    if args.is_empty() {
        all(Path::new(ENVIRONMENTS_DIR))
    } else {
        args.iter().map(|a| resolve(a)).collect()
    }
}
