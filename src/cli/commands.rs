//! One function per subcommand.

use super::environments::{resolve, resolve_all};
use super::print::Out;
use super::{Cli, Command};
use crate::emit::{self, WriteOptions};
use crate::error::Error;
use crate::findings::{has_errors, Finding};
use crate::pipeline;
use crate::render::Renderer;
use crate::validate;
use std::io::Write;
use std::path::{Path, PathBuf};

pub enum Failure {
    /// stdout was closed by the reader (`deploygen plan x | head`): not an
    /// error in itself; the exit code is the one the result deserves
    /// ([`Out::deserved`]).
    BrokenPipe,
    Error(Error),
}

impl From<Error> for Failure {
    fn from(e: Error) -> Self {
        Failure::Error(e)
    }
}

impl From<std::io::Error> for Failure {
    fn from(e: std::io::Error) -> Self {
        if e.kind() == std::io::ErrorKind::BrokenPipe {
            Failure::BrokenPipe
        } else {
            Failure::Error(Error::Io {
                context: "cannot write output".into(),
                source: e,
            })
        }
    }
}

pub type Outcome = Result<i32, Failure>;

pub fn dispatch(cli: &Cli, out: &mut Out) -> Outcome {
    match &cli.command {
        Command::Validate { files } => validate_cmd(files, out),
        Command::Render {
            envs,
            output,
            force,
            prune,
        } => render_cmd(
            cli,
            envs,
            output.as_deref(),
            WriteOptions {
                force: *force,
                prune: *prune,
                ..WriteOptions::default()
            },
            out,
        ),
        Command::Check { envs } => check_cmd(cli, envs, out),
        Command::Plan { env } => plan_cmd(env, out),
        Command::Diff {
            env,
            without,
            with,
            set,
            against,
        } => diff_cmd(
            cli,
            env,
            without.is_some(),
            with.is_some(),
            set,
            against.as_deref(),
            out,
        ),
        Command::Explain { rule } => explain_cmd(rule.as_deref(), out),
        Command::Init {
            path,
            name,
            platform,
            cache,
            framework,
        } => {
            let written = super::init::init(&super::init::InitOptions {
                path: path.as_deref(),
                name,
                platform,
                cache,
                framework,
            })?;
            if !out.quiet {
                for p in &written {
                    writeln!(out.stderr, "wrote `{}`", crate::source::display_path(p))?;
                }
                if let Some(p) = written.last() {
                    writeln!(
                        out.stderr,
                        "next: deploygen validate {0} && deploygen render {0}",
                        crate::source::display_path(p)
                    )?;
                }
            }
            Ok(0)
        }
        Command::Completions { shell } => {
            let mut command = <Cli as clap::CommandFactory>::command();
            // clap_complete panics on a write error: generate in memory first.
            let mut text = Vec::new();
            clap_complete::generate(*shell, &mut command, "deploygen", &mut text);
            out.deserved = Some(0);
            out.stdout.write_all(&text)?;
            Ok(0)
        }
        Command::Man => {
            let command = <Cli as clap::CommandFactory>::command();
            out.deserved = Some(0);
            clap_mangen::Man::new(command).render(&mut out.stdout)?;
            Ok(0)
        }
        Command::Schema => {
            out.deserved = Some(0);
            out.stdout.write_all(validate::schema::ENVIRONMENT_SCHEMA.as_bytes())?;
            Ok(0)
        }
    }
}

fn renderer(cli: &Cli) -> Result<Renderer, Error> {
    match &cli.templates {
        Some(dir) => Renderer::from_dir(dir),
        None => Ok(Renderer::embedded()),
    }
}

fn validate_cmd(args: &[String], out: &mut Out) -> Outcome {
    let paths = resolve_all(args)?;
    let found = pipeline::par_map(&paths, |path| validate::findings(path));
    let mut results: Vec<(PathBuf, Vec<Finding>)> = Vec::new();
    for (path, findings) in paths.into_iter().zip(found) {
        results.push((path, findings?));
    }
    let failed = results.iter().any(|(_, f)| has_errors(f));
    out.deserved = Some(if failed { 1 } else { 0 });
    out.findings_report(&results)?;
    Ok(if failed { 1 } else { 0 })
}

/// Environments are prepared and written this many at a time: in parallel
/// within a batch, printed in order, memory bounded however many there are.
const BATCH: usize = 64;

fn render_cmd(cli: &Cli, args: &[String], output: Option<&Path>, options: WriteOptions, out: &mut Out) -> Outcome {
    let paths = resolve_all(args)?;
    if output.is_some() && paths.len() != 1 {
        return Err(Error::Usage {
            message: "`-o DIR` takes one environment; each environment renders into its own folder".into(),
        }
        .into());
    }
    // From here a signal lets the folder being written be put back first.
    emit::interrupt::install().map_err(|source| Error::Io {
        context: "cannot catch SIGINT and SIGTERM".into(),
        source,
    })?;
    if paths.len() > 1 {
        shared_folder_guard(&paths)?;
    }
    let renderer = renderer(cli)?;
    let quiet = out.quiet;
    let on_wait = move |dir: &Path| waiting(dir, quiet);
    let options = WriteOptions {
        on_wait: &on_wait,
        ..options
    };
    let mut code = 0;
    for batch in paths.chunks(BATCH) {
        let prepared = pipeline::par_map(batch, |path| pipeline::prepare(path, &renderer, output));
        let written = pipeline::par_map(&prepared, |p| match p {
            Ok(p) => {
                if output.is_none() {
                    emit::paths::descriptor_output(&p.validated.loaded.path, &p.output_dir)?;
                }
                emit::write(&p.output_dir, &p.files, options).map(Some)
            }
            Err(_) => Ok(None),
        });
        for ((path, prepared), written) in batch.iter().zip(prepared).zip(written) {
            match prepared.and_then(|p| written.map(|report| (p, report))) {
                Ok((p, Some(report))) => {
                    out.warnings(&p.validated.findings)?;
                    write_notes(out, &p.output_dir, &report)?;
                    out.render_report(path, &p.output_dir, &report)?;
                }
                Ok((_, None)) => {}
                Err(e @ Error::Interrupted { .. }) => return Err(e.into()),
                Err(e) if paths.len() == 1 => return Err(e.into()),
                Err(e) => {
                    out.report_error_for(path, &e)?;
                    code = 2;
                }
            }
        }
        if let Some(signal) = emit::interrupt::received() {
            return Err(Error::Interrupted { signal }.into());
        }
    }
    Ok(code)
}

/// Two environments writing one folder would overwrite each other's files:
/// refuse before anything is written, comparing where the folders really are
/// (`out` and `x/../out` are one folder). A folder inside another
/// environment's folder is refused too: each render would overwrite or prune
/// the other's files. Only `output:` is read here; the descriptors are
/// validated when they are rendered.
fn shared_folder_guard(paths: &[PathBuf]) -> Result<(), Error> {
    let dirs = pipeline::par_map(paths, |path| {
        let loaded = crate::load::load(path).ok()?;
        let output = match loaded.root.get("output").map(|n| &n.value) {
            Some(crate::load::node::NodeValue::Str(s)) => Some(s.clone()),
            _ => None,
        };
        let dir = emit::paths::output_dir(path, output.as_deref(), None);
        Some((emit::paths::canonical(&dir), dir))
    });
    let mut taken: std::collections::HashMap<PathBuf, &PathBuf> = std::collections::HashMap::new();
    for (path, dir) in paths.iter().zip(&dirs) {
        let Some((real, spelled)) = dir else { continue };
        if let Some(other) = taken.insert(real.clone(), path) {
            return Err(Error::Usage {
                message: format!(
                    "`{}` and `{}` both render into `{}`; give one another `output`",
                    crate::source::display_path(other),
                    crate::source::display_path(path),
                    crate::source::display_path(spelled)
                ),
            });
        }
    }
    // Sorted, a folder comes right before the folders inside it.
    let mut sorted: Vec<(&PathBuf, &PathBuf, &PathBuf)> = paths
        .iter()
        .zip(&dirs)
        .filter_map(|(path, dir)| dir.as_ref().map(|(real, spelled)| (real, spelled, path)))
        .collect();
    sorted.sort();
    for pair in sorted.windows(2) {
        let ((outer, outer_dir, outer_path), (inner, inner_dir, inner_path)) = (pair[0], pair[1]);
        if inner.starts_with(outer) {
            return Err(Error::Usage {
                message: format!(
                    "`{}` renders into `{}`, inside `{}` where `{}` renders: one environment's folder may not lie inside another's; give one another `output`",
                    crate::source::display_path(inner_path),
                    crate::source::display_path(inner_dir),
                    crate::source::display_path(outer_dir),
                    crate::source::display_path(outer_path),
                ),
            });
        }
    }
    Ok(())
}

/// Told when another deploygen holds an output folder (from any thread).
fn waiting(dir: &Path, quiet: bool) {
    if !quiet {
        let _ = writeln!(
            std::io::stderr(),
            "waiting for another deploygen to finish writing `{}`…",
            crate::source::display_path(dir)
        );
    }
}

/// What `render_report` does not say: an earlier interrupted write undone,
/// files an older deploygen may have written that no record lists.
fn write_notes(out: &mut Out, dir: &Path, report: &emit::WriteReport) -> std::io::Result<()> {
    // File names found on disk may hold terminal escapes: show them escaped.
    let shown = |p: &str| {
        crate::source::display_path(&dir.join(p))
            .chars()
            .map(|c| match c.is_control() {
                true => c.escape_unicode().to_string(),
                false => c.to_string(),
            })
            .collect::<String>()
    };
    match report.recovered {
        Some(emit::Recovered::Undone) => writeln!(
            out.stderr,
            "note: an interrupted render had left `{}` half written; its previous files were put back first",
            crate::source::display_path(dir)
        )?,
        Some(emit::Recovered::Discarded) => writeln!(
            out.stderr,
            "note: removed the staged files an interrupted render left in `{}` (its files were untouched)",
            crate::source::display_path(dir)
        )?,
        None => {}
    }
    for path in &report.unrecorded {
        writeln!(
            out.stderr,
            "note: `{}` has deploygen's header but no record says deploygen wrote it (a copy, or written by an older deploygen); never pruned: delete it yourself if it is no longer needed",
            shown(path)
        )?;
    }
    Ok(())
}

fn check_cmd(cli: &Cli, args: &[String], out: &mut Out) -> Outcome {
    let paths = resolve_all(args)?;
    if paths.len() > 1 {
        shared_folder_guard(&paths)?;
    }
    let renderer = renderer(cli)?;
    let quiet = out.quiet;
    let mut code = 0;
    let mut results = Vec::new();
    for batch in paths.chunks(BATCH) {
        let checked = pipeline::par_map(batch, |path| {
            pipeline::prepare(path, &renderer, None).and_then(|p| {
                let drift = emit::check(&p.output_dir, &p.files, &|dir: &Path| waiting(dir, quiet))?;
                Ok((p.output_dir, drift))
            })
        });
        for (path, result) in batch.iter().zip(checked) {
            match result {
                Ok((dir, drift)) => {
                    if !drift.is_clean() {
                        code = code.max(1);
                    }
                    results.push((path.clone(), dir, drift));
                }
                Err(e) => {
                    code = 2;
                    out.deserved = Some(code);
                    out.report_error_for(path, &e)?;
                }
            }
        }
    }
    out.deserved = Some(code);
    out.check_report(&results)?;
    Ok(code)
}

fn plan_cmd(env: &str, out: &mut Out) -> Outcome {
    let path = resolve(env)?;
    let (validated, plan) = pipeline::plan(&path)?;
    out.deserved = Some(0);
    out.warnings(&validated.findings)?;
    out.plan(&plan, &path)?;
    Ok(0)
}

fn explain_cmd(rule: Option<&str>, out: &mut Out) -> Outcome {
    use crate::rules;
    match rule {
        None => {
            out.deserved = Some(0);
            for r in rules::all() {
                writeln!(
                    out.stdout,
                    "{:<36} {:<8} {:<9} {}",
                    r.id,
                    r.severity.to_string(),
                    r.kind.to_string(),
                    r.summary
                )?;
            }
            Ok(0)
        }
        Some(id) => match rules::find(id) {
            Some(r) => {
                out.deserved = Some(0);
                writeln!(
                    out.stdout,
                    "{} ({}): {}\n\n{}",
                    r.id, r.severity, r.summary, r.explanation
                )?;
                if r.acceptable {
                    writeln!(
                        out.stdout,
                        "\nAccept it in a descriptor, with the reason:\n  accept:\n    {}: <why this environment needs it>",
                        r.id
                    )?;
                } else {
                    writeln!(
                        out.stdout,
                        "\n`accept:` cannot silence a {} rule: fix the descriptor.",
                        r.kind
                    )?;
                }
                Ok(0)
            }
            None => Err(Error::UnknownRule {
                rule: id.to_string(),
                suggestion: crate::validate::suggest::did_you_mean(id, rules::all().map(|r| r.id)).map(String::from),
            }
            .into()),
        },
    }
}

/// The deepest path `diff --set` takes.
const MAX_SET_DEPTH: usize = 64;

#[allow(clippy::too_many_arguments)]
fn diff_cmd(
    cli: &Cli,
    env: &str,
    without_redis: bool,
    with_redis: bool,
    set: &[String],
    against: Option<&str>,
    out: &mut Out,
) -> Outcome {
    use crate::diff::{self, variant::Edit};
    let path = resolve(env)?;
    let renderer = renderer(cli)?;
    let mut edits = Vec::new();
    if without_redis {
        edits.push(Edit::WithoutRedis);
    }
    if with_redis {
        edits.push(Edit::WithRedis);
    }
    for item in set {
        let Some((p, v)) = item.split_once('=') else {
            return Err(Error::Variant {
                message: format!("`--set {item}`: expected PATH=VALUE, such as `cache.provider=azure-managed`"),
            }
            .into());
        };
        // A path thousands of levels deep would build a document whose
        // checks recurse past the stack; no descriptor field is that deep.
        let depth = match p.strip_prefix('/') {
            Some(pointer) => pointer.matches('/').count() + 1,
            None => p.matches('.').count() + 1,
        };
        if depth > MAX_SET_DEPTH {
            return Err(Error::Variant {
                message: format!(
                    "`--set`: a path {depth} levels deep; no descriptor field is deeper than {MAX_SET_DEPTH}"
                ),
            }
            .into());
        }
        edits.push(Edit::Set {
            path: p.to_string(),
            value: v.to_string(),
        });
    }
    if edits.is_empty() && against.is_none() {
        return Err(Error::Variant {
            message: "nothing to compare: give --without, --with, --set or --against".into(),
        }
        .into());
    }
    // Both sides name ENV as its own render would, so file diffs show content.
    let output = crate::load::load(&path)?
        .root
        .get("output")
        .and_then(|n| match &n.value {
            crate::load::node::NodeValue::Str(s) => Some(s.clone()),
            _ => None,
        });
    let header = crate::source::relative_to_output(&path, output.as_deref());
    let shown = crate::source::display_path(&path);
    let edited_label = if edits.is_empty() {
        shown.clone()
    } else {
        format!(
            "{shown} {}",
            edits.iter().map(Edit::describe).collect::<Vec<_>>().join(" ")
        )
    };
    let (before, after) = match against {
        None => (
            pipeline::diff_side(crate::load::load(&path)?, &[], &renderer, &header, shown)?,
            pipeline::diff_side(crate::load::load(&path)?, &edits, &renderer, &header, edited_label)?,
        ),
        Some(other) => {
            // A descriptor (path or environment name) first; a git revision otherwise.
            let looks_like_file = other.ends_with(".yaml") || other.ends_with(".yml");
            let mut revision = None;
            let before_loaded = if looks_like_file {
                crate::load::load(&resolve(other)?)?
            } else if let Ok(other_path) = resolve(other) {
                crate::load::load(&other_path)?
            } else {
                let dir = path
                    .parent()
                    .filter(|p| !p.as_os_str().is_empty())
                    .unwrap_or(std::path::Path::new("."));
                if !diff::git::is_revision(other, dir) {
                    return Err(Error::Variant {
                        message: format!("`--against {other}`: neither a descriptor file nor a git revision"),
                    }
                    .into());
                }
                let rev = other.to_string();
                revision = Some(rev.clone());
                crate::load::load_with(&path, &move |p: &std::path::Path| diff::git::read_at(&rev, p))?
            };
            let before_label = if before_loaded.path == path {
                format!("{shown} at {other}")
            } else {
                crate::source::display_path(&before_loaded.path)
            };
            let mut before = pipeline::diff_side(before_loaded, &[], &renderer, &header, before_label)?;
            before.origin.revision = revision;
            (
                before,
                pipeline::diff_side(crate::load::load(&path)?, &edits, &renderer, &header, edited_label)?,
            )
        }
    };
    let report = diff::compare(&before, &after);
    out.deserved = Some(if report.changed { 1 } else { 0 });
    out.diff(&report)?;
    Ok(if report.changed { 1 } else { 0 })
}
