"""Per-environment Redis and memcached servers (Debian's binaries) on
127.0.0.1 and free ports, in the shape the environment's platform gives, and
the shared PostgreSQL's per-environment database, user and TLS rule.

Each pid is appended to $E2E_TMP/pids so that run.sh's trap stops it even if
this process dies; `stop()` stops them at the end of the environment.
"""
import os
import socket
import subprocess
import time

TMP = os.environ.get("E2E_TMP", "/tmp")
TLS = os.path.join(TMP, "tls")


def free_port():
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    port = s.getsockname()[1]
    s.close()
    return port


def wait_port(port, what, proc, log):
    for _ in range(100):
        if proc.poll() is not None:
            break
        try:
            socket.create_connection(("127.0.0.1", port), timeout=0.2).close()
            return
        except OSError:
            time.sleep(0.1)
    text = open(log).read() if os.path.exists(log) else ""
    raise RuntimeError("%s did not listen on 127.0.0.1:%d: %s" % (what, port, text.strip()[-600:]))


class Servers:
    def __init__(self, name):
        self.name = name
        self.procs = []

    def _start(self, what, argv, port, workdir):
        os.makedirs(workdir, exist_ok=True)
        log = os.path.join(workdir, "log")
        proc = subprocess.Popen(argv, stdout=open(log, "a"), stderr=subprocess.STDOUT, cwd=workdir)
        with open(os.path.join(TMP, "pids"), "a") as f:
            f.write("%d\n" % proc.pid)
        self.procs.append(proc)
        wait_port(port, what, proc, log)
        return {"host": "127.0.0.1", "port": port, "restart": (what, argv, port, workdir, proc)}

    def restart(self, endpoint):
        """Stops the server with SIGTERM (as `docker stop` and a platform's
        redeploy do) and starts it again with the same arguments and folder."""
        what, argv, port, workdir, proc = endpoint["restart"]
        proc.terminate()
        proc.wait(timeout=20)
        fresh = self._start(what, argv, port, workdir)
        endpoint["restart"] = fresh["restart"]

    def redis(self, shape, key=None, conf=None, args=()):
        """shape: plain | password | azure-cache | azure-managed | conf | command."""
        port = free_port()
        workdir = os.path.join(TMP, "%s-redis-%s" % (self.name, shape))
        listen = ["--bind", "127.0.0.1", "--dir", workdir]
        no_disk = ["--save", "", "--appendonly", "no"]
        tls = [
            "--port", "0", "--tls-port", str(port),
            "--tls-cert-file", os.path.join(TLS, "server.pem"),
            "--tls-key-file", os.path.join(TLS, "server.key"),
            "--tls-ca-cert-file", os.path.join(TLS, "ca.pem"),
            "--tls-auth-clients", "no",
        ]
        if shape == "plain":
            argv = ["redis-server", "--port", str(port)] + listen + no_disk
        elif shape == "password":
            argv = ["redis-server", "--port", str(port), "--requirepass", key] + listen + no_disk
        elif shape in ("azure-cache", "external"):
            # Azure Cache for Redis, or an outside provider such as Upstash:
            # TLS only (the non-TLS port disabled) and the access key.
            argv = ["redis-server"] + tls + ["--requirepass", key] + listen + no_disk
        elif shape == "azure-managed":
            # Azure Managed Redis: TLS on its own port, the access key, and a
            # single database (deploygen's rule `azure-managed-database`), so a
            # URL naming /1 fails here as it would there.
            argv = ["redis-server"] + tls + ["--requirepass", key, "--databases", "1"] + listen + no_disk
        elif shape == "conf":
            # The self-hosted shape: the generated redis.conf as it is, but for
            # where it listens and writes (its `dir /data` is the container's
            # volume, which redis-server chdirs to while reading the file).
            os.makedirs(workdir, exist_ok=True)
            local = os.path.join(workdir, "redis.conf")
            with open(conf) as src, open(local, "w") as dst:
                for line in src:
                    word = line.split()[0] if line.split() else ""
                    dst.write(("# harness: " + line) if word in ("dir", "port", "bind") else line)
            argv = ["redis-server", local, "--port", str(port)] + listen
            if key:
                # The image's command adds `--requirepass "$REDIS_PASSWORD"`.
                argv += ["--requirepass", key]
        elif shape == "command":
            # A compose cache service: its own command line, with Debian's
            # binary, listening where the harness says.
            argv = ["redis-server"] + list(args[1:]) + ["--port", str(port)] + listen
        else:
            raise ValueError("redis shape %r" % shape)
        endpoint = self._start("redis-server (%s)" % shape, argv, port, workdir)
        endpoint["tls"] = shape in ("azure-cache", "azure-managed", "external")
        return endpoint

    def memcached(self, args=()):
        port = free_port()
        workdir = os.path.join(TMP, "%s-memcached" % self.name)
        extra = [a for a in args[1:]] if args else []
        argv = ["memcached"] + extra + ["-l", "127.0.0.1", "-p", str(port), "-U", "0", "-u", "root"]
        return self._start("memcached", argv, port, workdir)

    def stop(self):
        for p in self.procs:
            if p.poll() is None:
                p.terminate()
        for p in self.procs:
            try:
                p.wait(timeout=5)
            except subprocess.TimeoutExpired:
                p.kill()


def psql(sql, database="postgres"):
    """Runs SQL as the superuser over the cluster's Unix socket."""
    cmd = ["psql", "-X", "-q", "-v", "ON_ERROR_STOP=1", "-h", os.environ["E2E_PG_SOCK"],
           "-p", os.environ["E2E_PG_PORT"], "-U", "postgres", "-d", database, "-c", sql]
    subprocess.run(cmd, check=True, capture_output=True, text=True)


def quote_ident(name):
    return '"' + name.replace('"', '""') + '"'


def quote_literal(value):
    return "'" + value.replace("'", "''") + "'"


def postgres_database(database, user, password, tls_only):
    """The environment's database and its owner, as the platform creates
    them (the app connects as that user), and the TLS rule: Azure's flexible
    server refuses connections without TLS (require_secure_transport)."""
    data = os.environ["E2E_PG_DATA"]
    lines = ["local all all trust"]
    if tls_only:
        lines.append("hostnossl all all 127.0.0.1/32 reject")
    lines.append("host all all 127.0.0.1/32 scram-sha-256")
    with open(os.path.join(data, "pg_hba.conf"), "w") as f:
        f.write("\n".join(lines) + "\n")
    psql("SELECT pg_reload_conf()")
    psql("DROP DATABASE IF EXISTS %s WITH (FORCE)" % quote_ident(database))
    psql("DROP ROLE IF EXISTS %s" % quote_ident(user))
    psql("CREATE ROLE %s LOGIN PASSWORD %s" % (quote_ident(user), quote_literal(password)))
    psql("CREATE DATABASE %s OWNER %s" % (quote_ident(database), quote_ident(user)))
    return {"host": "127.0.0.1", "port": int(os.environ["E2E_PG_PORT"])}
