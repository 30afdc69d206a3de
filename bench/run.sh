#!/usr/bin/env bash
# berth's benchmarks: each berth figure beside a baseline measured in the same hyperfine run.
# Writes bench/RESULTS.md. Add a row group by writing a `group_<name>` function that calls
# `compare` and listing it in ROW_GROUPS below.
set -euo pipefail

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
repo="$(dirname "$here")"
results="$here/RESULTS.md"

need_tools() {
  if ! command -v hyperfine >/dev/null; then
    echo "installing hyperfine (apt-get)" >&2
    sudo apt-get install -y hyperfine >/dev/null 2>&1 || apt-get install -y hyperfine >/dev/null
  fi
  if ! command -v just >/dev/null; then
    echo "installing just (cargo install just)" >&2
    cargo install just --locked >/dev/null
  fi
}

build() {
  (cd "$repo" && cargo build --release --quiet)
  BERTH="$repo/target/release/berth"
}

work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT

rows=()

# compare LABEL DIR BERTH_CMD BASELINE_LABEL BASELINE_CMD: one hyperfine run of both commands,
# appending a table row with the two means and their ratio.
compare() {
  local label="$1" dir="$2" berth_cmd="$3" base_label="$4" base_cmd="$5"
  local json="$work/result.json"
  (cd "$dir" && hyperfine --shell=none --warmup 5 --min-runs 30 --export-json "$json" \
    --style none "$berth_cmd" "$base_cmd" >/dev/null)
  local row
  row="$(python3 - "$json" "$label" "$base_label" <<'PY'
import json, sys
data = json.load(open(sys.argv[1]))["results"]
berth, base = data[0], data[1]
ms = lambda r: f"{r['mean'] * 1000:.2f} ± {r['stddev'] * 1000:.2f} ms"
print(f"| {sys.argv[2]} | {ms(berth)} | {sys.argv[3]} | {ms(base)} | {berth['mean'] / base['mean']:.2f}× |")
PY
)"
  echo "$row" >&2
  rows+=("$row")
}

manifest_header() {
  printf '[workspace]\nname = "bench"\nchannels = []\nplatforms = []\n\n[tasks]\n'
}

group_run() {
  local dir="$work/run"
  mkdir -p "$dir"
  { manifest_header; echo 'noop = "true"'; } >"$dir/pixi.toml"
  printf 'noop:\n\ttrue\n' >"$dir/justfile"
  compare '`berth run noop`' "$dir" "$BERTH -q run noop" '`sh -c true`' "sh -c true"
  compare '`berth run noop`' "$dir" "$BERTH -q run noop" '`just noop`' "just --quiet noop"
}

group_task_list() {
  local n
  for n in 2000 10000; do
    local dir="$work/list-$n"
    mkdir -p "$dir"
    { manifest_header
      for ((i = 0; i < n; i++)); do
        echo "task-$i = { cmd = \"echo $i\", description = \"Task number $i\", depends-on = [\"task-0\"] }"
      done
    } >"$dir/pixi.toml"
    compare "\`berth task list\` ($n tasks)" "$dir" "$BERTH task list" '`cat pixi.toml`' "cat pixi.toml"
  done
}

group_chain() {
  local dir="$work/chain"
  mkdir -p "$dir"
  { manifest_header
    echo 'step-0 = "true"'
    for ((i = 1; i < 1000; i++)); do
      echo "step-$i = { cmd = \"true\", depends-on = [\"step-$((i - 1))\"] }"
    done
  } >"$dir/pixi.toml"
  compare '`berth run step-999` (1,000-task chain)' "$dir" "$BERTH -q run step-999" \
    '1,000 × `true` in one `sh`' "sh -c 'for i in \$(seq 1000); do true; done'"
}

ROW_GROUPS=(group_run group_task_list group_chain)

main() {
  need_tools
  build
  for group in "${ROW_GROUPS[@]}"; do
    "$group"
  done
  {
    echo "# berth benchmarks"
    echo
    echo "Written by \`bash bench/run.sh\` on $(date -u +%Y-%m-%d) ($(uname -sm), $(nproc) cores)."
    echo "Each row is one hyperfine run of berth and its baseline (mean ± σ); the ratio is berth / baseline."
    echo
    echo "| berth | time | baseline | time | ratio |"
    echo "|---|---|---|---|---|"
    printf '%s\n' "${rows[@]}"
  } >"$results"
  echo "wrote $results" >&2
}

main "$@"
