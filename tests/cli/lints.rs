//! Lint rules: the seed-003 bug class and friends, found by `validate`, and
//! accepted only with a written reason.

use crate::support::Test;

const AZURE: &str = "\
name: demo
platform: azure-container-apps
azure:
  location: westeurope
cache:
  kind: redis
  provider: azure-managed
services:
  web:
    image: example/web:1
    ports: [\"8000:8000\"]
";

#[test]
fn a_redis_url_without_the_access_key_is_the_seed_003_outage() {
    let descriptor = format!(
        "{AZURE}    env:\n      CACHE_URL: rediss://default@amr-demo.westeurope.redis.azure.net:10000/0?ssl_cert_reqs=required\n"
    );
    Test::new().write("demo.yaml", &descriptor).run(&["validate", "demo.yaml"]).expect(
        1,
        "demo.yaml:13:18: error: /services/web/env/CACHE_URL: `CACHE_URL` has no password, but this Redis requires one: the app will fail to authenticate (`deploygen explain redis-url-without-password`)\n",
        "demo.yaml: 1 error, 0 warnings\n",
    );
}

#[test]
fn plain_redis_on_the_non_tls_port_is_three_problems() {
    let descriptor = format!("{AZURE}    env:\n      CACHE_URL: redis://amr-demo.westeurope.redis.azure.net:6379\n");
    let run = Test::new()
        .write("demo.yaml", &descriptor)
        .run(&["validate", "demo.yaml"]);
    assert_eq!(run.code, 1);
    for rule in [
        "redis-url-without-password",
        "redis-url-without-tls",
        "redis-url-wrong-port",
    ] {
        assert!(
            run.stdout.contains(&format!("(`deploygen explain {rule}`)")),
            "{rule} missing:\n{}",
            run.stdout
        );
    }
    assert!(
        run.stdout.contains("this Redis listens on 10000 (TLS)"),
        "{}",
        run.stdout
    );
}

#[test]
fn public_redis_is_refused_until_accepted_with_a_reason_that_reaches_the_bicep() {
    let public = AZURE.replace(
        "provider: azure-managed\n",
        "provider: azure-managed\n  public_network_access: true\n",
    );
    let test = Test::new().write("demo.yaml", &public);
    test.run(&["validate", "demo.yaml"]).expect(
        1,
        "demo.yaml:8:26: error: /cache/public_network_access: Redis is reachable from the internet (`deploygen explain redis-public-network-access`)\n",
        "demo.yaml: 1 error, 0 warnings\n",
    );
    let accepted = format!("{public}accept:\n  redis-public-network-access: the partner VPN has no private link yet\n");
    let test = test.write("demo.yaml", &accepted);
    test.run(&["validate", "demo.yaml"]).expect(0, "", "demo.yaml: ok\n");
    let run = test.run(&["render", "demo.yaml", "-o", "out"]);
    assert_eq!(run.code, 0, "{}", run.stderr);
    assert!(test.read("out/infra/modules/redis.bicep").contains(
        "  // checkov:skip=CKV_AZURE_89: accepted as `redis-public-network-access`: the partner VPN has no private link yet\n"
    ));
}

#[test]
fn accepting_an_unknown_rule_is_an_error_and_a_stale_acceptance_a_warning() {
    let descriptor =
        format!("{AZURE}accept:\n  redis-public-acess: a reason long enough\n  unused-secret: a reason long enough\n");
    Test::new().write("demo.yaml", &descriptor).run(&["validate", "demo.yaml"]).expect(
        1,
        "demo.yaml:13:3: error: /accept/redis-public-acess: no lint rule `redis-public-acess`; did you mean `redis-public-network-access`?\n\
         demo.yaml:14:3: warning: /accept/unused-secret: `unused-secret` is accepted but no longer occurs; remove it\n",
        "demo.yaml: 1 error, 1 warning\n",
    );
}

#[test]
fn secrets_written_as_plain_values_are_errors_and_unused_secrets_warnings() {
    let descriptor = format!("{AZURE}    env:\n      API_TOKEN: abc123\nsecrets:\n  spare: {{}}\n");
    Test::new().write("demo.yaml", &descriptor).run(&["validate", "demo.yaml"]).expect(
        1,
        "demo.yaml:13:18: error: /services/web/env/API_TOKEN: `API_TOKEN` holds what looks like a secret as a plain value; declare it under `secrets` and use `{secret: ID}` (`deploygen explain secret-literal`)\n\
         demo.yaml:15:10: warning: /secrets/spare: secret `spare` is declared but no service uses it (`deploygen explain unused-secret`)\n",
        "demo.yaml: 1 error, 1 warning\n",
    );
}

#[test]
fn explain_lists_the_rules_and_explains_one() {
    let test = Test::new();
    let list = test.run(&["explain"]);
    assert_eq!(list.code, 0);
    assert!(list
        .stdout
        .lines()
        .any(|l| l.starts_with("redis-url-without-password") && l.contains("error")));
    let one = test.run(&["explain", "redis-url-wrong-port"]);
    assert!(
        one.stdout.starts_with("redis-url-wrong-port (error): "),
        "{}",
        one.stdout
    );
    test.run(&["explain", "redis-url-wrong-prt"]).expect(
        2,
        "",
        "error: no lint rule `redis-url-wrong-prt`; did you mean `redis-url-wrong-port`?\n",
    );
}

#[test]
fn explain_covers_semantic_rules_which_cannot_be_accepted() {
    let test = Test::new();
    let list = test.run(&["explain"]);
    assert!(
        list.stdout
            .lines()
            .any(|l| l.starts_with("contradiction ") && l.contains("semantic")),
        "{}",
        list.stdout
    );
    let one = test.run(&["explain", "contradiction"]);
    assert_eq!(one.code, 0, "{}", one.stderr);
    assert!(one.stdout.starts_with("contradiction (error): "), "{}", one.stdout);
    assert!(
        one.stdout
            .ends_with("\n`accept:` cannot silence a semantic rule: fix the descriptor.\n"),
        "{}",
        one.stdout
    );
    let descriptor = format!("{AZURE}accept:\n  contradiction: a reason long enough\n");
    test.write("demo.yaml", &descriptor).run(&["validate", "demo.yaml"]).expect(
        1,
        "demo.yaml:13:3: error: /accept/contradiction: `contradiction` cannot be accepted: only lint rules can, and a semantic rule means the descriptor cannot deploy as written; fix it instead (`deploygen explain contradiction`)\n",
        "demo.yaml: 1 error, 0 warnings\n",
    );
}
