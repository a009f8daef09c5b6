//! deploygen: one typed YAML descriptor per environment in, every deploy file
//! for that environment out.
//!
//! ```text
//! load -> validate -> model -> plan -> render -> emit
//! ```
//! Each stage is a module with one job. The library never prints: the `cli`
//! module turns results into text on the writers it is given.
#![deny(clippy::print_stdout, clippy::print_stderr)]

pub mod backing;
pub mod cli;
pub mod cost;
pub mod diff;
pub mod emit;
pub mod error;
pub mod findings;
pub mod lint;
pub mod load;
pub mod model;
pub mod pipeline;
pub mod plan;
pub mod render;
pub mod resolve;
pub mod rules;
pub mod source;
pub(crate) mod target;
pub mod validate;

pub use cli::run;
