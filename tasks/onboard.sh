#!/bin/sh
# Onboard a newcomer to a berth project: check the prerequisites, start the project's
# container runtime, and prove `docker info` answers. POSIX sh; run it from the repository.
#
#   sh tasks/onboard.sh            check, start, prove; say what is missing and how to get it
#   sh tasks/onboard.sh --install  also install what is missing (apt-get as root or through
#                                  sudo on Debian/Ubuntu; Homebrew on macOS), after saying what
#
# Environment: BERTH names the berth binary to use (default: berth on PATH, else a cargo build
# of the checkout this script belongs to).
set -u

install=no
for arg in "$@"; do
  case "$arg" in
    --install) install=yes ;;
    -h|--help) sed -n '2,11p' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;;
    *) printf 'error: unknown argument %s\nhelp: run with --help\n' "$arg" >&2; exit 2 ;;
  esac
done

step() { printf '==> %s\n' "$*" >&2; }
fail() {
  printf 'error: %s\n' "$1" >&2
  shift
  for line in "$@"; do printf 'help: %s\n' "$line" >&2; done
  exit 1
}
have() { command -v "$1" >/dev/null 2>&1; }
as_root() {
  if [ "$(id -u)" -eq 0 ]; then "$@"
  elif have sudo; then sudo "$@"
  else fail "installing needs root" "run this script as root, or install sudo"
  fi
}

here=$(cd "$(dirname "$0")" && pwd)
os=$(uname -s)

# 1. berth itself.
berth=${BERTH:-}
if [ -z "$berth" ]; then
  if have berth; then
    berth=berth
  elif have cargo && [ -f "$here/../Cargo.toml" ] && grep -q '^name = "berth-cli"' "$here/../Cargo.toml"; then
    step "building berth (cargo build --release)"
    cargo build --release --quiet --manifest-path "$here/../Cargo.toml" \
      || fail "building berth failed" "run \`cargo build --release\` in $here/.. and read its errors"
    berth="$here/../target/release/berth"
  else
    fail "berth is not installed" "install it: \`cargo install --path <berth checkout>\` (needs Rust: https://rustup.rs)"
  fi
fi
step "berth: $("$berth" --version)"

# 2. A runtime: an engine that answers, or a VM manager.
engine_answers() { have docker && docker info >/dev/null 2>&1; }
runtime_found() {
  engine_answers || have limactl || have colima || have podman || have container
}
if ! runtime_found; then
  case "$os" in
    Linux)
      if have apt-get; then
        packages="docker.io docker-compose"
        if [ "$install" = yes ]; then
          step "installing $packages with apt-get, then starting dockerd"
          as_root apt-get update -qq || fail "apt-get update failed" "check your network and apt sources"
          as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq docker.io docker-compose >/dev/null \
            || fail "apt-get install $packages failed" "run \`sudo apt-get install $packages\` and read its errors"
          if have systemctl && [ -d /run/systemd/system ]; then
            as_root systemctl start docker
          else
            as_root sh -c 'nohup dockerd >/var/log/berth-dockerd.log 2>&1 &'
          fi
          tries=0
          until docker info >/dev/null 2>&1; do
            tries=$((tries + 1))
            [ "$tries" -gt 60 ] && fail "dockerd did not answer within 60 s" "read /var/log/berth-dockerd.log or \`journalctl -u docker\`"
            sleep 1
          done
        else
          fail "no container runtime found (no Docker engine answers, no limactl)" \
            "install one: \`sudo apt-get install -y $packages && sudo systemctl start docker\`" \
            "or rerun this script with --install to do exactly that"
        fi
      else
        fail "no container runtime found" "install Docker Engine or Lima with your package manager"
      fi
      ;;
    Darwin)
      if [ "$install" = yes ] && have brew; then
        step "installing lima docker docker-compose with Homebrew"
        brew install lima docker docker-compose || fail "brew install failed" "run \`brew install lima docker docker-compose\` and read its errors"
      else
        fail "no container runtime found" "install one: \`brew install lima docker docker-compose\`" \
          "or rerun this script with --install to do exactly that"
      fi
      ;;
    *) fail "no container runtime found on $os" "install Docker Engine or Lima" ;;
  esac
fi

# 3. Disk space: a VM needs room for its image and disk; an engine on the host needs little.
need_kib=1048576
engine_answers || need_kib=10485760
free_kib=$(df -Pk . | awk 'NR == 2 { print $4 }')
if [ -n "$free_kib" ] && [ "$free_kib" -lt "$need_kib" ]; then
  fail "only $((free_kib / 1024)) MiB free here; berth needs $((need_kib / 1024)) MiB" \
    "free some space (\`berth system clean --global --dry-run\` shows old Lima state), then rerun"
fi

# 4. Start the runtime and prove docker answers through berth.
step "berth container init"
"$berth" container init || fail "\`berth container init\` failed" "read the error above; \`berth doctor\` lists every runtime and setting"
step "berth docker info"
info=$("$berth" docker info --format '{{.ServerVersion}} ({{.OperatingSystem}})') \
  || fail "\`berth docker info\` failed" "run \`berth doctor\` to see which engine berth uses and why"
# shellcheck disable=SC2016 # the backquotes are literal, for the reader
printf 'ok: docker answers through berth (engine %s); next: `pixi run compose-up` or `berth docker run ...`\n' "$info"
