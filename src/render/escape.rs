//! Escaping by output language. Every value a template prints goes through
//! [`format_value`] with the language of the file being rendered, chosen from
//! the template's name; a language this module does not know fails closed.

use minijinja::value::ValueKind;
use minijinja::{Error, ErrorKind, Value};

/// The language of a generated file, as far as escaping is concerned.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Lang {
    Yaml,
    /// YAML read by docker compose, which also interpolates `$`.
    ComposeYaml,
    Dotenv,
    Json,
    Bicep,
    /// POSIX shell scripts (`bash`).
    Shell,
    /// `redis.conf`, read by redis-server's argument splitter.
    RedisConf,
    /// Dockerfile instructions: only plain words are allowed in.
    Dockerfile,
    /// Grafana Alloy configuration: values are double-quoted strings.
    Alloy,
}

impl Lang {
    /// The auto-escape name minijinja carries for templates in this language.
    pub fn name(self) -> &'static str {
        match self {
            Lang::Yaml => "yaml",
            Lang::ComposeYaml => "compose-yaml",
            Lang::Dotenv => "dotenv",
            Lang::Json => "json",
            Lang::Bicep => "bicep",
            Lang::Shell => "shell",
            Lang::RedisConf => "redis-conf",
            Lang::Dockerfile => "dockerfile",
            Lang::Alloy => "alloy",
        }
    }

    pub const ALL: [Lang; 9] = [
        Lang::Yaml,
        Lang::ComposeYaml,
        Lang::Dotenv,
        Lang::Json,
        Lang::Bicep,
        Lang::Shell,
        Lang::RedisConf,
        Lang::Dockerfile,
        Lang::Alloy,
    ];

    pub fn from_name(name: &str) -> Option<Lang> {
        Self::ALL.into_iter().find(|l| l.name() == name)
    }

    /// From a template name such as `compose/docker-compose.yml.j2`.
    pub fn for_template(template: &str) -> Option<Lang> {
        let stem = template.strip_suffix(".j2").unwrap_or(template);
        let file = stem.rsplit('/').next().unwrap_or(stem);
        let ext = file.rsplit_once('.').map(|(_, e)| e).unwrap_or("");
        match ext {
            "yml" | "yaml" if file.starts_with("docker-compose") || file.starts_with("compose") => {
                Some(Lang::ComposeYaml)
            }
            "yml" | "yaml" => Some(Lang::Yaml),
            "dotenv" => Some(Lang::Dotenv),
            "json" => Some(Lang::Json),
            "bicep" => Some(Lang::Bicep),
            "sh" => Some(Lang::Shell),
            "conf" if file.starts_with("redis") => Some(Lang::RedisConf),
            "alloy" => Some(Lang::Alloy),
            _ if file == "Dockerfile" => Some(Lang::Dockerfile),
            _ => None,
        }
    }

    /// How a comment line starts, or `None` where the format has no comments.
    pub fn comment_prefix(self) -> Option<&'static str> {
        match self {
            Lang::Yaml | Lang::ComposeYaml | Lang::Dotenv | Lang::Shell | Lang::RedisConf | Lang::Dockerfile => {
                Some("# ")
            }
            Lang::Bicep | Lang::Alloy => Some("// "),
            Lang::Json => None,
        }
    }
}

fn refuse(lang: Lang, what: &str) -> Error {
    Error::new(
        ErrorKind::InvalidOperation,
        format!("cannot write {what} into a {} file", lang.name()),
    )
}

/// Write `value` into a file in language `lang`.
pub fn format_value(lang: Lang, value: &Value, out: &mut String) -> Result<(), Error> {
    match value.kind() {
        ValueKind::Bool => out.push_str(if value.is_true() { "true" } else { "false" }),
        ValueKind::Number => out.push_str(&value.to_string()),
        ValueKind::String => {
            let s = value.as_str().unwrap_or_default();
            match lang {
                Lang::Yaml => yaml_scalar(s, out),
                Lang::ComposeYaml => yaml_scalar(&s.replace('$', "$$"), out),
                Lang::Dotenv => dotenv_value(s, out)?,
                Lang::Json => out.push_str(&serde_json::to_string(s).map_err(|e| refuse(lang, &e.to_string()))?),
                Lang::Bicep => bicep_string(s, out),
                Lang::Shell => shell_word(s, out),
                Lang::RedisConf => redis_conf_word(s, out),
                Lang::Dockerfile => dockerfile_word(s, out)?,
                Lang::Alloy => alloy_string(s, out),
            }
        }
        ValueKind::None if lang == Lang::Json => out.push_str("null"),
        ValueKind::None if matches!(lang, Lang::Yaml | Lang::ComposeYaml) => out.push_str("null"),
        other => return Err(refuse(lang, &format!("a value of kind {other}"))),
    }
    Ok(())
}

/// A Bicep string literal: single quotes, with `\'`, `\$` (no
/// interpolation) and control characters escaped. A backslash is written
/// `\u{5C}`: pycep (Checkov's Bicep parser) reads `\\'` as an escaped quote,
/// so a value ending in a backslash would hide the rest of the file from it.
pub fn bicep_string(s: &str, out: &mut String) {
    out.push('\'');
    bicep_string_body(s, out);
    out.push('\'');
}

pub fn bicep_string_body(s: &str, out: &mut String) {
    for c in s.chars() {
        match c {
            '\\' => out.push_str("\\u{5C}"),
            '\'' => out.push_str("\\'"),
            '$' => out.push_str("\\$"),
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            '\t' => out.push_str("\\t"),
            c if c.is_control() || c == '\u{2028}' || c == '\u{2029}' || c == '\u{feff}' => {
                out.push_str(&format!("\\u{{{:X}}}", c as u32))
            }
            c => out.push(c),
        }
    }
}

/// One redis.conf argument: bare when plain, else double-quoted with the
/// escapes redis-server's splitter understands.
pub fn redis_conf_word(s: &str, out: &mut String) {
    let bare = !s.is_empty()
        && s.chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '_' | '.' | ':' | '/' | '-'));
    if bare {
        out.push_str(s);
        return;
    }
    out.push('"');
    for b in s.bytes() {
        match b {
            b'"' => out.push_str("\\\""),
            b'\\' => out.push_str("\\\\"),
            b'\n' => out.push_str("\\n"),
            b'\r' => out.push_str("\\r"),
            b'\t' => out.push_str("\\t"),
            0x20..=0x7e => out.push(b as char),
            other => out.push_str(&format!("\\x{other:02x}")),
        }
    }
    out.push('"');
}

/// A word in a Dockerfile instruction: paths and image names only. Dockerfile
/// quoting differs between instructions, so anything else is refused.
fn dockerfile_word(s: &str, out: &mut String) -> Result<(), Error> {
    let plain = !s.is_empty()
        && s.chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '_' | '.' | ':' | '/' | '@' | '-'));
    if !plain {
        return Err(Error::new(
            ErrorKind::InvalidOperation,
            format!("{s:?} cannot be written into a Dockerfile (only paths and image names)"),
        ));
    }
    out.push_str(s);
    Ok(())
}

/// One shell word: bare when only safe characters, else single-quoted.
pub fn shell_word(s: &str, out: &mut String) {
    let bare = !s.is_empty()
        && s.chars().all(|c| {
            c.is_ascii_alphanumeric() || matches!(c, '_' | '.' | '/' | ':' | '=' | '@' | '%' | '+' | ',' | '-')
        });
    if bare {
        out.push_str(s);
    } else {
        out.push('\'');
        out.push_str(&s.replace('\'', "'\\''"));
        out.push('\'');
    }
}

/// YAML words that a plain scalar would turn into something other than a string
/// (YAML 1.1 spellings included: compose and many tools still read them).
const YAML_RESERVED: &[&str] = &[
    "true", "false", "yes", "no", "on", "off", "y", "n", "null", "nan", "inf",
];

/// A string that reads back as the same string when written without quotes.
fn yaml_plain_safe(s: &str) -> bool {
    let mut chars = s.chars();
    let Some(first) = chars.next() else {
        return false;
    };
    let first_ok = first.is_ascii_alphabetic() || first == '_' || first == '/' || s.starts_with("./");
    first_ok
        && s.chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '_' | '.' | '/' | ':' | '@' | '+' | '=' | '-'))
        && !s.ends_with(':')
        && !YAML_RESERVED.contains(&s.to_ascii_lowercase().as_str())
}

/// An Alloy string literal: double quotes, Go-style escapes.
pub fn alloy_string(s: &str, out: &mut String) {
    double_quoted(s, out, |c| c.is_control().then(|| format!("\\u{:04x}", c as u32)));
}

/// `s` in double quotes with `"`, `\\`, `\n`, `\r` and `\t` escaped, and every
/// other character `hex` names written as the escape it returns.
fn double_quoted(s: &str, out: &mut String, hex: impl Fn(char) -> Option<String>) {
    out.push('"');
    for c in s.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            '\t' => out.push_str("\\t"),
            c => match hex(c) {
                Some(escape) => out.push_str(&escape),
                None => out.push(c),
            },
        }
    }
    out.push('"');
}

/// A YAML scalar: plain when that is unambiguous, else double-quoted with every
/// character YAML would not print as-is escaped.
pub fn yaml_scalar(s: &str, out: &mut String) {
    if yaml_plain_safe(s) {
        out.push_str(s);
        return;
    }
    // C0 and C1 controls, DEL, line/paragraph separators, BOM and the
    // noncharacters U+FFFE/U+FFFF: not printable in YAML (a reader refuses
    // the file), or read as line breaks by some.
    double_quoted(s, out, |c| {
        ((c as u32) < 0x20
            || (0x7f..=0x9f).contains(&(c as u32))
            || matches!(c, '\u{2028}' | '\u{2029}' | '\u{feff}' | '\u{fffe}' | '\u{ffff}'))
        .then(|| format!("\\u{:04X}", c as u32))
    });
}

/// A YAML scalar that may be long (a command line): as [`yaml_scalar`], but
/// past `width` characters a double-quoted one continues on the next line
/// after each `&& `, with an escaped line break (YAML 1.2, 7.3.1: `\` at a
/// line's end joins it to the next, whose indentation is not content), so
/// linters' line-length limits hold and the value reads back unchanged.
pub fn yaml_scalar_wrapped(s: &str, indent: usize, width: usize, out: &mut String) {
    let mut quoted = String::new();
    yaml_scalar(s, &mut quoted);
    if quoted.chars().count() <= width || !quoted.starts_with('"') {
        out.push_str(&quoted);
        return;
    }
    let mut rest = quoted.as_str();
    while let Some(at) = rest.find("&& ") {
        let (line, next) = rest.split_at(at + 3);
        // A continuation line loses its leading spaces: never break before one.
        if next.starts_with(' ') || next.len() <= 1 {
            break;
        }
        out.push_str(line);
        out.push_str("\\\n");
        out.extend(std::iter::repeat_n(' ', indent));
        rest = next;
    }
    out.push_str(rest);
}

/// dotenv values: bare when only safe characters, single-quoted (literal, no
/// interpolation) otherwise. A value no dotenv dialect reads back the same way
/// (a single quote or a line break inside) is refused.
fn dotenv_value(s: &str, out: &mut String) -> Result<(), Error> {
    let bare = s
        .chars()
        .all(|c| c.is_ascii_alphanumeric() || matches!(c, '_' | '.' | '/' | ':' | '@' | '+' | '=' | ',' | '-'));
    if bare {
        out.push_str(s);
    } else if s
        .chars()
        .any(|c| c == '\'' || c == '\\' || c.is_control() || breaks_lines(c))
    {
        return Err(Error::new(
            ErrorKind::InvalidOperation,
            // Dialects disagree on backslashes in single quotes (python-dotenv escapes, compose does not).
            format!("value {s:?} cannot be written to a dotenv file (single quote, backslash or control character)"),
        ));
    } else if s.contains("${") {
        return Err(Error::new(
            ErrorKind::InvalidOperation,
            // python-dotenv expands `${NAME}` even between single quotes, and has no escape for it.
            format!("value {s:?} cannot be written to a dotenv file: python-dotenv would expand its `${{...}}`"),
        ));
    } else {
        out.push('\'');
        out.push_str(s);
        out.push('\'');
    }
    Ok(())
}

/// Characters some reader of our outputs ends a line at (besides the C0 and C1
/// controls, which include `\u{85}`): PyYAML, docker compose and JavaScript
/// read U+2028 and U+2029 as line breaks. U+FEFF, U+FFFE and U+FFFF are not
/// allowed in a YAML stream at all.
pub fn breaks_lines(c: char) -> bool {
    matches!(c, '\u{2028}' | '\u{2029}' | '\u{feff}' | '\u{fffe}' | '\u{ffff}')
}

/// One comment line: line breaks and control characters become spaces so a
/// value can never end the comment and start a line of its own. It never ends
/// in a backslash either: C-style readers (tree-sitter-bicep among them)
/// continue such a `//` comment on the next line.
pub fn comment_text(s: &str) -> String {
    let mut line: String = s
        .chars()
        .map(|c| if c.is_control() || breaks_lines(c) { ' ' } else { c })
        .collect();
    // pycep (and so Checkov) opens a multi-line string at `'''` even inside a
    // `//` comment, and then cannot parse the file: break every run of three.
    while line.contains("'''") {
        line = line.replace("'''", "'' '");
    }
    line.trim_end_matches(|c: char| c == '\\' || c.is_whitespace())
        .to_string()
}

/// An argument vector as one command line that a POSIX shell (or a
/// shell-style splitter) cuts back into the same arguments.
pub fn shell_join(args: &[String]) -> String {
    let mut out = String::new();
    for (i, arg) in args.iter().enumerate() {
        if i > 0 {
            out.push(' ');
        }
        shell_word(arg, &mut out);
    }
    out
}

#[cfg(test)]
mod tests {

    use super::*;

    #[test]
    fn a_long_yaml_scalar_continues_after_each_and_and_reads_back_the_same() {
        let line = format!(
            "sh -c 'a=\\\"{}\\\" && export B=\\\"$a\\\" && exec  run'",
            "x".repeat(120)
        );
        let mut out = String::new();
        yaml_scalar_wrapped(&line, 6, 120, &mut out);
        assert_eq!(out.lines().count(), 3, "{out}");
        assert!(
            out.lines()
                .skip(1)
                .all(|l| l.starts_with("      ") && !l.starts_with("       ")),
            "{out}"
        );
        let back: String = serde_yaml::from_str(&format!("k: {out}\n"))
            .map(|m: std::collections::BTreeMap<String, String>| m["k"].clone())
            .unwrap();
        assert_eq!(back, line);
        let (mut short, mut plain) = (String::new(), String::new());
        yaml_scalar_wrapped("exec run", 6, 120, &mut short);
        yaml_scalar("exec run", &mut plain);
        assert_eq!(short, plain);
    }

    #[test]
    fn a_comment_never_holds_three_quotes_in_a_row() {
        assert_eq!(comment_text("it's ''' here"), "it's '' ' here");
        assert!(!comment_text("'''''''").contains("'''"));
    }

    #[test]
    fn a_comment_cannot_continue_onto_the_next_line() {
        assert_eq!(comment_text("a\nb\u{2028}c"), "a b c");
        assert_eq!(comment_text("${HOME} >$(id)\\"), "${HOME} >$(id)");
        assert_eq!(comment_text("x\\ \\\n"), "x");
        assert_eq!(comment_text("a\\b"), "a\\b");
    }

    fn yaml(s: &str) -> String {
        let mut out = String::new();
        yaml_scalar(s, &mut out);
        out
    }

    #[test]
    fn yaml_leaves_simple_words_plain_and_quotes_the_rest() {
        assert_eq!(yaml("postgres:16-alpine"), "postgres:16-alpine");
        assert_eq!(yaml("bs-redis"), "bs-redis");
        assert_eq!(yaml("6379"), "\"6379\"");
        assert_eq!(yaml("yes"), "\"yes\"");
        assert_eq!(yaml("a: b"), "\"a: b\"");
        assert_eq!(yaml("x #y"), "\"x #y\"");
        assert_eq!(yaml(""), "\"\"");
        assert_eq!(yaml("line\nbreak \"q\""), "\"line\\nbreak \\\"q\\\"\"");
        assert_eq!(yaml("key:"), "\"key:\"");
    }

    #[test]
    fn compose_yaml_doubles_dollars() {
        let mut out = String::new();
        format_value(Lang::ComposeYaml, &Value::from("${HOME}"), &mut out).unwrap();
        assert_eq!(out, "\"$${HOME}\"");
    }

    #[test]
    fn dotenv_quotes_or_refuses() {
        let mut out = String::new();
        format_value(Lang::Dotenv, &Value::from("redis://bs-redis:6379/1"), &mut out).unwrap();
        assert_eq!(out, "redis://bs-redis:6379/1");
        out.clear();
        format_value(Lang::Dotenv, &Value::from("a b$c"), &mut out).unwrap();
        assert_eq!(out, "'a b$c'");
        assert!(format_value(Lang::Dotenv, &Value::from("a'b"), &mut String::new()).is_err());
        assert!(format_value(Lang::Dotenv, &Value::from("a\nB=1"), &mut String::new()).is_err());
    }

    #[test]
    fn maps_and_lists_are_refused_everywhere() {
        for lang in Lang::ALL {
            assert!(format_value(lang, &Value::from(vec![1, 2]), &mut String::new()).is_err());
        }
    }

    #[test]
    fn bicep_strings_cannot_interpolate_or_end_early() {
        let mut out = String::new();
        bicep_string("it's ${x} \\ \n", &mut out);
        assert_eq!(out, "'it\\'s \\${x} \\u{5C} \\n'");
        // A value ending in a backslash does not end in `\\'`.
        let mut out = String::new();
        bicep_string("C:\\", &mut out);
        assert_eq!(out, "'C:\\u{5C}'");
    }

    #[test]
    fn shell_words_are_quoted_when_needed() {
        let mut out = String::new();
        shell_word("redis-url", &mut out);
        out.push(' ');
        shell_word("a'b $(x)", &mut out);
        assert_eq!(out, "redis-url 'a'\\''b $(x)'");
    }

    #[test]
    fn redis_conf_words_are_quoted_like_redis_reads_them() {
        let mut out = String::new();
        redis_conf_word("allkeys-lru", &mut out);
        out.push(' ');
        redis_conf_word("a \"b\"\nc é", &mut out);
        assert_eq!(out, "allkeys-lru \"a \\\"b\\\"\\nc \\xc3\\xa9\"");
    }

    #[test]
    fn template_names_pick_the_language() {
        assert_eq!(
            Lang::for_template("compose/docker-compose.yml.j2"),
            Some(Lang::ComposeYaml)
        );
        assert_eq!(Lang::for_template("render/render.yaml.j2"), Some(Lang::Yaml));
        assert_eq!(Lang::for_template("dotenv/env.dotenv.j2"), Some(Lang::Dotenv));
        assert_eq!(
            Lang::for_template("azure/container-apps/main.bicep.j2"),
            Some(Lang::Bicep)
        );
        assert_eq!(
            Lang::for_template("azure/container-apps/update.sh.j2"),
            Some(Lang::Shell)
        );
        assert_eq!(Lang::for_template("redis/redis.conf.j2"), Some(Lang::RedisConf));
        assert_eq!(Lang::for_template("redis/Dockerfile.j2"), Some(Lang::Dockerfile));
        assert_eq!(Lang::for_template("compose/config.alloy.j2"), Some(Lang::Alloy));
        assert_eq!(Lang::for_template("x/unknown.txt.j2"), None);
    }

    #[test]
    fn alloy_strings_cannot_end_early() {
        let mut out = String::new();
        alloy_string("a\"b\\c\nd", &mut out);
        assert_eq!(out, r#""a\"b\\c\nd""#);
    }
}
