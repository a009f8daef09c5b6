//! Every registered rule has a fixture that fires it and one that stays
//! quiet: `tests/fixtures/rules/<id>/fires.yaml` and `quiet.yaml`. A rule
//! without them, or a fixture folder naming no rule, fails the test.

use crate::support::repo;
use deploygen::findings::{Finding, Severity};
use std::path::Path;

fn findings(path: &Path) -> Vec<Finding> {
    deploygen::validate::findings(path).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

fn show(findings: &[Finding]) -> String {
    findings.iter().map(|f| format!("  [{}] {f}\n", f.rule)).collect()
}

#[test]
fn every_rule_fires_on_its_fixture_and_stays_quiet_on_the_other() {
    let root = repo().join("tests/fixtures/rules");
    let mut problems = Vec::new();
    for rule in deploygen::rules::all() {
        let dir = root.join(rule.id);
        let (fires, quiet) = (dir.join("fires.yaml"), dir.join("quiet.yaml"));
        if !fires.is_file() || !quiet.is_file() {
            problems.push(format!(
                "`{}` has no fires.yaml and quiet.yaml in {}",
                rule.id,
                dir.display()
            ));
            continue;
        }
        let found = findings(&fires);
        match found.iter().find(|f| f.rule == rule) {
            None => problems.push(format!("`{}` does not fire on fires.yaml:\n{}", rule.id, show(&found))),
            Some(f) if f.location.is_none() => problems.push(format!("`{}` fires without file:line:col: {f}", rule.id)),
            Some(_) => {}
        }
        // Quiet means the whole file validates, so the rule was really checked.
        let found = findings(&quiet);
        if found.iter().any(|f| f.rule == rule || f.severity == Severity::Error) {
            problems.push(format!("`{}`: quiet.yaml is not clean:\n{}", rule.id, show(&found)));
        }
    }
    for entry in std::fs::read_dir(&root).unwrap() {
        let name = entry.unwrap().file_name().to_string_lossy().into_owned();
        if deploygen::rules::find(&name).is_none() {
            problems.push(format!("tests/fixtures/rules/{name} names no registered rule"));
        }
    }
    assert!(problems.is_empty(), "\n{}", problems.join("\n"));
}

/// Names Azure would refuse at deploy time are found by `validate`, each at
/// the line and column of what produced them.
#[test]
fn azure_names_that_would_end_with_a_dash_are_refused_where_they_come_from() {
    let descriptor = "\
name: demo-
platform: azure-container-apps
azure:
  location: westeurope
  resource_name: demo
services:
  web:
    image: example/web:1
    ports: [\"8000:8000\"]
    env:
      API_KEY: {secret: api-}
secrets:
  api-: {}
";
    let test = crate::support::Test::new().write("demo.yaml", descriptor);
    test.run(&["validate", "demo.yaml"]).expect(
        1,
        "demo.yaml:13:3: error: /secrets/api-: Container Apps refuses the secret name `api-`: secret names start and end with a letter or digit\n",
        "demo.yaml: 1 error, 0 warnings\n",
    );
    // Without `resource_name`, the environment name is the base.
    let test = test.write(
        "demo.yaml",
        &descriptor.replace("  resource_name: demo\n", "").replace("api-", "api"),
    );
    test.run(&["validate", "demo.yaml"]).expect(
        1,
        "demo.yaml:1:7: error: /name: `demo-` ends with `-`, so the Container Apps environment `cae-demo-`, its Log Analytics workspace `log-demo-` and the virtual network `vnet-demo-` would end with a dash, which Azure refuses; set `azure.resource_name`\n\
         demo.yaml:6:3: error: /services/web: container app name `demo--web` is not valid: lower-case letters, digits and single dashes only (no `_`)\n",
        "demo.yaml: 2 errors, 0 warnings\n",
    );
}

/// render.yaml would hold two services of one name, which Render refuses.
#[test]
fn a_render_service_named_like_the_redis_private_service_is_a_duplicate() {
    let descriptor = "\
name: demo
platform: render
cache:
  kind: redis
  provider: render-private-service
services:
  demo-redis:
    image: example/web:1
    ports: [\"8000:8000\"]
";
    crate::support::Test::new()
        .write("demo.yaml", descriptor)
        .run(&["validate", "demo.yaml"])
        .expect(
            1,
            "demo.yaml:7:3: error: /services/demo-redis: service name `demo-redis` is already the Redis private service's (`cache.service`, default `<name>-redis`); rename one\n",
            "demo.yaml: 1 error, 0 warnings\n",
        );
}
