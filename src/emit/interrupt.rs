//! SIGINT, SIGTERM and SIGHUP (Ctrl-C, a CI cancel, a closed terminal) while
//! files are written: the write in progress stops at its next step, puts the
//! output folder back as it was, and the process exits with 128 + the signal.
//! A second signal exits at once; the journal then lets the next run undo the
//! half-done swap.

use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::OnceLock;

static STOPPING: AtomicBool = AtomicBool::new(false);
static SIGNAL: AtomicUsize = AtomicUsize::new(0);

/// Catch the signals from now on (once per process; `render` calls it).
pub fn install() -> std::io::Result<()> {
    static INSTALLED: OnceLock<std::io::Result<()>> = OnceLock::new();
    match INSTALLED.get_or_init(register) {
        Ok(()) => Ok(()),
        Err(e) => Err(std::io::Error::new(e.kind(), e.to_string())),
    }
}

#[cfg(unix)]
fn register() -> std::io::Result<()> {
    use signal_hook::consts::{SIGHUP, SIGINT, SIGTERM};
    use signal_hook::flag;
    for sig in [SIGINT, SIGTERM, SIGHUP] {
        // Order matters: the first signal only records itself; a second one exits.
        flag::register_conditional_shutdown(sig, 128 + sig, &STOPPING)?;
        flag::register_usize(sig, &SIGNAL, sig as usize)?;
        flag::register(sig, &STOPPING)?;
    }
    Ok(())
}

#[cfg(not(unix))]
fn register() -> std::io::Result<()> {
    Ok(())
}

/// The signal received since [`install`], if any.
pub fn received() -> Option<i32> {
    match SIGNAL.load(Ordering::SeqCst) {
        0 => None,
        n => Some(n as i32),
    }
}

/// A signal's conventional name, for messages.
pub fn name(signal: i32) -> &'static str {
    match signal {
        1 => "SIGHUP",
        2 => "SIGINT",
        15 => "SIGTERM",
        _ => "a signal",
    }
}
