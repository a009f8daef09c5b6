//! `--format json`: a report's type, serialised, one document on stdout.

use super::Clean;
use serde::Serialize;
use std::io::{self, Write};

pub fn write<T: Serialize>(w: &mut Clean, report: &T) -> io::Result<()> {
    serde_json::to_writer_pretty(&mut *w, report)?;
    writeln!(w)
}
