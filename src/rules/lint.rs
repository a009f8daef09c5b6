//! The lint rules: deployments that would validate but fail or leak in
//! production. Each can be accepted under `accept:` with a reason.

super::rules! {
    LINT_RULES, Lint, acceptable: true;

    REDIS_URL_WITHOUT_PASSWORD: "redis-url-without-password", Error,
        "a Redis URL lacks the password although the server requires one (seed 003)",
        "Azure Cache for Redis, Azure Managed Redis and a self-hosted Redis with `password_secret` \
refuse connections without the password. A URL such as `rediss://default@host:6380/0` (user, no password) \
authenticates as nobody: the app fails at runtime with an authentication error. Seed 003 is the outage this \
caused on Container Apps. Put the password in the URL (`rediss://:<password>@host:6380/0`) by exposing the \
cache's `url` instead of writing the URL by hand; deploygen keeps the password in a secret.";

    REDIS_URL_WITHOUT_TLS: "redis-url-without-tls", Error,
        "a `redis://` URL points at a Redis that only speaks TLS",
        "Azure's Redis services accept TLS connections only (the non-TLS port is disabled). A \
`redis://` URL makes the client speak plain text to a TLS port and the connection is reset. Use `rediss://`.";

    REDIS_URL_WRONG_PORT: "redis-url-wrong-port", Error,
        "a Redis URL uses port 6379 against Azure's TLS port (6380, or 10000)",
        "Azure Cache for Redis listens on 6380 (TLS); Azure Managed Redis on 10000. Port 6379 is \
the non-TLS port, disabled on every cache deploygen creates, so the connection times out.";

    REDIS_PUBLIC_NETWORK_ACCESS: "redis-public-network-access", Error,
        "Azure Redis accepts connections from the internet (seed 002)",
        "With `public_network_access: true` anyone on the internet can reach the cache; only TLS \
and the access key protect it (seed 002 leaves it so). The apps reach it through a private endpoint \
(`azure.private_endpoints`, the default on Container Apps and App Service) without it. If the environment needs \
it for now, accept it with a reason under `accept:`; the reason is written into the Bicep as a Checkov \
suppression.";

    KEY_VAULT_PUBLIC_NETWORK_ACCESS: "key-vault-public-network-access", Error,
        "Key Vault accepts connections from the internet",
        "Without private endpoints (`azure.private_endpoints: false`) Container Apps and App Service read \
Key Vault references over the vault's public endpoint, so the vault must allow public access (RBAC still \
guards every secret). Keep private endpoints on (the default: App Service joins the VNet through regional \
VNet integration); otherwise accept the finding with a reason under `accept:`.";

    POSTGRES_AZURE_SERVICES_FIREWALL: "postgres-azure-services-firewall", Error,
        "PostgreSQL admits every Azure customer (the 0.0.0.0 firewall rule)",
        "Container Apps without private endpoints (`azure.private_endpoints: false`) reach PostgreSQL \
over its public endpoint, and deploygen writes the `AllowAzureServices` rule (0.0.0.0): their outbound \
addresses are not known to the deployment. That rule admits connections from any resource in any Azure \
subscription, not only yours: the password is the only protection. Prefer private endpoints (the default); if \
the environment needs the rule for now, accept the finding with a reason under `accept:`, which is written above \
the rule in the Bicep. (App Service without private endpoints admits the site's possible outbound addresses \
instead, one rule each, and never gets this finding.)";

    REDIS_URL_QUERY: "redis-url-query", Warning,
        "a Redis URL's query has parameters redis-py, kombu or Celery reject (`?ssl=true`), or a TLS broker URL lacks `ssl_cert_reqs`",
        "redis-py's `from_url` (and kombu and Celery, which use it) turns every query parameter \
it does not parse itself into a keyword argument of the connection: `?ssl=true` (seed 002's format, from \
.NET) then fails with `TypeError: ... unexpected keyword argument 'ssl'`. `rediss://` already means TLS; use \
`ssl_cert_reqs=required` (the default of `cache.url_query`). Celery also refuses a `rediss://` broker or result \
backend URL without `ssl_cert_reqs`. If the app strips or parses the query itself, accept the finding with a \
reason under `accept:`.";

    SECRET_LITERAL: "secret-literal", Error,
        "a plain env value or a command looks like a secret (password, token, key, URL with credentials)",
        "Values in `env` and commands (`command`, `pre_deploy`, `build_command`) are written into \
generated files. A variable named like a password, token or key (`*_KEY`, `*_PASS`, `*_PWD`, \
`*_CREDENTIALS`, `*_DSN`), a value shaped like a well-known token (GitHub, Stripe, Slack, AWS, a PEM \
private key: the shapes of gitleaks' default rules), or a URL with credentials in it, belongs in \
`secrets:` and is referenced as `{secret: ID}`; deploygen then writes references (`${VAR}`, Key Vault, \
`secretRef`) and never the value. A command refers to it as `$NAME`.";

    UNUSED_SECRET: "unused-secret", Warning,
        "a declared secret is used by nothing",
        "Every declared secret becomes a deployment parameter, a Key Vault secret or a `.env` line \
that someone must fill in. Remove the declaration or reference it with `{secret: ID}`.";

    REDIS_DANGEROUS_COMMANDS: "redis-dangerous-commands", Warning,
        "a self-hosted Redis lets any client run FLUSHDB or FLUSHALL",
        "Every service on the private network can reach a self-hosted Redis, and one stray \
FLUSHALL (a script, a debug shell, a bug) empties the cache, the Celery queue and every session at once. \
deploygen renames the dangerous commands away in redis.conf (`FLUSHDB`, `FLUSHALL`, `DEBUG`, `CONFIG`, \
`SHUTDOWN` by default); this fires when `cache.disabled_commands` leaves FLUSHDB or FLUSHALL enabled.";

    REDIS_QUEUE_EVICTION: "redis-queue-eviction", Warning,
        "a job queue rides a Redis whose `maxmemory_policy` evicts keys",
        "When Redis reaches `maxmemory`, an evicting policy deletes keys to make room, without an error: an \
`allkeys-*` policy may delete any key, waiting, scheduled and retried jobs included, which no worker then runs; a \
`volatile-*` policy deletes keys with a TTL, such as the job locks and results queues keep, so a job runs twice or \
its result is gone. BullMQ documents `noeviction` as the only policy that keeps its queues \
correct; Celery, RQ, Sidekiq, Dramatiq and arq lose jobs the same way. deploygen writes `noeviction` when a queue \
rides the Redis and `cache.maxmemory_policy` is unset; with `noeviction` a full Redis refuses writes, so the app \
sees the error instead of losing jobs. Leave the policy unset (or set `noeviction`), give the queue its own Redis, \
or, where the cache beside the queue needs an evicting policy, accept the finding with a reason under `accept:`.";

    AZURE_CACHE_RETIREMENT: "azure-cache-retirement", Warning,
        "Azure Cache for Redis retires on 2028-09-30",
        "Microsoft retires Azure Cache for Redis (Basic, Standard, Premium) on 2028-09-30. Azure \
Managed Redis replaces it: `provider: azure-managed` (TLS port 10000, one database). `deploygen diff ENV \
--set cache.provider=azure-managed` shows what the move changes.";

    RENDER_POSTGRES_PUBLIC: "render-postgres-public", Error,
        "the Render PostgreSQL database accepts connections from outside Render",
        "`render.database_ip_allow_list` lets the listed addresses reach the database over the \
internet; only its password protects it then. Services on Render reach it over the private network without \
any entry (`ipAllowList: []`, the default). For an occasional connection from a laptop, prefer a short-lived \
entry in the Render Dashboard; if the environment needs it, accept the finding with a reason under `accept:`.";

    INFRASTRUCTURE_PUBLISHED: "infrastructure-published", Error,
        "an infrastructure container (Loki, Grafana, Alloy) is published beyond 127.0.0.1",
        "Loki and Alloy have no authentication of their own (Loki's `auth_enabled` only selects \
a tenant), and Grafana guards everything with one admin password: published on `0.0.0.0`, anyone who reaches \
the host reads the logs or pushes fake ones. deploygen publishes infrastructure ports on `127.0.0.1` unless \
`public_ports: true` or a port mapping names another address; reach them through an SSH tunnel or a reverse \
proxy with authentication, or accept the finding with a reason under `accept:`.";

    WRITE_BACK_CACHE: "write-back-cache", Warning,
        "a write-back cache runs on a single node or with an evicting policy",
        "A write-back cache (`cache.write_back`) holds entries the app has not yet written to the database, as \
seed 002's conversations (`dirty:convs`, written back on session end or \"Save All to Database\"): until then \
they exist only in the cache. A single-node cache (Azure Cache for Redis Basic, which has no replica and no SLA; a \
Redis container; a Render Key Value or private service) loses all of them when its node fails, is patched or \
restarts, and an evicting `maxmemory_policy` (`allkeys-lru`, `volatile-*`) deletes them under memory pressure \
without an error. An expiry the app itself sets on pending entries (seed 002's 30 minutes) is a third way to lose \
them that no setting here fixes. Use a replicated tier (Standard or Premium, Azure Managed Redis) and `noeviction`, \
which deploygen writes when the policy is unset; or accept the finding with a reason under `accept:`. Every \
migration away from the cache, rollbacks included, starts with a flush and its check (`diff` writes them).";

    WORKER_STOP_GRACE: "worker-stop-grace", Warning,
        "a queue worker is killed before it can finish or hand back its current job",
        "Every deploy, scale-in and restart stops a worker with SIGTERM and kills it when the platform's \
grace runs out: 10 s on docker compose, 30 s on Container Apps and Render, unless `stop_grace_seconds` says \
otherwise. Some queues document how long they need: Sidekiq waits up to its shutdown timeout (`-t`, 25 s by \
default) for running jobs and then pushes the rest back to Redis, so it needs about 30 s (Sidekiq's wiki); an \
RQ worker finishes its current job on SIGTERM, which may run for the default job timeout of 180 s, and a job \
killed mid-run is left in the started registry and later counted as failed, not retried. A Celery worker \
finishes every running task on TERM with no time limit by default, and with its default early acknowledgement a \
task killed mid-run is lost: this asks for 300 s, the most Render allows (Celery's Workers Guide). A Dramatiq worker \
waits up to `--worker-shutdown-timeout`, 10 minutes by default, and a killed message runs again later: 600 s. An arq \
worker cancels its running jobs on TERM and leaves them queued to run again, which takes a few seconds: 10 s. This \
fires when a worker of such a queue gets less than that. Raise `stop_grace_seconds` (Render allows 300, Container Apps \
600), shorten the queue's own timeout to fit (Celery's `task_time_limit`, Dramatiq's \
`--worker-shutdown-timeout`, RQ's job timeout), or accept the finding with a reason under `accept:`.";

    ACR_REGISTRY_RESOURCE_GROUP: "acr-registry-resource-group", Warning,
        "AcrPull is granted on a registry assumed to be in the deployment's resource group",
        "Container apps pull images from Azure Container Registry (`*.azurecr.io`) with their managed \
identity, which gets *AcrPull* on the registry itself: an `existing` registry named after the login server's first \
label (`orders.azurecr.io` -> `orders`), in a module deployed to the registry's resource group. Without \
`azure.registries.<server>.resource_group` that group is the deployment's own, and a registry kept elsewhere (a \
shared platform group) makes the deployment fail with `ResourceNotFound`. Say where the registry is with \
`azure.registries.<server>.resource_group`, or accept the finding with a reason under `accept:` when it really sits \
beside the apps. Whoever deploys needs the right to assign roles on the registry.";

    REDIS_QUEUE_NOT_PERSISTED: "redis-queue-not-persisted", Warning,
        "a job queue rides an Azure Cache for Redis tier that never writes its data to disk",
        "Azure Cache for Redis persists data (RDB or AOF) on the Premium tier only (Microsoft Learn, \
\"Configure data persistence for a Premium Azure Cache for Redis instance\"). On Basic (one node) and Standard \
(a replica in memory), a node loss or a platform event that takes both nodes drops every waiting, scheduled and \
retried job, and the queue comes back empty without an error. Azure Managed Redis carrying a queue gets AOF \
persistence (`aofFrequency: '1s'`) from deploygen. Move the queue to Azure Managed Redis (`provider: \
azure-managed`) or Premium, or accept the finding with a reason under `accept:` (jobs that can be re-created).";

    POSTGRES_ADMIN_CONNECTION: "postgres-admin-connection", Warning,
        "the apps connect to Azure PostgreSQL as its administrator",
        "On Azure, `postgres.user` is the flexible server's administrator login (a member of \
`azure_pg_admin`), and the apps connect with it: a SQL injection or a leaked URL can then read every database on \
the server, create roles and drop what it likes. deploygen does not create an application role yet. The recipe: \
as the administrator (the pre-deploy job, or `psql` from inside the VNet), run `CREATE ROLE app_rw LOGIN PASSWORD \
'...'; GRANT CONNECT ON DATABASE <db> TO app_rw; GRANT USAGE ON SCHEMA public TO app_rw; GRANT SELECT, INSERT, \
UPDATE, DELETE ON ALL TABLES IN SCHEMA public TO app_rw; GRANT USAGE, SELECT ON ALL SEQUENCES IN SCHEMA public TO \
app_rw; ALTER DEFAULT PRIVILEGES FOR ROLE <admin> IN SCHEMA public GRANT SELECT, INSERT, UPDATE, DELETE ON TABLES \
TO app_rw; ALTER DEFAULT PRIVILEGES FOR ROLE <admin> IN SCHEMA public GRANT USAGE, SELECT ON SEQUENCES TO app_rw;`, \
declare the app role's URL as a secret and give it to the apps (`DATABASE_URL: {secret: app-database-url}`), and \
keep the administrator's URL for the pre-deploy job that migrates. Or accept the finding with a reason under \
`accept:`.";

    AZURE_CREATION_ONLY: "azure-creation-only", Warning,
        "a production data tier leaves off a setting that can only be chosen when the resource is created",
        "Some settings of a `prod` environment cannot be turned on later without a new resource and a data \
move: PostgreSQL geo-redundant backup (`azure.postgres.geo_redundant_backup`), the Container Apps environment's \
zone redundancy (`azure.zone_redundant`, which needs `private_endpoints`). PostgreSQL high availability \
(`azure.postgres.high_availability`, not on the Burstable tier) can be added later, but a `prod` database without a \
standby stops with its zone. On Container Apps deploygen turns them on for `stage: prod` unless the descriptor says otherwise; this fires when one stays off, and names it. Turn \
it on, or accept the finding with a reason under `accept:` (a region without availability zones, the cost).";

    RENDER_BLUEPRINT_PATH: "render-blueprint-path", Warning,
        "a Render Blueprint path (`dockerfilePath`, `dockerContext`) names nothing in the repository",
        "Render reads `dockerfilePath` and `dockerContext` from the root of the repository it deploys \
(Blueprint spec: \"relative to the repo root\"), wherever the Blueprint file itself sits. deploygen writes them \
as `render.root` joined with the descriptor's paths, and checks them against the repository around the \
descriptor (the folder holding `.git`, as `git rev-parse --show-toplevel` finds it, else the descriptor's \
folder): a file deploygen writes itself (the Redis private service's `redis/Dockerfile`) must be where the \
output folder puts it, and a build context or Dockerfile of the app must exist. Otherwise the first build on \
Render fails. Set `render.root` to the output folder's path from the repository root; if the app's code is \
not in this repository yet, accept the finding with a reason under `accept:`.";
}
