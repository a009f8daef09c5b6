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
    assert_eq!(unescape(&web["command"]), HOSTILE);
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
