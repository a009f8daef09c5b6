//! Text for people, JSON for machines, annotations for GitHub Actions.

use super::Format;
use crate::emit::{Drift, WriteReport};
use crate::error::Error;
use crate::findings::{Finding, Severity};
use crate::plan::Plan;
use crate::source::display_path;
use serde_json::json;
use std::io::{self, Write};
use std::path::{Path, PathBuf};

/// Version of every JSON document deploygen prints.
pub const JSON_FORMAT_VERSION: u32 = 1;

pub struct Out<'a> {
    pub stdout: Clean<'a>,
    pub stderr: Clean<'a>,
    pub quiet: bool,
    pub format: Format,
    pub color: bool,
}

/// A terminal or CI log that text from descriptors, paths and files reaches:
/// control characters (terminal escapes, CR that rewinds a line) and bidi
/// overrides are shown as `\u001b`-style escapes, never sent. With
/// `--format github`, a line of data that GitHub would run as a workflow
/// command (`::…` at its start, `##[` anywhere) is broken up; deploygen's own
/// annotations go through [`Clean::annotation`].
pub struct Clean<'a> {
    inner: &'a mut dyn Write,
    github: bool,
    /// Bytes of a line not ended yet.
    pending: Vec<u8>,
    at_line_start: bool,
}

impl<'a> Clean<'a> {
    pub fn new(inner: &'a mut dyn Write, github: bool) -> Self {
        Clean {
            inner,
            github,
            pending: Vec::new(),
            at_line_start: true,
        }
    }

    /// Write our own bytes as they are (colour codes), after what is pending.
    pub fn raw(&mut self, bytes: &[u8]) -> io::Result<()> {
        self.emit_pending()?;
        self.inner.write_all(bytes)
    }

    /// One workflow command deploygen built (its data escaped already).
    pub fn annotation(&mut self, line: &str) -> io::Result<()> {
        self.emit_pending()?;
        // The old `##[command]` syntax is read anywhere in a line.
        let mut text = escape_controls(line).replace("##[", "## [");
        text.push('\n');
        self.at_line_start = true;
        self.inner.write_all(text.as_bytes())
    }

    fn emit_pending(&mut self) -> io::Result<()> {
        if self.pending.is_empty() {
            return Ok(());
        }
        let bytes = std::mem::take(&mut self.pending);
        self.emit(&String::from_utf8_lossy(&bytes), false)
    }

    fn emit(&mut self, text: &str, ends_line: bool) -> io::Result<()> {
        let mut text = escape_controls(text);
        if self.github {
            text = text.replace("##[", "## [");
            if self.at_line_start && text.trim_start().starts_with("::") {
                text = text.replacen("::", ": :", 1);
            }
        }
        if ends_line {
            text.push('\n');
        }
        self.at_line_start = ends_line;
        self.inner.write_all(text.as_bytes())
    }
}

impl Write for Clean<'_> {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        let mut rest = buf;
        while let Some(end) = rest.iter().position(|&b| b == b'\n') {
            self.pending.extend_from_slice(&rest[..end]);
            let line = std::mem::take(&mut self.pending);
            self.emit(&String::from_utf8_lossy(&line), true)?;
            rest = &rest[end + 1..];
        }
        self.pending.extend_from_slice(rest);
        Ok(buf.len())
    }

    fn flush(&mut self) -> io::Result<()> {
        self.emit_pending()?;
        self.inner.flush()
    }
}

impl Drop for Clean<'_> {
    fn drop(&mut self) {
        let _ = self.flush();
    }
}

/// Every control character but LF and tab, and the bidi overrides and
/// Unicode line breaks, as visible escapes (`\u` and four hex digits keeps
/// JSON output valid: these only ever occur inside its strings).
pub fn escape_controls(s: &str) -> String {
    let hidden = |c: char| {
        (c.is_control() && c != '\n' && c != '\t')
            || matches!(c, '\u{2028}' | '\u{2029}' | '\u{202a}'..='\u{202e}' | '\u{2066}'..='\u{2069}')
    };
    if !s.chars().any(hidden) {
        return s.to_string();
    }
    let mut out = String::with_capacity(s.len() + 8);
    for c in s.chars() {
        if hidden(c) {
            out.push_str(&format!("\\u{:04x}", c as u32));
        } else {
            out.push(c);
        }
    }
    out
}

/// A line break inside one finding or message, shown rather than obeyed.
fn one_line(s: &str) -> String {
    s.replace('\n', "\\n")
}

/// GitHub annotation properties and messages escape `%`, CR, LF (and `:`/`,` in properties).
fn gh_escape(s: &str, property: bool) -> String {
    let s = s.replace('%', "%25").replace('\r', "%0D").replace('\n', "%0A");
    if property {
        s.replace(':', "%3A").replace(',', "%2C")
    } else {
        s
    }
}

fn github_annotation(
    level: &str,
    file: Option<&str>,
    line: Option<usize>,
    col: Option<usize>,
    title: &str,
    message: &str,
) -> String {
    let mut props = Vec::new();
    if let Some(f) = file {
        props.push(format!("file={}", gh_escape(f, true)));
    }
    if let Some(l) = line {
        props.push(format!("line={l}"));
    }
    if let Some(c) = col {
        props.push(format!("col={c}"));
    }
    props.push(format!("title={}", gh_escape(title, true)));
    format!("::{level} {}::{}", props.join(","), gh_escape(message, false))
}

impl Out<'_> {
    fn finding_line(&self, f: &Finding) -> String {
        match self.format {
            Format::Github => github_annotation(
                if f.severity == Severity::Error {
                    "error"
                } else {
                    "warning"
                },
                f.location.as_ref().map(|l| l.path.as_str()),
                f.location.as_ref().map(|l| l.line),
                f.location.as_ref().map(|l| l.col),
                &format!("deploygen {}", f.rule),
                &if f.pointer.is_empty() {
                    f.message.clone()
                } else {
                    format!("{}: {}", f.pointer, f.message)
                },
            ),
            _ => one_line(&f.to_string()),
        }
    }

    /// A finding on `to` (stdout or stderr): annotations bypass the command filter.
    fn write_finding(&mut self, f: &Finding, to_stdout: bool) -> io::Result<()> {
        let line = self.finding_line(f);
        let github = self.format == Format::Github;
        let w = if to_stdout { &mut self.stdout } else { &mut self.stderr };
        if github {
            w.annotation(&line)
        } else {
            writeln!(w, "{line}")
        }
    }

    pub fn findings_report(&mut self, results: &[(PathBuf, Vec<Finding>)]) -> io::Result<()> {
        if self.format == Format::Json {
            let files: Vec<_> = results
                .iter()
                .map(|(path, findings)| json!({"path": display_path(path), "findings": findings}))
                .collect();
            let doc = json!({"version": JSON_FORMAT_VERSION, "files": files});
            serde_json::to_writer_pretty(&mut self.stdout, &doc)?;
            return writeln!(self.stdout);
        }
        for (path, findings) in results {
            for f in findings {
                self.write_finding(f, true)?;
            }
            if !self.quiet && self.format == Format::Human {
                let errors = findings.iter().filter(|f| f.severity == Severity::Error).count();
                let warnings = findings.len() - errors;
                let status = match (errors, warnings) {
                    (0, 0) => "ok".to_string(),
                    (0, w) => format!("ok ({w} warning{})", plural(w)),
                    (e, w) => format!("{e} error{}, {w} warning{}", plural(e), plural(w)),
                };
                writeln!(self.stderr, "{}: {status}", display_path(path))?;
            }
        }
        Ok(())
    }

    pub fn warnings(&mut self, findings: &[Finding]) -> io::Result<()> {
        for f in findings {
            self.write_finding(f, false)?;
        }
        Ok(())
    }

    pub fn render_report(&mut self, descriptor: &Path, dir: &Path, report: &WriteReport) -> io::Result<()> {
        for path in &report.stale {
            writeln!(
                self.stderr,
                "stale: `{}` was generated by deploygen but is no longer rendered; `--prune` deletes it",
                display_path(&dir.join(path))
            )?;
        }
        for path in &report.pruned {
            writeln!(self.stderr, "pruned: `{}`", display_path(&dir.join(path)))?;
        }
        if !self.quiet {
            writeln!(
                self.stderr,
                "rendered `{}` into `{}`: {} written, {} unchanged",
                display_path(descriptor),
                display_path(dir),
                report.written.len(),
                report.unchanged.len()
            )?;
        }
        Ok(())
    }

    pub fn check_report(&mut self, results: &[(PathBuf, PathBuf, Drift)]) -> io::Result<()> {
        if self.format == Format::Json {
            let envs: Vec<_> = results
                .iter()
                .map(|(descriptor, dir, drift)| {
                    json!({
                        "descriptor": display_path(descriptor),
                        "output": display_path(dir),
                        "in_sync": drift.is_clean(),
                        "changed": drift.changed,
                        "missing": drift.missing,
                        "stale": drift.stale,
                    })
                })
                .collect();
            let doc = json!({"version": JSON_FORMAT_VERSION, "environments": envs});
            serde_json::to_writer_pretty(&mut self.stdout, &doc)?;
            return writeln!(self.stdout);
        }
        for (descriptor, dir, drift) in results {
            let shown = |p: &str| display_path(&dir.join(p));
            if self.format == Format::Github {
                for c in &drift.changed {
                    let line = github_annotation(
                        "error",
                        Some(&shown(&c.path)),
                        None,
                        None,
                        "deploygen drift",
                        &format!(
                            "out of date with {}; run `deploygen render {}`",
                            display_path(descriptor),
                            display_path(descriptor)
                        ),
                    );
                    self.stdout.annotation(&line)?;
                }
                for m in &drift.missing {
                    let line = github_annotation(
                        "error",
                        Some(&shown(m)),
                        None,
                        None,
                        "deploygen drift",
                        "missing; run `deploygen render`",
                    );
                    self.stdout.annotation(&line)?;
                }
                for s in &drift.stale {
                    let line = github_annotation(
                        "error",
                        Some(&shown(s)),
                        None,
                        None,
                        "deploygen drift",
                        "stale: no longer rendered; run `deploygen render --prune`",
                    );
                    self.stdout.annotation(&line)?;
                }
                continue;
            }
            if !self.quiet {
                for c in &drift.changed {
                    self.write_diff(&c.diff)?;
                }
            }
            for m in &drift.missing {
                writeln!(self.stderr, "missing: `{}`", shown(m))?;
            }
            for s in &drift.stale {
                writeln!(self.stderr, "stale: `{}` (generated, no longer rendered)", shown(s))?;
            }
            if drift.is_clean() {
                if !self.quiet {
                    writeln!(
                        self.stderr,
                        "in sync: `{}` matches `{}`",
                        display_path(dir),
                        display_path(descriptor)
                    )?;
                }
            } else {
                writeln!(
                    self.stderr,
                    "drift: `{}` differs from a fresh render of `{}` ({} changed, {} missing, {} stale); run `deploygen render {}`",
                    display_path(dir),
                    display_path(descriptor),
                    drift.changed.len(),
                    drift.missing.len(),
                    drift.stale.len(),
                    display_path(descriptor)
                )?;
            }
        }
        Ok(())
    }

    fn write_diff(&mut self, diff: &str) -> io::Result<()> {
        if !self.color {
            return self.stdout.write_all(diff.as_bytes());
        }
        for line in diff.split_inclusive('\n') {
            let code = if line.starts_with("+++") || line.starts_with("---") {
                "1"
            } else if line.starts_with('+') {
                "32"
            } else if line.starts_with('-') {
                "31"
            } else if line.starts_with("@@") {
                "36"
            } else {
                ""
            };
            if code.is_empty() {
                self.stdout.write_all(line.as_bytes())?;
            } else {
                // The colour codes are ours; the line (a file's text) is cleaned.
                self.stdout.raw(format!("\x1b[{code}m").as_bytes())?;
                self.stdout.write_all(line.trim_end_matches('\n').as_bytes())?;
                self.stdout.raw(b"\x1b[0m")?;
                if line.ends_with('\n') {
                    self.stdout.write_all(b"\n")?;
                }
            }
        }
        Ok(())
    }

    pub fn plan_human(&mut self, plan: &Plan, descriptor: &Path) -> io::Result<()> {
        let w = &mut self.stdout;
        writeln!(
            w,
            "environment `{}` on {} (from {})",
            plan.environment,
            plan.platform.as_str(),
            display_path(descriptor)
        )?;
        writeln!(w, "\nservices:")?;
        for s in &plan.services {
            let what = s
                .image
                .clone()
                .or_else(|| s.build.as_ref().map(|b| format!("build {}", b.context)))
                .unwrap_or_default();
            let kind = serde_json::to_value(s.kind)
                .ok()
                .and_then(|v| v.as_str().map(String::from))
                .unwrap_or_default();
            writeln!(w, "  {} ({kind}) {what}", s.name)?;
            for e in &s.env {
                writeln!(w, "    {}={}", e.name, e.value.shown())?;
            }
        }
        writeln!(w, "\nsecrets:")?;
        for s in &plan.secrets {
            writeln!(
                w,
                "  {} as {} in {}; used by {}",
                s.id,
                s.env_name,
                s.stored_in,
                if s.used_by.is_empty() {
                    "nothing".into()
                } else {
                    s.used_by.join(", ")
                }
            )?;
        }
        writeln!(w, "\nfiles:")?;
        for f in &plan.files {
            writeln!(w, "  {} (template {})", f.path, f.template)?;
        }
        Ok(())
    }

    pub fn report_error(&mut self, e: &Error) -> io::Result<()> {
        self.report(None, e)
    }

    pub fn report_error_for(&mut self, descriptor: &Path, e: &Error) -> io::Result<()> {
        self.report(Some(descriptor), e)
    }

    /// An error that stopped a command: with `--format github` an annotation
    /// like every finding, so nothing in its text is read as a command.
    fn report(&mut self, descriptor: Option<&Path>, e: &Error) -> io::Result<()> {
        if let Some(findings) = e.findings() {
            for f in findings {
                self.write_finding(f, false)?;
            }
        }
        let file = descriptor.map(display_path);
        if self.format == Format::Github {
            let at = e.location();
            let line = github_annotation(
                "error",
                at.map(|l| l.path.as_str()).or(file.as_deref()),
                at.map(|l| l.line),
                at.map(|l| l.col),
                "deploygen",
                &e.to_string(),
            );
            return self.stderr.annotation(&line);
        }
        match file {
            Some(file) => writeln!(self.stderr, "error: {}: {}", one_line(&file), e),
            None => writeln!(self.stderr, "error: {e}"),
        }
    }
}

fn plural(n: usize) -> &'static str {
    if n == 1 {
        ""
    } else {
        "s"
    }
}

/// `$20.00`, `-$7.30`.
fn money(x: f64) -> String {
    let x = if x.abs() < 0.005 { 0.0 } else { x };
    if x < 0.0 {
        format!("-${:.2}", -x)
    } else {
        format!("${x:.2}")
    }
}

impl Out<'_> {
    pub fn diff_human(&mut self, r: &crate::diff::DiffReport) -> io::Result<()> {
        let w = &mut self.stdout;
        let f = &r.files;
        writeln!(w, "{} → {}", r.before, r.after)?;
        writeln!(
            w,
            "Plan: {} file{} to add, {} to change, {} to remove.",
            f.added.len(),
            plural(f.added.len()),
            f.changed.len(),
            f.removed.len()
        )?;
        if !r.changed {
            return Ok(());
        }
        for (sign, list) in [("+", &f.added), ("~", &f.changed), ("-", &f.removed)] {
            for path in list {
                writeln!(w, "  {sign} {path}")?;
            }
        }
        if !r.services.is_empty() {
            writeln!(w, "\nEnv vars:")?;
            for s in &r.services {
                let status = match s.status {
                    "added" => " (service added)",
                    "removed" => " (service removed)",
                    _ => "",
                };
                writeln!(w, "  {}{status}", s.service)?;
                for e in &s.env_added {
                    writeln!(w, "    + {}={}", e.name, e.value)?;
                }
                for e in &s.env_removed {
                    writeln!(w, "    - {}={}", e.name, e.value)?;
                }
                for e in &s.env_changed {
                    writeln!(w, "    ~ {}: {} → {}", e.name, e.before, e.after)?;
                }
            }
        }
        if !r.secrets.added.is_empty() || !r.secrets.removed.is_empty() {
            writeln!(w, "\nSecrets (never shown, only where they live):")?;
            for s in &r.secrets.added {
                writeln!(w, "  + {} ({}) in {}", s.id, s.env_name, s.stored_in)?;
            }
            for s in &r.secrets.removed {
                writeln!(w, "  - {} ({}) in {}", s.id, s.env_name, s.stored_in)?;
            }
        }
        let res = &r.resources;
        if !res.added.is_empty() || !res.removed.is_empty() || !res.changed.is_empty() {
            writeln!(w, "\nResources:")?;
            let price = |x: &crate::plan::Resource| match x.monthly_usd {
                Some(m) => format!(", {}/month", money(m)),
                None if !x.kind.self_hosted() => ", not priced".into(),
                None => String::new(),
            };
            let line = |x: &crate::plan::Resource| {
                [x.kind.as_str(), x.name.as_str(), x.detail.as_str()]
                    .iter()
                    .filter(|s| !s.is_empty())
                    .copied()
                    .collect::<Vec<_>>()
                    .join(" ")
            };
            for x in &res.added {
                writeln!(w, "  + {}{}", line(x), price(x))?;
            }
            for x in &res.removed {
                writeln!(w, "  - {}{}", line(x), price(x))?;
            }
            for x in &res.changed {
                writeln!(w, "  ~ {} {}: {} → {}", x.kind, x.name, x.before, x.after)?;
            }
        }
        let c = &r.cost;
        if c.self_hosted {
            writeln!(w, "\nMonthly cost: nothing to price (containers on your own hosts).")?;
        } else {
            writeln!(
                w,
                "\nMonthly cost (estimate, prices of {}): {} → {} ({}{}){}",
                c.prices_as_of,
                money(c.before_monthly),
                money(c.after_monthly),
                if c.delta_monthly >= 0.0 { "+" } else { "" },
                money(c.delta_monthly),
                if c.partial { ", partial" } else { "" }
            )?;
            if c.partial {
                writeln!(w, "  not priced, left out of the totals (add prices under `costs:`):")?;
                for line in c.unpriced_lines() {
                    writeln!(w, "    {line}")?;
                }
            }
        }
        for warning in &r.notes.warnings {
            writeln!(w, "\nwarning: {warning}")?;
        }
        if !self.quiet {
            writeln!(w)?;
            for d in &r.diffs {
                self.write_diff(&d.diff)?;
            }
        }
        Ok(())
    }

    pub fn diff_markdown(&mut self, r: &crate::diff::DiffReport) -> io::Result<()> {
        let n = &r.notes;
        let w = &mut self.stdout;
        let code = |s: &str| format!("`{}`", s.replace('`', "'"));
        writeln!(w, "# {}\n", n.title)?;
        writeln!(w, "## Overview\n")?;
        for line in &n.overview {
            writeln!(w, "{line}")?;
        }
        for warning in &n.warnings {
            writeln!(w, "\n> **Warning:** {warning}")?;
        }
        writeln!(w, "\n## Changes\n")?;
        for (title, list) in [
            ("Removed files", &r.files.removed),
            ("Modified files", &r.files.changed),
            ("New files", &r.files.added),
        ] {
            if !list.is_empty() {
                writeln!(w, "**{title}:**\n")?;
                for path in list {
                    writeln!(w, "- {}", code(path))?;
                }
                writeln!(w)?;
            }
        }
        if !n.env_to_remove.is_empty() {
            writeln!(w, "### Environment variables to remove\n")?;
            writeln!(
                w,
                "No service reads these any more; remove them from {}:\n",
                n.env_location
            )?;
            for name in &n.env_to_remove {
                writeln!(w, "- {}", code(name))?;
            }
            writeln!(w)?;
        }
        if !n.env_to_add.is_empty() {
            writeln!(w, "### Environment variables to add\n")?;
            for name in &n.env_to_add {
                let value = r
                    .services
                    .iter()
                    .flat_map(|s| s.env_added.iter())
                    .find(|e| &e.name == name)
                    .map(|e| e.value.clone())
                    .unwrap_or_default();
                writeln!(w, "- {} = {}", code(name), code(&value))?;
            }
            writeln!(w)?;
        }
        let mut changed: Vec<&crate::diff::EnvChange> = Vec::new();
        for c in r.services.iter().flat_map(|s| s.env_changed.iter()) {
            if !changed.iter().any(|x| x.name == c.name) {
                changed.push(c);
            }
        }
        if !changed.is_empty() {
            writeln!(w, "### Environment variables that change\n")?;
            for c in changed {
                writeln!(w, "- {}: {} → {}", code(&c.name), code(&c.before), code(&c.after))?;
            }
            writeln!(w)?;
        }
        if !r.secrets.added.is_empty() || !r.secrets.removed.is_empty() {
            writeln!(w, "### Secrets\n")?;
            for s in &r.secrets.added {
                writeln!(w, "- add {} ({}) in {}", code(&s.id), code(&s.env_name), s.stored_in)?;
            }
            for s in &r.secrets.removed {
                writeln!(
                    w,
                    "- remove {} ({}) from {}",
                    code(&s.id),
                    code(&s.env_name),
                    s.stored_in
                )?;
            }
            writeln!(w)?;
        }
        let res = &r.resources;
        if !res.added.is_empty() || !res.removed.is_empty() || !res.changed.is_empty() {
            writeln!(w, "### Cloud resources\n")?;
            let detail = |d: &str| if d.is_empty() { String::new() } else { format!(" ({d})") };
            for x in &res.added {
                writeln!(w, "- add {} {}{}", x.kind, code(&x.name), detail(&x.detail))?;
            }
            for x in &res.removed {
                writeln!(w, "- remove {} {}{}", x.kind, code(&x.name), detail(&x.detail))?;
            }
            for x in &res.changed {
                writeln!(w, "- change {} {}: {} → {}", x.kind, code(&x.name), x.before, x.after)?;
            }
            writeln!(w)?;
        }
        let c = &r.cost;
        writeln!(w, "### Cost\n")?;
        if c.self_hosted {
            writeln!(w, "Nothing to price: every service is a container on your own hosts.\n")?;
        } else {
            writeln!(
                w,
                "Estimated monthly cost: {} before, {} after ({}{}), with list prices of {}.{}\n",
                money(c.before_monthly),
                money(c.after_monthly),
                if c.delta_monthly >= 0.0 { "+" } else { "" },
                money(c.delta_monthly),
                c.prices_as_of,
                if c.partial {
                    " **Partial:** the resources below have no price and are left out of both totals."
                } else {
                    ""
                }
            )?;
            for line in c.unpriced_lines() {
                writeln!(w, "- not priced: {line}")?;
            }
            if c.partial {
                writeln!(w)?;
            }
        }
        for (title, steps) in [
            ("Migration steps", &n.steps),
            ("Verification", &n.verification),
            ("Rollback", &n.rollback),
        ] {
            if steps.is_empty() {
                continue;
            }
            writeln!(w, "## {title}\n")?;
            for (i, s) in steps.iter().enumerate() {
                writeln!(w, "{}. {}", i + 1, s.text)?;
                if !s.commands.is_empty() {
                    writeln!(w, "\n   ```bash")?;
                    for command in &s.commands {
                        writeln!(w, "   {command}")?;
                    }
                    writeln!(w, "   ```\n")?;
                }
            }
            writeln!(w)?;
        }
        Ok(())
    }
}
