//! An advisory lock per output folder: one `render` writes a folder at a time,
//! and `check` does not read one while it is half written. The lock is taken
//! on the folder itself (no lock file to commit or forget) and released when
//! the process ends, however it ends.

use crate::error::{Error, Result};
use std::fs::{File, TryLockError};
use std::path::Path;
use std::time::{Duration, Instant};

/// How long to wait for another deploygen by default; `DEPLOYGEN_LOCK_TIMEOUT`
/// (seconds) overrides it.
const DEFAULT_TIMEOUT: Duration = Duration::from_secs(60);

pub struct Lock {
    _file: Option<File>,
}

#[derive(Clone, Copy)]
pub enum Mode {
    /// `render`: nobody else reads or writes.
    Exclusive,
    /// `check`: others may read too.
    Shared,
}

/// Lock `dir` (which exists), calling `on_wait` once if another process holds it.
pub fn lock(dir: &Path, mode: Mode, on_wait: &dyn Fn(&Path)) -> Result<Lock> {
    let io_error = |source| Error::Write {
        path: dir.display().to_string(),
        source,
    };
    let file = match File::open(dir) {
        Ok(file) => file,
        // Windows opens no folder as a file: go on unguarded there.
        Err(_) if cfg!(not(unix)) => return Ok(Lock { _file: None }),
        Err(e) => return Err(io_error(e)),
    };
    let timeout = std::env::var("DEPLOYGEN_LOCK_TIMEOUT")
        .ok()
        .and_then(|s| s.parse::<f64>().ok())
        .filter(|s| s.is_finite() && *s >= 0.0)
        // Past what a Duration holds (1e20 s): wait as good as forever.
        .map_or(DEFAULT_TIMEOUT, |s| {
            Duration::try_from_secs_f64(s).unwrap_or(Duration::MAX)
        });
    let started = Instant::now();
    let mut told = false;
    loop {
        let attempt = match mode {
            Mode::Exclusive => file.try_lock(),
            Mode::Shared => file.try_lock_shared(),
        };
        match attempt {
            Ok(()) => return Ok(Lock { _file: Some(file) }),
            Err(TryLockError::Error(e)) if e.kind() == std::io::ErrorKind::Unsupported => {
                // A file system without locks: go on unguarded, as before.
                return Ok(Lock { _file: Some(file) });
            }
            Err(TryLockError::Error(e)) => return Err(io_error(e)),
            Err(TryLockError::WouldBlock) => {
                if started.elapsed() >= timeout {
                    return Err(Error::Locked {
                        path: dir.display().to_string(),
                        waited: timeout.as_secs_f64(),
                    });
                }
                if !told {
                    on_wait(dir);
                    told = true;
                }
                std::thread::sleep(Duration::from_millis(20));
            }
        }
    }
}
