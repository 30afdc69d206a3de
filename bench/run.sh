#!/usr/bin/env bash
# berth's benchmarks: each berth figure beside a baseline measured in the same hyperfine run.
# `bash bench/run.sh` runs every row group and writes bench/RESULTS.md; `bash bench/run.sh
# group_docker group_jobs` reruns only those groups and prints their rows to stderr, leaving
# RESULTS.md as it is (a partial table would read as a complete one). Add a row group by
# writing a `group_<name>` function that calls `compare` and listing it in ROW_GROUPS below.
# Row and baseline labels are Markdown code spans, so backticks in single quotes are meant.
# shellcheck disable=SC2016
set -euo pipefail

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
repo="$(dirname "$here")"
results="$here/RESULTS.md"
fakes="$repo/tests/fakes"
image="berth-test/busybox:1"

apt_install() {
  echo "installing $1 (apt-get)" >&2
  sudo apt-get install -y "$1" >/dev/null 2>&1 || apt-get install -y "$1" >/dev/null
}

need_tools() {
  local tool
  for tool in hyperfine strace; do
    command -v "$tool" >/dev/null || apt_install "$tool"
  done
  # Not the shell keyword: the program, for its maximum resident set.
  [[ -x /usr/bin/time ]] || apt_install time
  if ! command -v just >/dev/null; then
    echo "installing just (cargo install just)" >&2
    cargo install just --locked >/dev/null
  fi
}

build() {
  (cd "$repo" && cargo build --release --quiet)
  mkdir -p "$work/bin"
  BERTH="$work/bin/berth"
  # .cargo/config.toml builds for the host named as a target (and links it statically on Linux
  # with glibc): the binary is target/<host>/release/berth.
  from_disk "$repo/target/$(rustc -vV | sed -n 's/^host: //p')/release/berth" "$BERTH"
}

# from_disk FILE COPY: COPY is FILE as a program read from disk is cached, like `true`, `env`
# and `docker` beside it: written, dropped from the page cache and read back. A file the
# linker has just written, or cp has copied, is cached in smaller pieces and starts about
# 0.1 ms slower (measured paired on this VM), which would be charged to berth.
from_disk() {
  cat "$1" >"$2"
  chmod +x "$2"
  python3 - "$2" <<'PY'
import os, sys
fd = os.open(sys.argv[1], os.O_RDONLY)
os.fsync(fd)
os.posix_fadvise(fd, 0, 0, os.POSIX_FADV_DONTNEED)
os.close(fd)
PY
  cat "$2" >/dev/null
}

work="$(mktemp -d)"

# kill_lima_agents ROOT: end the fake Lima host agents of the project at ROOT (their pids are
# in the instance directories, as tests/cli/harness.rs reads them).
kill_lima_agents() {
  local pid_file
  for pid_file in "$1"/.pixi/lima/*/{ha,qemu,vz}.pid; do
    if [[ -f $pid_file ]]; then
      kill -KILL "$(cat "$pid_file")" 2>/dev/null || true
    fi
  done
}

# What a failed row group can leave running: fake Lima host agents, the warm pool, and the
# ssh group's forward and sshd.
cleanup() {
  local project
  for project in "$work"/*/project; do
    kill_lima_agents "$project"
  done
  if [[ -f $work/ssh/sshd.pid ]]; then
    (cd "$work/ssh/project" && HOME="$work/ssh/home" "$BERTH" -q container stop) || true
    kill "$(cat "$work/ssh/sshd.pid")" 2>/dev/null || true
  fi
  if [[ -d $work/jobs/.pixi/berth/pool ]]; then
    (cd "$work/jobs" && "$BERTH" -q --runtime docker pool stop) || true
  fi
  rm -rf "$work"
}
trap cleanup EXIT

rows=()
memory=()
checks=()
startup=()

# compare LABEL DIR BERTH_CMD BASELINE_LABEL BASELINE_CMD [TARGET]: one hyperfine run of both
# commands, appending a table row with the two means, their difference, their ratio and
# whether TARGET holds. TARGET is `time:MS` (berth's mean), `overhead:MS` (berth − baseline)
# or `ratio:R` (berth / baseline). BENCH_RUNS and BENCH_WARMUP (set as locals by a group)
# give noisy rows more runs.
compare() {
  local label="$1" dir="$2" berth_cmd="$3" base_label="$4" base_cmd="$5" target="${6:-}"
  local json="$work/result.json"
  # hyperfine's warnings (outliers, on a shared machine always) are shown only if it fails.
  if ! (cd "$dir" && hyperfine --shell=none --warmup "${BENCH_WARMUP:-5}" \
    --min-runs "${BENCH_RUNS:-30}" --export-json "$json" \
    --style none "$berth_cmd" "$base_cmd" >/dev/null 2>"$work/hyperfine.err"); then
    cat "$work/hyperfine.err" >&2
    return 1
  fi
  local row
  row="$(python3 - "$json" "$label" "$base_label" "$target" <<'PY'
import json, sys
data = json.load(open(sys.argv[1]))["results"]
label, base_label, target = sys.argv[2:5]
berth, base = data[0], data[1]
ms = lambda r: (f"{r['mean'] * 1000:.2f} ± {r['stddev'] * 1000:.2f} ms"
                f" (CPU {(r['user'] + r['system']) * 1000:.2f})")
diff = (berth["mean"] - base["mean"]) * 1000
ratio = berth["mean"] / base["mean"]
verdict = "—"
if target:
    kind, limit = target.split(":")
    value, shown = {
        "time": (berth["mean"] * 1000, f"≤ {limit} ms"),
        "overhead": (diff, f"≤ {limit} ms more"),
        "ratio": (ratio, f"≤ {limit}×"),
    }[kind]
    verdict = f"{shown}: {'met' if value <= float(limit) else '**missed**'}"
print(f"| {label} | {ms(berth)} | {base_label} | {ms(base)} | {diff:+.2f} ms | {ratio:.2f}× | {verdict} |")
PY
)"
  echo "$row" >&2
  rows+=("$row")
}

# paired ROUNDS LABEL DIR CMD BASE_LABEL BASE_CMD [TARGET]: a row from bench/paired.py, which
# interleaves the two commands and reports the median of their paired differences.
paired() {
  local rounds="$1" label="$2" dir="$3" cmd="$4" base_label="$5" base_cmd="$6"
  local row
  row="$(cd "$dir" && python3 "$here/paired.py" "$rounds" "$label" "$cmd" "$base_label" \
    "$base_cmd" "${7:-}")"
  echo "$row" >&2
  rows+=("$row")
}

# peak_rss LABEL DIR LIMIT_MB CMD...: the largest resident set CMD reached in three runs,
# as a row of the memory table.
peak_rss() {
  local label="$1" dir="$2" limit="$3"
  shift 3
  local kib=0 this _
  for _ in 1 2 3; do
    (cd "$dir" && /usr/bin/time -o "$work/rss" -f %M "$@" >/dev/null 2>&1)
    this="$(cat "$work/rss")"
    if ((this > kib)); then kib="$this"; fi
  done
  local row
  row="$(awk -v label="$label" -v kib="$kib" -v limit="$limit" 'BEGIN {
    mb = kib / 1024
    printf "| %s | %.1f MB | ≤ %d MB: %s |\n", label, mb, limit, (mb <= limit ? "met" : "**missed**")
  }')"
  echo "$row" >&2
  memory+=("$row")
}

# child_processes DIR CMD...: how many processes CMD starts (execve after its own, and
# clone/fork calls that make a process rather than a thread), traced with strace.
child_processes() {
  local dir="$1"
  shift
  local trace="$work/strace.log"
  (cd "$dir" && strace -f -qq -e trace=execve,clone,clone3,fork,vfork -o "$trace" "$@" \
    >/dev/null 2>&1)
  python3 - "$trace" <<'PY'
import re, sys
lines = open(sys.argv[1]).read().splitlines()
# A call strace splits across lines shows its name and flags on the first one.
execs = sum(1 for l in lines if re.search(r"\bexecve\(", l) and "= -1" not in l)
forks = sum(1 for l in lines
            if re.search(r"\b(clone3?|v?fork)\(", l)
            and "CLONE_THREAD" not in l and "= -1" not in l)
print(max(execs - 1, 0) + forks)
PY
}

# opens DIR FILE CMD...: how many times CMD opens FILE (strace, openat), in DIR.
opens() {
  local dir="$1" file="$2"
  shift 2
  local trace="$work/opens.log"
  (cd "$dir" && strace -f -qq -e trace=openat -o "$trace" "$@" >/dev/null 2>&1)
  grep -c -- "\"$file\"" "$trace" || true
}

# check_no_children WHAT COUNT: a "Checks" line saying WHAT started COUNT child processes.
check_no_children() {
  local what="$1" count="$2" verdict=met
  ((count == 0)) || verdict='**missed**'
  local line="- $what started $count child processes (strace: execve, clone, fork) — target 0: $verdict"
  echo "$line" >&2
  checks+=("$line")
}

manifest_header() {
  printf '[workspace]\nname = "bench"\nchannels = []\nplatforms = []\n\n[tasks]\n'
}

# docker_manifest: a project whose runtime is the host's Docker engine, named in pixi.toml as a
# project would, so that `berth docker ...` runs as pixi's tasks run it (no flag before it).
docker_manifest() {
  manifest_header
  printf '\n[tool.berth]\nruntime = "docker"\n'
}

# sandbox NAME: a project `$work/NAME/project` with its own HOME and a `bin` for fakes, like
# tests/cli/harness.rs builds; prints the project directory.
sandbox() {
  local base="$work/$1"
  mkdir -p "$base/project" "$base/home" "$base/bin"
  echo "$base"
}

group_run() {
  local dir="$work/run"
  mkdir -p "$dir"
  { manifest_header; echo 'noop = "true"'; } >"$dir/pixi.toml"
  printf 'noop:\n\ttrue\n' >"$dir/justfile"
  # A 2 ms target beside 1 ms commands: paired, like the docker rows (see group_docker).
  paired 300 '`berth run noop`' "$dir" "$BERTH -q run noop" '`sh -c true`' "sh -c true" overhead:2
  compare '`berth run noop`' "$dir" "$BERTH -q run noop" '`just noop`' "just --quiet noop" ratio:1
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
    local limit=50
    if ((n == 2000)); then limit=20; fi
    compare "\`berth task list\` ($n tasks)" "$dir" "$BERTH task list" '`cat pixi.toml`' "cat pixi.toml" \
      "time:$limit"
  done
  peak_rss '`berth task list` (10000 tasks)' "$work/list-10000" 50 "$BERTH" task list
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
  peak_rss '`berth run step-999` (1,000-task chain)' "$dir" 50 "$BERTH" -q run step-999
}

# Issue 4: on a running instance, `status` and a repeated `init` read the instance directory
# and connect to its sockets; they must not start limactl (or anything else).
group_lima() {
  local base
  base="$(sandbox lima)"
  local dir="$base/project"
  ln -sf "$fakes/limactl" "$base/bin/limactl"
  { manifest_header; printf '\n[tool.berth]\nruntime = "lima"\ninstance = "demo"\n'; } \
    >"$dir/pixi.toml"
  local -x HOME="$base/home" PATH="$base/bin:$PATH" XDG_DATA_HOME="$base/home/.local/share" \
    XDG_CACHE_HOME="$base/home/.cache" XDG_CONFIG_HOME="$base/home/.config"
  (cd "$dir" && "$BERTH" -q container init >/dev/null)
  compare '`berth container status` (Lima, running)' "$dir" "$BERTH container status" \
    '`docker version`' "docker version" time:5
  compare '`berth container init` (Lima, running)' "$dir" "$BERTH -q container init" \
    '`docker version`' "docker version" time:5
  check_no_children '`berth container status` (Lima, running)' \
    "$(child_processes "$dir" "$BERTH" container status)"
  check_no_children '`berth container init` (Lima, running)' \
    "$(child_processes "$dir" "$BERTH" -q container init)"
  kill_lima_agents "$dir"
}

# Issue 5: `berth docker` and `berth compose` set the environment and exec the real client.
# Their overhead is a millisecond or two beside a client that takes tens, and separate
# hyperfine runs of each drift by more than that here, so the ratio rows are paired
# (bench/paired.py: interleaved rounds, median difference with its 95 % interval).
group_docker() {
  local dir="$work/docker"
  mkdir -p "$dir"
  docker_manifest >"$dir/pixi.toml"
  (cd "$dir" && "$BERTH" docker version >/dev/null)
  paired 300 '`berth docker version`' "$dir" "$BERTH docker version" \
    '`docker version`' "docker version" ratio:1.02
  # The floor for any wrapper: coreutils' `env` is a small C program that does nothing but
  # exec docker. Any wrapper costs at least this row's difference.
  paired 300 '`env docker version` (exec only)' "$dir" "env docker version" \
    '`docker version`' "docker version"
  # berth against that floor given the same variables: what berth itself adds (issue 17:
  # at most 0.3 ms).
  local vars="DOCKER_CONFIG=$dir/.pixi/docker DOCKER_HOST=unix:///var/run/docker.sock"
  vars+=" LIMA_HOME=$dir/.pixi/lima"
  paired 300 '`berth docker version`' "$dir" "$BERTH docker version" \
    '`env <berth'"'"'s variables> docker version`' "env $vars docker version" overhead:0.3
  paired 60 '`berth compose version`' "$dir" "$BERTH compose version" \
    '`docker-compose version`' "docker-compose version" ratio:1.02
  local BENCH_RUNS=50 BENCH_WARMUP=10
  compare '`berth docker --version`' "$dir" "$BERTH docker --version" \
    '`docker --version`' "docker --version"
}

# Issue 8: `berth doctor`, what `auto` costs over a named runtime, and translating a docker
# command line for Apple's `container` (fakes as in tests/cli/apple.rs).
group_selection() {
  local dir="$work/selection"
  mkdir -p "$dir"
  manifest_header >"$dir/pixi.toml"
  # doctor asks docker and docker-compose their versions; docker-compose 1.x is python.
  local BENCH_RUNS=10 BENCH_WARMUP=2
  compare '`berth doctor`' "$dir" "$BERTH doctor" \
    '`docker-compose --version`' "docker-compose --version"
  BENCH_RUNS=30 BENCH_WARMUP=5
  compare '`berth env --json` (runtime auto)' "$dir" "$BERTH env --json" \
    '`berth --runtime docker env --json`' "$BERTH --runtime docker env --json" overhead:2
  apple_translation_rows
}

# `berth docker run …` on a faked macOS 26 Apple-silicon host against the `container` command
# it translates to, first with the test fakes (python, so their start-up dominates and varies
# by tens of ms), then with `/bin/sh` stand-ins, which leave berth's own work (start-up,
# `sw_vers` detection, translation) as the difference.
apple_translation_rows() {
  local base
  base="$(sandbox apple)"
  local dir="$base/project"
  manifest_header >"$dir/pixi.toml"
  ln -sf "$fakes/container" "$base/bin/container"
  ln -sf "$fakes/sw_vers" "$base/bin/sw_vers"
  local -x HOME="$base/home" PATH="$base/bin:$PATH" BERTH_HOST_OS=macos BERTH_HOST_ARCH=aarch64
  local words=(docker run --rm -it -e A=1 -v /a:/b -p 8080:80 img sh)
  (cd "$dir" && "$BERTH" -q --runtime apple container init >/dev/null)
  (cd "$dir" && BERTH_FAKE_LOG="$base/calls.log" "$BERTH" -q --runtime apple "${words[@]}" >/dev/null)
  local translated
  translated="$(tail -n 1 "$base/calls.log")"
  echo "translated: $translated" >&2
  local label="\`berth docker run --rm -it -e A=1 -v /a:/b -p 8080:80 img sh\`"
  local BENCH_RUNS=20 BENCH_WARMUP=3
  compare "$label (Apple, test fakes)" "$dir" "$BERTH --runtime apple ${words[*]}" \
    "\`$translated\`" "$translated"
  # Replace the links (writing through them would overwrite the test fakes).
  rm "$base/bin/sw_vers" "$base/bin/container"
  printf '#!/bin/sh\necho 26.0\n' >"$base/bin/sw_vers"
  printf '#!/bin/sh\nexit 0\n' >"$base/bin/container"
  chmod +x "$base/bin/sw_vers" "$base/bin/container"
  BENCH_RUNS=30 BENCH_WARMUP=5
  compare "$label (Apple, \`sh\` stand-ins)" "$dir" "$BERTH --runtime apple ${words[*]}" \
    'the same `container run …` (`sh` stand-in)' "$translated"
}

# Issue 9: a native job against a bare process, a container job against `docker run --rm`,
# and a job on a warm pool container against the same.
group_jobs() {
  local dir="$work/jobs"
  mkdir -p "$dir"
  manifest_header >"$dir/pixi.toml"
  compare '`berth exec -- true` (native)' "$dir" "$BERTH -q exec -- true" '`true`' "true" overhead:5
  local BENCH_RUNS=15 BENCH_WARMUP=2
  local exec="$BERTH -q --runtime docker exec --image $image -- true"
  compare '`berth exec --image … -- true` (container)' "$dir" "$exec" \
    '`docker run --rm … true`' "docker run --rm $image true"
  (cd "$dir" && "$BERTH" -q --runtime docker pool start --size 2 --image "$image" >/dev/null)
  compare '`berth exec --image … -- true` (pool of 2)' "$dir" "$exec" \
    '`docker run --rm … true`' "docker run --rm $image true" ratio:0.25
  (cd "$dir" && "$BERTH" -q --runtime docker pool stop)
}

# Issue 20: an ssh:// runtime against this machine's engine through a real sshd on 127.0.0.1
# (its own keys, config and port, as tests/cli/sshd.rs starts it; needs root and
# openssh-server), at local socket speed: `berth docker version` through the forward against
# the same on the local socket, and `container status` reading the forward without a child.
group_ssh() {
  if (($(id -u) != 0)) || [[ ! -x /usr/sbin/sshd ]]; then
    echo "group_ssh skipped: it needs root and /usr/sbin/sshd (openssh-server)" >&2
    return 0
  fi
  local base="$work/ssh"
  mkdir -p "$base/project" "$base/home"
  local key
  for key in host_key client_key; do
    ssh-keygen -q -t ed25519 -N '' -C berth-bench -f "$base/$key"
  done
  cp "$base/client_key.pub" "$base/authorized_keys"
  local port
  port="$(python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')"
  cat >"$base/sshd_config" <<EOF2
ListenAddress 127.0.0.1:$port
HostKey $base/host_key
PidFile $base/sshd.pid
AuthorizedKeysFile $base/authorized_keys
PasswordAuthentication no
KbdInteractiveAuthentication no
UsePAM no
PermitRootLogin prohibit-password
StrictModes no
EOF2
  echo "[127.0.0.1]:$port $(cut -d' ' -f1,2 "$base/host_key.pub")" >"$base/known_hosts"
  cat >"$base/project/ssh_config" <<EOF2
IdentityFile $base/client_key
IdentitiesOnly yes
IdentityAgent none
UserKnownHostsFile $base/known_hosts
GlobalKnownHostsFile /dev/null
EOF2
  mkdir -p /run/sshd
  /usr/sbin/sshd -f "$base/sshd_config" -E "$base/sshd.log"
  local dir="$base/project"
  { manifest_header
    printf '\n[tool.berth]\nruntime = "ssh://root@127.0.0.1:%s"\nssh-config = "ssh_config"\n' "$port"
  } >"$dir/pixi.toml"
  local local_dir="$base/local"
  mkdir -p "$local_dir"
  manifest_header >"$local_dir/pixi.toml"
  local -x HOME="$base/home"
  (cd "$dir" && "$BERTH" -q container init && "$BERTH" -q docker version >/dev/null)
  (cd "$local_dir" && "$BERTH" -q --runtime docker docker version >/dev/null)
  paired 300 '`berth docker version` (ssh:// runtime, sshd on 127.0.0.1)' "$dir" \
    "$BERTH docker version" '`berth docker version` (local engine)' \
    "$BERTH --manifest-path $local_dir --runtime docker docker version" ratio:1.2
  paired 300 '`berth docker version` (ssh:// runtime, sshd on 127.0.0.1)' "$dir" \
    "$BERTH docker version" '`docker version` (local engine)' "docker version"
  # Docker's own ssh transport, which starts `ssh … docker system dial-stdio` per call: an
  # `ssh` first on PATH adds the project's config (docker has no option for one).
  mkdir -p "$base/bin"
  printf '#!/bin/sh\nexec /usr/bin/ssh -F %s "$@"\n' "$dir/ssh_config" >"$base/bin/ssh"
  chmod +x "$base/bin/ssh"
  paired 60 '`berth docker version` (ssh:// runtime, sshd on 127.0.0.1)' "$dir" \
    "$BERTH docker version" '`DOCKER_HOST=ssh://… docker version` (docker'"'"'s ssh transport)' \
    "env PATH=$base/bin:$PATH DOCKER_HOST=ssh://root@127.0.0.1:$port docker version"
  compare '`berth container status` (ssh://, running)' "$dir" "$BERTH container status" \
    '`docker version`' "docker version" time:5
  check_no_children '`berth container status` (ssh://, running)' \
    "$(child_processes "$dir" "$BERTH" container status)"
  (cd "$dir" && "$BERTH" -q container stop)
  kill "$(cat "$base/sshd.pid")"
  rm -f "$base/sshd.pid"
}

# startup_row LABEL BINARY ARGS...: minor page faults (largest of three runs) and the
# relative relocations applied as it starts, for the start-up table.
startup_row() {
  local label="$1" binary="$2"
  shift 2
  local faults=0 this _
  for _ in 1 2 3; do
    /usr/bin/time -o "$work/faults" -f %R "$binary" "$@" >/dev/null 2>&1
    this="$(cat "$work/faults")"
    if ((this > faults)); then faults="$this"; fi
  done
  local relocations linked
  relocations="$(readelf -r "$binary" | grep -c 'R_[A-Z0-9_]*_RELATIVE' || true)"
  linked="$(readelf -d "$binary" 2>/dev/null | grep -c NEEDED || true)"
  local row="| $label | $faults | $relocations | $linked |"
  echo "$row" >&2
  startup+=("$row")
}

# Issue 17: what starting berth costs beside the smallest process (bench/startup.md says where
# it goes).
group_startup() {
  local dir="$work/startup"
  mkdir -p "$dir"
  local BENCH_RUNS=300 BENCH_WARMUP=20
  compare '`berth --version`' "$dir" "$BERTH --version" '`true`' "true" ratio:1.5
  startup_row '`true`' "$(type -P true)"
  startup_row '`berth --version`' "$BERTH" --version
  # The pass-through with a docker that does nothing (`true` on PATH as `docker`): what
  # berth adds before it execs docker, without the tens of milliseconds of docker's own
  # start-up, whose spread hides a fraction of a millisecond in group_docker's rows.
  local shim="$work/shim"
  mkdir -p "$shim"
  ln -sf "$(type -P true)" "$shim/docker"
  docker_manifest >"$dir/pixi.toml"
  local vars="DOCKER_CONFIG=$dir/.pixi/docker DOCKER_HOST=unix:///var/run/docker.sock"
  vars+=" LIMA_HOME=$dir/.pixi/lima"
  local -x PATH="$shim:$PATH"
  (cd "$dir" && "$BERTH" docker version)
  # Issue 17: the pass-through reads pixi.toml once (discovery hands its bytes on).
  local count verdict=met
  count="$(opens "$dir" "$dir/pixi.toml" "$BERTH" docker version)"
  ((count == 1)) || verdict='**missed**'
  checks+=("- \`berth docker version\` opened pixi.toml $count time(s) (strace, openat) — target 1: $verdict")
  echo "${checks[-1]}" >&2
  local base_label='`env <berth'"'"'s variables> docker version`, docker = `true`'
  paired 500 '`berth docker version`, docker = `true`' "$dir" "$BERTH docker version" \
    "$base_label" "env $vars docker version" overhead:0.3
  # A global flag before `docker` sends the line through clap (src/cli.rs): its cost. Not the
  # shape pixi's tasks run, so not the issue's target.
  paired 500 '`berth --runtime docker docker version`, docker = `true`' "$dir" \
    "$BERTH --runtime docker docker version" "$base_label" "env $vars docker version"
}

ROW_GROUPS=(group_run group_task_list group_chain group_lima group_docker group_selection group_jobs
  group_startup group_ssh)

write_results() {
  local load="$1"
  {
    echo "# berth benchmarks"
    echo
    echo "Written by \`bash bench/run.sh\` on $(date -u +%Y-%m-%d) ($(uname -sm), $(nproc) cores;"
    echo "load average $load at the start)."
    echo "Each row is one hyperfine run of berth and its baseline: wall time, mean ± σ, and in"
    echo "brackets the mean CPU time (user + system, ms), which other load on the machine disturbs"
    echo "far less than wall time. The difference and ratio are berth − baseline and berth /"
    echo "baseline of the wall times. Targets come from the issues and are judged on wall time; a"
    echo "missed one is marked. Rows saying \"median, paired\" come from \`bench/paired.py\`: the"
    echo "two commands run interleaved in random order, the difference is the median of the paired"
    echo "differences with its 95 % bootstrap interval, and the ratio is (baseline + difference) /"
    echo "baseline, with the cost of starting any process from the harness taken off the baseline."
    echo
    echo "| berth | time | baseline | time | difference | ratio | target |"
    echo "|---|---|---|---|---|---|---|"
    printf '%s\n' "${rows[@]}"
    echo
    echo "Peak memory (maximum resident set, \`/usr/bin/time -f %M\`, largest of three runs):"
    echo
    echo "| berth | peak RSS | target |"
    echo "|---|---|---|"
    printf '%s\n' "${memory[@]}"
    echo
    echo "Checks:"
    echo
    printf '%s\n' "${checks[@]}"
    echo
    echo "Start-up (\`/usr/bin/time -f %R\`, largest of three runs; \`readelf\`):"
    echo
    echo "| program | minor page faults | relative relocations | shared libraries |"
    echo "|---|---|---|---|"
    printf '%s\n' "${startup[@]}"
    echo
    cat "$here/startup.md"
    # Figures measured by hand, on binaries other than this checkout's (branches, experiments).
    echo
    cat "$here/reader.md"
  } >"$results"
  echo "wrote $results" >&2
}

main() {
  local group
  for group in "$@"; do
    if [[ ! " ${ROW_GROUPS[*]} " == *" $group "* ]]; then
      echo "unknown row group \`$group\`; the groups are: ${ROW_GROUPS[*]}" >&2
      exit 2
    fi
  done
  need_tools
  build
  local load
  load="$(cut -d' ' -f1-3 /proc/loadavg)"
  for group in "${@:-${ROW_GROUPS[@]}}"; do
    "$group"
  done
  if (($# == 0)); then
    write_results "$load"
  else
    echo "ran $*; RESULTS.md is written only by a full run" >&2
  fi
}

main "$@"
