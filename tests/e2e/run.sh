#!/usr/bin/env bash
# Proof by running: for each descriptor (default: every shipped environment),
# render it, start real servers (Debian's redis-server, memcached, PostgreSQL)
# on 127.0.0.1 in the shapes its platform gives, deliver each service's env as
# its platform would, and have the real client libraries of its framework and
# queue make round trips with it. One line per check (PASS/FAIL/SKIP); exits 0
# only when every check it ran passed.
#
#   tests/e2e/run.sh [DESCRIPTOR...]
#
# Installs what it needs (tests/e2e/install.sh, cached under
# ~/.cache/deploygen-e2e). DEPLOYGEN=path/to/deploygen picks the binary
# (default: target/debug/deploygen, built if missing).
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
repo="$(cd "$here/../.." && pwd)"
cd "$repo"

export E2E_CACHE="${DEPLOYGEN_E2E_CACHE:-${HOME:-/root}/.cache/deploygen-e2e}"
started=$SECONDS

if [ "$#" -eq 0 ]; then
  set -- environments/[!_]*.yaml
fi

bash "$here/install.sh"

deploygen="${DEPLOYGEN:-$repo/target/debug/deploygen}"
if [ ! -x "$deploygen" ]; then
  echo "== cargo build (no $deploygen yet)"
  cargo build --quiet
fi

E2E_TMP="$(mktemp -d /tmp/deploygen-e2e.XXXXXX)"
export E2E_TMP
# The postgres user must reach its cluster's folder inside.
chmod 755 "$E2E_TMP"
# shellcheck source=servers.sh
source "$here/servers.sh"
cleanup() {
  stop_servers
  rm -rf "$E2E_TMP"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

make_ca
start_postgres

python="$E2E_CACHE/venv-redis-current/bin/python"
touch "$E2E_TMP/checks.log"
failed=0
for descriptor in "$@"; do
  name="$(basename "$descriptor" .yaml)"
  out="$E2E_TMP/rendered/$name"
  if ! "$deploygen" render --quiet "$descriptor" -o "$out" >"$E2E_TMP/render.log" 2>&1; then
    echo "FAIL $name - - deploygen render: $(tail -3 "$E2E_TMP/render.log" | tr '\n' ' ')" | tee -a "$E2E_TMP/checks.log"
    failed=$((failed + 1))
    continue
  fi
  if ! "$deploygen" plan "$descriptor" --format json >"$E2E_TMP/$name.plan.json" 2>"$E2E_TMP/plan.log"; then
    echo "FAIL $name - - deploygen plan: $(tail -3 "$E2E_TMP/plan.log" | tr '\n' ' ')" | tee -a "$E2E_TMP/checks.log"
    failed=$((failed + 1))
    continue
  fi
  if ! PYTHONPATH="$here" "$python" "$here/environment.py" "$name" "$E2E_TMP/$name.plan.json" "$out" |
    tee -a "$E2E_TMP/checks.log"; then
    failed=$((failed + 1))
  fi
done

echo "== e2e: $(($# - failed)) of $# environments passed in $((SECONDS - started)) s"
# The closing line counts checks (a runner's plain summary line).
echo "e2e: $(grep -c '^PASS ' "$E2E_TMP/checks.log" || true) passed, $(grep -c '^FAIL ' "$E2E_TMP/checks.log" || true) failed"
[ "$failed" -eq 0 ]
