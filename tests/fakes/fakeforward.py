"""The socket forwarder shared by the VM fakes (colima, podman).

A real VM runtime serves the Docker API on a Unix socket on the host. The fakes stand in for
that with a daemonised process that listens on the socket and pipes bytes both ways to the
real engine's socket (`/var/run/docker.sock`, or `$FAKE_ENGINE_SOCKET`), so whatever talks to
the fake's socket is answered by a real engine.

    start(socket, pid_file)   spawn the daemon; returns once the socket accepts connections
    stop(pid_file, socket)    kill it and remove both files
    alive(pid_file)           whether the recorded process still runs

Run as a script (`fakeforward.py serve SOCKET TARGET PID_FILE`) it is the daemon itself.
"""

import os
import signal
import socket
import subprocess
import sys
import threading
import time

DEFAULT_ENGINE_SOCKET = "/var/run/docker.sock"


def engine_socket():
    return os.environ.get("FAKE_ENGINE_SOCKET") or DEFAULT_ENGINE_SOCKET


def read_pid(pid_file):
    try:
        with open(pid_file) as f:
            return int(f.read().strip())
    except (OSError, ValueError):
        return None


def alive(pid_file):
    pid = read_pid(pid_file)
    if pid is None:
        return False
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    # A zombie (killed, not yet reaped) is not running.
    try:
        with open(f"/proc/{pid}/stat") as f:
            return f.read().rsplit(")", 1)[1].split()[0] != "Z"
    except OSError:
        return True


def start(sock_path, pid_file):
    """Spawn the forwarder for `sock_path`, recording its pid in `pid_file`."""
    for path in (sock_path, pid_file):
        os.makedirs(os.path.dirname(path), exist_ok=True)
    if os.path.exists(sock_path):
        os.unlink(sock_path)
    subprocess.Popen(
        [sys.executable, os.path.abspath(__file__), "serve", sock_path, engine_socket(), pid_file],
        stdin=subprocess.DEVNULL,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        close_fds=True,
        start_new_session=True,
    )
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline:
        if os.path.exists(sock_path) and read_pid(pid_file) is not None:
            return read_pid(pid_file)
        time.sleep(0.02)
    raise RuntimeError(f"the forwarder for {sock_path} did not start")


def stop(pid_file, sock_path=None):
    pid = read_pid(pid_file)
    if pid is not None:
        try:
            os.kill(pid, signal.SIGTERM)
        except ProcessLookupError:
            pass
    # The forwarder removes its own files as it exits, which may be right now.
    for path in (pid_file, sock_path):
        if path:
            try:
                os.unlink(path)
            except FileNotFoundError:
                pass


def _pipe(source, sink):
    """Copy until `source` says EOF, then pass the EOF on as a half-close."""
    try:
        while True:
            chunk = source.recv(65536)
            if not chunk:
                break
            sink.sendall(chunk)
    except OSError:
        pass
    finally:
        try:
            sink.shutdown(socket.SHUT_WR)
        except OSError:
            pass


def _serve_client(client, target):
    upstream = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    try:
        upstream.connect(target)
    except OSError:
        client.close()
        upstream.close()
        return
    back = threading.Thread(target=_pipe, args=(upstream, client), daemon=True)
    back.start()
    _pipe(client, upstream)
    back.join()
    client.close()
    upstream.close()


def serve(sock_path, target, pid_file):
    server = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    server.bind(sock_path)
    server.listen(64)

    def leave(_signum, _frame):
        try:
            os.unlink(sock_path)
        except OSError:
            pass
        os._exit(0)

    signal.signal(signal.SIGTERM, leave)
    # The pid file is written last: its presence means the socket accepts connections.
    tmp = pid_file + ".tmp"
    with open(tmp, "w") as f:
        f.write(f"{os.getpid()}\n")
    os.replace(tmp, pid_file)
    while True:
        client, _ = server.accept()
        threading.Thread(target=_serve_client, args=(client, target), daemon=True).start()


if __name__ == "__main__":
    if len(sys.argv) != 5 or sys.argv[1] != "serve":
        sys.exit("usage: fakeforward.py serve SOCKET TARGET PID_FILE")
    serve(sys.argv[2], sys.argv[3], sys.argv[4])
