"""Runs one environment: starts its backing servers, delivers each service's
env as its platform would, and has the real client libraries make their
round trips with it. Prints one line per check; exits 1 if any failed.

usage: environment.py NAME PLAN.json RENDERED_DIR
"""
import os
import re
import shlex
import signal
import subprocess
import sys
import tempfile
import time
import urllib.parse

import compose_env
import deliver
import servers
import topology

HERE = os.path.dirname(os.path.abspath(__file__))
PROBES = os.path.join(HERE, "probes")
CACHE = os.environ["E2E_CACHE"]
VENVS = {"redis50": os.path.join(CACHE, "venv-redis50"), "current": os.path.join(CACHE, "venv-redis-current")}
TLS_CA = os.path.join(os.environ["E2E_TMP"], "tls", "ca.pem")


class Report:
    def __init__(self, env_name):
        self.env = env_name
        self.failed = 0
        self.passed = 0

    def line(self, ok, service, variable, text):
        status = "PASS" if ok else "FAIL"
        if ok:
            self.passed += 1
        else:
            self.failed += 1
        print("%s %s %s %s %s" % (status, self.env, service or "-", variable or "-", text), flush=True)

    def skip(self, service, variable, text):
        print("SKIP %s %s %s %s" % (self.env, service or "-", variable or "-", text), flush=True)


def language(service):
    command = service["command"]
    words = command if isinstance(command, list) else shlex.split(command or "")
    if words and words[0] in ("node", "npm", "npx"):
        return "node"
    if "bundle" in words[:1] or any(w in ("puma", "sidekiq", "rails", "rake") for w in words[:3]):
        return "ruby"
    return "python"


def process_env(service_env, extra=None):
    """The service's env as delivered, plus only what runs the interpreters
    and trusts the throw-away CA (what the platform's image would hold)."""
    env = dict(service_env)
    env.update({
        "PATH": "%s/bin:/usr/local/bin:/usr/bin:/bin" % VENVS["current"],
        "HOME": os.environ.get("HOME", "/root"),
        "SSL_CERT_FILE": TLS_CA,
        "NODE_EXTRA_CA_CERTS": TLS_CA,
        "NODE_PATH": os.path.join(CACHE, "node", "node_modules"),
        "PYTHONPATH": PROBES,
        "LANG": "C.UTF-8",
        # Where an app leaves the port to libpq's default (5432 on the
        # platform), the local cluster's port stands in for it.
        "PGPORT": os.environ["E2E_PG_PORT"],
    })
    env.update(extra or {})
    return env


LIBRARIES = {"queue_dramatiq.py": "dramatiq", "queue_arq.py": "arq", "redis_kv.py": "redis-py", "memcached_kv.py": "pymemcache", "postgres_sql.py": "psycopg/sqlalchemy+asyncpg",
             "django_settings.py": "django", "queue_celery.py": "celery+kombu", "queue_rq.py": "rq",
             "probe.cjs": "node (ioredis/pg/bullmq)", "probe.rb": "ruby (redis-rb/pg/sidekiq)"}


def run_probe(argv, env, timeout=60, cwd=None):
    """(ok, text): text is the probe's OK line, or the library and its error."""
    ok, text = _run_probe(argv, env, timeout, cwd)
    if not ok:
        script = os.path.basename(argv[1]) if len(argv) > 1 else argv[0]
        venv = next((k for k, v in VENVS.items() if argv[0].startswith(v)), None)
        text = "%s%s: %s" % (LIBRARIES.get(script, script), " (venv %s)" % venv if venv else "", text)
    return ok, text


def _run_probe(argv, env, timeout, cwd):
    try:
        p = subprocess.run(argv, env=env, capture_output=True, text=True, timeout=timeout, cwd=cwd)
    except subprocess.TimeoutExpired:
        return False, "timed out after %ds" % timeout
    lines = [l for l in p.stdout.splitlines() if l.strip()]
    last = lines[-1] if lines else ""
    if p.returncode == 0 and last.startswith("OK "):
        return True, last[3:]
    if p.returncode == 0 and not last.startswith("ERR"):
        return True, last
    err = (p.stderr.strip().splitlines() or [""])[-1]
    return False, (last[4:] if last.startswith("ERR ") else last) or err or "exit %d" % p.returncode


def python(venv, script, *args):
    return [os.path.join(VENVS[venv], "bin", "python"), os.path.join(PROBES, script)] + list(args)


def node(*args):
    return ["node", os.path.join(PROBES, "probe.cjs")] + list(args)


def ruby(*args):
    return ["ruby", os.path.join(PROBES, "probe.rb")] + list(args)


def classify(env, aliases_kind):
    """Which variables are Redis URLs, PostgreSQL URLs, memcached locations,
    or PostgreSQL part groups (prefix)."""
    out = {"redis": [], "postgres": [], "memcached": [], "pg_groups": []}
    for name, value in env.items():
        if re.match(r"^rediss?://", value):
            out["redis"].append(name)
        elif re.match(r"^postgres(ql)?(\+\w+)?://", value):
            out["postgres"].append(name)
        elif aliases_kind.get(name) == "memcached":
            out["memcached"].append(name)
    for prefix in ("DB_", "POSTGRES_", "PG", "DATABASE_"):
        if prefix + "HOST" in env and prefix + "USER" in env and prefix + "PASSWORD" in env:
            out["pg_groups"].append(prefix)
    return out


# CA bundles of the usual base images: an env naming one (PGSSLROOTCERT, say)
# names the image's trust store, which the throw-away CA stands in for here.
SYSTEM_CA_BUNDLES = {"/etc/ssl/certs/ca-certificates.crt", "/etc/ssl/cert.pem",
                     "/etc/pki/tls/certs/ca-bundle.crt"}


def trust_store(env):
    return {k: (TLS_CA if v in SYSTEM_CA_BUNDLES else v) for k, v in env.items()}


def host_port(value):
    host, _, port = value.partition(":")
    return host, (port if port.isdigit() else None)


def postgres_identity(services):
    """(database, user, password) the app connects with, read off the
    delivered env (the URL or the parts)."""
    for s in services:
        env = s["env"]
        for value in env.values():
            if re.match(r"^postgres(ql)?(\+\w+)?://", value):
                u = urllib.parse.urlsplit(value)
                return (u.path.lstrip("/"), urllib.parse.unquote(u.username),
                        urllib.parse.unquote(u.password or ""))
        for prefix in ("DB_", "POSTGRES_"):
            if prefix + "USER" in env and prefix + "PASSWORD" in env:
                return (env.get(prefix + "NAME") or env.get(prefix + "DB"), env[prefix + "USER"], env[prefix + "PASSWORD"])
    return None


def start_backing(report, need, box, delivery):
    endpoints = {}
    shape = need["redis"]
    if shape:
        kind, extra = shape
        try:
            if kind == "conf":
                dockerfile = os.path.join(os.path.dirname(extra), "Dockerfile")
                text = open(dockerfile).read() if os.path.exists(dockerfile) else ""
                key = delivery.secret("redis-password") if "--requirepass" in text else None
                endpoints["redis"] = box.redis("conf", conf=extra, key=key)
                label = "with the generated %s" % os.path.relpath(extra, os.path.dirname(os.path.dirname(extra)))
            elif kind == "command":
                endpoints["redis"] = box.redis("command", args=extra)
                label = "with the compose command %s" % " ".join(extra)
            else:
                endpoints["redis"] = box.redis(kind, key=deliver.AZURE_KEY)
                label = "in the %s shape" % kind
            report.line(True, "redis", None, "redis-server started " + label)
        except RuntimeError as e:
            report.line(False, "redis", None, "redis-server %s: %s" % (kind, e))
    if need["memcached"]:
        try:
            endpoints["memcached"] = box.memcached(args=need["memcached"])
            report.line(True, "memcached", None, "memcached started with the compose command %s" % " ".join(need["memcached"]))
        except RuntimeError as e:
            report.line(False, "memcached", None, str(e))
    return endpoints


def check_service(report, service, env, kinds, role_user, lang, django):
    name = service["name"]
    penv = process_env(env)
    for var in kinds["redis"]:
        if lang == "python":
            probes = [python("redis50", "redis_kv.py", var), python("current", "redis_kv.py", var)]
        elif lang == "node":
            probes = [node("kv", var)]
        else:
            probes = [ruby("kv", var)]
        for argv in probes:
            ok, text = run_probe(argv, penv)
            report.line(ok, name, var, text)
    for var in kinds["memcached"]:
        ok, text = run_probe(python("current", "memcached_kv.py", var), penv)
        report.line(ok, name, var, text)
    for var in kinds["postgres"]:
        if lang == "python":
            argv = python("current", "postgres_sql.py", var, role_user)
        elif lang == "node":
            argv = node("sql", var, role_user)
        else:
            argv = ruby("sql", var, role_user)
        ok, text = run_probe(argv, penv)
        report.line(ok, name, var, text)
    if lang == "python" and not django:
        for prefix in kinds["pg_groups"]:
            ok, text = run_probe(python("current", "postgres_sql.py", prefix, role_user), penv)
            report.line(ok, name, prefix + "*", text)
    if django:
        ok, text = run_probe(python("current", "django_settings.py", role_user), penv)
        report.line(ok, name, "DJANGO cache+DATABASES", text)


def queue_kind(service, lang):
    command = service["command"]
    text = " ".join(command) if isinstance(command, list) else (command or "")
    if re.search(r"\bcelery\b.*\bworker\b", text):
        return "celery"
    if re.search(r"\brq worker\b", text):
        return "rq"
    if re.search(r"\bsidekiq\b", text):
        return "sidekiq"
    if re.search(r"\bdramatiq\b", text):
        return "dramatiq"
    if re.search(r"\barq\b", text):
        return "arq"
    if lang == "node" and "REDIS_URL" in service["env"] and service["role"] == "worker":
        return "bullmq"  # inferred: the Plan names no queue kind for Node workers
    if re.search(r"\bpgq\b", text):
        return "pgq"
    return None


def stop(proc, grace=15):
    """Stops a spawned worker and everything in its session (a shell's child)."""
    for sig in (signal.SIGTERM, signal.SIGKILL):
        try:
            os.killpg(proc.pid, sig)
        except ProcessLookupError:
            pass
        try:
            proc.wait(timeout=grace)
            break
        except subprocess.TimeoutExpired:
            continue
    # The shell may be gone while its child still winds down.
    deadline = time.time() + grace
    while time.time() < deadline:
        try:
            os.killpg(proc.pid, 0)
        except ProcessLookupError:
            return
        time.sleep(0.2)
    try:
        os.killpg(proc.pid, signal.SIGKILL)
    except ProcessLookupError:
        pass


def spawn(argv, env, cwd=None, shell=False):
    log = tempfile.NamedTemporaryFile("w+", delete=False, dir=os.environ["E2E_TMP"], suffix=".log")
    proc = subprocess.Popen(argv, env=env, cwd=cwd, shell=shell, stdout=log, stderr=subprocess.STDOUT,
                            start_new_session=True)
    with open(os.path.join(os.environ["E2E_TMP"], "pids"), "a") as f:
        f.write("%d\n" % proc.pid)
    return proc, log.name


def tail(path, n=3):
    lines = [l for l in open(path).read().splitlines() if l.strip()]
    return " | ".join(lines[-n:])


def round_trip(report, kind, web, worker, web_env, worker_env):
    """A job enqueued with the web's env, consumed with the worker's own."""
    label = "%s->%s" % (web["name"], worker["name"])
    wenv = process_env(web_env)
    command = worker["command"]
    text = " ".join(command) if isinstance(command, list) else command
    if kind == "celery":
        stubdir = tempfile.mkdtemp(dir=os.environ["E2E_TMP"])
        module = re.search(r"-A\s+(\S+)", text).group(1)
        settings = [worker_env["DJANGO_SETTINGS_MODULE"]] if "DJANGO_SETTINGS_MODULE" in worker_env else []
        subprocess.run(python("current", "queue_celery.py", "stub", stubdir, module, *settings), check=True,
                       env=process_env({}))
        env = process_env(worker_env, {"PYTHONPATH": stubdir + ":" + PROBES})
        proc, log = spawn(text, env, cwd=stubdir, shell=True)
        try:
            ok, msg = run_probe(python("current", "queue_celery.py", "send"), wenv, timeout=60)
        finally:
            stop(proc)
        if not ok:
            msg += " (worker: %s)" % tail(log)
        report.line(ok, label, "queue", msg + " [worker command: %s]" % text)
    elif kind == "rq":
        ok, job = run_probe(python("current", "queue_rq.py", "send", "default"), wenv)
        if not ok:
            report.line(False, label, "REDIS_URL", "rq enqueue: " + job)
            return
        env = process_env(worker_env)
        proc, log = spawn(text + " --burst", env, shell=True)
        try:
            proc.wait(timeout=90)
        except subprocess.TimeoutExpired:
            pass
        stop(proc)
        ok, msg = run_probe(python("current", "queue_rq.py", "check", job), wenv)
        if not ok:
            msg += " (worker exit %s: %s)" % (proc.returncode, tail(log))
        report.line(ok, label, "queue", msg + " [worker command: %s --burst]" % text)
    elif kind == "sidekiq":
        ok, key = run_probe(ruby("send", "default"), wenv)
        if not ok:
            report.line(False, label, "REDIS_URL", "sidekiq push: " + key)
            return
        # `bundle exec sidekiq` without a Gemfile: Debian's sidekiq with the job file.
        runnable = text.replace("bundle exec sidekiq", "sidekiq -r %s" % os.path.join(PROBES, "sidekiq_job.rb"))
        env = process_env(worker_env)
        proc, log = spawn(runnable, env, shell=True)
        deadline = time.time() + 30
        ok, msg = False, "not run"
        while time.time() < deadline:
            ok, msg = run_probe(ruby("check", key), wenv)
            if ok:
                break
            time.sleep(0.5)
        stop(proc)
        if not ok:
            msg += " (worker: %s)" % tail(log)
        report.line(ok, label, "queue", msg + " [worker command: %s]" % runnable)
    elif kind == "bullmq":
        env = process_env(worker_env)
        proc, log = spawn(node("work", "default"), env)
        ok, msg = run_probe(node("send", "default"), wenv)
        if ok:
            try:
                proc.wait(timeout=30)
            except subprocess.TimeoutExpired:
                pass
            stop(proc)
            last = tail(log, 1)
            ok = proc.returncode == 0 and last.startswith("OK ")
            msg = last[3:] if ok else "worker: " + last
        else:
            stop(proc)
        report.line(ok, label, "queue", msg + " (queue name `default`: the Plan names none)")
    elif kind in ("dramatiq", "arq"):
        # Both cap redis-py below 6: they run in the redis-py 5.0 venv.
        words = shlex.split(text)
        target = next(w for w in words[1:] if not w.startswith("-"))
        stubdir = tempfile.mkdtemp(dir=os.environ["E2E_TMP"])
        script = "queue_%s.py" % kind
        subprocess.run(python("redis50", script, "stub", stubdir, target), check=True,
                       env=process_env({"REDIS_URL": "redis://unused"}))
        venv = {"PATH": "%s/bin:/usr/local/bin:/usr/bin:/bin" % VENVS["redis50"]}
        env = process_env(worker_env, dict(venv, PYTHONPATH=stubdir + ":" + PROBES))
        proc, log = spawn(text, env, cwd=stubdir, shell=True)
        try:
            ok, msg = run_probe(python("redis50", script, "send"), process_env(web_env, venv), timeout=60)
        finally:
            stop(proc)
        if not ok:
            msg += " (worker: %s)" % tail(log)
        report.line(ok, label, "queue", msg + " [worker command: %s]" % text)
    else:
        report.skip(label, "queue", "%s: the harness has no client for this queue" % kind)


def compose_delivery(report, services, rendered, delivery):
    """On compose the env comes from the rendered files, as docker compose
    (production file, `.env` from `.env.example`) and an app on the host
    (`.env.local.example`) read them; each variant is checked."""
    names = {s["name"] for s in services}
    try:
        by_service = compose_env.production(rendered, names, delivery.secret)
    except compose_env.InterpolationError as e:
        report.line(False, None, None, "docker-compose.yml interpolation with .env from .env.example: %s" % e)
        by_service = {}
    out = []
    for s in services:
        if s["name"] in by_service:
            out.append(dict(s, env=by_service[s["name"]]))
        else:
            out.append(s)
    local_env = compose_env.local(rendered, delivery.secret)
    if local_env is not None:
        for s in services:
            if s["role"] in ("web", "worker") and s.get("env"):
                out.append(dict(s, name=s["name"] + "(.env.local)", env=local_env, role=s["role"] + "-local"))
    return out


def check_persistence(report, need, box, endpoints, services, delivered):
    """Where the environment's own files configure Redis (a generated
    redis.conf, a compose command line), data written must survive a restart
    of the server with the same configuration and folder."""
    if not need["redis"] or need["redis"][0] not in ("conf", "command") or "redis" not in endpoints:
        return
    for s in services:
        var = next((n for n, v in s["env"].items() if re.match(r"^rediss?://", v)), None)
        if var:
            break
    else:
        return
    env = process_env(delivered[s["name"]])
    key = "e2e:persist:%d" % os.getpid()
    ok, text = run_probe(python("current", "redis_persist.py", var, "write", key), env)
    if ok:
        try:
            box.restart(endpoints["redis"])
            ok, text = run_probe(python("current", "redis_persist.py", var, "read", key), env)
        except (RuntimeError, subprocess.TimeoutExpired) as e:
            ok, text = False, "restart: %s" % e
    report.line(ok, s["name"], var, text + " (%s)" % (
        "the generated redis.conf" if need["redis"][0] == "conf" else "the compose command line"))


def main():
    env_name, plan_path, rendered = sys.argv[1:4]
    plan = deliver.load_plan(plan_path)
    report = Report(env_name)
    delivery = deliver.Delivery(plan, rendered)
    try:
        services = delivery.services()
    except KeyError as e:
        report.line(False, None, None, "delivering the env: %s" % e)
        return 1
    need = topology.needs(plan, rendered)
    if plan["platform"] == "compose":
        services = compose_delivery(report, services, rendered, delivery)
    box = servers.Servers(env_name)
    try:
        endpoints = start_backing(report, need, box, delivery)
        identity = postgres_identity(services)
        if identity:
            database, user, password = identity
            try:
                endpoints["postgres"] = servers.postgres_database(database, user, password, need["postgres_tls_only"])
                report.line(True, "postgres", None, "database %s owned by %s created%s" % (
                    database, user, " (TLS only)" if need["postgres_tls_only"] else ""))
            except subprocess.CalledProcessError as e:
                report.line(False, "postgres", None, "creating %s/%s: %s" % (database, user, e.stderr.strip()))
        role_user = identity[1] if identity else "?"
        delivered = {}
        for s in list(services):
            try:
                env, literal = topology.point_at(s["env"], need["aliases"], endpoints)
            except ValueError as e:
                # A URL that no client can parse (a raw secret with `/` in it, say).
                report.line(False, s["name"], None, "its env does not parse as delivered: %s" % e)
                services.remove(s)
                continue
            delivered[s["name"]] = trust_store(env)
            for var, (server, port) in literal.items():
                shape = (need["redis"] or ("",))[0] if server == "redis" else None
                want = topology.EXPECTED_PORTS.get(shape)
                if want and port != want:
                    report.line(False, s["name"], var, "names port %s; %s listens on %d (documented)" % (port, shape, want))
        for s in services:
            lang = language(s)
            kinds = classify(s["env"], {k: topology.lookup(need["aliases"], *host_port(v)) for k, v in s["env"].items()})
            if not any(kinds.values()):
                report.skip(s["name"], None, "no backing service in its env")
                continue
            django = "DJANGO_SETTINGS_MODULE" in s["env"]
            check_service(report, s, delivered[s["name"]], kinds, role_user, lang, django)
        check_persistence(report, need, box, endpoints, services, delivered)
        webs = [s for s in services if s["role"] == "web"]
        for s in services:
            kind = queue_kind(s, language(s))
            if not kind or s["role"] == "scheduler":
                continue
            for web in webs:
                try:
                    round_trip(report, kind, web, s, delivered[web["name"]], delivered[s["name"]])
                except Exception as e:  # a harness error still names what it was checking
                    report.line(False, "%s->%s" % (web["name"], s["name"]), "queue",
                                "%s round trip: %s: %s" % (kind, type(e).__name__, e))
    finally:
        box.stop()
    return 1 if report.failed else 0


if __name__ == "__main__":
    sys.exit(main())
