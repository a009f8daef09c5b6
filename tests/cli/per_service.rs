//! Per-service settings an operator expects (issue 13, item 3): a plan per
//! Render service, a pre-deploy command on every platform, Render's native
//! runtimes, commands that read `$VAR` run through a shell, the database
//! URL's scheme and query, and a Dashboard secret entered once.

use crate::support::{render_env_var, render_service, render_to_out, Test};
use serde_yaml::Value;

const RENDER: &str = "\
name: shop
platform: render
render:
  plan: standard
postgres:
  database: shop
  user: shop
  expose:
    url: DATABASE_URL
services:
  web:
    role: web
    build:
      context: .
    command: bundle exec puma -p $PORT
    ports: [\"3000:3000\"]
    pre_deploy: bundle exec rails db:migrate
    env:
      STRIPE_KEY: {secret: stripe-key}
  nightly:
    schedule: \"0 3 * * *\"
    build:
      context: .
    command: bundle exec rake cleanup
    plan: starter
    env:
      PAYMENTS_KEY: {secret: stripe-key}
secrets:
  stripe-key:
    description: Stripe API key
";

fn render(test: &Test, file: &str) -> Value {
    render_to_out(test, file);
    serde_yaml::from_str(&test.read("out/render.yaml")).unwrap()
}

#[test]
fn a_render_service_takes_its_own_plan_and_the_others_the_render_plan() {
    let test = Test::new().write("shop.yaml", RENDER);
    let doc = render(&test, "shop.yaml");
    assert_eq!(render_service(&doc, "web")["plan"], "standard");
    assert_eq!(
        render_service(&doc, "nightly")["plan"],
        "starter",
        "a cron job no longer takes the web plan"
    );
    // The cost summary prices each service at its own plan.
    let run = test.run(&["plan", "shop.yaml", "--format", "json"]);
    assert_eq!(run.code, 0, "{}", run.stderr);
    let plan: serde_json::Value = serde_json::from_str(&run.stdout).unwrap();
    let sku = |name: &str| {
        plan["resources"]
            .as_array()
            .unwrap()
            .iter()
            .find(|r| r["name"] == name)
            .map(|r| r["detail"].clone())
            .unwrap()
    };
    assert_eq!(sku("nightly"), "starter");
    assert_eq!(sku("web"), "standard");
}

#[test]
fn a_plan_on_another_platform_is_refused_at_the_key() {
    let descriptor = "\
name: demo
platform: azure-container-apps
azure:
  location: westeurope
services:
  web:
    image: example/web:1
    plan: standard
";
    Test::new().write("demo.yaml", descriptor).run(&["validate", "demo.yaml"]).expect(
        1,
        "demo.yaml:8:5: error: /services/web/plan: `plan` is a Render instance type, not a setting of `azure-container-apps`: size a Container App with `cpu` and `memory`\n",
        "demo.yaml: 1 error, 0 warnings\n",
    );
}

#[test]
fn container_apps_cpu_and_memory_reach_the_bicep_and_the_cost() {
    let descriptor = "\
name: demo
platform: azure-container-apps
azure:
  location: westeurope
services:
  web:
    image: example/web:1
    cpu: 1.5
    memory: 3Gi
    replicas:
      min: 2
";
    let test = Test::new().write("demo.yaml", descriptor);
    render_to_out(&test, "demo.yaml");
    let bicep = test.read("out/infra/modules/container-apps.bicep");
    assert!(bicep.contains("cpu: json('1.5')\n            memory: '3Gi'"), "{bicep}");
    let small = test.run(&["plan", "demo.yaml", "--format", "json"]);
    let test = Test::new().write("demo.yaml", &descriptor.replace("1.5", "0.5").replace("3Gi", "1Gi"));
    let smaller = test.run(&["plan", "demo.yaml", "--format", "json"]);
    let cost = |stdout: &str| {
        let plan: serde_json::Value = serde_json::from_str(stdout).unwrap();
        plan["resources"]
            .as_array()
            .unwrap()
            .iter()
            .find(|r| r["kind"] == "Microsoft.App/containerApps")
            .and_then(|r| r["monthly_usd"].as_f64())
            .unwrap()
    };
    assert!(cost(&small.stdout) > cost(&smaller.stdout), "a bigger app costs more");
}

#[test]
fn render_pre_deploy_is_pre_deploy_command_and_a_cron_job_cannot_have_one() {
    let doc = render(&Test::new().write("shop.yaml", RENDER), "shop.yaml");
    assert_eq!(
        render_service(&doc, "web")["preDeployCommand"],
        "bundle exec rails db:migrate"
    );
    assert!(render_service(&doc, "nightly").get("preDeployCommand").is_none());
    let cron = RENDER.replace(
        "    plan: starter\n",
        "    plan: starter\n    pre_deploy: bundle exec rails db:migrate\n",
    );
    let run = Test::new().write("shop.yaml", &cron).run(&["validate", "shop.yaml"]);
    assert_eq!(run.code, 1);
    assert!(
        run.stdout
            .starts_with("shop.yaml:26:5: error: /services/nightly/pre_deploy: `pre_deploy` runs before"),
        "{}",
        run.stdout
    );
}

#[test]
fn compose_runs_pre_deploy_once_and_the_app_waits_for_it_to_succeed() {
    let descriptor = "\
name: demo
platform: compose
postgres:
  database: app
  user: app
  expose:
    url: DATABASE_URL
services:
  web:
    image: example/web:1
    ports: [\"8000:8000\"]
    pre_deploy: [alembic, upgrade, head]
";
    let test = Test::new().write("demo.yaml", descriptor);
    render_to_out(&test, "demo.yaml");
    let doc: Value = serde_yaml::from_str(&test.read("out/docker-compose.yml")).unwrap();
    let once = &doc["services"]["web-pre-deploy"];
    assert_eq!(once["image"], "example/web:1");
    assert_eq!(
        once["command"],
        serde_yaml::to_value(["alembic", "upgrade", "head"]).unwrap()
    );
    assert_eq!(once["restart"], "no");
    assert!(once.get("ports").is_none());
    assert_eq!(
        once["environment"]["DATABASE_URL"],
        doc["services"]["web"]["environment"]["DATABASE_URL"]
    );
    assert_eq!(
        doc["services"]["web"]["depends_on"]["web-pre-deploy"]["condition"],
        "service_completed_successfully"
    );
}

const CONTAINER_APPS: &str = "\
name: demo
platform: azure-container-apps
azure:
  location: westeurope
postgres:
  database: app
  user: app_user
  expose:
    url: DATABASE_URL
services:
  web:
    image: example/web:1
    ports: [\"8000:8000\"]
    command: uvicorn app.main:app --host 0.0.0.0 --port $PORT
    pre_deploy: alembic upgrade head
";

#[test]
fn container_apps_pre_deploy_is_a_manual_job_run_by_a_script() {
    let test = Test::new().write("demo.yaml", CONTAINER_APPS);
    render_to_out(&test, "demo.yaml");
    let bicep = test.read("out/infra/modules/pre-deploy-jobs.bicep");
    let job = &bicep[bicep.find("'Microsoft.App/jobs@2025-01-01'").expect("a job")..];
    for line in [
        "name: 'demo-web-pre'",
        "triggerType: 'Manual'",
        "parallelism: 1",
        "secrets: useKeyVaultReferences ? webAppKeyVaultSecrets : webAppValueSecrets",
        "image: 'example/web:1'",
        "'alembic'\n            'upgrade'\n            'head'",
        "secretRef: 'database-url'",
    ] {
        assert!(job.contains(line), "{line} missing:\n{job}");
    }
    let script = test.read("out/infra/run-pre-deploy.sh");
    assert!(script.contains("run_job demo-web-pre web\n"), "{script}");
    assert!(script.contains("az containerapp job start"), "{script}");
    let update = test.read("out/infra/update-container-app-secrets.sh");
    assert!(update.contains("az containerapp job secret set --resource-group \"$RESOURCE_GROUP\" --name demo-web-pre"));
    // Without a pre-deploy command there is neither job nor script.
    let plain = CONTAINER_APPS.replace("    pre_deploy: alembic upgrade head\n", "");
    let test = Test::new().write("demo.yaml", &plain);
    assert_eq!(test.run(&["render", "demo.yaml", "-o", "out"]).code, 0);
    assert!(!test
        .read("out/infra/modules/container-apps.bicep")
        .contains("Microsoft.App/jobs"));
    assert!(!test.path("out/infra/modules/pre-deploy-jobs.bicep").exists());
    assert!(!test.path("out/infra/run-pre-deploy.sh").exists());
}

#[test]
fn app_service_runs_pre_deploy_before_the_app_in_its_startup_command() {
    let descriptor = "\
name: demo
platform: azure-app-service
azure:
  location: westeurope
services:
  web:
    image: example/web:1
    ports: [\"8000:8000\"]
    command: gunicorn app.wsgi
    pre_deploy: python manage.py migrate; python manage.py collectstatic --noinput
accept:
  key-vault-public-network-access: a test of the startup command
";
    let test = Test::new().write("demo.yaml", descriptor);
    render_to_out(&test, "demo.yaml");
    let bicep = test.read("out/infra/main.bicep");
    assert!(
        bicep.contains(
            "appCommandLine: 'sh -c \\'python manage.py migrate; python manage.py collectstatic --noinput\\' && gunicorn app.wsgi'"
        ),
        "{bicep}"
    );
    let without_command = descriptor.replace("    command: gunicorn app.wsgi\n", "");
    let run = Test::new()
        .write("demo.yaml", &without_command)
        .run(&["validate", "demo.yaml"]);
    assert_eq!(run.code, 1);
    assert!(
        run.stdout
            .starts_with("demo.yaml:9:5: error: /services/web/pre_deploy: App Service has no release hook"),
        "{}",
        run.stdout
    );
}

#[test]
fn a_native_render_runtime_builds_and_starts_with_its_commands() {
    let native = RENDER.replace(
        "    command: bundle exec puma -p $PORT\n",
        "    runtime: ruby\n    build_command: bundle install\n    command: bundle exec puma -p $PORT\n",
    );
    let doc = render(&Test::new().write("shop.yaml", &native), "shop.yaml");
    let web = render_service(&doc, "web");
    assert_eq!(web["runtime"], "ruby");
    assert_eq!(web["buildCommand"], "bundle install");
    // Render runs `startCommand` through a shell: `$PORT` stays as written.
    assert_eq!(web["startCommand"], "bundle exec puma -p $PORT");
    for docker in ["dockerfilePath", "dockerContext", "dockerCommand"] {
        assert!(web.get(docker).is_none(), "{docker}");
    }
    assert_eq!(render_service(&doc, "nightly")["runtime"], "docker");
}

#[test]
fn a_native_runtime_needs_its_commands_and_render() {
    let missing = RENDER.replace("    command: bundle exec puma -p $PORT\n", "    runtime: ruby\n");
    Test::new().write("shop.yaml", &missing).run(&["validate", "shop.yaml"]).expect(
        1,
        "shop.yaml:15:14: error: /services/web/runtime: service `web` runs on Render's `ruby` runtime, which builds from source: it needs `build_command` (Render's `buildCommand`)\n\
         shop.yaml:15:14: error: /services/web/runtime: service `web` runs on Render's `ruby` runtime, which builds from source: it needs `command` (Render's `startCommand`)\n",
        "shop.yaml: 2 errors, 0 warnings\n",
    );
    let elsewhere = "\
name: demo
platform: compose
services:
  web:
    image: example/web:1
    runtime: node
    build_command: npm ci
    command: npm start
";
    Test::new().write("demo.yaml", elsewhere).run(&["validate", "demo.yaml"]).expect(
        1,
        "demo.yaml:6:5: error: /services/web/runtime: `runtime: node` is a Render native runtime; `compose` runs images: remove `runtime` (or set `docker`)\n",
        "demo.yaml: 1 error, 0 warnings\n",
    );
    let stray = "\
name: demo
platform: render
services:
  web:
    image: example/web:1
    build_command: npm ci
";
    let run = Test::new().write("demo.yaml", stray).run(&["validate", "demo.yaml"]);
    assert!(
        run.stdout.starts_with(
            "demo.yaml:6:5: error: /services/web/build_command: `build_command` builds a Render native runtime"
        ),
        "{}",
        run.stdout
    );
}

#[test]
fn a_command_that_reads_a_variable_runs_through_a_shell_everywhere() {
    // Render: `dockerCommand` replaces the image's command with no shell.
    let doc = render(&Test::new().write("shop.yaml", RENDER), "shop.yaml");
    assert_eq!(
        render_service(&doc, "web")["dockerCommand"],
        "sh -c 'exec bundle exec puma -p $PORT'"
    );
    assert_eq!(
        render_service(&doc, "nightly")["dockerCommand"],
        "bundle exec rake cleanup"
    );
    // Container Apps: `command` is exec'd.
    let test = Test::new().write("demo.yaml", CONTAINER_APPS);
    assert_eq!(test.run(&["render", "demo.yaml", "-o", "out"]).code, 0);
    let bicep = test.read("out/infra/modules/container-apps.bicep");
    assert!(
        bicep.contains("command: [\n            'sh'\n            '-c'\n            'exec uvicorn app.main:app --host 0.0.0.0 --port \\$PORT'\n          ]"),
        "{bicep}"
    );
    // compose: splits a string command without a shell; `$$` keeps compose's
    // own interpolation off it, so the container's shell reads `$PORT`.
    let compose = "\
name: demo
platform: compose
services:
  web:
    image: example/web:1
    command: serve --port $PORT
  plain:
    image: example/web:1
    command: serve --port 8000
";
    let test = Test::new().write("demo.yaml", compose);
    assert_eq!(test.run(&["render", "demo.yaml", "-o", "out"]).code, 0);
    let text = test.read("out/docker-compose.yml");
    assert!(
        text.contains("    command:\n      - sh\n      - \"-c\"\n      - \"exec serve --port $$PORT\"\n"),
        "{text}"
    );
    assert!(text.contains("    command: \"serve --port 8000\"\n"), "{text}");
}

#[test]
fn the_database_url_takes_the_scheme_and_query_the_driver_wants() {
    let asyncpg = CONTAINER_APPS.replace(
        "  user: app_user\n",
        "  user: app_user\n  url_scheme: postgresql+asyncpg\n  url_query: ssl=require\n",
    );
    let test = Test::new().write("demo.yaml", &asyncpg);
    render_to_out(&test, "demo.yaml");
    let url =
        "'postgresql+asyncpg://app_user:${uriComponent(postgresPassword)}@${postgresHostName}:5432/app?ssl=require'";
    for file in [
        "out/infra/modules/container-apps.bicep",
        "out/infra/modules/keyvault.bicep",
    ] {
        assert!(test.read(file).contains(url), "{file}:\n{}", test.read(file));
    }
    // The local compose file's container speaks no TLS: scheme yes, query no.
    let compose = test.read("out/docker-compose.yml");
    assert!(
        compose.contains("\"postgresql+asyncpg://app_user:${POSTGRES_PASSWORD:?"),
        "{compose}"
    );
    assert!(compose.contains("@db:5432/app\"\n"), "{compose}");
    // Without a query the default is `sslmode=verify-full` on Container Apps, which asyncpg rejects.
    let sslmode = CONTAINER_APPS.replace(
        "  user: app_user\n",
        "  user: app_user\n  url_scheme: postgresql+asyncpg\n",
    );
    Test::new().write("demo.yaml", &sslmode).run(&["validate", "demo.yaml"]).expect(
        1,
        "demo.yaml:8:15: error: /postgres/url_scheme: asyncpg rejects `sslmode` in the URL, and the query is `sslmode=verify-full` (the default query where the connection uses TLS): set `postgres.url_query: ssl=verify-full`\n",
        "demo.yaml: 1 error, 0 warnings\n",
    );
    // Render hands the URL out whole.
    let render = RENDER.replace("  user: shop\n", "  user: shop\n  url_scheme: postgresql+asyncpg\n");
    let run = Test::new().write("shop.yaml", &render).run(&["validate", "shop.yaml"]);
    assert_eq!(run.code, 1);
    assert!(
        run.stdout.starts_with(
            "shop.yaml:8:15: error: /postgres/url_scheme: Render hands the database URL out as `postgresql://"
        ),
        "{}",
        run.stdout
    );
}

#[test]
fn a_dashboard_secret_shared_by_two_render_services_is_entered_once() {
    let doc = render(&Test::new().write("shop.yaml", RENDER), "shop.yaml");
    let entered = render_env_var(render_service(&doc, "web"), "STRIPE_KEY");
    assert_eq!(entered["sync"], false);
    let copied = render_env_var(render_service(&doc, "nightly"), "PAYMENTS_KEY");
    assert!(copied.get("sync").is_none(), "{copied:?}");
    assert_eq!(copied["fromService"]["name"], "web");
    assert_eq!(copied["fromService"]["type"], "web");
    assert_eq!(copied["fromService"]["envVarKey"], "STRIPE_KEY");
    let text = serde_yaml::to_string(&doc).unwrap();
    assert_eq!(text.matches("sync: false").count(), 1, "{text}");
}

#[test]
fn a_pre_deploy_that_azure_or_compose_could_not_run_is_refused() {
    let long = CONTAINER_APPS.replace("name: demo\n", "name: demo-with-a-rather-long-name\n");
    let run = Test::new().write("demo.yaml", &long).run(&["validate", "demo.yaml"]);
    assert_eq!(run.code, 1);
    assert!(
        run.stdout.starts_with("demo.yaml:15:5: error: /services/web/pre_deploy: `pre_deploy` runs as the Container Apps job `demo-with-a-rather-long-name-web-pre`, longer than the 32 characters"),
        "{}",
        run.stdout
    );
    let clash = "\
name: demo
platform: compose
services:
  web:
    image: example/web:1
    pre_deploy: migrate
  web-pre-deploy:
    image: example/web:1
";
    let run = Test::new().write("demo.yaml", clash).run(&["validate", "demo.yaml"]);
    assert!(
        run.stdout.starts_with("demo.yaml:6:5: error: /services/web/pre_deploy: `pre_deploy` runs as the one-shot service `web-pre-deploy`, a name another service has"),
        "{}",
        run.stdout
    );
}

#[test]
fn render_free_instances_are_for_web_services_without_a_pre_deploy_step() {
    let free = RENDER.replace("  plan: standard\n", "  plan: free\n");
    let run = Test::new().write("shop.yaml", &free).run(&["validate", "shop.yaml"]);
    assert_eq!(run.code, 1);
    assert!(
        run.stdout
            .contains("shop.yaml:4:9: error: /render/plan: Render runs no pre-deploy command on a `free` instance"),
        "{}",
        run.stdout
    );
    let worker = free.replace("    plan: starter\n", "    plan: free\n");
    let run = Test::new().write("shop.yaml", &worker).run(&["validate", "shop.yaml"]);
    assert!(
        run.stdout
            .contains("error: /services/nightly/plan: Render's `free` instance type is for web services"),
        "{}",
        run.stdout
    );
}

#[test]
fn a_native_render_service_needs_no_image_or_dockerfile() {
    let descriptor = "\
name: shop
platform: render
cache:
  kind: redis
broker:
  kind: celery
services:
  web:
    runtime: node
    build_command: npm ci
    command: npm start
  worker:
    role: worker
    runtime: python
    build_command: pip install -r requirements.txt
    command: celery -A app worker
";
    let test = Test::new().write("shop.yaml", descriptor);
    let doc = render(&test, "shop.yaml");
    assert_eq!(render_service(&doc, "worker")["runtime"], "python");
    // After the export of the Redis URL it assembles (the private service's password).
    let start = render_service(&doc, "worker")["startCommand"]
        .as_str()
        .unwrap()
        .to_string();
    assert!(start.ends_with(" && exec celery -A app worker"), "{start}");
    // The local Celery compose file cannot run a service that has no image.
    assert!(!test.path("out/docker-compose.celery.yml").exists());
    let docker = descriptor.replace("    runtime: node\n", "");
    let run = Test::new().write("shop.yaml", &docker).run(&["validate", "shop.yaml"]);
    assert!(
        run.stdout
            .contains("error: /services/web: service `web` needs `image` or `build`"),
        "{}",
        run.stdout
    );
}

/// The Bicep single-quoted string `'…'` on `key: '…'`, read back.
fn bicep_value(bicep: &str, key: &str) -> String {
    let line = bicep
        .lines()
        .find_map(|l| l.trim().strip_prefix(&format!("{key}: '")))
        .unwrap_or_else(|| panic!("no {key}:\n{bicep}"));
    let body = line.strip_suffix('\'').unwrap();
    let (mut out, mut chars) = (String::new(), body.chars());
    while let Some(c) = chars.next() {
        if c != '\\' {
            out.push(c);
            continue;
        }
        match chars.next().unwrap() {
            'n' => out.push('\n'),
            'r' => out.push('\r'),
            't' => out.push('\t'),
            'u' => {
                let hex: String = chars.by_ref().skip(1).take_while(|c| *c != '}').collect();
                out.push(char::from_u32(u32::from_str_radix(&hex, 16).unwrap()).unwrap());
            }
            c => out.push(c),
        }
    }
    out
}

/// App Service's startup shell reads the pre-deploy command and the app's
/// start line as one line: a comment, a line break or an open quote in the
/// pre-deploy command must not swallow the app's start.
#[test]
fn app_service_pre_deploy_cannot_swallow_the_start_of_the_app() {
    let cases = [
        "echo pre # migrate first",
        "echo pre\necho more # last line",
        "echo \"pre\" 'x' $HOME",
        "echo pre; echo more",
        "echo pre \\",
    ];
    for pre in cases {
        let descriptor = format!(
            "\
name: demo
platform: azure-app-service
azure:
  location: westeurope
services:
  web:
    image: example/web:1
    ports: [\"8000:8000\"]
    command: echo APP
    pre_deploy: {}
accept:
  key-vault-public-network-access: a test of the startup command
",
            serde_json::to_string(pre).unwrap()
        );
        let test = Test::new().write("demo.yaml", &descriptor);
        render_to_out(&test, "demo.yaml");
        let line = bicep_value(&test.read("out/infra/main.bicep"), "appCommandLine");
        let out = std::process::Command::new("sh").args(["-c", &line]).output().unwrap();
        let stdout = String::from_utf8_lossy(&out.stdout);
        assert!(
            out.status.success() && stdout.starts_with("pre") && stdout.trim_end().ends_with("APP"),
            "{pre:?} -> {line:?} printed {stdout:?} {}",
            String::from_utf8_lossy(&out.stderr)
        );
    }
}

/// A URL query holds only the characters RFC 3986 allows there: a quote, a
/// backslash, a brace or a control character is a typo, refused at the key.
#[test]
fn a_database_url_query_takes_only_url_characters() {
    for (query, ok) in [
        ("ssl=require&application_name=api%20web", true),
        ("options=-c%20search_path%3Dapp&x=a:b@c/d;e,f'(g)*!$~", true),
        ("ssl=\\\"require\\\"", false),
        ("ssl=require\\\\", false),
        ("ssl={require}", false),
        ("ssl=require\\u001b[2K", false),
        ("ssl=require\\u0000", false),
        ("ssl=require#x", false),
        ("ssl=re quire", false),
    ] {
        let descriptor = CONTAINER_APPS.replace(
            "  user: app_user\n",
            &format!("  user: app_user\n  url_query: \"{query}\"\n"),
        );
        let run = Test::new()
            .write("demo.yaml", &descriptor)
            .run(&["validate", "demo.yaml"]);
        if ok {
            assert_eq!(run.code, 0, "{query}: {}{}", run.stdout, run.stderr);
        } else {
            assert_eq!(run.code, 1, "{query}: {}{}", run.stdout, run.stderr);
            assert!(
                run.stdout.starts_with("demo.yaml:8:14: error: /postgres/url_query:"),
                "{query}: {}",
                run.stdout
            );
        }
    }
}
