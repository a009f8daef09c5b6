//! Hostile values cannot change the structure of a generated file: they come
//! back unchanged through a real parser, or are refused before rendering.

use crate::support::{Test, MINIMAL};

const HOSTILE: &str = "a\"b'c #d ${HOME} $(rm -rf /) \\\\ é ✓ key: value - [x] {y} & *z ! | >";

#[test]
fn hostile_values_round_trip_through_compose_yaml() {
    let descriptor = format!(
        "{MINIMAL}    command: {cmd}\n    env:\n      HOSTILE: {val}\n",
        cmd = serde_json::to_string(HOSTILE).unwrap(),
        val = serde_json::to_string(HOSTILE).unwrap(),
    );
    let test = Test::new().write("demo.yaml", &descriptor);
    let run = test.run(&["render", "demo.yaml", "-o", "out"]);
    assert_eq!(run.code, 0, "{}", run.stderr);
    let doc: serde_yaml::Value = serde_yaml::from_str(&test.read("out/docker-compose.yml")).unwrap();
    let web = &doc["services"]["web"];
    // Compose reads `$$` as a literal `$`.
    let unescape = |v: &serde_yaml::Value| v.as_str().unwrap().replace("$$", "$");
    assert_eq!(unescape(&web["environment"]["HOSTILE"]), HOSTILE);
    // A command line that reads `$VAR` runs through `sh -c`: compose runs no shell itself.
    let command: Vec<String> = web["command"].as_sequence().unwrap().iter().map(unescape).collect();
    assert_eq!(command, ["sh", "-c", HOSTILE]);
    let keys: Vec<_> = web["environment"]
        .as_mapping()
        .unwrap()
        .keys()
        .map(|k| k.as_str().unwrap())
        .collect();
    assert!(
        !keys.iter().any(|k| k.contains("key") || k.contains('#')),
        "a value became a key: {keys:?}"
    );
}

#[test]
fn values_env_files_cannot_hold_are_refused_before_rendering() {
    let descriptor = format!("{MINIMAL}env:\n  BAD: \"line\\nNEXT=1\"\n  QUOTE: \"it's\"\n");
    let test = Test::new().write("demo.yaml", &descriptor);
    test.run(&["render", "demo.yaml", "-o", "out"]).expect(
        2,
        "",
        "demo.yaml:16:8: error: /env/BAD: `BAD` contains a line break or control character, which env files cannot hold; keep such values in a secret\n\
         demo.yaml:17:10: error: /env/QUOTE: `QUOTE` contains a single quote or a backslash, which dotenv dialects read differently in the .env examples it goes to\n\
         error: the descriptor is invalid (2 errors)\n",
    );
    assert!(!test.path("out").exists());
}

/// Unicode line breaks in the descriptor's file name reach every header: a
/// YAML reader (libyaml, PyYAML, docker compose) ends a comment at U+2028,
/// U+2029 and U+0085, so the rest of the name would become YAML.
#[test]
fn unicode_line_breaks_in_the_descriptor_path_cannot_add_yaml() {
    for brk in ['\u{2028}', '\u{2029}', '\u{85}'] {
        let name = format!("demo{brk}include: [evil.yml]{brk}x.yaml");
        let test = Test::new().write(&name, MINIMAL);
        let run = test.run(&["render", &name, "-o", "out"]);
        assert_eq!(run.code, 0, "{}", run.stderr);
        for file in ["docker-compose.yml", "docker-compose-local.yml", ".env.example"] {
            let text = test.read(&format!("out/{file}"));
            assert!(!text.contains(brk), "{file} holds {brk:?}:\n{text}");
        }
        let doc: serde_yaml::Value = serde_yaml::from_str(&test.read("out/docker-compose.yml")).unwrap();
        assert!(doc.get("include").is_none(), "{brk:?}: the file name added a key");
    }
}

/// Characters YAML does not allow in a stream (U+FFFE, U+FFFF, C1 controls)
/// are escaped, so readers still load the file and get the value back.
#[test]
fn characters_yaml_forbids_are_escaped() {
    let value = "a\u{fffe}b\u{ffff}c\u{9b}d\u{7f}e";
    let descriptor = format!("{MINIMAL}    command: {}\n", serde_json::to_string(value).unwrap());
    let test = Test::new().write("demo.yaml", &descriptor);
    let run = test.run(&["render", "demo.yaml", "-o", "out"]);
    assert_eq!(run.code, 0, "{}", run.stderr);
    let doc: serde_yaml::Value = serde_yaml::from_str(&test.read("out/docker-compose.yml"))
        .unwrap_or_else(|e| panic!("{e}\n{}", test.read("out/docker-compose.yml")));
    assert_eq!(doc["services"]["web"]["command"].as_str(), Some(value));
}

/// python-dotenv expands `${NAME}` even between single quotes, and has no
/// escape for it: such a value cannot go into a `.env` example.
#[test]
fn dollar_braces_are_refused_in_values_bound_for_dotenv() {
    let descriptor = format!("{MINIMAL}env:\n  GREETING: 'hello ${{USER}}'\n");
    let test = Test::new().write("demo.yaml", &descriptor);
    test.run(&["render", "demo.yaml", "-o", "out"]).expect(
        2,
        "",
        "demo.yaml:16:13: error: /env/GREETING: `GREETING` contains `${`, which python-dotenv expands even between single quotes in the .env examples it goes to; keep such values in a secret\n\
         error: the descriptor is invalid (1 error)\n",
    );
    // In a service's env it goes to compose only, where `$$` keeps it literal.
    let descriptor = format!("{MINIMAL}    env:\n      GREETING: 'hello ${{USER}}'\n");
    let test = Test::new().write("demo.yaml", &descriptor);
    assert_eq!(test.run(&["render", "demo.yaml", "-o", "out"]).code, 0);
}

/// A list-form command keeps its argument boundaries on Render (and App
/// Service), which take one command line: each argument is shell-quoted.
#[test]
fn list_commands_keep_their_arguments_on_render() {
    let args = [
        "python",
        "-c",
        "print('a  b'); import sys",
        "--name",
        "x y",
        "$HOME",
        "",
    ];
    let descriptor = format!(
        "name: demo\nplatform: render\nservices:\n  web:\n    image: example/web:1\n    command: {}\n",
        serde_json::to_string(&args).unwrap()
    );
    let test = Test::new().write("demo.yaml", &descriptor);
    let run = test.run(&["render", "demo.yaml", "-o", "out"]);
    assert_eq!(run.code, 0, "{}", run.stderr);
    let doc: serde_yaml::Value = serde_yaml::from_str(&test.read("out/render.yaml")).unwrap();
    let line = doc["services"][0]["dockerCommand"].as_str().unwrap().to_string();
    // A POSIX shell splits the line back (no expansion happens: `$HOME` stays).
    let split = std::process::Command::new("bash")
        .args(["-c", "eval \"set -- $1\"; printf '%s\\0' \"$@\"", "_", &line])
        .output()
        .unwrap();
    let back: Vec<String> = String::from_utf8(split.stdout)
        .unwrap()
        .split_terminator('\0')
        .map(String::from)
        .collect();
    assert_eq!(back, args, "{line}");
}
