//! The stages chained: a descriptor path in, its Plan and rendered files out.
//! `render`, `check` and `plan` share all of this; only what they do with the
//! result differs.

use crate::cost;
use crate::emit::paths::output_dir;
use crate::error::Result;
use crate::plan::{self, Plan};
use crate::render::{RenderedFile, Renderer};
use crate::validate::{self, Validated};
use std::path::{Path, PathBuf};

pub struct Prepared {
    /// The descriptor, its warnings and its Plan.
    pub validated: Validated,
    pub files: Vec<RenderedFile>,
    pub output_dir: PathBuf,
}

/// The priced Plan `deploygen plan` shows: planning, then pricing.
pub fn plan(path: &Path) -> Result<(Validated, Plan)> {
    let validated = validate::validate(path)?;
    let mut plan = validated.plan.clone();
    cost::price(&mut plan, &validated.descriptor.costs);
    Ok((validated, plan))
}

pub fn prepare(path: &Path, renderer: &Renderer, output_override: Option<&Path>) -> Result<Prepared> {
    let validated = validate::validate(path)?;
    let files = renderer.render(&validated.plan)?;
    let output_dir = output_dir(path, validated.descriptor.output.as_deref(), output_override);
    Ok(Prepared {
        validated,
        files,
        output_dir,
    })
}

/// One side of a diff: `loaded` (edited by `edit`, if any) through the whole
/// pipeline. `header` names the descriptor in generated headers, the same on
/// both sides so that file diffs show content, not names.
pub fn diff_side(
    loaded: crate::load::Loaded,
    edit: &[crate::diff::variant::Edit],
    renderer: &Renderer,
    header: &str,
    label: String,
) -> Result<crate::diff::Side> {
    let origin = crate::diff::Origin {
        path: loaded.path.clone(),
        files: loaded.sources.paths().to_vec(),
        revision: None,
        edits: edit.iter().map(crate::diff::variant::Edit::describe).collect(),
    };
    let validated = validate::validate_loaded(loaded, &|doc| {
        for e in edit {
            crate::diff::variant::apply(doc, e)?;
        }
        Ok(())
    })
    .map_err(|e| crate::diff::variant::blame(e, edit))?;
    let mut plan = validated.plan.clone();
    if plan.descriptor != header {
        plan = plan::build(&validated.descriptor, header.to_string());
    }
    cost::price(&mut plan, &validated.descriptor.costs);
    let files = renderer.render(&plan)?;
    Ok(crate::diff::Side {
        label,
        descriptor: validated.descriptor,
        plan,
        files,
        origin,
    })
}

/// `f` over `items` on every core, results in the order of `items`. Each
/// environment is independent: they share only the template engine.
pub fn par_map<T: Sync, R: Send>(items: &[T], f: impl Fn(&T) -> R + Sync) -> Vec<R> {
    let threads = std::thread::available_parallelism()
        .map_or(1, |n| n.get())
        .min(items.len())
        .max(1);
    if threads == 1 {
        return items.iter().map(f).collect();
    }
    let chunk = items.len().div_ceil(threads);
    let f = &f;
    std::thread::scope(|scope| {
        let handles: Vec<_> = items
            .chunks(chunk)
            .map(|part| scope.spawn(move || part.iter().map(f).collect::<Vec<R>>()))
            .collect();
        handles
            .into_iter()
            .flat_map(|h| h.join().expect("a pipeline thread panicked"))
            .collect()
    })
}
