"""Which local servers an environment needs, read off its Plan, and how the
delivered env is pointed at them (host names and ports only).

The Plan's JSON does not name the cache provider, the queue kind or the
framework (issue 20's report lists this); they are read off what it does
carry: resource kinds, the compose services' images and commands, and the
application services' commands and env names.
"""
import os
import urllib.parse

import deliver

# Resource kinds of the Plan -> the Redis shape the harness starts.
REDIS_SHAPES = {
    "Microsoft.Cache/redis": "azure-cache",
    "Microsoft.Cache/redisEnterprise": "azure-managed",
    "render keyvalue": "plain",  # Render Key Value inside Render's network: no auth
    "external redis": "external",  # an outside provider (Upstash): TLS and a password
}

# The port each shape's URL must name on the platform (a documented fact the
# harness cannot run: deploygen's src/backing/azure_cache.rs and
# azure_managed_redis.rs state them); the local server listens elsewhere.
EXPECTED_PORTS = {
    "azure-cache": 6380,
    "azure-managed": 10000,
}

POSTGRES_TLS_ONLY = {"Microsoft.DBforPostgreSQL/flexibleServers"}


def needs(plan, rendered_dir):
    """{'redis': (shape, extra), 'memcached': args|None, 'postgres_tls_only': bool,
    'aliases': {hostname: 'redis'|'postgres'|'memcached'}}"""
    kinds = {r["kind"]: r for r in plan.get("resources", [])}
    out = {"redis": None, "memcached": None, "postgres_tls_only": False,
           "aliases": {deliver.PG_HOST: "postgres", deliver.REDIS_HOST: "redis"}}
    for kind, shape in REDIS_SHAPES.items():
        if kind in kinds:
            out["redis"] = (shape, None)
    if "render pserv" in kinds and kinds["render pserv"].get("detail", "").startswith("Redis"):
        name = kinds["render pserv"]["name"]
        out["redis"] = ("conf", os.path.join(rendered_dir, "redis", "redis.conf"))
        out["aliases"][name] = "redis"
    out["postgres_tls_only"] = any(k in kinds for k in POSTGRES_TLS_ONLY)
    for s in plan["services"]:
        image = s.get("image") or ""
        if s["kind"] == "cache" and "redis" in image:
            out["redis"] = ("command", s.get("command") or ["redis-server"])
        elif s["kind"] == "cache" and "memcached" in image:
            out["memcached"] = s.get("command") or ["memcached"]
        else:
            continue
        out["aliases"][s["name"]] = "memcached" if "memcached" in image else "redis"
        out["aliases"][s.get("host") or s["name"]] = out["aliases"][s["name"]]
    for s in plan["services"]:
        if s["kind"] == "database":
            out["aliases"][s["name"]] = "postgres"
            out["aliases"][s.get("host") or s["name"]] = "postgres"
    # The local compose file publishes the backing services on localhost:
    # an app on the host tells them apart by port.
    for s in plan["services"]:
        server = out["aliases"].get(s["name"])
        if server and s.get("port"):
            out["aliases"]["localhost:%d" % s["port"]] = server
    return out


def lookup(aliases, host, port):
    if port is not None and "%s:%s" % (host, port) in aliases:
        return aliases["%s:%s" % (host, port)]
    return aliases.get(host)


def point_at(env, aliases, endpoints):
    """Rewrites hosts (and their ports) that name a backing service to the
    local server. Returns (new_env, literal_ports) where literal_ports maps
    each variable to (server, the port it named)."""
    out = dict(env)
    literal = {}
    mapped_prefixes = {}
    for name, value in env.items():
        if not isinstance(value, str):
            continue
        target = _url_target(value, aliases)
        if target:
            server, parsed = target
            ep = endpoints.get(server)
            if ep is None:
                continue
            literal[name] = (server, parsed.port)
            # The delivered (possibly percent-encoded) userinfo stays as is.
            user = parsed.netloc.rsplit("@", 1)[0] + "@" if "@" in parsed.netloc else ""
            netloc = "%s%s:%d" % (user, ep["host"], ep["port"])
            out[name] = urllib.parse.urlunsplit(parsed._replace(netloc=netloc))
            continue
        host, _, port = value.partition(":")
        if not port and name.endswith("_HOST"):
            port = env.get(name[: -len("HOST")] + "PORT", "")
        server = lookup(aliases, host, port or None)
        if server and endpoints.get(server):
            ep = endpoints[server]
            if ":" in value and port.isdigit():
                out[name] = "%s:%d" % (ep["host"], ep["port"])
                literal[name] = (server, int(port))
            else:
                out[name] = ep["host"]
                if name.endswith("_HOST"):
                    mapped_prefixes[name[: -len("HOST")]] = server
    for prefix, server in mapped_prefixes.items():
        port_var = prefix + "PORT"
        if port_var in out:
            literal[port_var] = (server, int(env[port_var]))
            out[port_var] = str(endpoints[server]["port"])
    return out, literal


def _url_target(value, aliases):
    if "://" not in value:
        return None
    parsed = urllib.parse.urlsplit(value)
    server = lookup(aliases, parsed.hostname, parsed.port)
    return (server, parsed) if server else None
