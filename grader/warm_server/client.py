"""The command's side of the warm server: find the one running this grader version (stopping one of
another version), start one when none answers, and hand it a `grader check` with this process's
terminal, folder and environment. Ctrl-C and SIGTERM are passed on to the grading, which unwinds as
an in-process one does; the command then exits with the grading's own code (130, 143).

Standard library only, imported lazily: this is all a served `grader check` loads.
"""

from __future__ import annotations

import fcntl
import json
import os
import signal
import socket
import sys
import time
from pathlib import Path

from ..interruption import Interrupted
from . import runtime

START_TIMEOUT_S = 300.0   # the first start imports everything, on a machine that may be busy
HELLO_TIMEOUT_S = 10.0


class NoServer(Exception):
    """No warm server could be had; the message says why (the command grades in-process)."""


class Connection:
    """A socket to the server, read one JSON line at a time."""

    def __init__(self, sock: socket.socket):
        self.socket, self._reader = sock, sock.makefile("rb")

    def write(self, message: dict) -> None:
        self.socket.sendall(json.dumps(message).encode() + b"\n")

    def read(self) -> dict | None:
        line = self._reader.readline()
        return json.loads(line) if line.strip() else None

    def close(self) -> None:
        self._reader.close()
        self.socket.close()

    def __enter__(self) -> Connection:
        return self

    def __exit__(self, *exc) -> None:
        self.close()


def check(argv: list[str]) -> int:
    """Run `grader check ARGV` in the warm server (started if need be) and return its exit code;
    NoServer when there is none to be had."""
    connection = _connect(start=True)
    with connection:
        return _served(connection, argv)


def status() -> str:
    """One line: the running server (pid, age, idle time, gradings, kernel servers) or that there is none."""
    path = runtime.folder()
    try:
        connection, hello = _hello(path)
    except NoServer:
        return f"no warm server is running (its folder: {path})"
    connection.close()
    current = ("" if hello["version"] == runtime.version()
               else "; it runs older grader code: the next check replaces it")
    kernels = ", ".join(f"pid {pid}" for pid in hello["kernel_servers"].values()) or "none"
    return (f"warm server pid {hello['pid']} on {path / runtime.SOCKET}: up {hello['uptime_s']:.0f} s, "
            f"idle {hello['idle_s']:.0f} s (exits after {runtime.idle_exit_s():.0f} s idle), "
            f"{hello['gradings']} grading(s) running, {hello['served']} served; warm-kernel servers: "
            f"{kernels}{current}")


def stop() -> str:
    """Ask the running server to stop (gradings it is running finish first); one line saying what happened."""
    path = runtime.folder()
    try:
        connection, hello = _hello(path)
    except NoServer:
        return "no warm server is running"
    with connection:
        _stop(connection)
    return f"warm server pid {hello['pid']} stopped" + (
        f" (after its {hello['gradings']} running grading(s))" if hello["gradings"] else "")


def _connect(start: bool) -> Connection:
    """A connection to a server of this grader version, starting one (once, under a lock shared by
    every command of this user) when none answers."""
    path = runtime.folder()
    version = runtime.version()
    with open(path / runtime.START_LOCK, "a") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        try:
            connection, hello = _hello(path)
        except NoServer:
            connection = None
        if connection is not None:
            if hello["version"] == version:
                return connection
            with connection:   # another grader version (an upgrade): it finishes what it runs, then exits
                _stop(connection)
        if not start:
            raise NoServer("no warm server is running")
        return _start(path, version)


def _hello(path: Path) -> tuple[Connection, dict]:
    sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    connection = Connection(sock)
    try:
        sock.settimeout(HELLO_TIMEOUT_S)
        sock.connect(str(path / runtime.SOCKET))
        connection.write({"op": "hello"})
        hello = connection.read()
        sock.settimeout(None)
    except (OSError, ValueError) as error:
        connection.close()
        raise NoServer(f"no warm server answers ({error})") from None
    if hello is None:
        connection.close()
        raise NoServer("the warm server closed the connection")
    return connection, hello


def _stop(connection: Connection) -> None:
    connection.write({"op": "stop"})
    connection.read()


def _start(path: Path, version: str) -> Connection:
    import subprocess

    # The server imports the grader this command runs (a checkout's, when the command was started in
    # one with `python -m grader.cli`), not whichever one its own folder would give: else the versions
    # differ and the command would wait for a server it can never use.
    imports = os.pathsep.join(filter(None, [str(runtime.PACKAGE.parent), os.environ.get("PYTHONPATH")]))
    with open(path / runtime.LOG, "wb") as log:   # the running server's log only
        server = subprocess.Popen([sys.executable, "-m", "grader.warm_server.server", str(path)], cwd=path,
                                  stdin=subprocess.DEVNULL, stdout=log, stderr=log, start_new_session=True,
                                  env={**os.environ, "PYTHONPATH": imports})
    deadline = time.monotonic() + START_TIMEOUT_S
    while time.monotonic() < deadline:
        if server.poll() is not None:
            raise NoServer(f"the warm server exited while starting (see {path / runtime.LOG})")
        try:
            connection, hello = _hello(path)
        except NoServer:
            time.sleep(0.1)
            continue
        if hello["version"] == version and hello["pid"] == server.pid:
            return connection
        connection.close()
        time.sleep(0.1)
    server.kill()
    raise NoServer(f"the warm server did not start in {START_TIMEOUT_S:.0f} s (see {path / runtime.LOG})")


def _served(connection: Connection, argv: list[str]) -> int:
    umask = os.umask(0o077)
    os.umask(umask)
    request = {"op": "check", "argv": argv, "cwd": os.getcwd(), "env": dict(os.environ), "umask": umask,
               "encoding": getattr(sys.stdout, "encoding", None)}
    for stream in (sys.stdout, sys.stderr):
        stream.flush()
    socket.send_fds(connection.socket, [json.dumps(request).encode() + b"\n"], [0, 1, 2])

    def pass_on(signum, frame):
        connection.write({"op": "signal", "signum": signum})

    previous = {signum: signal.signal(signum, pass_on) for signum in (signal.SIGINT, signal.SIGTERM)}
    try:
        while True:
            reply = connection.read()
            if reply is None:
                print("grader: error: the warm server stopped during the grading; nothing was graded. Run "
                      "the check again (or with --no-warm-server)", file=sys.stderr)
                return 1
            if "error" in reply:
                raise NoServer(reply["error"])
            if reply.get("killed_by") in (signal.SIGINT, signal.SIGTERM):   # stopped before it could say so
                raise Interrupted(reply["killed_by"])
            if "exit" in reply:
                return reply["exit"]
    finally:
        for signum, handler in previous.items():
            signal.signal(signum, handler)

