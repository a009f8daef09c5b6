//! Rules of reading a descriptor: its YAML, its `extends` chain, its schema
//! and its `accept:` section.

super::rules! {
    INPUT_RULES, Input, acceptable: false;

    YAML: "yaml", Error,
        "the file is not valid YAML",
        "The descriptor could not be parsed as YAML (a wrong indent, a tab, an unclosed quote or bracket). \
The finding points at the line and column where the parser gave up; the mistake is there or just before it.";

    EXTENDS: "extends", Error,
        "an `extends` base cannot be read, or the chain goes round in a cycle",
        "`extends: FILE` merges the descriptor over a base file, relative to the descriptor's folder. The base \
must exist, be a YAML map, and not extend (directly or through others) the file that extends it.";

    SCHEMA: "schema", Error,
        "the descriptor does not match deploygen's schema",
        "An unknown key, a value of the wrong type, a value outside its enum or pattern, or a missing required \
key. `deploygen schema` prints the schema; point the YAML language server at it (`# yaml-language-server: \
$schema=...`) to see these as you type. Misspelt keys and values get a \"did you mean\".";

    ACCEPT: "accept", Error,
        "`accept:` names a rule that does not exist, cannot be accepted, or no longer occurs",
        "`accept:` maps a lint rule id to the reason this environment accepts its finding. An id that names no \
rule is an error (with a \"did you mean\"); so is a rule that cannot be accepted, such as a semantic rule: those \
describe deployments that cannot work, so fix the descriptor instead. An accepted rule that no longer fires is a \
warning: remove the stale acceptance so that it cannot hide a future finding.";
}
