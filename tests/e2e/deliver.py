"""The env each service receives, as its platform would deliver it, pointed at
the harness's local servers.

Input: the Plan (`deploygen plan ENV --format json`) and the rendered folder.
- plain values as they are;
- secrets (Key Vault references, Container Apps `secretRef`s, Render `sync:
  false` / `generateValue` / `fromService.envVarKey`) resolve to the secret's
  value itself, which the harness chooses so that it needs URL encoding (an
  Azure-style key with `+`, `/`, `=`), unless the rendered .env.example tells
  the operator to use URL-safe characters only (compose interpolation does no
  encoding, and says so);
- templates are joined; a secret inside one is percent-encoded where the
  rendered Bicep wraps it in `uriComponent(...)`, and left raw otherwise;
- resource attributes (`postgres-host`, `redis-host`, Render's
  `connectionString`s) become the host or URL that resource would give,
  with a stand-in host name that `point_at` then maps to 127.0.0.1.
Hosts and ports are the only thing changed after delivery: what DNS and the
platform's network would do.
"""
import glob
import json
import os
import re
import urllib.parse

# An Azure-style access key: 44 base64 characters, with `+`, `/` and `=`.
AZURE_KEY = "kX9+a/B3c4D5e6F7g8H9i0J1k2L3m4N5o6P7q8R9s0="
# A password that needs encoding in a URL, for services that accept any.
HARD_PASSWORD = "pg+Pa/ss=w0rd"
# What an operator following "use only letters, digits and `-._~`" would set.
SAFE_PASSWORD = "e2e-Pass_w0rd.1~"

# Stand-in host names for resources; point_at maps them to local servers.
PG_HOST = "postgres.e2e.invalid"
REDIS_HOST = "redis.e2e.invalid"


def uri_component(value):
    """Bicep's uriComponent: encodes all but unreserved characters."""
    return urllib.parse.quote(value, safe="-_.~")


def load_plan(path):
    with open(path) as f:
        return json.load(f)


def read_rendered(rendered_dir, pattern):
    text = ""
    for path in sorted(glob.glob(os.path.join(rendered_dir, "**", pattern), recursive=True)):
        with open(path) as f:
            text += f.read()
    return text


def safe_only_secrets(rendered_dir):
    """Secret ids whose .env.example comment asks for URL-safe characters."""
    safe = set()
    for path in glob.glob(os.path.join(rendered_dir, ".env*example")):
        lines = open(path).read().splitlines()
        for i, line in enumerate(lines):
            m = re.search(r"\(secret `([^`]+)`\)", line)
            if not m:
                continue
            following = " ".join(lines[i : i + 3])
            if "use only letters, digits" in following:
                safe.add(m.group(1))
    return safe


def render_databases(rendered_dir):
    """Render databases by name: databaseName and user, from render.yaml."""
    import yaml

    path = os.path.join(rendered_dir, "render.yaml")
    if not os.path.exists(path):
        return {}
    doc = yaml.safe_load(open(path)) or {}
    return {d["name"]: d for d in doc.get("databases", [])}


class Delivery:
    def __init__(self, plan, rendered_dir):
        self.plan = plan
        self.platform = plan["platform"]
        self.rendered_dir = rendered_dir
        self.bicep = read_rendered(rendered_dir, "*.bicep") if self.platform.startswith("azure") else ""
        self.safe = safe_only_secrets(rendered_dir)
        path = os.path.join(rendered_dir, "render.yaml")
        self.render_yaml = open(path).read() if os.path.exists(path) else ""
        self.resources = {r["kind"]: r for r in plan.get("resources", [])}
        self.secret_values = {}

    # -- secrets -----------------------------------------------------------
    def secret(self, secret_id):
        if secret_id not in self.secret_values:
            self.secret_values[secret_id] = self._choose_secret(secret_id)
        return self.secret_values[secret_id]

    def _choose_secret(self, secret_id):
        if secret_id in self.safe:
            return SAFE_PASSWORD
        if "redis" in secret_id and "url" in secret_id:
            # An outside Redis URL kept as a secret (Upstash style): TLS,
            # user `default`, the key percent-encoded as the provider prints it.
            return "rediss://default:%s@%s:6379" % (uri_component(AZURE_KEY), REDIS_HOST)
        if "redis" in secret_id or "access-key" in secret_id:
            return AZURE_KEY
        if "password" in secret_id:
            return HARD_PASSWORD
        return "e2e-" + secret_id + "+/="

    # -- resources ---------------------------------------------------------
    def resource(self, attribute):
        if attribute == "postgres-host":
            return PG_HOST
        if attribute == "redis-host":
            return REDIS_HOST
        if attribute == "postgres-connectionString":
            # Render's internal connection string: postgresql://USER:PASSWORD@HOST/DB
            db = next(iter(render_databases(self.rendered_dir).values()))
            return "postgresql://%s:%s@%s/%s" % (
                db["user"],
                uri_component(self.secret("render-postgres-password")),
                PG_HOST,
                db["databaseName"],
            )
        if attribute == "redis-connection-string":
            # Render Key Value's internal URL: no password inside Render's network.
            return "redis://%s:6379" % REDIS_HOST
        raise KeyError("resource attribute %r: the harness does not know what it delivers" % attribute)

    # -- values ------------------------------------------------------------
    def encodes_in_template(self, name, parts):
        """Whether the platform's template percent-encodes the secret parts."""
        if self.platform == "render":
            # A Blueprint cannot join values: a start command that assembles
            # the URL percent-encodes the secret itself (sed s/+/%2B/g ...).
            return "s/+/%2B/g" in self.render_yaml
        if not self.platform.startswith("azure"):
            return False
        first_text = next((p["text"] for p in parts if p["kind"] == "text"), "")
        # The Bicep line for this value starts with the template's first text
        # and interpolates a secret through uriComponent(...).
        pattern = re.escape("'" + first_text + "${uriComponent(")
        return re.search(pattern, self.bicep) is not None

    def value(self, name, value):
        kind = value["kind"]
        if kind == "plain":
            return value["value"]
        if kind == "secret":
            return self.secret(value["secret"])
        if kind == "template":
            encode = self.encodes_in_template(name, value["parts"])
            out = []
            for part in value["parts"]:
                if part["kind"] == "text":
                    out.append(part["text"])
                elif part["kind"] == "secret":
                    raw = self.secret(part["secret"])
                    out.append(uri_component(raw) if encode else raw)
                elif part["kind"] == "resource":
                    out.append(self.resource(part["attribute"]))
                else:
                    raise KeyError("template part kind %r" % part["kind"])
            return "".join(out)
        raise KeyError("env value kind %r" % kind)

    def services(self):
        out = []
        for s in self.plan["services"]:
            if s["kind"] != "application":
                continue
            env = {e["name"]: self.value(e["name"], e["value"]) for e in s.get("env", [])}
            out.append({"name": s["name"], "role": s.get("role"), "command": s.get("command"), "env": env})
        return out
