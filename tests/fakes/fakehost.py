"""Helpers shared by the fakes of host tools that `tasks/onboard.sh` drives (apt-get, brew,
sudo, id, uname, systemctl, service, dockerd).

    log_call(name)      append `name ARGV...` as one shell-quoted line to $BERTH_FAKE_LOG
    install(dir, tools) "install" tools by linking them into `dir` (a directory on PATH)
    real_tool(name)     the real program from the system directories, not from PATH
    engine_socket()     the socket a fake engine serves: $DOCKER_HOST's, never the real one

None of them touches the machine outside the directories the test hands them.
"""

import os
import shlex
import shutil
import sys

FAKES = os.path.dirname(os.path.realpath(__file__))
SYSTEM_PATH = "/usr/local/bin:/usr/bin:/bin:/usr/local/sbin:/usr/sbin:/sbin"
REAL_ENGINE_SOCKET = "/var/run/docker.sock"


def log_call(name):
    path = os.environ.get("BERTH_FAKE_LOG")
    if path:
        with open(path, "a") as f:
            f.write(shlex.join([name, *sys.argv[1:]]) + "\n")


def real_tool(name):
    found = shutil.which(name, path=SYSTEM_PATH)
    if not found:
        sys.exit(f"fake: no real {name} in {SYSTEM_PATH} to install")
    return found


def install(directory, tools):
    """Link each `name -> target` of `tools` into `directory`."""
    os.makedirs(directory, exist_ok=True)
    for name, target in tools.items():
        link = os.path.join(directory, name)
        if os.path.lexists(link):
            os.unlink(link)
        os.symlink(target, link)


def engine_socket():
    """The Unix socket of $DOCKER_HOST. A fake engine refuses the real engine's socket, so a
    test can never take its place."""
    host = os.environ.get("DOCKER_HOST", "")
    if not host.startswith("unix://"):
        sys.exit("fake: set DOCKER_HOST=unix://<temp socket> for the fake engine")
    socket = host[len("unix://"):]
    if os.path.realpath(socket) == os.path.realpath(REAL_ENGINE_SOCKET):
        sys.exit("fake: refusing to serve the real engine's socket")
    return socket


def pid_file(socket):
    """Where the fake engine serving `socket` records its pid (tests kill it from there)."""
    return socket + ".pid"
