//! Property test: a hostile string (quotes, line breaks, `${...}`, `#`,
//! backslashes, template syntax, unicode, nothing at all) put into any string
//! field of any shipped environment either is refused by validation with
//! findings, or renders files that real parsers read with the same structure
//! as before, the value intact.

use crate::support::repo;
use deploygen::render::{RenderedFile, Renderer};
use proptest::prelude::*;
use serde_json::Value;
use std::collections::BTreeSet;
use std::io::{BufRead, BufReader, Write};
use std::path::PathBuf;
use std::process::{Child, ChildStdin, ChildStdout, Command, Stdio};
use std::sync::{Mutex, OnceLock};

fn renderer() -> &'static Renderer {
    static R: OnceLock<Renderer> = OnceLock::new();
    R.get_or_init(Renderer::embedded)
}

fn environments() -> Vec<PathBuf> {
    let mut out: Vec<PathBuf> = std::fs::read_dir(repo().join("environments"))
        .unwrap()
        .flatten()
        .map(|e| e.path())
        .filter(|p| {
            let name = p.file_name().unwrap().to_string_lossy().into_owned();
            name.ends_with(".yaml") && !name.starts_with('_')
        })
        .collect();
    out.sort();
    out
}

fn string_leaves(v: &Value, at: String, out: &mut Vec<String>) {
    match v {
        Value::String(_) => out.push(at),
        Value::Array(items) => {
            for (i, item) in items.iter().enumerate() {
                string_leaves(item, format!("{at}/{i}"), out);
            }
        }
        Value::Object(map) => {
            for (k, item) in map {
                string_leaves(item, format!("{at}/{}", k.replace('~', "~0").replace('/', "~1")), out);
            }
        }
        _ => {}
    }
}

/// `Ok(files)`, or `Err(())` when validation refused the value (with findings).
fn render(path: &std::path::Path, pointer: &str, value: &str) -> Result<Vec<RenderedFile>, ()> {
    let loaded = deploygen::load::load(path).unwrap();
    let edit = |doc: &mut Value| {
        if pointer.is_empty() {
            return Ok(());
        }
        if let Some(slot) = doc.pointer_mut(pointer) {
            *slot = Value::String(value.to_string());
        }
        Ok(())
    };
    match deploygen::validate::validate_loaded(loaded, &edit) {
        Ok(v) => {
            // The header carries the value too: a descriptor's file name reaches
            // every generated comment.
            let header = if pointer.is_empty() {
                "environments/x.yaml".to_string()
            } else {
                format!("environments/x{}.yaml", value.replace("Ωmark", ""))
            };
            let plan = deploygen::plan::build(&v.descriptor, header);
            Ok(renderer()
                .render(&plan)
                .unwrap_or_else(|e| panic!("{pointer} = {value:?} validated but did not render: {e}")))
        }
        Err(deploygen::error::Error::Invalid { findings }) => {
            assert!(!findings.is_empty() && findings.iter().all(|f| !f.message.is_empty()));
            Err(())
        }
        Err(e) => panic!("{pointer} = {value:?}: {e}"),
    }
}

/// Key paths of a YAML or JSON document (list indices collapsed).
fn key_paths(v: &Value, at: String, out: &mut BTreeSet<String>) {
    match v {
        Value::Object(map) => {
            for (k, item) in map {
                let p = format!("{at}/{k}");
                out.insert(p.clone());
                key_paths(item, p, out);
            }
        }
        Value::Array(items) => {
            for item in items {
                key_paths(item, format!("{at}/[]"), out);
            }
        }
        _ => {}
    }
}

fn strings(v: &Value, out: &mut Vec<String>) {
    match v {
        Value::String(s) => out.push(s.clone()),
        Value::Array(items) => items.iter().for_each(|i| strings(i, out)),
        Value::Object(map) => map.values().for_each(|i| strings(i, out)),
        _ => {}
    }
}

/// The readers the generated files name: PyYAML (docker compose's YAML is Go,
/// Render's too; PyYAML is the strictest about characters and line breaks)
/// and python-dotenv, kept running in one Python process from the validators
/// venv. Absent venv: only the Rust readers run (the validators test installs it).
const PY_READERS: &str = r#"
import io, json, sys, yaml, dotenv
for line in sys.stdin:
    req = json.loads(line)
    try:
        if req["kind"] == "yaml":
            out = yaml.safe_load(req["text"])
        else:
            out = list(dotenv.dotenv_values(stream=io.StringIO(req["text"]), interpolate=True).items())
        print(json.dumps({"ok": out}, default=str), flush=True)
    except Exception as e:
        print(json.dumps({"err": str(e)}), flush=True)
"#;

struct PyReaders {
    _child: Child,
    stdin: ChildStdin,
    stdout: BufReader<ChildStdout>,
}

fn py_read(kind: &str, text: &str) -> Option<Result<Value, String>> {
    static PY: OnceLock<Option<Mutex<PyReaders>>> = OnceLock::new();
    let py = PY.get_or_init(|| {
        let home = std::env::var_os("VALIDATORS_VENV")
            .map(PathBuf::from)
            .unwrap_or_else(|| {
                PathBuf::from(std::env::var_os("HOME").unwrap_or_default()).join(".cache/deploygen-validators")
            });
        let python = home.join("bin/python");
        if !python.exists() {
            eprintln!("PyYAML/python-dotenv readers skipped: no {}", python.display());
            return None;
        }
        let mut child = Command::new(python)
            .args(["-c", PY_READERS])
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .spawn()
            .unwrap();
        let stdin = child.stdin.take().unwrap();
        let stdout = BufReader::new(child.stdout.take().unwrap());
        Some(Mutex::new(PyReaders {
            _child: child,
            stdin,
            stdout,
        }))
    });
    let mut py = py.as_ref()?.lock().unwrap_or_else(|e| e.into_inner());
    let request = serde_json::json!({"kind": kind, "text": text}).to_string();
    writeln!(py.stdin, "{request}").unwrap();
    let mut line = String::new();
    py.stdout.read_line(&mut line).unwrap();
    let reply: Value = serde_json::from_str(&line).unwrap();
    Some(match reply.get("ok") {
        Some(v) => Ok(v.clone()),
        None => Err(reply["err"].to_string()),
    })
}

/// What a file's structure is, read by a real parser for its language, and
/// the string values it holds.
fn shape(file: &RenderedFile) -> (String, Vec<String>) {
    let name = file.path.rsplit('/').next().unwrap();
    let text = &file.contents;
    if name.ends_with(".yml") || name.ends_with(".yaml") || name.ends_with(".json") {
        let doc: Value = if name.ends_with(".json") {
            serde_json::from_str(text).unwrap_or_else(|e| panic!("{}: {e}\n{text}", file.path))
        } else {
            let y: serde_yaml::Value =
                serde_yaml::from_str(text).unwrap_or_else(|e| panic!("{}: {e}\n{text}", file.path));
            serde_json::to_value(y).unwrap()
        };
        let mut paths = BTreeSet::new();
        key_paths(&doc, String::new(), &mut paths);
        let mut values = Vec::new();
        strings(&doc, &mut values);
        if let Some(py) = py_read("yaml", text) {
            let py = py.unwrap_or_else(|e| panic!("{}: PyYAML: {e}\n{text}", file.path));
            let mut py_paths = BTreeSet::new();
            key_paths(&py, String::new(), &mut py_paths);
            assert_eq!(paths, py_paths, "{}: PyYAML reads other keys\n{text}", file.path);
            let mut py_values = Vec::new();
            strings(&py, &mut py_values);
            assert_eq!(values, py_values, "{}: PyYAML reads other values\n{text}", file.path);
        }
        let compose = name.starts_with("docker-compose");
        let values = values
            .into_iter()
            .map(|s| if compose { s.replace("$$", "$") } else { s })
            .collect();
        (format!("{paths:?}"), values)
    } else if name.starts_with(".env") {
        let pairs: Vec<(String, String)> = dotenvy::from_read_iter(text.as_bytes())
            .map(|r| r.unwrap_or_else(|e| panic!("{}: {e}\n{text}", file.path)))
            .collect();
        if let Some(py) = py_read("dotenv", text) {
            // python-dotenv, the reader the file names: same names, and a
            // marked value arrives intact (it expands `${...}` even in quotes).
            let py = py.unwrap_or_else(|e| panic!("{}: python-dotenv: {e}\n{text}", file.path));
            let py: Vec<(String, String)> = py
                .as_array()
                .unwrap()
                .iter()
                .map(|p| {
                    (
                        p[0].as_str().unwrap().to_string(),
                        p[1].as_str().unwrap_or_default().to_string(),
                    )
                })
                .collect();
            let names = |v: &[(String, String)]| v.iter().map(|(k, _)| k.clone()).collect::<Vec<_>>();
            assert_eq!(
                names(&pairs),
                names(&py),
                "{}: python-dotenv reads other names\n{text}",
                file.path
            );
            for ((_, ours), (_, theirs)) in pairs.iter().zip(&py) {
                if ours.contains("Ωmark") {
                    assert_eq!(ours, theirs, "{}: python-dotenv reads another value\n{text}", file.path);
                }
            }
        }
        (
            format!("{:?}", pairs.iter().map(|(k, _)| k).collect::<Vec<_>>()),
            pairs.into_iter().map(|(_, v)| v).collect(),
        )
    } else if name.ends_with(".bicep") {
        let mut parser = tree_sitter::Parser::new();
        parser.set_language(&tree_sitter_bicep::LANGUAGE.into()).unwrap();
        let tree = parser.parse(text, None).unwrap();
        let root = tree.root_node();
        assert!(!root.has_error(), "{}: Bicep syntax error\n{text}", file.path);
        // What pycep (Checkov's parser) cannot read, though Bicep can: a
        // string ending in an escaped backslash, `'''` inside a comment.
        for line in text.lines() {
            let comment = line.trim_start().starts_with("//");
            assert!(
                !(comment && line.contains("'''")),
                "{}: three quotes in a comment\n{line}",
                file.path
            );
            assert!(
                !line.contains("\\\\'"),
                "{}: a string ending in a backslash\n{line}",
                file.path
            );
        }
        let mut cursor = root.walk();
        let kinds: Vec<&str> = root.children(&mut cursor).map(|n| n.kind()).collect();
        (format!("{kinds:?}"), vec![])
    } else if name.ends_with(".sh") {
        let status = std::process::Command::new("bash")
            .args(["-n", "-c", text])
            .status()
            .unwrap();
        assert!(status.success(), "{}: shell syntax error\n{text}", file.path);
        (String::new(), vec![])
    } else {
        // redis.conf, Dockerfile, the manifest: one directive per line.
        let directives: Vec<&str> = text
            .lines()
            .filter(|l| !l.starts_with('#') && !l.trim().is_empty())
            .map(|l| l.split_whitespace().next().unwrap_or_default())
            .collect();
        (format!("{directives:?}"), vec![])
    }
}

fn hostile() -> impl Strategy<Value = String> {
    let pieces = prop::sample::select(vec![
        "\"",
        "'",
        "\n",
        "\r\n",
        "\t",
        "${HOME}",
        "$(id)",
        "`id`",
        "#",
        "\\",
        ": ",
        "- ",
        "{{ x }}",
        "{% if %}",
        "}",
        "{",
        "é",
        "✓",
        "\u{2028}",
        "\u{feff}",
        " ",
        "|",
        ">",
        "&a",
        "*a",
        "!!str",
        "%",
        "@",
        ",",
        "[",
        "]",
        "?",
        "\0",
        "--",
        "true",
        "null",
        "6379",
        "a",
        "\u{2029}",
        "\u{85}",
        "\u{fffe}",
        "\u{ffff}",
        "\u{9b}",
        "\u{1b}[2K",
        "\u{202e}",
        "${X:-y}",
        "1e400",
        "0x1F",
        // Issue 22: what once blinded pycep, and invisible characters.
        "'''",
        "\\'",
        "\u{200b}",
        "\u{200f}",
    ]);
    prop::collection::vec(pieces, 0..6).prop_map(|parts| parts.concat())
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 512, failure_persistence: None, ..ProptestConfig::default() })]

    #[test]
    fn hostile_values_are_refused_or_cannot_change_structure(env in any::<prop::sample::Index>(), leaf in any::<prop::sample::Index>(), payload in hostile()) {
        let envs = environments();
        let path = env.get(&envs).clone();
        let doc = deploygen::load::load(&path).unwrap().root.to_json();
        let mut leaves = Vec::new();
        string_leaves(&doc, String::new(), &mut leaves);
        let pointer = leaf.get(&leaves).clone();
        keeps_structure(&path, &pointer, &payload)?;
    }

    /// The per-service and queue fields of issue 13 on every platform (the
    /// shipped environments set few of them): `pre_deploy`, `build_command`,
    /// `plan`, `runtime`, `postgres.url_scheme`/`url_query`, `framework`, the
    /// broker's settings, and the commands beside them.
    #[test]
    fn hostile_values_in_the_new_fields_are_refused_or_cannot_change_structure(env in any::<prop::sample::Index>(), leaf in any::<prop::sample::Index>(), payload in hostile()) {
        let mut envs: Vec<PathBuf> = std::fs::read_dir(repo().join("tests/fixtures/new-fields"))
            .unwrap()
            .flatten()
            .map(|e| e.path())
            .collect();
        envs.sort();
        let path = env.get(&envs).clone();
        let doc = deploygen::load::load(&path).unwrap().root.to_json();
        let mut leaves = Vec::new();
        string_leaves(&doc, String::new(), &mut leaves);
        let fields = ["/pre_deploy", "/build_command", "/plan", "/runtime", "/url_scheme", "/url_query", "/framework", "/command"];
        leaves.retain(|l| fields.iter().any(|f| l.ends_with(f)) || l.starts_with("/broker/"));
        let pointer = leaf.get(&leaves).clone();
        keeps_structure(&path, &pointer, &payload)?;
    }
}

fn keeps_structure(path: &std::path::Path, pointer: &str, payload: &str) -> Result<(), TestCaseError> {
    {
        let path = path.to_path_buf();
        let pointer = pointer.to_string();
        let marked = format!("Ωmark{payload}");
        // A command line that reads `$VAR` runs through `sh -c`: its shape is
        // that of another command line with a `$`, not the shipped one's.
        let through_shell = pointer.ends_with("/command") && marked.contains('$');
        let baseline = if through_shell {
            render(&path, &pointer, "Ωmark$X").expect("a command line with `$` renders")
        } else {
            render(&path, "", "").expect("shipped environments validate")
        };
        let mut wrapped = String::from("sh -c ");
        deploygen::render::escape::shell_word(&marked, &mut wrapped);
        if let Ok(files) = render(&path, &pointer, &marked) {
            let before: Vec<&str> = baseline.iter().map(|f| f.path.as_str()).collect();
            let after: Vec<&str> = files.iter().map(|f| f.path.as_str()).collect();
            prop_assert_eq!(&before, &after, "{} changed the files", pointer);
            for (old, new) in baseline.iter().zip(&files) {
                let (old_shape, _) = shape(old);
                let (new_shape, values) = shape(new);
                prop_assert_eq!(
                    old_shape,
                    new_shape,
                    "{} = {:?} changed the structure of {}",
                    pointer,
                    marked,
                    new.path
                );
                for value in values.iter().filter(|v| v.contains("Ωmark")) {
                    // On Render's private Redis the line runs after the export
                    // of the assembled REDIS_URL, in the same `sh -c` word.
                    let after_exports = value
                        .strip_prefix("sh -c ")
                        .map(unquote_shell_word)
                        .is_some_and(|line| line.contains(" && export REDIS_URL=") && line.ends_with(marked.as_str()));
                    prop_assert!(
                        value.contains(&marked) || (through_shell && *value == wrapped) || after_exports,
                        "{}: {:?} came back as {:?}",
                        new.path,
                        marked,
                        value
                    );
                }
            }
        }
    }
    Ok(())
}

/// The property above is not vacuous: free-text fields accept hostile values,
/// and every file still has its structure.
#[test]
fn free_text_fields_take_hostile_values_without_changing_structure() {
    // Env values refuse line breaks (no env file dialect spells them alike).
    let full = "Ωmark\"'\n#${HOME}\\ {{ x }} ✓: - ";
    let one_line = "Ωmark\"'#${HOME}\\ {{ x }} ✓: - ";
    let cases = [
        ("revisbali.yaml", "/services/bs-core/command"),
        ("revisbali.yaml", "/services/bs-core/env/DJANGO_SETTINGS_MODULE"),
        ("revisbali.yaml", "/secrets/django-secret-key/description"),
        ("magictoolbox-dev.yaml", "/services/web/env/DJANGO_SETTINGS_MODULE"),
        ("magictoolbox-dev.yaml", "/services/web/command"),
        ("chat.yaml", "/services/web/command"),
        ("instructly.yaml", "/services/instructly-api/command"),
        ("instructly.yaml", "/description"),
        ("../tests/fixtures/new-fields/compose.yaml", "/services/api/pre_deploy"),
        (
            "../tests/fixtures/new-fields/container-apps.yaml",
            "/services/api/pre_deploy",
        ),
        (
            "../tests/fixtures/new-fields/container-apps.yaml",
            "/services/worker/command",
        ),
        ("../tests/fixtures/new-fields/render.yaml", "/services/web/pre_deploy"),
        (
            "../tests/fixtures/new-fields/render.yaml",
            "/services/web/build_command",
        ),
        ("../tests/fixtures/new-fields/render.yaml", "/services/worker/command"),
        (
            "../tests/fixtures/new-fields/app-service.yaml",
            "/services/web/pre_deploy",
        ),
    ];
    for (env, pointer) in cases {
        let path = repo().join("environments").join(env);
        let baseline = render(&path, "", "").unwrap();
        let payload = if pointer.contains("/env/") { one_line } else { full };
        let files =
            render(&path, pointer, payload).unwrap_or_else(|_| panic!("{env} {pointer} refused a free-text value"));
        let mut seen = false;
        for (old, new) in baseline.iter().zip(&files) {
            let (old_shape, _) = shape(old);
            let (new_shape, values) = shape(new);
            assert_eq!(old_shape, new_shape, "{env} {pointer}: {} changed structure", new.path);
            // A command line that uses `$` runs through `sh -c`, the line quoted as one word.
            let mut through_shell = String::from("sh -c ");
            deploygen::render::escape::shell_word(payload, &mut through_shell);
            for value in values.iter().filter(|v| v.contains("Ωmark")) {
                // On Render's private Redis the line runs after the export of
                // the assembled REDIS_URL, in the same `sh -c` word.
                let after_exports = value
                    .strip_prefix("sh -c ")
                    .map(unquote_shell_word)
                    .is_some_and(|line| line.contains(" && export REDIS_URL=") && line.ends_with(payload));
                assert!(
                    value.contains(payload) || *value == through_shell || after_exports,
                    "{env} {pointer}: {} holds {value:?}",
                    new.path
                );
                seen = true;
            }
            if new.path.ends_with(".bicep") && new.contents.contains("Ωmark") {
                let mut escaped = String::new();
                deploygen::render::escape::bicep_string_body(payload, &mut escaped);
                // App Service's startup line carries a pre-deploy line as one `sh -c` word.
                let mut quoted = String::new();
                deploygen::render::escape::bicep_string_body(&through_shell, &mut quoted);
                assert!(
                    new.contents.contains(&escaped) || new.contents.contains(&quoted),
                    "{env} {pointer}: {} lacks {escaped}",
                    new.path
                );
                seen = true;
            }
        }
        assert!(
            seen || pointer.ends_with("description"),
            "{env} {pointer}: the value reached no parsed file"
        );
    }
}

/// A POSIX shell word of `'…'` runs and backslash escapes, as a shell reads it.
fn unquote_shell_word(word: &str) -> String {
    let mut out = String::new();
    let mut quoted = false;
    let mut chars = word.chars();
    while let Some(c) = chars.next() {
        match (quoted, c) {
            (_, '\'') => quoted = !quoted,
            (false, '\\') => out.extend(chars.next()),
            (_, c) => out.push(c),
        }
    }
    out
}
