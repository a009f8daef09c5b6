//! Text for people, JSON for machines, annotations for GitHub Actions,
//! migration notes in Markdown. Each report is a type ([`report`], the Plan,
//! the diff report); each format has its printer module. Everything printed
//! goes through [`Clean`], whatever the format.

mod github;
mod human;
mod json;
mod markdown;
pub mod report;

use super::Format;
use crate::diff::DiffReport;
use crate::emit::{Drift, WriteReport};
use crate::error::Error;
use crate::findings::Finding;
use crate::plan::Plan;
use crate::source::display_path;
use report::{CheckReport, RenderReport, ValidateReport};
use std::io::{self, Write};
use std::path::{Path, PathBuf};

pub struct Out<'a> {
    pub stdout: Clean<'a>,
    pub stderr: Clean<'a>,
    pub quiet: bool,
    pub format: Format,
    pub color: bool,
    /// The exit code the command's result deserves, once known: a reader
    /// that closes the pipe early (`check | head`) never turns it into 0.
    pub deserved: Option<i32>,
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
            // Invisible: zero-width spaces and joiners, direction marks, word
            // joiners, a BOM; a name holding one looks like another name.
            || matches!(c, '\u{200b}'..='\u{200f}' | '\u{2060}'..='\u{2064}' | '\u{feff}' | '\u{061c}' | '\u{180e}')
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

/// Each command's report, in the format asked for.
impl Out<'_> {
    pub fn findings_report(&mut self, results: &[(PathBuf, Vec<Finding>)]) -> io::Result<()> {
        let report = ValidateReport::new(results);
        match self.format {
            Format::Json => json::write(&mut self.stdout, &report),
            Format::Github => github::findings(&mut self.stdout, &report),
            Format::Human | Format::Markdown => human::findings(self, &report),
        }
    }

    /// Warnings of a command that goes on (render, plan), on stderr.
    pub fn warnings(&mut self, findings: &[Finding]) -> io::Result<()> {
        for f in findings {
            self.finding_to_stderr(f)?;
        }
        Ok(())
    }

    fn finding_to_stderr(&mut self, f: &Finding) -> io::Result<()> {
        match self.format {
            Format::Github => self.stderr.annotation(&github::finding(f)),
            Format::Human | Format::Json | Format::Markdown => writeln!(self.stderr, "{}", human::finding(f)),
        }
    }

    pub fn render_report(&mut self, descriptor: &Path, dir: &Path, report: &WriteReport) -> io::Result<()> {
        human::render(self, &RenderReport::new(descriptor, dir, report))
    }

    pub fn check_report(&mut self, results: &[(PathBuf, PathBuf, Drift)]) -> io::Result<()> {
        let report = CheckReport::new(results);
        match self.format {
            Format::Json => json::write(&mut self.stdout, &report),
            Format::Github => github::check(&mut self.stdout, &report),
            Format::Human | Format::Markdown => human::check(self, &report),
        }
    }

    pub fn plan(&mut self, plan: &Plan, descriptor: &Path) -> io::Result<()> {
        match self.format {
            Format::Json => json::write(&mut self.stdout, plan),
            Format::Human | Format::Github | Format::Markdown => human::plan(&mut self.stdout, plan, descriptor),
        }
    }

    pub fn diff(&mut self, report: &DiffReport) -> io::Result<()> {
        match self.format {
            Format::Json => json::write(&mut self.stdout, report),
            Format::Markdown => markdown::diff(&mut self.stdout, report),
            Format::Human | Format::Github => human::diff(self, report),
        }
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
                self.finding_to_stderr(f)?;
            }
        }
        let file = descriptor.map(display_path);
        if self.format == Format::Github {
            return self.stderr.annotation(&github::error(e, file.as_deref()));
        }
        match file {
            Some(file) => writeln!(self.stderr, "error: {}: {}", one_line(&file), e),
            None => writeln!(self.stderr, "error: {e}"),
        }
    }
}
