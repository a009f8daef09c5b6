//! Stage 1: descriptor files to one merged [`Node`] tree, `extends` resolved.

mod merge;
pub mod node;
pub mod yaml;

use crate::error::{Error, Result};
use crate::source::{display_path, Location, Pos, Sources};
use node::{Node, NodeValue};
use std::path::{Path, PathBuf};

/// A descriptor with its `extends` chain merged in.
#[derive(Debug)]
pub struct Loaded {
    pub path: PathBuf,
    pub sources: Sources,
    pub root: Node,
}

/// How many files an `extends` chain may span.
pub const MAX_EXTENDS_DEPTH: usize = 16;

/// Reads a descriptor's text; the file system, or a git revision.
pub type Reader<'a> = &'a dyn Fn(&Path) -> std::io::Result<String>;

pub fn load(path: &Path) -> Result<Loaded> {
    load_with(path, &|p: &Path| crate::source::read_source(p))
}

/// Load with another reader (`diff --against REV` reads from git).
pub fn load_with(path: &Path, read: Reader) -> Result<Loaded> {
    let mut sources = Sources::default();
    let boundary = Boundary::of(path);
    let root = load_chain(path, read, &mut sources, &mut Vec::new(), None, &boundary)?;
    Ok(Loaded {
        path: path.to_path_buf(),
        sources,
        root,
    })
}

/// `visiting` holds the canonical paths on the current `extends` chain, to
/// catch cycles; `extended_from` is where the `extends` naming this file is.
fn load_chain(
    path: &Path,
    read: Reader,
    sources: &mut Sources,
    visiting: &mut Vec<PathBuf>,
    extended_from: Option<Location>,
    boundary: &Boundary,
) -> Result<Node> {
    let read_error = |source: std::io::Error| match &extended_from {
        Some(location) => Error::Extends {
            location: location.clone(),
            message: format!("cannot read `{}`: {source}", display_path(path)),
        },
        None => Error::Read {
            path: display_path(path),
            source,
        },
    };
    // Symbolic links resolved where the file exists (a folder linked to itself
    // must not make an endless chain); lexically for files only in git.
    let canonical = path.canonicalize().unwrap_or_else(|_| normalize(path));
    if visiting.len() >= MAX_EXTENDS_DEPTH {
        return Err(Error::Extends {
            location: extended_from.expect("a chain needs an extends"),
            message: format!("`extends` goes more than {MAX_EXTENDS_DEPTH} files deep"),
        });
    }
    if visiting.contains(&canonical) {
        let mut chain: Vec<String> = visiting.iter().map(|p| display_path(p)).collect();
        chain.push(display_path(&canonical));
        return Err(Error::ExtendsCycle {
            location: extended_from.expect("a cycle needs an extends"),
            chain,
        });
    }
    let text = read(path).map_err(read_error)?;
    let file = sources.add(path);
    // A byte-order mark is no part of the first key (editors on Windows write one).
    let text = text.strip_prefix('\u{feff}').unwrap_or(&text);
    // The YAML reader stops at a NUL as at the end of the file: every key
    // after it would be dropped without a word.
    if let Some(at) = text.find('\0') {
        let before = &text[..at];
        let line = before.matches('\n').count() + 1;
        let col = before.rsplit('\n').next().unwrap_or_default().chars().count() + 1;
        return Err(Error::Syntax {
            location: sources.locate(Pos { file, line, col }),
            message: "a NUL byte: a descriptor is text, and everything after it would be ignored".into(),
        });
    }
    let mut node = yaml::parse(text, file).map_err(|e| Error::Syntax {
        location: sources.locate(Pos {
            file,
            line: e.line,
            col: e.col,
        }),
        message: e.message,
    })?;
    if let Some(location) = &extended_from {
        if let Some(kind) = not_a_map(&node) {
            return Err(Error::Extends {
                location: location.clone(),
                message: format!(
                    "`{}` is not a descriptor: its document is {kind}, not a map of settings",
                    display_path(path)
                ),
            });
        }
    }
    let Some(extends) = node.remove("extends") else {
        return Ok(node);
    };
    let location = sources.locate(extends.pos);
    let NodeValue::Str(base) = &extends.value else {
        return Err(Error::Extends {
            location,
            message: "expected the path of a base descriptor (a string)".into(),
        });
    };
    // A base is another descriptor beside this one, named portably: not a
    // machine's absolute path, not a system file.
    if Path::new(base).is_absolute() || base.starts_with('/') || base.starts_with('\\') {
        return Err(Error::Extends {
            location,
            message: format!("`{base}` is an absolute path; name the base descriptor relative to this file"),
        });
    }
    if !(base.ends_with(".yaml") || base.ends_with(".yml")) {
        return Err(Error::Extends {
            location,
            message: format!("`{base}` is not a descriptor: expected a `.yaml` or `.yml` file"),
        });
    }
    let base_path = path.parent().unwrap_or(Path::new(".")).join(base);
    let real_base = base_path.canonicalize().unwrap_or_else(|_| normalize(&base_path));
    if !real_base.starts_with(&boundary.dir) {
        return Err(Error::Extends {
            location,
            message: format!(
                "`{base}` is outside {}; a base descriptor lives beside the ones that extend it",
                boundary.describe()
            ),
        });
    }
    visiting.push(canonical);
    let base = load_chain(&base_path, read, sources, visiting, Some(location), boundary)?;
    visiting.pop();
    Ok(merge::merge(base, node))
}

/// Where `extends` may reach: the git repository holding the descriptor,
/// or, outside any repository, the descriptor's own folder and those below
/// it. Following `..` anywhere else would print another project's (or the
/// system's) YAML values into a CI log.
struct Boundary {
    dir: PathBuf,
    in_repository: bool,
}

impl Boundary {
    fn of(descriptor: &Path) -> Boundary {
        let real = descriptor.canonicalize().unwrap_or_else(|_| normalize(descriptor));
        let folder = real.parent().map(Path::to_path_buf).unwrap_or_default();
        match folder.ancestors().find(|dir| dir.join(".git").exists()) {
            Some(repo) => Boundary {
                dir: repo.to_path_buf(),
                in_repository: true,
            },
            None => Boundary {
                dir: folder,
                in_repository: false,
            },
        }
    }

    fn describe(&self) -> String {
        match self.in_repository {
            true => format!("the repository (`{}`)", display_path(&self.dir)),
            false => format!(
                "the descriptor's folder (`{}`), and no git repository holds it",
                display_path(&self.dir)
            ),
        }
    }
}

/// What a document that is not a map is, for the message.
fn not_a_map(node: &Node) -> Option<&'static str> {
    match &node.value {
        NodeValue::Map(_) => None,
        NodeValue::Null => Some("empty"),
        NodeValue::Seq(_) => Some("a list"),
        NodeValue::Str(_) => Some("a string"),
        NodeValue::Bool(_) | NodeValue::Number(_) => Some("a single value"),
    }
}

/// An absolute path with `.` and `..` resolved lexically: the identity of a
/// file on the `extends` chain (the file may exist only in a git revision).
fn normalize(path: &Path) -> PathBuf {
    let absolute = if path.is_absolute() {
        path.to_path_buf()
    } else {
        std::env::current_dir().unwrap_or_default().join(path)
    };
    let mut out = PathBuf::new();
    for component in absolute.components() {
        match component {
            std::path::Component::ParentDir => {
                out.pop();
            }
            std::path::Component::CurDir => {}
            other => out.push(other),
        }
    }
    out
}
