//! A hook for tests of interrupted writes (`DEPLOYGEN_TEST_HOOK`), read once:
//! `pause=MS` names each write step on stderr, then sleeps MS milliseconds, so
//! that a test can signal the process between two steps; `fail=STEP` makes the
//! step named STEP (such as `swap 2`) fail as a full disk would.

use std::io::Write;
use std::sync::OnceLock;

enum Hook {
    None,
    Pause(u64),
    Fail(String),
}

fn hook() -> &'static Hook {
    static HOOK: OnceLock<Hook> = OnceLock::new();
    HOOK.get_or_init(|| {
        let value = std::env::var("DEPLOYGEN_TEST_HOOK").unwrap_or_default();
        if let Some(ms) = value.strip_prefix("pause=").and_then(|v| v.parse().ok()) {
            Hook::Pause(ms)
        } else if let Some(step) = value.strip_prefix("fail=") {
            Hook::Fail(step.to_string())
        } else {
            Hook::None
        }
    })
}

/// Called before each step of a write.
pub fn step(name: &str) -> std::io::Result<()> {
    match hook() {
        Hook::None => Ok(()),
        Hook::Pause(ms) => {
            let _ = writeln!(std::io::stderr(), "deploygen-test-hook: {name}");
            std::thread::sleep(std::time::Duration::from_millis(*ms));
            Ok(())
        }
        Hook::Fail(at) if at == name => Err(std::io::Error::new(
            std::io::ErrorKind::StorageFull,
            "no space left on device (DEPLOYGEN_TEST_HOOK)",
        )),
        Hook::Fail(_) => Ok(()),
    }
}
