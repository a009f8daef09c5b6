#!/usr/bin/env bash
# The harness must fail when a service's env disagrees with another's: a
# worker on queue `high` never runs the API's job on `default`. Checks the
# exit code, the FAIL line, and that the run left no temporary folder.
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
before="$(ls -d /tmp/deploygen-e2e.* 2>/dev/null | sort || true)"
set +e
out="$(bash "$here/run.sh" "$here/fixtures/rq-wrong-queue.yaml" 2>&1)"
code=$?
set -e
after="$(ls -d /tmp/deploygen-e2e.* 2>/dev/null | sort || true)"
fail=0
[ "$code" -eq 1 ] || { echo "FAIL selftest: run.sh exited $code on rq-wrong-queue, not 1"; fail=1; }
grep -q '^FAIL rq-wrong-queue api->worker queue rq' <<<"$out" ||
  { echo "FAIL selftest: no FAIL line for the RQ round trip:"; echo "$out" | tail -5; fail=1; }
grep -q '^PASS rq-wrong-queue api REDIS_URL redis-py' <<<"$out" ||
  { echo "FAIL selftest: the env itself should still pass:"; echo "$out" | tail -5; fail=1; }
[ "$before" = "$after" ] || { echo "FAIL selftest: a temporary folder was left: $after"; fail=1; }
if [ "$fail" -eq 0 ]; then
  echo "PASS selftest: the harness fails a worker on another queue and cleans up"
  echo "selftest: 1 passed, 0 failed"
else
  echo "selftest: 0 passed, 1 failed"
fi
exit "$fail"
