#!/usr/bin/env bash
# Whole-process timings of deploygen (median of hyperfine runs) and peak
# memory, printed as the README's tables. Not a test: nothing here asserts.
#   bash tests/bench/whole-process.sh          (needs hyperfine and GNU time:
#                                               apt-get install hyperfine time)
# The first table puts one run's validate, render, check and the floor (a
# process that only prints the schema) side by side, with ratios to the floor:
# on a shared or noisy machine the ratios move less than the milliseconds.
#   BIN=path/to/deploygen   time that binary instead of building one
#   QUICK=1                 only the first table and 1000 unchanged environments
#   RUNS=N                  hyperfine runs per command (default 30)
set -euo pipefail
cd "$(dirname "$0")/../.."
if [[ -z "${BIN:-}" ]]; then
  cargo build --release --quiet
  BIN="$PWD/target/release/deploygen"
fi
bin="$BIN"
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
ratio() { # ms, floor ms -> "N.N×"
  python3 -c 'import sys; print("%.1f×" % (float(sys.argv[1])/float(sys.argv[2])))' "$1" "$2"
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

# Side by side, one run: each command's median and its ratio to the floor.
"$bin" render -q environments/revisbali.yaml -o "$work/rev"
shipped="$(ls environments/[!_]*.yaml | wc -l)"
echo "load average before: $(cut -d' ' -f1-3 /proc/loadavg)"
floor="$(median_ms "$bin schema")"
validate="$(median_ms "$bin validate environments/revisbali.yaml")"
render="$(median_ms "$bin render -q environments/revisbali.yaml -o $work/rev")"
check="$(median_ms "$bin check -q")"
echo
echo "| what | median | ratio to the floor |"
echo "|---|---|---|"
printf '| floor: `schema` (prints the embedded schema) | %s ms | 1.0× |\n' "$floor"
printf '| `validate` one environment (revisbali) | %s ms | %s |\n' "$validate" "$(ratio "$validate" "$floor")"
printf '| `render` one environment (revisbali, files unchanged) | %s ms | %s |\n' "$render" "$(ratio "$render" "$floor")"
printf '| `check` every shipped environment (%s) | %s ms | %s |\n' "$shipped" "$check" "$(ratio "$check" "$floor")"
if [[ -n "${QUICK:-}" ]]; then
  dir="$(corpus 1000)"
  (cd "$dir" && "$bin" render -q)
  unchanged="$(cd "$dir" && median_ms "$bin render -q")"
  printf '| `render` 1000 generated environments, nothing changed | %s ms | %s |\n' "$unchanged" "$(ratio "$unchanged" "$floor")"
  echo
  echo "load average after: $(cut -d' ' -f1-3 /proc/loadavg)"
  exit 0
fi
echo

echo "| what | median | peak memory |"
echo "|---|---|---|"
printf '| `validate` one environment (revisbali) | %s ms | %s MiB |\n' \
  "$validate" "$(peak_mib "$bin" validate environments/revisbali.yaml)"
"$bin" render -q environments/magictoolbox-dev.yaml -o "$work/one"
printf '| `render` one environment (revisbali, files unchanged) | %s ms | %s MiB |\n' \
  "$render" "$(peak_mib "$bin" render -q environments/revisbali.yaml -o "$work/rev")"
printf '| `render` one environment (magictoolbox-dev, 12 files written) | %s ms | %s MiB |\n' \
  "$(median_prepared_ms "rm -rf $work/one" "$bin render -q environments/magictoolbox-dev.yaml -o $work/one")" "$(peak_mib "$bin" render -q environments/magictoolbox-dev.yaml -o "$work/one")"
printf '| `check` every shipped environment (%s) | %s ms | %s MiB |\n' \
  "$shipped" "$check" "$(peak_mib "$bin" check -q)"
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
echo
echo "load average after: $(cut -d' ' -f1-3 /proc/loadavg)"
