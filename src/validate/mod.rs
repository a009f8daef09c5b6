//! Stage 2: is the merged descriptor well-formed (schema) and coherent (semantic rules)?

pub mod azure;
pub mod render;
pub mod schema;
pub mod semantic;
pub mod services;
pub mod stop_grace;
pub mod suggest;

use crate::error::{Error, Result};
use crate::findings::{has_errors, Finding};
use crate::load::{self, Loaded};
use crate::model::Descriptor;
use crate::rules;
use std::path::Path;

/// A descriptor that passed validation.
#[derive(Debug)]
pub struct Validated {
    pub loaded: Loaded,
    pub descriptor: Descriptor,
    /// Warnings only: errors stop at [`Error::Invalid`].
    pub findings: Vec<Finding>,
    /// The Plan the lints read, naming the descriptor for generated headers
    /// relative to its output folder (kept so nothing plans twice).
    pub plan: crate::plan::Plan,
}

/// Load and validate; any error-level finding becomes [`Error::Invalid`].
pub fn validate(path: &Path) -> Result<Validated> {
    validate_loaded(load::load(path)?, &|_| Ok(()))
}

/// Validate a loaded descriptor after `edit` changed it (a `diff` variant).
/// Findings in edited parts point at the nearest value the file still has.
pub fn validate_loaded(loaded: Loaded, edit: &dyn Fn(&mut serde_json::Value) -> Result<()>) -> Result<Validated> {
    let path = loaded.path.clone();
    let path = path.as_path();
    let mut instance = loaded.root.to_json();
    edit(&mut instance)?;
    let index = loaded.root.index();
    let mut findings = schema::check(&instance, &index, &loaded.sources);
    if has_errors(&findings) {
        findings.sort();
        return Err(Error::Invalid { findings });
    }
    let mut descriptor: Descriptor = serde_json::from_value(instance).map_err(|e| Error::Invalid {
        findings: vec![Finding::new(
            rules::SCHEMA,
            index.value("").map(|p| loaded.sources.locate(p)),
            "",
            format!(
                "the descriptor does not fit deploygen's types although it passed the schema (a deploygen bug): {e}"
            ),
        )],
    })?;
    findings.extend(semantic::check(&descriptor, &index, &loaded.sources));
    if has_errors(&findings) {
        findings.sort();
        return Err(Error::Invalid { findings });
    }
    render::default_root(&mut descriptor, path);
    // Lints read the Plan: what the environment will really get.
    let header = crate::source::relative_to_output(path, descriptor.output.as_deref());
    let plan = crate::plan::build(&descriptor, header);
    findings.extend(crate::lint::run(&descriptor, &plan, path, &index, &loaded.sources));
    findings.sort();
    findings.dedup();
    if has_errors(&findings) {
        return Err(Error::Invalid { findings });
    }
    Ok(Validated {
        loaded,
        descriptor,
        findings,
        plan,
    })
}

/// What `deploygen validate` reports for one file: every finding, with YAML
/// and `extends` problems turned into findings too. Only a file that cannot
/// be read at all is an error.
pub fn findings(path: &Path) -> Result<Vec<Finding>> {
    match validate(path) {
        Ok(v) => Ok(v.findings),
        Err(Error::Invalid { findings }) => Ok(findings),
        Err(Error::Syntax { location, message }) => Ok(vec![Finding::new(
            rules::YAML,
            Some(location),
            "",
            format!("invalid YAML: {message}"),
        )]),
        Err(Error::Extends { location, message }) => {
            Ok(vec![Finding::new(rules::EXTENDS, Some(location), "/extends", message)])
        }
        Err(e @ Error::ExtendsCycle { .. }) => {
            let Error::ExtendsCycle { location, chain } = &e else {
                unreachable!()
            };
            Ok(vec![Finding::new(
                rules::EXTENDS,
                Some(location.clone()),
                "/extends",
                format!("`extends` goes round in a cycle: {}", chain.join(" -> ")),
            )])
        }
        Err(e) => Err(e),
    }
}
