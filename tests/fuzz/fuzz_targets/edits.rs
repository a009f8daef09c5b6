//! Shared by the fuzz targets: the input's length picks one of `diff`'s edits
//! (none, `--without redis`, `--with redis`), applied before validation as
//! `diff` does, so edits meet documents of any shape.

use deploygen::diff::variant::Edit;

pub fn pick(data: &[u8]) -> impl Fn(&mut serde_json::Value) -> deploygen::error::Result<()> {
    let edit = match data.len() % 3 {
        0 => None,
        1 => Some(Edit::WithoutRedis),
        _ => Some(Edit::WithRedis),
    };
    move |doc| match &edit {
        Some(e) => deploygen::diff::variant::apply(doc, e),
        None => Ok(()),
    }
}
