#!/bin/sh
# Onboard a newcomer to a berth project: check the prerequisites, start the project's
# container runtime, and prove `docker info` answers. POSIX sh; run it from the repository.
#
#   sh tasks/onboard.sh            check, start, prove; say what is missing and how to get it
#   sh tasks/onboard.sh --install  also install what is missing (apt-get as root or through
#                                  sudo on Debian/Ubuntu; Homebrew on macOS), after saying what
#
# Environment: BERTH names the berth binary to use (default: berth on PATH, else a cargo build
# of the checkout this script belongs to); BERTH_DOCKERD_LOG is where a dockerd this script
# starts writes its log (default /var/log/berth-dockerd.log).
set -u

install=no
for arg in "$@"; do
  case "$arg" in
    --install) install=yes ;;
    -h|--help) sed -n '2,12p' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;;
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

# How this script gets root for installing: nothing as root, else sudo, else it cannot.
if [ "$(id -u)" -eq 0 ]; then root_prefix=""
elif have sudo; then root_prefix="sudo "
else root_prefix=none
fi
as_root() {
  case "$root_prefix" in
    "") "$@" ;;
    none) fail "installing needs root: you are not root and there is no sudo" \
      "run this script as root (\`su -c 'sh tasks/onboard.sh --install'\`), or install sudo" ;;
    *) sudo "$@" ;;
  esac
}

here=$(cd "$(dirname "$0")" && pwd)
os=$(uname -s)
dockerd_log=${BERTH_DOCKERD_LOG:-/var/log/berth-dockerd.log}

# 1. berth itself.
berth=${BERTH:-}
if [ -z "$berth" ]; then
  if have berth; then
    berth=berth
  elif have cargo && [ -f "$here/../Cargo.toml" ] && grep -q '^name = "berth-cli"' "$here/../Cargo.toml"; then
    step "building berth (cargo build --release)"
    cargo build --release --quiet --manifest-path "$here/../Cargo.toml" \
      || fail "building berth failed" "run \`cargo build --release\` in $here/.. and read its errors"
    # .cargo/config.toml builds for the host named as a target: target/<host>/release.
    berth="$here/../target/$(rustc -vV | sed -n 's/^host: //p')/release/berth"
  else
    fail "berth is not installed" "install it: \`cargo install --path <berth checkout>\` (needs Rust: https://rustup.rs)"
  fi
fi
step "berth: $("$berth" --version)"

# 2. A runtime: an engine that answers, or a VM manager.
engine_answers() { have docker && docker info >/dev/null 2>&1; }
# An engine runs, but this user may not open its socket (not in the `docker` group yet).
engine_refuses_us() {
  have docker && docker info 2>&1 >/dev/null | grep -qi 'permission denied' \
    && fail "a Docker engine runs, but you may not use its socket" \
      "add yourself to the \`docker\` group (\`sudo usermod -aG docker \$USER\`), log in again, then rerun"
}
compose_found() { have docker-compose || { have docker && docker compose version >/dev/null 2>&1; }; }
runtime_found() {
  engine_answers || have limactl || have colima || have podman || have container
}

# Debian/Ubuntu: install what is missing of the engine, the client and compose, then start the
# engine. Each command is printed before it runs.
apt_packages() {
  packages=""
  { have dockerd && have docker; } || packages="docker.io"
  compose_found || packages="${packages:+$packages }docker-compose"
  printf '%s' "$packages"
}
start_dockerd() {
  # systemd, then SysV init, then dockerd by hand (containers, WSL): whichever works here.
  if have systemctl && as_root systemctl start docker 2>/dev/null; then return; fi
  if have service && as_root service docker start >/dev/null 2>&1; then return; fi
  step "running: ${root_prefix}nohup dockerd >$dockerd_log 2>&1 &"
  # shellcheck disable=SC2016 # $1 is expanded by the inner sh, so the path survives sudo
  as_root sh -c 'nohup dockerd >"$1" 2>&1 &' sh "$dockerd_log"
}
wait_for_engine() {
  tries=0
  until engine_answers; do
    engine_refuses_us
    tries=$((tries + 1))
    if [ "$tries" -gt 60 ]; then
      [ -r "$dockerd_log" ] && tail -n 20 "$dockerd_log" >&2
      fail "dockerd did not answer within 60 s" \
        "read $dockerd_log, or \`journalctl -u docker\` where systemd runs it"
    fi
    sleep 1
  done
}
linux_install() {
  engine_refuses_us
  have apt-get || fail "no container runtime found, and this is not a Debian/Ubuntu system (no apt-get)" \
    "install Docker Engine (https://docs.docker.com/engine/install/) or Lima with your package manager, then rerun"
  packages=$(apt_packages)
  if [ "$install" = no ]; then
    if [ -n "$packages" ]; then
      fail "no container runtime found (no Docker engine answers; missing: $packages)" \
        "install it: \`${root_prefix#none}apt-get install -y $packages\`, then start it: \`${root_prefix#none}systemctl start docker\`" \
        "or rerun this script with --install to do exactly that"
    fi
    fail "no Docker engine answers (dockerd is installed but not running)" \
      "start it: \`${root_prefix#none}systemctl start docker\` (or \`${root_prefix#none}dockerd &\` without systemd)" \
      "or rerun this script with --install to do that"
  fi
  if [ -n "$packages" ]; then
    [ "$root_prefix" = none ] && as_root true
    step "will install with apt-get: $packages; then start dockerd. Running:"
    step "  ${root_prefix}apt-get update"
    step "  ${root_prefix}apt-get install -y $packages"
    as_root apt-get update >&2 || fail "apt-get update failed" "check your network and apt sources"
    # shellcheck disable=SC2086 # $packages is a list of words
    as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y $packages >&2 \
      || fail "apt-get install $packages failed" "run \`${root_prefix}apt-get install -y $packages\` and read its errors"
  fi
  if ! engine_answers; then
    step "starting dockerd"
    start_dockerd
    wait_for_engine
  fi
}

# macOS: Lima runs the engine in a VM; Homebrew installs it with the docker and compose CLIs.
brew_formulae() {
  formulae=""
  have limactl || formulae="lima"
  have docker || formulae="${formulae:+$formulae }docker"
  compose_found || formulae="${formulae:+$formulae }docker-compose"
  printf '%s' "$formulae"
}
macos_install() {
  formulae=$(brew_formulae)
  [ -n "$formulae" ] || formulae="lima"
  if [ "$install" = no ]; then
    fail "no container runtime found (missing: $formulae)" \
      "install it: \`brew install $formulae\`" \
      "or rerun this script with --install to do exactly that"
  fi
  have brew || fail "Homebrew is not installed" \
    "install it from https://brew.sh, then rerun this script with --install"
  step "will install with Homebrew: $formulae. Running:"
  step "  brew install $formulae"
  # shellcheck disable=SC2086 # $formulae is a list of words
  brew install $formulae >&2 || fail "brew install $formulae failed" "run \`brew install $formulae\` and read its errors"
}

if ! runtime_found; then
  case "$os" in
    Linux) linux_install ;;
    Darwin) macos_install ;;
    *) fail "no container runtime found on $os" "install Docker Engine or Lima, then rerun" ;;
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
