//! What `validate` reports: each finding has a severity, a rule id, a place and a message.

use crate::rules::Rule;
use crate::source::Location;
use serde::Serialize;
use std::fmt;

#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Severity {
    Error,
    Warning,
}

impl fmt::Display for Severity {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Severity::Error => "error",
            Severity::Warning => "warning",
        })
    }
}

#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Serialize)]
pub struct Finding {
    /// Where: sorted first, so findings come out in file order.
    pub location: Option<Location>,
    pub severity: Severity,
    /// Its registry entry; serialised (and compared) as its id.
    pub rule: &'static Rule,
    /// JSON pointer into the merged descriptor (empty for the whole document).
    pub pointer: String,
    pub message: String,
}

impl Finding {
    /// A finding of `rule`, with the rule's severity.
    pub fn new(
        rule: &'static Rule,
        location: Option<Location>,
        pointer: impl Into<String>,
        message: impl Into<String>,
    ) -> Self {
        Finding {
            location,
            severity: rule.severity,
            rule,
            pointer: pointer.into(),
            message: message.into(),
        }
    }
}

/// `FILE:LINE:COL: error: /json/pointer: message`
impl fmt::Display for Finding {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if let Some(location) = &self.location {
            write!(f, "{location}: ")?;
        }
        write!(f, "{}: ", self.severity)?;
        if !self.pointer.is_empty() {
            write!(f, "{}: ", self.pointer)?;
        }
        f.write_str(&self.message)
    }
}

pub fn has_errors(findings: &[Finding]) -> bool {
    findings.iter().any(|f| f.severity == Severity::Error)
}
