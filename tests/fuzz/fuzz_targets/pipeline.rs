//! Any bytes as a descriptor through load, validate, plan and render: errors
//! are fine, panics are bugs. `extends` reads the same input (a cycle). The
//! input's length picks one of `diff`'s edits (none, `--without redis`,
//! `--with redis`), applied before validation as `diff` does: edits meet
//! documents of any shape.
#![no_main]

#[path = "edits.rs"]
mod edits;

use deploygen::render::Renderer;
use libfuzzer_sys::fuzz_target;
use std::path::Path;
use std::sync::OnceLock;

fn renderer() -> &'static Renderer {
    static R: OnceLock<Renderer> = OnceLock::new();
    R.get_or_init(Renderer::embedded)
}

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else { return };
    let text = text.to_string();
    let read = move |_: &Path| Ok(text.clone());
    let Ok(loaded) = deploygen::load::load_with(Path::new("fuzz.yaml"), &read) else { return };
    let apply = edits::pick(data);
    let Ok(validated) = deploygen::validate::validate_loaded(loaded, &apply) else { return };
    let plan = deploygen::plan::build(&validated.descriptor, "fuzz.yaml".into());
    let _ = renderer().render(&plan);
    let _ = serde_json::to_string(&plan);
});
