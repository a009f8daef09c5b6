#!/usr/bin/env bash
# Whole-process timings of deploygen (median of hyperfine runs) and peak
# memory, printed as the README's table. Not a test: nothing here asserts.
#   bash tests/bench/whole-process.sh          (needs hyperfine and GNU time:
#                                               apt-get install hyperfine time)
set -euo pipefail
cd "$(dirname "$0")/../.."
cargo build --release --quiet
bin="$PWD/target/release/deploygen"
work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT

median_ms() { # command... -> median wall time in ms
  hyperfine --shell=none --warmup 5 --runs "${RUNS:-30}" --export-json "$work/h.json" "$@" >/dev/null 2>&1
  python3 -c 'import json,sys; print("%.1f" % (json.load(open(sys.argv[1]))["results"][0]["median"]*1000))' "$work/h.json"
}
median_prepared_ms() { # prepare command, command -> median in ms, prepare run before each
  hyperfine --warmup 3 --runs "${RUNS:-20}" --prepare "$1" --export-json "$work/h.json" "$2" >/dev/null 2>&1
  python3 -c 'import json,sys; print("%.1f" % (json.load(open(sys.argv[1]))["results"][0]["median"]*1000))' "$work/h.json"
}
peak_mib() { # command... -> peak resident memory in MiB
  /usr/bin/time -f "%M" "$@" 2>"$work/t" >/dev/null || true
  python3 -c 'import sys; print("%.1f" % (int(open(sys.argv[1]).read().split()[-1])/1024))' "$work/t"
}

# A corpus of N environments made from the shipped ones (not committed).
corpus() {
  local n="$1" dir="$work/corpus-$1"
  mkdir -p "$dir/environments"
  cp environments/_*.yaml "$dir/environments/"
  local sources=(revisbali magictoolbox-dev chat instructly)
  for i in $(seq 1 "$n"); do
    local src="${sources[$((i % 4))]}"
    sed -e "s/^name: .*/name: e$i/" -e "s/^output: .*/output: out\/e$i/" "environments/$src.yaml" >"$dir/environments/e$i.yaml"
  done
  echo "$dir"
}

echo "| what | median | peak memory |"
echo "|---|---|---|"
printf '| `validate` one environment (revisbali) | %s ms | %s MiB |\n' \
  "$(median_ms "$bin validate environments/revisbali.yaml")" "$(peak_mib "$bin" validate environments/revisbali.yaml)"
"$bin" render -q environments/magictoolbox-dev.yaml -o "$work/one"
printf '| `render` one environment (revisbali, files unchanged) | %s ms | %s MiB |\n' \
  "$(median_ms "$bin render -q environments/revisbali.yaml -o $work/rev")" "$(peak_mib "$bin" render -q environments/revisbali.yaml -o "$work/rev")"
printf '| `render` one environment (magictoolbox-dev, 12 files written) | %s ms | %s MiB |\n' \
  "$(median_prepared_ms "rm -rf $work/one" "$bin render -q environments/magictoolbox-dev.yaml -o $work/one")" "$(peak_mib "$bin" render -q environments/magictoolbox-dev.yaml -o "$work/one")"
printf '| `check` every shipped environment (%s) | %s ms | %s MiB |\n' \
  "$(ls environments/[!_]*.yaml | wc -l)" "$(median_ms "$bin check -q")" "$(peak_mib "$bin" check -q)"
for n in 10 100 1000; do
  dir="$(corpus "$n")"
  printf '| `render` %s generated environments, every file written | %s ms | %s MiB |\n' "$n" \
    "$(cd "$dir" && median_prepared_ms "rm -rf $dir/environments/out" "$bin render -q")" \
    "$(cd "$dir" && rm -rf environments/out && peak_mib "$bin" render -q)"
  printf '| `render` %s generated environments, nothing changed | %s ms | %s MiB |\n' "$n" \
    "$(cd "$dir" && median_ms "$bin render -q")" "$(cd "$dir" && peak_mib "$bin" render -q)"
  printf '| `validate` %s generated environments | %s ms | %s MiB |\n' "$n" \
    "$(cd "$dir" && median_ms "$bin validate")" "$(cd "$dir" && peak_mib "$bin" validate)"
done
