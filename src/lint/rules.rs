//! The lint rules: id, severity, a one-line summary and the explanation
//! `deploygen explain RULE` prints.

use crate::findings::Severity;

pub struct Rule {
    pub id: &'static str,
    pub severity: Severity,
    pub summary: &'static str,
    pub explanation: &'static str,
}

pub const RULES: &[Rule] = &[
    Rule {
        id: "redis-url-without-password",
        severity: Severity::Error,
        summary: "a Redis URL lacks the password although the server requires one",
        explanation: "Azure Cache for Redis, Azure Managed Redis and a self-hosted Redis with `password_secret` \
refuse connections without the password. A URL such as `rediss://default@host:6380/0` (user, no password) \
authenticates as nobody: the app fails at runtime with an authentication error. Seed 003 is the outage this \
caused on Container Apps. Put the password in the URL (`rediss://:<password>@host:6380/0`) by exposing the \
cache's `url` instead of writing the URL by hand; deploygen keeps the password in a secret.",
    },
    Rule {
        id: "redis-url-without-tls",
        severity: Severity::Error,
        summary: "a `redis://` URL points at a Redis that only speaks TLS",
        explanation: "Azure's Redis services accept TLS connections only (the non-TLS port is disabled). A \
`redis://` URL makes the client speak plain text to a TLS port and the connection is reset. Use `rediss://`.",
    },
    Rule {
        id: "redis-url-wrong-port",
        severity: Severity::Error,
        summary: "a Redis URL uses port 6379 against Azure's TLS port",
        explanation: "Azure Cache for Redis listens on 6380 (TLS); Azure Managed Redis on 10000. Port 6379 is \
the non-TLS port, disabled on every cache deploygen creates, so the connection times out.",
    },
    Rule {
        id: "redis-public-network-access",
        severity: Severity::Error,
        summary: "Azure Redis accepts connections from the internet",
        explanation: "With `public_network_access: true` anyone on the internet can reach the cache; only TLS \
and the access key protect it (seed 002 leaves it so). Prefer private endpoints (`azure.private_endpoints`, \
Container Apps) or VNet integration. If the environment needs it for now, accept it with a reason under \
`accept:`; the reason is written into the Bicep as a Checkov suppression.",
    },
    Rule {
        id: "key-vault-public-network-access",
        severity: Severity::Error,
        summary: "Key Vault accepts connections from the internet",
        explanation: "App Service without VNet integration, and Container Apps without private endpoints, read \
Key Vault references over the vault's public endpoint, so the vault must allow public access (RBAC still \
guards every secret). Use private endpoints where the platform allows; otherwise accept the finding with a \
reason under `accept:`.",
    },
    Rule {
        id: "postgres-azure-services-firewall",
        severity: Severity::Error,
        summary: "PostgreSQL admits every Azure customer (the 0.0.0.0 firewall rule)",
        explanation: "Without private endpoints (App Service without VNet integration, Container Apps with \
`azure.private_endpoints: false`) the apps reach PostgreSQL over its public endpoint, and deploygen writes the \
`AllowAzureServices` rule (0.0.0.0). That rule admits connections from any resource in any Azure subscription, \
not only yours: the password is the only protection. Prefer private endpoints (Container Apps) or VNet \
integration; if the environment needs the rule for now, accept the finding with a reason under `accept:`, \
which is written above the rule in the Bicep.",
    },
    Rule {
        id: "redis-url-query",
        severity: Severity::Warning,
        summary: "a Redis URL's query has parameters the common clients reject",
        explanation: "redis-py's `from_url` (and kombu and Celery, which use it) turns every query parameter \
it does not parse itself into a keyword argument of the connection: `?ssl=true` (seed 002's format, from \
.NET) then fails with `TypeError: ... unexpected keyword argument 'ssl'`. `rediss://` already means TLS; use \
`ssl_cert_reqs=required` (the default of `cache.url_query`). Celery also refuses a `rediss://` broker or result \
backend URL without `ssl_cert_reqs`. If the app strips or parses the query itself, accept the finding with a \
reason under `accept:`.",
    },
    Rule {
        id: "secret-literal",
        severity: Severity::Error,
        summary: "a plain env value looks like a secret",
        explanation: "Values in `env` are written into generated files. A variable named like a password, \
token or key, or a URL with credentials in it, belongs in `secrets:` and is referenced as \
`{secret: ID}`; deploygen then writes references (`${VAR}`, Key Vault, `secretRef`) and never the value.",
    },
    Rule {
        id: "unused-secret",
        severity: Severity::Warning,
        summary: "a declared secret is used by nothing",
        explanation: "Every declared secret becomes a deployment parameter, a Key Vault secret or a `.env` line \
that someone must fill in. Remove the declaration or reference it with `{secret: ID}`.",
    },
    Rule {
        id: "redis-dangerous-commands",
        severity: Severity::Warning,
        summary: "a self-hosted Redis lets any client run FLUSHDB or FLUSHALL",
        explanation: "Every service on the private network can reach a self-hosted Redis, and one stray \
FLUSHALL (a script, a debug shell, a bug) empties the cache, the Celery queue and every session at once. \
deploygen renames the dangerous commands away in redis.conf (`FLUSHDB`, `FLUSHALL`, `DEBUG`, `CONFIG`, \
`SHUTDOWN` by default); this fires when `cache.disabled_commands` leaves FLUSHDB or FLUSHALL enabled.",
    },
    Rule {
        id: "azure-cache-retirement",
        severity: Severity::Warning,
        summary: "Azure Cache for Redis retires on 2028-09-30",
        explanation: "Microsoft retires Azure Cache for Redis (Basic, Standard, Premium) on 2028-09-30. Azure \
Managed Redis replaces it: `provider: azure-managed` (TLS port 10000, one database). `deploygen diff ENV \
--set cache.provider=azure-managed` shows what the move changes.",
    },
    Rule {
        id: "render-postgres-public",
        severity: Severity::Error,
        summary: "the Render PostgreSQL database accepts connections from outside Render",
        explanation: "`render.database_ip_allow_list` lets the listed addresses reach the database over the \
internet; only its password protects it then. Services on Render reach it over the private network without \
any entry (`ipAllowList: []`, the default). For an occasional connection from a laptop, prefer a short-lived \
entry in the Render Dashboard; if the environment needs it, accept the finding with a reason under `accept:`.",
    },
    Rule {
        id: "infrastructure-published",
        severity: Severity::Error,
        summary: "an infrastructure container is published beyond 127.0.0.1",
        explanation: "Loki and Alloy have no authentication of their own (Loki's `auth_enabled` only selects \
a tenant), and Grafana guards everything with one admin password: published on `0.0.0.0`, anyone who reaches \
the host reads the logs or pushes fake ones. deploygen publishes infrastructure ports on `127.0.0.1` unless \
`public_ports: true` or a port mapping names another address; reach them through an SSH tunnel or a reverse \
proxy with authentication, or accept the finding with a reason under `accept:`.",
    },
];

pub fn find(id: &str) -> Option<&'static Rule> {
    RULES.iter().find(|r| r.id == id)
}
