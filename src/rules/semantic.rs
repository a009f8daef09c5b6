//! Semantic rules: what a JSON schema cannot express (cross references,
//! contradictions) and what a platform would reject at deploy time. None can
//! be accepted: each describes a descriptor that cannot deploy as written.

super::rules! {
    SEMANTIC_RULES, Semantic, acceptable: false;

    CONTRADICTION: "contradiction", Error,
        "two settings contradict each other, or a setting does not apply to the chosen kind",
        "A field that only means something for another cache kind, broker, provider or platform (`database` on \
a memcached cache, `channel` on a Celery broker, `url_secret` without `provider: external`), or two settings \
that exclude each other (`http` and `command` in one health check, `min` replicas above `max`). deploygen \
refuses rather than silently ignore one of them: remove the field the message names, or change the kind it \
depends on.";

    UNKNOWN_DEPENDENCY: "unknown-dependency", Error,
        "`depends_on` names a service that does not exist (or the service itself)",
        "`depends_on` lists services by name: application services, infrastructure services, and the built-in \
`postgres` and `cache` services by their service names (`db` and `redis` unless `service` renames them). A \
misspelt name gets a \"did you mean\"; the message lists the known names otherwise.";

    DUPLICATE_SERVICE: "duplicate-service", Error,
        "two services have the same name",
        "Application services, infrastructure services and the built-in PostgreSQL and cache services share one \
namespace: they become compose services, host names and platform services of the same name. Rename one (for \
the built-ins, with `postgres.service` or `cache.service`).";

    IMAGE_OR_BUILD: "image-or-build", Error,
        "a service has neither `image` nor `build`, or Azure lacks an `image`",
        "compose can build a service from source (`build`) or run an `image`; it needs one of them. Azure runs \
published images only: `build` serves the local compose file, so an Azure service needs an `image` too. A \
`custom` infrastructure service needs an `image`.";

    WORKER_NEEDS_BROKER: "worker-needs-broker", Error,
        "a scheduler, or a service with `uses: [broker]`, has no job queue",
        "A `scheduler` (Celery beat, a clock process) puts jobs on a queue, and a service that lists `broker` \
under `uses` asks for the queue's settings: both need `broker.kind` (`celery`, `rq`, `sidekiq`, `bullmq`, \
`dramatiq`, `arq`, `pgqueuer`, or `generic` for a worker of the app's own). A `worker` without a queue is fine: \
it is a background process that opens no port (a bot, a poller, a consumer of another system).";

    PROVIDER_PLATFORM: "provider-platform", Error,
        "the cache provider or kind is not available on the platform",
        "Each platform runs caches its own way: compose runs a `container`; the Azure platforms take \
`azure-cache` or `azure-managed`; Render takes `render-private-service`, `render-key-value` or `external`. \
memcached exists only on compose. Pick a provider the platform offers (or leave `provider` out for the \
platform's default).";

    BROKER_TRANSPORT: "broker-transport", Error,
        "the broker's transport has no backing service",
        "A broker on Redis needs `cache.kind: redis`; a broker on the database needs `postgres`. Add the backing \
service, or set `broker.transport` to the one the environment has.";

    PORT_RANGE: "port-range", Error,
        "a port is outside 1 to 65535",
        "Port mappings are `CONTAINER`, `HOST:CONTAINER` or `ADDRESS:HOST:CONTAINER`, each port from 1 to 65535. \
docker compose and the platforms refuse anything else.";

    HOST_PORT_CLASH: "host-port-clash", Error,
        "two services publish the same host port",
        "Two mappings on the same host port and address (or one on `0.0.0.0`) cannot both bind: docker compose \
starts the first service and fails on the second with \"port is already allocated\". Change one host port.";

    UNDECLARED_SECRET: "undeclared-secret", Error,
        "`{secret: ID}` or a registry login names a secret that is not declared",
        "Secrets are declared once under `secrets:` (or exist because `postgres` or `cache.password_secret` \
declares them) and referenced by id. A reference to an undeclared id would render a reference to nothing; a \
misspelt id gets a \"did you mean\".";

    ENV_COLLISION: "env-collision", Error,
        "an env var is set twice: by a backing service's `expose` and by `env` or another `expose`",
        "`expose` names the env vars under which services receive connection facts (`url: REDIS_URL`). Two \
sources for one name would leave the winner to chance; remove the variable from `env`, or rename one of the \
two.";

    ENV_VALUE: "env-value", Error,
        "a plain env value cannot be written faithfully into the env files it goes to",
        "Line breaks and control characters have no faithful spelling in a dotenv file; the descriptor-wide \
`env` also lands in `.env` examples, where single quotes, backslashes and `${` are read differently by \
different dotenv dialects (python-dotenv expands `${` even between single quotes). Keep such values in a \
secret.";

    UNSAFE_PATH: "unsafe-path", Error,
        "`output` or `azure.bicep_file` leaves the folder it belongs in",
        "`output` is a folder below the descriptor's own, and `azure.bicep_file` a path inside the output \
folder: no absolute paths, `..`, `.` or empty parts. A descriptor must not aim deploygen's writes elsewhere \
(a pull request could aim them at `~`); to render elsewhere, use `deploygen render -o DIR`.";

    PLATFORM_FIELD: "platform-field", Error,
        "a setting only applies to another platform",
        "Some settings mean something on one platform only: `ingress`, `cpu`, `memory` and `replicas` on \
Container Apps, `schedule` on Render and compose, `render:` on Render, redis.conf settings on a Render Redis \
private service, `sku` and `capacity` on Azure's Redis. Elsewhere they would be silently ignored, so deploygen \
refuses them: remove the field, or change `platform`.";

    AZURE_SETTINGS: "azure-settings", Error,
        "the `azure` section is missing on an Azure platform, or present on another one",
        "The Azure platforms need `azure:` (at least `location`); the other platforms take none.";

    AZURE_NAME: "azure-name", Error,
        "a name deploygen derives from the descriptor breaks Azure's naming rules",
        "Azure refuses resource names outside each resource type's length and character rules (Microsoft \
Learn, \"Naming rules and restrictions for Azure resources\"). Container app names (`<base>-<service>`) are 2-32 \
lower-case letters, digits and single dashes, starting with a letter and ending with a letter or digit; the \
Container Apps environment (`cae-<base>`), Log Analytics workspace (`log-<base>`), virtual network \
(`vnet-<base>`) and private endpoints (`pe-...`) end with a letter or digit; Key Vault and Redis names refuse \
`--`; Container Apps secret names are lower-case letters, digits and dashes that start and end with a letter \
or digit. Global names (Key Vault, Redis, PostgreSQL, web app) are cut to fit before their unique suffix, and \
explicit `azure.names` are checked by the schema. Set `azure.resource_name` (the base of every name) or rename \
the service or secret.";

    AZURE_POSTGRES_ADMIN: "azure-postgres-admin", Error,
        "the PostgreSQL administrator login is one Azure reserves",
        "Azure Database for PostgreSQL flexible server refuses the administrator logins `azure_superuser`, \
`azure_pg_admin`, `admin`, `administrator`, `root`, `guest` and `public`, and any starting with `pg_`: the \
deployment fails when it creates the server. Pick another `postgres.user`.";

    AZURE_SKU: "azure-sku", Error,
        "the Redis SKU or capacity does not exist for the chosen Azure provider",
        "Azure Cache for Redis takes `Basic`, `Standard` or `Premium` with a capacity (Premium: P1-P5); Azure \
Managed Redis names its size in the SKU (`Balanced_B1`) and takes no capacity. A SKU of the other provider \
usually means `provider` is not the one intended.";

    AZURE_MANAGED_DATABASE: "azure-managed-database", Error,
        "Azure Managed Redis is asked for a database other than 0",
        "Azure Managed Redis has a single database (0), and clients cannot SELECT another one. Separate cache, \
sessions and broker data with key prefixes instead of database numbers.";

    APP_SERVICE_SHAPE: "app-service-shape", Error,
        "the environment does not fit App Service: one web service, no worker, no infrastructure",
        "`azure-app-service` deploys exactly one `web` service as a web app. Workers, brokers and infrastructure \
containers need `azure-container-apps`.";

    RENDER_NAME: "render-name", Error,
        "Render rejects a service name",
        "A Render service name doubles as its host name on the private network: deploygen keeps it to 63 \
lower-case letters, digits and dashes, starting with a letter and not ending with a dash. Rename the service \
(or `cache.service` for a Redis private service).";

    RENDER_PORT: "render-port", Error,
        "a Render web service listens on another port than the one Render routes to",
        "Render routes a web service's traffic to `$PORT`; deploygen sets it to the container port of the \
service's first `ports` entry (10000 when there is none). A start command that listens elsewhere (`--port \
8000`, `-b 0.0.0.0:8000`) never receives traffic and the deploy fails its health check. Make the two agree, or \
bind `$PORT`.";

    RENDER_ENV_GROUP: "render-env-group", Error,
        "a `sync: false` secret would land in a Render environment group",
        "On Render the descriptor-wide `env` becomes an environment group, and Render does not allow \
`sync: false` variables (set in the dashboard) in groups. Set the secret in each service's `env`, or let Render \
generate it (`generate: true`).";

    PLATFORM_RANGE: "platform-range", Error,
        "a number is outside the range the platform accepts",
        "Some settings are numbers the platform bounds, and a deploy outside the bounds fails. \
`services.*.stop_grace_seconds` (how long a stopping process may take after SIGTERM before it is killed) \
becomes Render's `maxShutdownDelaySeconds`, 1 to 300 (Render's Blueprint specification), and Container Apps' \
`terminationGracePeriodSeconds`, 0 to 600; docker compose takes any `stop_grace_period`. Pick a value inside the \
range; a job that needs longer must hand itself back (checkpoint, or let its queue retry it) rather than \
outlive the grace.";
}
