//! `--format github`: workflow commands GitHub Actions shows as annotations.
//! Their data is escaped here; [`Clean::annotation`] then keeps anything in
//! it from being read as another command.

use super::report::{CheckReport, ValidateReport};
use super::Clean;
use crate::error::Error;
use crate::findings::{Finding, Severity};
use std::io;

/// GitHub annotation properties and messages escape `%`, CR, LF (and `:`/`,` in properties).
fn escape(s: &str, property: bool) -> String {
    let s = s.replace('%', "%25").replace('\r', "%0D").replace('\n', "%0A");
    if property {
        s.replace(':', "%3A").replace(',', "%2C")
    } else {
        s
    }
}

fn annotation(
    level: &str,
    file: Option<&str>,
    line: Option<usize>,
    col: Option<usize>,
    title: &str,
    message: &str,
) -> String {
    let mut props = Vec::new();
    if let Some(f) = file {
        props.push(format!("file={}", escape(f, true)));
    }
    if let Some(l) = line {
        props.push(format!("line={l}"));
    }
    if let Some(c) = col {
        props.push(format!("col={c}"));
    }
    props.push(format!("title={}", escape(title, true)));
    format!("::{level} {}::{}", props.join(","), escape(message, false))
}

pub fn finding(f: &Finding) -> String {
    annotation(
        if f.severity == Severity::Error {
            "error"
        } else {
            "warning"
        },
        f.location.as_ref().map(|l| l.path.as_str()),
        f.location.as_ref().map(|l| l.line),
        f.location.as_ref().map(|l| l.col),
        &f.rule.title(),
        &if f.pointer.is_empty() {
            f.message.clone()
        } else {
            format!("{}: {}", f.pointer, f.message)
        },
    )
}

pub fn findings(w: &mut Clean, report: &ValidateReport) -> io::Result<()> {
    for f in report.files.iter().flat_map(|file| file.findings) {
        w.annotation(&finding(f))?;
    }
    Ok(())
}

/// One error annotation per file out of sync.
pub fn check(w: &mut Clean, report: &CheckReport) -> io::Result<()> {
    for env in &report.environments {
        let shown = |p: &str| crate::source::display_path(&env.dir.join(p));
        let drift = |file: &str, message: &str| annotation("error", Some(file), None, None, "deploygen drift", message);
        for c in env.changed {
            let message = format!(
                "out of date with {}; run `deploygen render {}`",
                env.descriptor, env.descriptor
            );
            w.annotation(&drift(&shown(&c.path), &message))?;
        }
        for m in env.missing {
            w.annotation(&drift(&shown(m), "missing; run `deploygen render`"))?;
        }
        for s in env.stale {
            w.annotation(&drift(
                &shown(s),
                "stale: no longer rendered; run `deploygen render --prune`",
            ))?;
        }
    }
    Ok(())
}

/// An error that stopped a command, at its location or else on the descriptor.
pub fn error(e: &Error, file: Option<&str>) -> String {
    let at = e.location();
    annotation(
        "error",
        at.map(|l| l.path.as_str()).or(file),
        at.map(|l| l.line),
        at.map(|l| l.col),
        "deploygen",
        &e.to_string(),
    )
}
