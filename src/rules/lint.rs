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
and the access key protect it (seed 002 leaves it so). Prefer private endpoints (`azure.private_endpoints`, \
Container Apps) or VNet integration. If the environment needs it for now, accept it with a reason under \
`accept:`; the reason is written into the Bicep as a Checkov suppression.";

    KEY_VAULT_PUBLIC_NETWORK_ACCESS: "key-vault-public-network-access", Error,
        "Key Vault accepts connections from the internet",
        "App Service without VNet integration, and Container Apps without private endpoints, read \
Key Vault references over the vault's public endpoint, so the vault must allow public access (RBAC still \
guards every secret). Use private endpoints where the platform allows; otherwise accept the finding with a \
reason under `accept:`.";

    POSTGRES_AZURE_SERVICES_FIREWALL: "postgres-azure-services-firewall", Error,
        "PostgreSQL admits every Azure customer (the 0.0.0.0 firewall rule)",
        "Without private endpoints (App Service without VNet integration, Container Apps with \
`azure.private_endpoints: false`) the apps reach PostgreSQL over its public endpoint, and deploygen writes the \
`AllowAzureServices` rule (0.0.0.0). That rule admits connections from any resource in any Azure subscription, \
not only yours: the password is the only protection. Prefer private endpoints (Container Apps) or VNet \
integration; if the environment needs the rule for now, accept the finding with a reason under `accept:`, \
which is written above the rule in the Bicep.";

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

    WORKER_STOP_GRACE: "worker-stop-grace", Warning,
        "a queue worker is killed before it can finish or hand back its current job",
        "Every deploy, scale-in and restart stops a worker with SIGTERM and kills it when the platform's \
grace runs out: 10 s on docker compose, 30 s on Container Apps and Render, unless `stop_grace_seconds` says \
otherwise. Some queues document how long they need: Sidekiq waits up to its shutdown timeout (`-t`, 25 s by \
default) for running jobs and then pushes the rest back to Redis, so it needs about 30 s (Sidekiq's wiki); an \
RQ worker finishes its current job on SIGTERM, which may run for the default job timeout of 180 s, and a job \
killed mid-run is left in the started registry and later counted as failed, not retried. This fires when a \
worker of such a queue gets less than that. Raise `stop_grace_seconds` (Render allows 300, Container Apps \
600), shorten the queue's own timeout to fit, or accept the finding with a reason under `accept:`.";
}
