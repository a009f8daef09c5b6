"""The env docker compose gives each service of a rendered compose file, and
the env an app run on the host gets from `.env.local.example`, without
Docker: the harness reads the files deploygen wrote, as compose and dotenv
would.

- `.env` is made from `.env.example` the way its comments tell an operator:
  each `NAME=change-me` line of a secret gets that secret's value.
- compose interpolation (compose-spec "interpolation"): `$$`, `${VAR}`,
  `${VAR:?message}`, `${VAR?message}`, `${VAR:-default}`, `${VAR-default}`,
  `$VAR`; a missing required variable is an error naming the message.
- `.env.local.example`: values built from secrets are filled as its comment
  says (`set to URL with each {NAME} replaced by the value of NAME`), and
  `${VAR}` is expanded where its header says the reader expands it
  (python-dotenv), not otherwise (Node's dotenv).
"""
import os
import re

import yaml

SECRET_LINE = re.compile(r"\(secret `([^`]+)`\)")
FILL_LINE = re.compile(r"^# set to (\S+) with each \{NAME\} replaced")


class InterpolationError(Exception):
    pass


def interpolate(text, variables):
    def one(m):
        if m.group(0) == "$$":
            return "$"
        name = m.group("braced") or m.group("bare")
        op, arg = m.group("op"), m.group("arg") or ""
        value = variables.get(name)
        if op in (":?", "?"):
            if value is None or (op == ":?" and value == ""):
                raise InterpolationError("%s: %s" % (name, arg or "required"))
            return value
        if op in (":-", "-"):
            if value is None or (op == ":-" and value == ""):
                return interpolate(arg, variables)
            return value
        return value if value is not None else ""

    pattern = r"\$\$|\$\{(?P<braced>\w+)(?:(?P<op>:\?|\?|:-|-)(?P<arg>[^}]*))?\}|\$(?P<bare>[A-Za-z_]\w*)"
    return re.sub(pattern, one, text)


def read_dotenv(path, secret, expand):
    """KEY=VALUE lines of a rendered .env example with its secrets filled."""
    values = {}
    pending_secret = None
    pending_fill = None
    for line in open(path).read().splitlines():
        if line.startswith("#"):
            m = SECRET_LINE.search(line)
            if m:
                pending_secret = m.group(1)
            f = FILL_LINE.match(line)
            if f:
                pending_fill = f.group(1)
            continue
        if "=" not in line:
            continue
        key, _, value = line.partition("=")
        key, value = key.strip(), value.strip()
        if len(value) >= 2 and value[0] == value[-1] and value[0] in "'\"":
            value = value[1:-1]
        if value == "change-me" and pending_secret:
            value = secret(pending_secret)
        elif value == "" and pending_fill:
            value = re.sub(r"\{(\w+)\}", lambda m: values.get(m.group(1), ""), pending_fill)
        elif expand:
            value = interpolate(value, values)
        values[key] = value
        pending_secret = pending_fill = None
    return values


def production(rendered_dir, app_services, secret, compose_file="docker-compose.yml"):
    """{service: env} for the app services of the production compose file,
    with `.env` made from `.env.example`."""
    dotenv = read_dotenv(os.path.join(rendered_dir, ".env.example"), secret, expand=True)
    doc = yaml.safe_load(open(os.path.join(rendered_dir, compose_file)))
    out = {}
    for name, service in (doc.get("services") or {}).items():
        if name not in app_services:
            continue
        env = {}
        for env_file in _list(service.get("env_file")):
            path = env_file if isinstance(env_file, str) else env_file["path"]
            env.update(read_dotenv(os.path.join(rendered_dir, path), secret, expand=True))
        raw = service.get("environment") or {}
        if isinstance(raw, list):
            raw = dict(item.split("=", 1) if "=" in item else (item, dotenv.get(item, "")) for item in raw)
        for key, value in raw.items():
            env[key] = interpolate(str(value if value is not None else dotenv.get(key, "")), dotenv)
        out[name] = env
    return out


def local(rendered_dir, secret):
    """The env of an app run on the host with `.env.local.example` as `.env`."""
    path = os.path.join(rendered_dir, ".env.local.example")
    if not os.path.exists(path):
        return None
    header = open(path).read()
    # The example's own header says whether its reader expands ${VAR}.
    expand = "does not expand" not in header and "reads no `${...}`" not in header
    return read_dotenv(path, secret, expand=expand)


def _list(value):
    if value is None:
        return []
    return value if isinstance(value, list) else [value]
