//! Any bytes as a descriptor through load and validate only: the YAML loader
//! (nesting, aliases, numbers, duplicate keys, `extends`) and the validators
//! are where hostile input lands first, and without planning and rendering an
//! execution is cheap enough for tens of millions of them. As in `pipeline`,
//! the input's length picks one of `diff`'s edits, applied before validation.
#![no_main]

#[path = "edits.rs"]
mod edits;

use libfuzzer_sys::fuzz_target;
use std::path::Path;

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else { return };
    let text = text.to_string();
    let read = move |_: &Path| Ok(text.clone());
    let Ok(loaded) = deploygen::load::load_with(Path::new("fuzz.yaml"), &read) else { return };
    let apply = edits::pick(data);
    let _ = deploygen::validate::validate_loaded(loaded, &apply);
});
