//! An output folder reached through directory handles. The folder is opened
//! once; every folder below it is opened relative to its parent's handle
//! without following a link (`openat` with `O_NOFOLLOW`), and every write,
//! rename and delete names a file relative to a held handle (`renameat`,
//! `unlinkat`, `linkat`). A folder swapped for a link while deploygen runs
//! therefore cannot send a write or a delete outside: the handle still names
//! the folder that was opened, and [`Tree::unchanged`] tells the swap that
//! something moved underneath, so that it puts everything back and refuses.

use std::collections::HashMap;
use std::fs::File;
use std::io;
use std::path::{Path, PathBuf};

/// What a name in a folder is, seen without following a link.
#[derive(Debug, Clone, Copy)]
pub struct Entry {
    pub kind: Kind,
    pub len: u64,
    pub mode: u32,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    File,
    Dir,
    Link,
    Other,
}

#[cfg(unix)]
mod sys {
    use super::{Entry, Kind};
    use rustix::fs::{self, AtFlags, FileType, Mode, OFlags};
    use std::fs::File;
    use std::io;
    use std::os::fd::OwnedFd;
    use std::path::Path;

    /// One folder, held open.
    pub struct Dir {
        fd: OwnedFd,
    }

    // The stat fields' types differ between systems (st_mode is u16 on macOS).
    #[allow(clippy::unnecessary_cast)]
    fn entry(stat: &fs::Stat) -> Entry {
        let kind = match FileType::from_raw_mode(stat.st_mode as _) {
            FileType::RegularFile => Kind::File,
            FileType::Directory => Kind::Dir,
            FileType::Symlink => Kind::Link,
            _ => Kind::Other,
        };
        Entry {
            kind,
            len: stat.st_size as u64,
            mode: stat.st_mode as u32 & 0o7777,
        }
    }

    const DIR_FLAGS: OFlags = OFlags::RDONLY
        .union(OFlags::DIRECTORY)
        .union(OFlags::NOFOLLOW)
        .union(OFlags::CLOEXEC);

    impl Dir {
        /// The output folder itself (`-o DIR` may be reached through a link, on purpose).
        pub fn open_root(path: &Path) -> io::Result<Dir> {
            let flags = OFlags::RDONLY | OFlags::DIRECTORY | OFlags::CLOEXEC;
            Ok(Dir {
                fd: fs::openat(fs::CWD, path, flags, Mode::empty())?,
            })
        }

        /// The folder `name` in this one; a link there is refused (`ELOOP`/`ENOTDIR`).
        pub fn open_dir(&self, name: &str) -> io::Result<Dir> {
            Ok(Dir {
                fd: fs::openat(&self.fd, name, DIR_FLAGS, Mode::empty())?,
            })
        }

        pub fn make_dir(&self, name: &str) -> io::Result<()> {
            Ok(fs::mkdirat(&self.fd, name, Mode::from_raw_mode(0o777))?)
        }

        pub fn stat(&self, name: &str) -> io::Result<Option<Entry>> {
            match fs::statat(&self.fd, name, AtFlags::SYMLINK_NOFOLLOW) {
                Ok(stat) => Ok(Some(entry(&stat))),
                Err(rustix::io::Errno::NOENT) => Ok(None),
                Err(e) => Err(e.into()),
            }
        }

        /// Device and inode, to tell whether a name still leads to this folder.
        #[allow(clippy::unnecessary_cast)]
        pub fn id(&self) -> io::Result<(u64, u64)> {
            let stat = fs::fstat(&self.fd)?;
            Ok((stat.st_dev as u64, stat.st_ino as u64))
        }

        /// Device and inode of `name` here, not following a link.
        #[allow(clippy::unnecessary_cast)]
        pub fn id_of(&self, name: &str) -> io::Result<(u64, u64)> {
            let stat = fs::statat(&self.fd, name, AtFlags::SYMLINK_NOFOLLOW)?;
            Ok((stat.st_dev as u64, stat.st_ino as u64))
        }

        /// Open the regular file `name` for reading, never through a link and
        /// never blocking on a pipe; with what it is.
        pub fn open_file(&self, name: &str) -> io::Result<(File, Entry)> {
            let flags = OFlags::RDONLY | OFlags::NOFOLLOW | OFlags::NONBLOCK | OFlags::CLOEXEC;
            let fd = fs::openat(&self.fd, name, flags, Mode::empty())?;
            let found = entry(&fs::fstat(&fd)?);
            Ok((File::from(fd), found))
        }

        /// Create `name`, which must not exist (nor be a link).
        pub fn create_new(&self, name: &str, mode: u32) -> io::Result<File> {
            let flags = OFlags::WRONLY | OFlags::CREATE | OFlags::EXCL | OFlags::NOFOLLOW | OFlags::CLOEXEC;
            let fd = fs::openat(&self.fd, name, flags, Mode::from_raw_mode(mode as _))?;
            Ok(File::from(fd))
        }

        pub fn rename(&self, from: &str, to: &Dir, to_name: &str) -> io::Result<()> {
            Ok(fs::renameat(&self.fd, from, &to.fd, to_name)?)
        }

        /// A hard link `to/to_name` to `name` here (a link at `name` is linked, not followed).
        pub fn link(&self, name: &str, to: &Dir, to_name: &str) -> io::Result<()> {
            Ok(fs::linkat(&self.fd, name, &to.fd, to_name, AtFlags::empty())?)
        }

        pub fn remove_file(&self, name: &str) -> io::Result<()> {
            Ok(fs::unlinkat(&self.fd, name, AtFlags::empty())?)
        }

        pub fn remove_dir(&self, name: &str) -> io::Result<()> {
            Ok(fs::unlinkat(&self.fd, name, AtFlags::REMOVEDIR)?)
        }

        /// The names in this folder.
        pub fn names(&self) -> io::Result<Vec<String>> {
            let mut names = Vec::new();
            let mut dir = fs::Dir::read_from(&self.fd)?;
            while let Some(entry) = dir.read() {
                let name = entry?.file_name().to_string_lossy().into_owned();
                if name != "." && name != ".." {
                    names.push(name);
                }
            }
            Ok(names)
        }

        pub fn set_mode(file: &File, mode: u32) -> io::Result<()> {
            Ok(fs::fchmod(file, Mode::from_raw_mode(mode as _))?)
        }
    }
}

#[cfg(not(unix))]
mod sys {
    //! Where directory handles are not to be had: the same steps by path,
    //! each checked not to be a link just before it is taken.
    use super::{Entry, Kind};
    use std::fs::{self, File};
    use std::io;
    use std::path::{Path, PathBuf};

    pub struct Dir {
        path: PathBuf,
    }

    fn entry(meta: &fs::Metadata) -> Entry {
        let kind = if meta.file_type().is_symlink() {
            Kind::Link
        } else if meta.is_dir() {
            Kind::Dir
        } else if meta.is_file() {
            Kind::File
        } else {
            Kind::Other
        };
        Entry {
            kind,
            len: meta.len(),
            mode: if meta.permissions().readonly() { 0o444 } else { 0o644 },
        }
    }

    impl Dir {
        pub fn open_root(path: &Path) -> io::Result<Dir> {
            fs::read_dir(path)?;
            Ok(Dir {
                path: path.to_path_buf(),
            })
        }
        pub fn open_dir(&self, name: &str) -> io::Result<Dir> {
            let path = self.path.join(name);
            let meta = fs::symlink_metadata(&path)?;
            if !meta.is_dir() {
                return Err(io::Error::new(io::ErrorKind::NotADirectory, "not a folder"));
            }
            Ok(Dir { path })
        }
        pub fn make_dir(&self, name: &str) -> io::Result<()> {
            fs::create_dir(self.path.join(name))
        }
        pub fn stat(&self, name: &str) -> io::Result<Option<Entry>> {
            match fs::symlink_metadata(self.path.join(name)) {
                Ok(meta) => Ok(Some(entry(&meta))),
                Err(e) if e.kind() == io::ErrorKind::NotFound => Ok(None),
                Err(e) => Err(e),
            }
        }
        #[allow(clippy::unnecessary_cast)]
        pub fn id(&self) -> io::Result<(u64, u64)> {
            Ok((0, 0))
        }
        pub fn id_of(&self, name: &str) -> io::Result<(u64, u64)> {
            fs::symlink_metadata(self.path.join(name)).map(|_| (0, 0))
        }
        pub fn open_file(&self, name: &str) -> io::Result<(File, Entry)> {
            let path = self.path.join(name);
            let found = entry(&fs::symlink_metadata(&path)?);
            if found.kind != Kind::File {
                return Err(io::Error::new(io::ErrorKind::InvalidInput, "not a regular file"));
            }
            Ok((File::open(path)?, found))
        }
        pub fn create_new(&self, name: &str, _mode: u32) -> io::Result<File> {
            fs::OpenOptions::new()
                .write(true)
                .create_new(true)
                .open(self.path.join(name))
        }
        pub fn rename(&self, from: &str, to: &Dir, to_name: &str) -> io::Result<()> {
            fs::rename(self.path.join(from), to.path.join(to_name))
        }
        pub fn link(&self, name: &str, to: &Dir, to_name: &str) -> io::Result<()> {
            fs::hard_link(self.path.join(name), to.path.join(to_name))
        }
        pub fn remove_file(&self, name: &str) -> io::Result<()> {
            fs::remove_file(self.path.join(name))
        }
        pub fn remove_dir(&self, name: &str) -> io::Result<()> {
            fs::remove_dir(self.path.join(name))
        }
        pub fn names(&self) -> io::Result<Vec<String>> {
            Ok(fs::read_dir(&self.path)?
                .flatten()
                .map(|e| e.file_name().to_string_lossy().into_owned())
                .collect())
        }
        pub fn set_mode(file: &File, mode: u32) -> io::Result<()> {
            let mut perms = file.metadata()?.permissions();
            perms.set_readonly(mode & 0o222 == 0);
            file.set_permissions(perms)
        }
    }
}

pub use sys::Dir;

/// Split `a/b/c.yml` into its folders and its file name.
pub fn split(relative: &str) -> (Vec<&str>, &str) {
    let mut parts: Vec<&str> = relative.split('/').collect();
    let leaf = parts.pop().unwrap_or_default();
    (parts, leaf)
}

/// The output folder and the folders below it that a write goes through,
/// each opened once (keyed by its relative path; the folder itself is "").
pub struct Tree {
    root_path: PathBuf,
    root_id: (u64, u64),
    dirs: HashMap<String, Dir>,
}

/// `O_NOFOLLOW` met a link (`ELOOP`; `EMLINK` on FreeBSD; Linux says
/// `ENOTDIR` with `O_DIRECTORY`, so the name is looked at too).
fn is_link(e: &io::Error) -> bool {
    #[cfg(unix)]
    {
        matches!(
            rustix::io::Errno::from_io_error(e),
            Some(rustix::io::Errno::LOOP | rustix::io::Errno::MLINK)
        )
    }
    #[cfg(not(unix))]
    {
        e.kind() == io::ErrorKind::NotADirectory
    }
}

/// Why a path on the way could not be opened.
pub enum Blocked {
    /// A link is in the way.
    Link,
    Io(io::Error),
}

impl Tree {
    pub fn open(root: &Path) -> io::Result<Tree> {
        let dir = Dir::open_root(root)?;
        let root_id = dir.id()?;
        let mut dirs = HashMap::new();
        dirs.insert(String::new(), dir);
        Ok(Tree {
            root_path: root.to_path_buf(),
            root_id,
            dirs,
        })
    }

    pub fn root(&self) -> &Dir {
        &self.dirs[""]
    }

    /// The held folder at `rel` (opened by [`Tree::reach`] or [`Tree::make`]).
    pub fn dir(&self, rel: &str) -> Option<&Dir> {
        self.dirs.get(rel)
    }

    /// Open every folder on the way to `relative`'s parent that exists; the
    /// parent's key if it exists (`None`: a folder on the way is missing).
    pub fn reach(&mut self, relative: &str) -> Result<Option<String>, Blocked> {
        let (folders, _) = split(relative);
        let mut key = String::new();
        for name in folders {
            let next = if key.is_empty() {
                name.to_string()
            } else {
                format!("{key}/{name}")
            };
            if !self.dirs.contains_key(&next) {
                let opened = match self.dirs[&key].open_dir(name) {
                    Ok(dir) => dir,
                    Err(e) if e.kind() == io::ErrorKind::NotFound => return Ok(None),
                    Err(e)
                        if is_link(&e)
                            || self.dirs[&key]
                                .stat(name)
                                .is_ok_and(|found| found.is_some_and(|f| f.kind == Kind::Link)) =>
                    {
                        return Err(Blocked::Link)
                    }
                    Err(e) => return Err(Blocked::Io(e)),
                };
                self.dirs.insert(next.clone(), opened);
            }
            key = next;
        }
        Ok(Some(key))
    }

    /// Create the folder `rel` (its parent held) and hold it.
    pub fn make(&mut self, rel: &str) -> io::Result<()> {
        let (parent, name) = match rel.rsplit_once('/') {
            Some((parent, name)) => (parent, name),
            None => ("", rel),
        };
        let parent = self
            .dirs
            .get(parent)
            .ok_or_else(|| io::Error::new(io::ErrorKind::NotFound, "parent folder not opened"))?;
        parent.make_dir(name)?;
        let dir = parent.open_dir(name)?;
        self.dirs.insert(rel.to_string(), dir);
        Ok(())
    }

    /// Where the folder `rel` is, for messages.
    pub fn path_of(&self, rel: &str) -> PathBuf {
        self.root_path.join(rel)
    }

    /// Does every held folder still sit where it was opened: the output
    /// folder at its path, each other one under its name in its parent?
    pub fn unchanged(&self) -> bool {
        let root_ok = Dir::open_root(&self.root_path)
            .and_then(|d| d.id())
            .is_ok_and(|id| id == self.root_id);
        root_ok
            && self.dirs.iter().filter(|(k, _)| !k.is_empty()).all(|(key, dir)| {
                let (parent, name) = key.rsplit_once('/').unwrap_or(("", key));
                match (self.dirs.get(parent), dir.id()) {
                    (Some(parent), Ok(id)) => parent.id_of(name).is_ok_and(|found| found == id),
                    _ => false,
                }
            })
    }
}

/// Read at most `cap` bytes of `file`; `None` if it holds more.
pub fn read_capped(file: File, cap: u64) -> io::Result<Option<Vec<u8>>> {
    use std::io::Read;
    let mut bytes = Vec::new();
    file.take(cap + 1).read_to_end(&mut bytes)?;
    Ok((bytes.len() as u64 <= cap).then_some(bytes))
}
