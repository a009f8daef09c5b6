//! The command line: parse, resolve, dispatch, and the one place where errors
//! become text on stderr and an exit code.

mod commands;
mod environments;
mod init;
mod print;

use clap::{Parser, Subcommand, ValueEnum};
use std::ffi::OsString;
use std::io::Write;
use std::path::PathBuf;

#[derive(Debug, Parser)]
#[command(
    name = "deploygen",
    version,
    about = "Generate deploy files (compose, .env, Bicep, render.yaml, redis.conf) from one typed descriptor per environment",
    after_help = "Exit codes: 0 clean / in sync / no change; 1 findings / drift / changes; 2 could not run."
)]
pub struct Cli {
    /// Read templates from DIR instead of the ones built into deploygen.
    #[arg(long, global = true, value_name = "DIR")]
    pub templates: Option<PathBuf>,
    /// Output format, where the command has several.
    #[arg(long, global = true, value_enum, default_value_t = Format::Human)]
    pub format: Format,
    /// Print only errors and findings, no diffs or summaries.
    #[arg(long, short, global = true)]
    pub quiet: bool,
    #[command(subcommand)]
    pub command: Command,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum Format {
    /// For people (colour on a terminal, unless NO_COLOR is set).
    Human,
    /// For machines: a versioned JSON document on stdout.
    Json,
    /// GitHub Actions annotations (`::error file=...`).
    Github,
    /// Migration notes (diff).
    Markdown,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Check descriptors against the schema and the semantic rules (default: every environment in `environments/`).
    Validate {
        /// Descriptor files or environment names.
        files: Vec<String>,
    },
    /// Write the environments' files (default: every environment in `environments/`).
    Render {
        /// Descriptor files or environment names.
        envs: Vec<String>,
        /// Output folder, for a single environment (default: the descriptor's `output`, else a folder named after it).
        #[arg(short, long, value_name = "DIR")]
        output: Option<PathBuf>,
        /// Overwrite files that do not carry deploygen's header.
        #[arg(long)]
        force: bool,
        /// Delete generated files this render no longer produces.
        #[arg(long)]
        prune: bool,
    },
    /// Render in memory and compare with the files on disk (CI drift check; default: every environment).
    Check {
        /// Descriptor files or environment names.
        envs: Vec<String>,
    },
    /// Show what a change does: per file, env var, secret, resource and dollar, with migration notes.
    #[command(
        after_help = "The \"before\" side is ENV (or OTHER/REV with --against); the \"after\" side is ENV with the edits.\nExit codes: 0 no change, 1 changes, 2 could not run."
    )]
    Diff {
        /// A descriptor file, or the name of one in `environments/`.
        env: String,
        /// Take a component out: `redis` (the cache moves to the framework's database cache, or goes; a queue on Redis moves to the database, or goes with its workers).
        #[arg(long, value_name = "COMPONENT", value_parser = ["redis"], conflicts_with = "with")]
        without: Option<String>,
        /// Add a component with the platform's defaults: `redis`.
        #[arg(long, value_name = "COMPONENT", value_parser = ["redis"])]
        with: Option<String>,
        /// Change one descriptor field (repeatable): `cache.provider=azure-managed`, `/cache/capacity=null`.
        #[arg(long = "set", value_name = "PATH=VALUE")]
        set: Vec<String>,
        /// Compare with another descriptor file, or with ENV at a git revision (what a pull request changes).
        #[arg(long, value_name = "OTHER|REV")]
        against: Option<String>,
    },
    /// Show the Plan: services, env vars, secrets, resources and files.
    Plan {
        /// A descriptor file, or the name of one in `environments/`.
        env: String,
    },
    /// Print the environment JSON schema (for editors and the YAML language server).
    Schema,
    /// Write a commented starter descriptor (never overwrites).
    Init {
        /// Where to write it (default: `environments/NAME.yaml`).
        path: Option<PathBuf>,
        /// Environment name.
        #[arg(long, default_value = "myapp")]
        name: String,
        #[arg(long, default_value = "compose", value_parser = crate::target::names())]
        platform: String,
        #[arg(long, default_value = "redis", value_parser = ["none", "database", "memcached", "redis"])]
        cache: String,
        /// The app's framework: the starter's command, port and health check follow it (`none`: the image's own command).
        #[arg(long, default_value = "none", value_parser = ["django", "fastapi", "flask", "rails", "express", "streamlit", "none"])]
        framework: String,
    },
    /// Print shell completions.
    Completions {
        /// bash, zsh, fish, elvish or powershell.
        shell: clap_complete::Shell,
    },
    /// Print the man page (roff).
    Man,
    /// List every rule (input, semantic, lint), or explain one.
    Explain {
        /// A rule id, such as `redis-url-without-password`.
        rule: Option<String>,
    },
}

/// Run deploygen with `args`; returns the exit code.
pub fn run<I, T>(args: I, stdout: &mut dyn Write, stderr: &mut dyn Write) -> i32
where
    I: IntoIterator<Item = T>,
    T: Into<OsString> + Clone,
{
    let cli = match Cli::try_parse_from(args) {
        Ok(cli) => cli,
        Err(e) => {
            let styled = std::env::var_os("NO_COLOR").is_none_or(|v| v.is_empty())
                && std::io::IsTerminal::is_terminal(&std::io::stderr());
            let text = if styled {
                e.render().ansi().to_string()
            } else {
                e.render().to_string()
            };
            if e.use_stderr() {
                let _ = stderr.write_all(text.as_bytes());
                return 2;
            }
            let _ = stdout.write_all(text.as_bytes());
            return 0;
        }
    };
    let color = cli.format == Format::Human
        && std::env::var_os("NO_COLOR").is_none_or(|v| v.is_empty())
        && std::io::IsTerminal::is_terminal(&std::io::stdout());
    let github = cli.format == Format::Github;
    let mut out = print::Out {
        stdout: print::Clean::new(stdout, github),
        stderr: print::Clean::new(stderr, github),
        quiet: cli.quiet,
        format: cli.format,
        color,
        deserved: None,
    };
    match commands::dispatch(&cli, &mut out) {
        Ok(code) => code,
        // The reader left: the result still decides the code; where the
        // command stopped before knowing it, 128 + SIGPIPE as other tools exit.
        Err(commands::Failure::BrokenPipe) => out.deserved.unwrap_or(141),
        Err(commands::Failure::Error(e)) => {
            let _ = out.report_error(&e);
            e.exit_code()
        }
    }
}
