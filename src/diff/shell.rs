//! Values in the notes' `bash` blocks: every path, revision, name and
//! placeholder that reaches a shell line goes through [`quote`], so running
//! the notes runs only the commands they spell out (a descriptor at
//! `rb$(touch PWNED).yaml` or a branch `rel;touch PWNED` is one word).

use crate::render::escape::{breaks_lines, shell_word};
use std::path::Path;

/// `s` as one bash word: bare when only safe characters, single-quoted
/// otherwise ([`shell_word`], the one quoting rule of generated shell), and
/// ANSI-C quoted (`$'…'`) when it holds a line break or a control character:
/// the notes are markdown, and a raw line break would end the command (or
/// the code block) in the middle of the value.
pub(crate) fn quote(s: &str) -> String {
    let mut out = String::new();
    if !s.chars().any(|c| c.is_control() || breaks_lines(c)) {
        shell_word(s, &mut out);
        return out;
    }
    out.push_str("$'");
    for c in s.chars() {
        match c {
            '\\' => out.push_str("\\\\"),
            '\'' => out.push_str("\\'"),
            '\n' => out.push_str("\\n"),
            '\t' => out.push_str("\\t"),
            '\r' => out.push_str("\\r"),
            c if (c as u32) < 0x80 && c.is_control() => out.push_str(&format!("\\x{:02x}", c as u32)),
            c if c.is_control() || breaks_lines(c) => out.push_str(&format!("\\u{:04x}", c as u32)),
            c => out.push(c),
        }
    }
    out.push('\'');
    out
}

/// A path the user gave, as an argument no program reads as an option: a
/// leading `-` gets `./` before it.
pub(crate) fn quote_path(path: &str) -> String {
    if path.starts_with('-') {
        quote(&format!("./{path}"))
    } else {
        quote(path)
    }
}

/// `path` as a command names it: relative to the working directory where it
/// lies below it, with its real bytes (`display_path` writes `\\` as `/`
/// for people, which would name another file), as one word.
pub(crate) fn path_arg(path: &Path) -> String {
    let cwd = std::env::current_dir().ok();
    let relative = cwd
        .as_deref()
        .and_then(|cwd| path.strip_prefix(cwd).ok())
        .unwrap_or(path);
    let text = relative.to_string_lossy();
    quote_path(if text.is_empty() { "." } else { &text })
}

/// Several words, each quoted, joined by spaces.
pub(crate) fn quote_all<S: AsRef<str>>(words: &[S]) -> String {
    words.iter().map(|w| quote(w.as_ref())).collect::<Vec<_>>().join(" ")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn plain_words_stay_bare_and_the_rest_is_one_word() {
        assert_eq!(quote("environments/fastapi-rq.yaml"), "environments/fastapi-rq.yaml");
        assert_eq!(quote("<resource-group>"), "'<resource-group>'");
        assert_eq!(quote("rel;touch${IFS}PWNED2"), "'rel;touch${IFS}PWNED2'");
        assert_eq!(quote("it's"), "'it'\\''s'");
        assert_eq!(quote("a\nb'\\\u{1b}\u{2028}"), "$'a\\nb\\'\\\\\\x1b\\u2028'");
        assert_eq!(quote(""), "''");
        assert_eq!(quote_path("-x.yaml"), "./-x.yaml");
        assert_eq!(quote_all(&["a b", "c"]), "'a b' c");
    }
}
