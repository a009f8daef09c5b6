//! `--format markdown`: the diff's migration notes, for a pull request or a
//! runbook.

use super::{money, Clean};
use crate::diff::{DiffReport, EnvChange};
use std::io::{self, Write};

pub fn diff(w: &mut Clean, r: &DiffReport) -> io::Result<()> {
    let n = &r.notes;
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
    let mut changed: Vec<&EnvChange> = Vec::new();
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
            writeln!(w, "- add {} in {}", s.markdown(), s.stored_in)?;
        }
        for s in &r.secrets.removed {
            writeln!(w, "- remove {} from {}", s.markdown(), s.stored_in)?;
        }
        writeln!(w)?;
    }
    let res = &r.resources;
    if !res.added.is_empty() || !res.removed.is_empty() || !res.changed.is_empty() || !res.replaced.is_empty() {
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
        for x in &res.replaced {
            writeln!(
                w,
                "- replace {} {}: {} {} → {} (fixed at creation)",
                x.kind,
                code(&x.name),
                x.setting,
                x.before,
                x.after
            )?;
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
            "Estimated monthly cost: {} before, {} after ({}), with list prices of {}.{}\n",
            money(c.before_monthly),
            money(c.after_monthly),
            crate::cost::delta_text(c.delta_monthly, &c.delta_unpriced, money),
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
