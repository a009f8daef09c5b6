//! The reports commands print, as data: JSON is `serde_json` of these types,
//! the other formats lay the same values out. The Plan and the diff report
//! are their own types ([`crate::plan::Plan`], [`crate::diff::DiffReport`]).

use crate::emit::{Drift, WriteReport};
use crate::findings::Finding;
use crate::source::display_path;
use serde::Serialize;
use std::path::{Path, PathBuf};

/// Version of the `validate` and `check` JSON documents.
pub const JSON_FORMAT_VERSION: u32 = 1;

/// `deploygen validate`: every file's findings.
#[derive(Debug, Serialize)]
pub struct ValidateReport<'a> {
    pub version: u32,
    pub files: Vec<FileFindings<'a>>,
}

#[derive(Debug, Serialize)]
pub struct FileFindings<'a> {
    pub path: String,
    pub findings: &'a [Finding],
}

impl<'a> ValidateReport<'a> {
    pub fn new(results: &'a [(PathBuf, Vec<Finding>)]) -> Self {
        ValidateReport {
            version: JSON_FORMAT_VERSION,
            files: results
                .iter()
                .map(|(path, findings)| FileFindings {
                    path: display_path(path),
                    findings,
                })
                .collect(),
        }
    }
}

/// `deploygen check`: each environment's drift from a fresh render.
#[derive(Debug, Serialize)]
pub struct CheckReport<'a> {
    pub version: u32,
    pub environments: Vec<EnvironmentCheck<'a>>,
}

#[derive(Debug, Serialize)]
pub struct EnvironmentCheck<'a> {
    pub descriptor: String,
    pub output: String,
    pub in_sync: bool,
    pub changed: &'a [crate::emit::ChangedFile],
    pub missing: &'a [String],
    pub stale: &'a [String],
    /// The output folder, to show each file's path below it (not in JSON).
    #[serde(skip)]
    pub dir: &'a Path,
}

impl<'a> CheckReport<'a> {
    pub fn new(results: &'a [(PathBuf, PathBuf, Drift)]) -> Self {
        CheckReport {
            version: JSON_FORMAT_VERSION,
            environments: results
                .iter()
                .map(|(descriptor, dir, drift)| EnvironmentCheck {
                    descriptor: display_path(descriptor),
                    output: display_path(dir),
                    in_sync: drift.is_clean(),
                    changed: &drift.changed,
                    missing: &drift.missing,
                    stale: &drift.stale,
                    dir,
                })
                .collect(),
        }
    }
}

/// `deploygen render`: what one environment's write did.
#[derive(Debug, Serialize)]
pub struct RenderReport<'a> {
    pub descriptor: String,
    pub output: String,
    pub written: &'a [String],
    pub unchanged: &'a [String],
    /// Generated files no longer rendered, kept (shown inside the output folder).
    pub stale: Vec<String>,
    /// Generated files no longer rendered, deleted by `--prune`.
    pub pruned: Vec<String>,
    /// Recorded files `--prune` did not delete: changed since, or never deploygen's kind of file.
    pub kept: Vec<String>,
}

impl<'a> RenderReport<'a> {
    pub fn new(descriptor: &Path, dir: &Path, report: &'a WriteReport) -> Self {
        let shown = |paths: &[String]| paths.iter().map(|p| display_path(&dir.join(p))).collect();
        RenderReport {
            descriptor: display_path(descriptor),
            output: display_path(dir),
            written: &report.written,
            unchanged: &report.unchanged,
            stale: shown(&report.stale),
            pruned: shown(&report.pruned),
            kept: shown(&report.kept),
        }
    }
}
