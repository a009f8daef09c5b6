#!/usr/bin/env bash
# The operator's documented first step, done for the validators: beside every
# compose file, `cp .env.example .env` and fill in each empty secret line.
# The examples leave secret lines empty on purpose, so that compose's
# `${VAR:?…}` guard refuses to start without real values; the validators
# mimic `cp .env.example .env` alone and would hit that guard. Values here are
# throw-away placeholders in a scratch folder, never in a committed file.
# Usage: tests/fill-env-examples.sh DIR   (DIR: rendered environments)
set -euo pipefail
dir="${1:?usage: fill-env-examples.sh DIR}"
find "$dir" -name 'docker-compose*.yml' -print0 | while IFS= read -r -d '' compose; do
  folder="$(dirname "$compose")"
  example="$folder/.env.example"
  [ -f "$example" ] && [ ! -e "$folder/.env" ] || continue
  # KEY= (nothing after the sign) becomes KEY=placeholder-key; other lines stay.
  sed -E 's/^([A-Za-z_][A-Za-z0-9_]*)=$/\1=placeholder-\L\1/' "$example" > "$folder/.env"
done
