"""The env docker compose gives each service of a rendered compose file, and
the env an app run on the host gets from `.env.local.example`, without
Docker: the harness reads the files deploygen wrote, as compose and dotenv
would.

- `.env` is made from `.env.example` the way its comments tell an operator:
  each `NAME=change-me` line of a secret gets that secret's value.
- Docker Compose v2's own `config` interpolates `docker-compose.yml` with
  that `.env` (a missing required variable fails with compose's message).
- `.env.local.example`: values built from secrets are filled as its comment
  says (`set to URL with each {NAME} replaced by the value of NAME`), and
  `${VAR}` is expanded where its header says the reader expands it
  (python-dotenv), not otherwise (Node's dotenv).
"""
import json
import os
import re
import subprocess

SECRET_LINE = re.compile(r"\(secret `([^`]+)`\)")
FILL_LINE = re.compile(r"^# set to (\S+) with each \{NAME\} replaced")


class InterpolationError(Exception):
    pass


def interpolate(text, variables):
    """${VAR} expansion as python-dotenv does it in `.env.local` values."""
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
        if value in ("change-me", "") and pending_secret:
            value = secret(pending_secret)
        elif value == "" and pending_fill:
            value = re.sub(r"\{(\w+)\}", lambda m: values.get(m.group(1), ""), pending_fill)
        elif expand:
            value = interpolate(value, values)
        values[key] = value
        pending_secret = pending_fill = None
    return values


def filled_dotenv(path, secret):
    """The text of an .env example with each secret's `change-me` replaced,
    as an operator following its comments writes `.env`."""
    out, pending = [], None
    for line in open(path).read().splitlines():
        m = SECRET_LINE.search(line) if line.startswith("#") else None
        if m:
            pending = m.group(1)
        elif not line.startswith("#") and "=" in line:
            key, _, value = line.partition("=")
            if value.strip() in ("change-me", "") and pending:
                line = "%s=%s" % (key, secret(pending))
            pending = None
        out.append(line)
    return "\n".join(out) + "\n"


def production(rendered_dir, app_services, secret, compose_file="docker-compose.yml"):
    """{service: env} for the app services of the production compose file,
    as `docker compose config` gives it with `.env` made from `.env.example`
    (Docker Compose v2 itself does the interpolation, `${VAR:?…}` included)."""
    env_path = os.path.join(os.environ["E2E_TMP"], "compose-%s.env" % os.path.basename(rendered_dir))
    with open(env_path, "w") as f:
        f.write(filled_dotenv(os.path.join(rendered_dir, ".env.example"), secret))
    binary = os.path.join(os.environ["E2E_CACHE"], "venv-compose", "bin", "docker-compose")
    p = subprocess.run(
        [binary, "-f", os.path.join(rendered_dir, compose_file), "--env-file", env_path,
         "config", "--format", "json", "--no-normalize"],
        capture_output=True, text=True, timeout=60,
        env={"PATH": "/usr/bin:/bin", "HOME": os.environ.get("HOME", "/root")},
    )
    if p.returncode != 0:
        raise InterpolationError("docker compose config: %s" % p.stderr.strip()[-400:])
    doc = json.loads(p.stdout)
    out = {}
    for name, service in (doc.get("services") or {}).items():
        if name in app_services:
            out[name] = {k: ("" if v is None else str(v)) for k, v in (service.get("environment") or {}).items()}
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


