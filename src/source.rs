//! Source files and positions: every value the tool reports on points back to
//! the file, line and column that set it.

use std::fmt;
use std::path::{Path, PathBuf};
use std::sync::OnceLock;

/// Index of a file in [`Sources`].
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct FileId(pub usize);

/// A 1-based line and column in one source file.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Pos {
    pub file: FileId,
    pub line: usize,
    pub col: usize,
}

/// The files read to build one environment (the descriptor and its `extends` chain).
#[derive(Debug, Default)]
pub struct Sources {
    paths: Vec<PathBuf>,
}

impl Sources {
    pub fn add(&mut self, path: &Path) -> FileId {
        self.paths.push(path.to_path_buf());
        FileId(self.paths.len() - 1)
    }

    pub fn path(&self, id: FileId) -> &Path {
        &self.paths[id.0]
    }

    /// Every file read, the descriptor first.
    pub fn paths(&self) -> &[PathBuf] {
        &self.paths
    }

    pub fn contains(&self, path: &Path) -> bool {
        self.paths.iter().any(|p| p == path)
    }

    /// `FILE:LINE:COL`, as editors and CI annotations expect.
    pub fn locate(&self, pos: Pos) -> Location {
        Location {
            path: display_path(self.path(pos.file)),
            line: pos.line,
            col: pos.col,
        }
    }
}

/// A position resolved to a printable path.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord, serde::Serialize)]
pub struct Location {
    pub path: String,
    pub line: usize,
    pub col: usize,
}

impl fmt::Display for Location {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}:{}:{}", self.path, self.line, self.col)
    }
}

/// A path as the user would type it: relative to the working directory when
/// below it, with forward slashes.
pub fn display_path(path: &Path) -> String {
    let shown = working_dir()
        .and_then(|cwd| path.strip_prefix(cwd).ok().map(Path::to_path_buf))
        .unwrap_or_else(|| path.to_path_buf());
    shown.to_string_lossy().replace('\\', "/")
}

/// How generated headers name a descriptor: relative to the output folder
/// the descriptor names (`../revisbali.yaml`), worked out from the two paths
/// alone, so the text is the same in a git checkout, an archive export and
/// from any working directory. Just the file name when the output folder is
/// absolute (the way back would spell out the machine's folders).
pub fn relative_to_output(descriptor: &Path, output: Option<&str>) -> String {
    let name = descriptor
        .file_name()
        .unwrap_or_default()
        .to_string_lossy()
        .into_owned();
    let out = output.map(Path::new).unwrap_or(Path::new(""));
    if out.has_root() || out.is_absolute() {
        return name;
    }
    let from = lexical(descriptor.parent().unwrap_or(Path::new("")));
    let to = lexical(&from.join(match output {
        Some(out) => PathBuf::from(out),
        None => PathBuf::from(descriptor.file_stem().unwrap_or_default()),
    }));
    let common = from
        .components()
        .zip(to.components())
        .take_while(|(a, b)| a == b)
        .count();
    let mut rel = PathBuf::new();
    for _ in common..to.components().count() {
        rel.push("..");
    }
    for part in from.components().skip(common) {
        rel.push(part);
    }
    rel.push(name);
    rel.to_string_lossy().replace('\\', "/")
}

/// An absolute path with `.` and `..` resolved without touching the disk.
fn lexical(path: &Path) -> PathBuf {
    let absolute = if path.is_absolute() {
        path.to_path_buf()
    } else {
        working_dir().unwrap_or(Path::new("/")).join(path)
    };
    let mut out = PathBuf::new();
    for part in absolute.components() {
        match part {
            std::path::Component::ParentDir => {
                out.pop();
            }
            std::path::Component::CurDir => {}
            other => out.push(other),
        }
    }
    out
}

/// The working directory, read once: deploygen never changes it.
fn working_dir() -> Option<&'static Path> {
    static CWD: OnceLock<Option<PathBuf>> = OnceLock::new();
    CWD.get_or_init(|| std::env::current_dir().ok()).as_deref()
}

/// The most a descriptor (or a base it extends) may hold: far above any real
/// one, and a bound on what a wrong path (a log, a device) can make us read.
pub const MAX_SOURCE_BYTES: u64 = 16 << 20;

/// Read a descriptor: a regular file (a link to one is fine) of at most
/// [`MAX_SOURCE_BYTES`], in UTF-8. `/dev/zero`, `/dev/stdin`, a FIFO or a
/// folder is refused at once instead of read forever or waited on.
pub fn read_source(path: &Path) -> std::io::Result<String> {
    use std::io::{Error, ErrorKind, Read};
    let meta = std::fs::metadata(path)?;
    if !meta.is_file() {
        let kind = if meta.is_dir() {
            "a folder"
        } else {
            "not a regular file"
        };
        return Err(Error::new(ErrorKind::InvalidInput, format!("it is {kind}")));
    }
    let too_big = || {
        Error::new(
            ErrorKind::InvalidData,
            format!("it is larger than {} MiB", MAX_SOURCE_BYTES >> 20),
        )
    };
    if meta.len() > MAX_SOURCE_BYTES {
        return Err(too_big());
    }
    let mut bytes = Vec::with_capacity(meta.len() as usize);
    // The file could grow between the check and the read.
    std::fs::File::open(path)?
        .take(MAX_SOURCE_BYTES + 1)
        .read_to_end(&mut bytes)?;
    if bytes.len() as u64 > MAX_SOURCE_BYTES {
        return Err(too_big());
    }
    String::from_utf8(bytes).map_err(|_| Error::new(ErrorKind::InvalidData, "it is not UTF-8 text"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn headers_name_the_descriptor_from_its_output_folder() {
        let d = Path::new("environments/revisbali.yaml");
        assert_eq!(relative_to_output(d, None), "../revisbali.yaml");
        assert_eq!(relative_to_output(d, Some("chat")), "../revisbali.yaml");
        assert_eq!(relative_to_output(d, Some("deploy/prod")), "../../revisbali.yaml");
        assert_eq!(relative_to_output(d, Some(".")), "revisbali.yaml");
        assert_eq!(relative_to_output(d, Some("../out")), "../environments/revisbali.yaml");
        assert_eq!(relative_to_output(d, Some("/srv/out")), "revisbali.yaml");
        assert_eq!(relative_to_output(Path::new("x.yaml"), None), "../x.yaml");
    }
}
