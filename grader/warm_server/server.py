"""The warm server: imports the grader's stack (pytest, moto, boto3, the emulator, the checks) and
starts the current kernel environment's fork server once, then serves `grader check` commands by
forking one child per grading. The child takes the command's terminal (its stdin, stdout and stderr
arrive over the socket), working folder and environment, and runs the same `grader check` an
in-process command would: same results, reports, messages and exit codes. Its kernels are forked
from the fork server and enter their own sandbox as always.

    python -m grader.warm_server.server FOLDER      (started by grader/warm_server/client.py)

Protocol, one JSON object per line on FOLDER/server.sock:
  {"op": "hello"}  -> {"version", "pid", "uptime_s", "idle_s", "gradings", "served", "kernel_servers"}
  {"op": "stop"}   -> {"stopping": true}; no new gradings, exit when the running ones end
  {"op": "check", "argv", "cwd", "env", "umask", "encoding"} with the fds 0, 1, 2 -> {"pid": N}, then
  {"exit": CODE} (with "killed_by": SIGNAL when a signal ended it before it could say so itself)
  {"op": "signal", "signum": N} on a check's connection: passed on to its grading, which unwinds as an
  interrupted in-process check does (kernel killed, no result written) and exits 130 or 143.
A connection that closes while its grading runs has that grading stopped the same way (SIGTERM).
The server exits after GRADER_WARM_SERVER_IDLE seconds without a grading (runtime.py), or on SIGTERM.
"""

from __future__ import annotations

import io
import json
import os
import selectors
import signal
import socket
import struct
import sys
import time
import traceback
from pathlib import Path

from . import runtime

CHECK_FDS = 3   # the command's stdin, stdout and stderr
STARTED = time.monotonic()   # the process's start: its uptime counts the preload too


def preload() -> None:
    """What every grading would import or load again: done once, before the socket answers."""
    import importlib
    import pkgutil

    from .. import checks, cli  # noqa: F401
    from ..execution import environments
    from ..execution.run import fork_server_for
    from ..grading import grade, plugin  # noqa: F401
    from ..reporting import outputs, scorecard  # noqa: F401
    from ..snapshots import snapshot

    for module in pkgutil.iter_modules(checks.__path__):   # what the rubrics import
        importlib.import_module(f"{checks.__name__}.{module.name}")
    snapshot.warm_up().join()
    kernels = fork_server_for(environments.current())
    if kernels is not None:
        kernels.wait_ready()
    rehearse()


def rehearse() -> None:
    """Grade one course solution here (iam-user's: a 2-second notebook), its output discarded. What a
    grading sets up on first use (moto's backends and routes, botocore's clients, pytest's plugins, the
    kernel machinery, the report templates: seconds on a busy machine, 8 s for the emulator's SageMaker
    alone) is then in this process, and every grading forked from it starts with it. The rubric's own
    modules are forgotten again, so an edited rubric is read afresh by the next grading."""
    import tempfile

    from ..activities import load
    from ..checks import evidence
    from ..cli import main
    from ..project import project_dir

    before = set(sys.modules)
    try:
        solution = load("iam-user").notebook("solution")
        with tempfile.TemporaryDirectory(prefix="grader-rehearsal-") as scratch:
            main(["check", "iam-user", str(solution), "--out", scratch, "--no-warm-server"])
    except Exception:   # a project without that activity: gradings only start colder
        traceback.print_exc()
    rubrics = str(project_dir() / "rubrics")
    for name in set(sys.modules) - before:
        if str(getattr(sys.modules[name], "__file__", "") or "").startswith(rubrics):
            del sys.modules[name]
    evidence.starter_bucket_names_forget()


def kernel_servers() -> dict[str, int]:
    from ..sandbox import warm

    return {server.folder.name: server.pid for server in warm.running()}


class Server:
    def __init__(self, folder: Path):
        self.path = folder / runtime.SOCKET
        self.version = runtime.version()
        self.idle_exit_s = runtime.idle_exit_s()
        self.started, self.last_active = STARTED, time.monotonic()
        self.selector = selectors.DefaultSelector()
        self.buffers: dict[socket.socket, bytes] = {}
        self.fds: dict[socket.socket, list[int]] = {}
        self.gradings: dict[int, socket.socket] = {}   # the grading child's pid -> its command's connection
        self.served = 0
        self.retiring = False

    def serve(self) -> None:
        self.listener = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        if self.path.is_socket():   # a server that died without cleaning up (the client found none answering)
            self.path.unlink()
        self.listener.bind(str(self.path))
        os.chmod(self.path, 0o600)
        self.inode = os.stat(self.path).st_ino
        self.listener.listen(16)
        self.selector.register(self.listener, selectors.EVENT_READ)
        self.wakeup, woken = socket.socketpair()   # signals wake the loop
        self.wakeup.setblocking(False)
        woken.setblocking(False)
        signal.set_wakeup_fd(woken.fileno())
        signal.signal(signal.SIGCHLD, lambda *_: None)
        signal.signal(signal.SIGTERM, lambda *_: self.retire(signal.SIGTERM))
        signal.signal(signal.SIGINT, signal.SIG_IGN)   # not the terminal's: a command stops its own grading
        self.selector.register(self.wakeup, selectors.EVENT_READ)
        try:
            while not (self.retiring and not self.gradings) and not self._idle_for_long():
                for key, _ in self.selector.select(timeout=1.0):
                    if key.fileobj is self.wakeup:
                        self.wakeup.recv(4096)
                    elif key.fileobj is self.listener:
                        connection, _ = self.listener.accept()
                        if _peer_uid(connection) != os.getuid():   # besides the private folder
                            connection.close()
                            continue
                        self.selector.register(connection, selectors.EVENT_READ)
                        self.buffers[connection], self.fds[connection] = b"", []
                    else:
                        self._receive(key.fileobj)
                self._reap()
        finally:
            self._unlink_socket()
            from ..sandbox import warm

            warm.stop_all()

    def _idle_for_long(self) -> bool:
        if self.gradings:
            self.last_active = time.monotonic()
            return False
        return time.monotonic() - self.last_active > self.idle_exit_s

    def retire(self, signum: int | None = None) -> None:
        """Take no more gradings (the socket goes at once, so the next command starts a new server);
        with a signal, pass it on to the running ones."""
        self.retiring = True
        self._unlink_socket()
        for pid in list(self.gradings) if signum else []:
            _signal(pid, signum)

    def _unlink_socket(self) -> None:
        try:
            if os.stat(self.path).st_ino == self.inode:   # never a newer server's socket
                self.path.unlink()
        except FileNotFoundError:
            pass

    def _receive(self, connection: socket.socket) -> None:
        try:
            data, fds, _, _ = socket.recv_fds(connection, 1 << 16, CHECK_FDS)
        except OSError:
            data, fds = b"", []
        self.fds[connection] += fds
        if not data:
            self._drop(connection)
            return
        self.buffers[connection] += data
        while b"\n" in self.buffers.get(connection, b""):
            line, self.buffers[connection] = self.buffers[connection].split(b"\n", 1)
            try:
                self._handle(connection, json.loads(line))
            except (ValueError, KeyError, TypeError) as error:   # not this protocol: that connection goes
                _send(connection, {"error": f"bad request: {error}"})
                self._drop(connection)
                return

    def _handle(self, connection: socket.socket, request: dict) -> None:
        op = request.get("op")
        if op == "hello":
            now = time.monotonic()
            _send(connection, {"version": self.version, "pid": os.getpid(),
                               "uptime_s": round(now - self.started, 1),
                               "idle_s": 0.0 if self.gradings else round(now - self.last_active, 1),
                               "gradings": len(self.gradings), "served": self.served,
                               "kernel_servers": kernel_servers()})
        elif op == "stop":
            _send(connection, {"stopping": True, "pid": os.getpid(), "gradings": len(self.gradings)})
            self.retire()
        elif op == "check":
            self._check(connection, request)
        elif op == "signal":
            for pid in [pid for pid, owner in self.gradings.items() if owner is connection]:
                _signal(pid, int(request["signum"]))

    def _check(self, connection: socket.socket, request: dict) -> None:
        fds, self.fds[connection] = self.fds[connection], []
        if self.retiring or len(fds) != CHECK_FDS:
            why = "retiring" if self.retiring else "the command's terminal did not arrive"
            _send(connection, {"error": why})
            _close_all(fds)
            return
        self._keep_kernels_warm()
        sys.stdout.flush()
        sys.stderr.flush()
        pid = os.fork()
        if pid == 0:
            self._grade_in_child(request, fds)
        _close_all(fds)
        self.gradings[pid] = connection
        self.served += 1
        _send(connection, {"pid": pid})

    def _keep_kernels_warm(self) -> None:
        """A fork server that died (killed, out of memory) is started again here, not in each grading."""
        from ..execution import environments
        from ..execution.run import fork_server_for

        kernels = fork_server_for(environments.current())
        if kernels is not None:
            kernels.wait_ready()

    def _grade_in_child(self, request: dict, fds: list[int]) -> None:
        """In the forked child: become the command (its terminal, folder and environment), run it, exit."""
        code = 1
        try:
            signal.set_wakeup_fd(-1)
            for signum in (signal.SIGCHLD, signal.SIGTERM, signal.SIGINT):
                signal.signal(signum, signal.SIG_DFL)
            for sock in [self.listener, self.wakeup, *self.buffers]:
                sock.close()
            self.selector.close()
            for target, fd in enumerate(fds):
                os.dup2(fd, target)
            _close_all(fds)
            encoding = request.get("encoding") or "utf-8"
            sys.stdin = sys.__stdin__ = io.TextIOWrapper(open(0, "rb", closefd=False), encoding=encoding)
            sys.stdout = sys.__stdout__ = _text_stream(1, encoding)
            sys.stderr = sys.__stderr__ = _text_stream(2, encoding)
            os.chdir(request["cwd"])
            os.umask(request["umask"])   # files written with the command's own permissions
            os.environ.clear()
            os.environ.update(request["env"])
            os.environ[runtime.SERVED_HERE] = "1"   # this grading runs here: it never asks a server again
            from ..cli import main

            code = main(request["argv"])
        except SystemExit as stopped:
            code = stopped.code if isinstance(stopped.code, int) else (0 if stopped.code is None else 2)
        except BaseException:   # the command's own crash, shown as the command would show it
            traceback.print_exc()
        finally:
            for stream in (sys.stdout, sys.stderr):
                try:
                    stream.flush()
                except Exception:   # the terminal may be gone
                    pass
            os._exit(code)

    def _drop(self, connection: socket.socket) -> None:
        """The command went away: a grading it started must not finish as a grade nobody awaits."""
        for pid in [pid for pid, owner in self.gradings.items() if owner is connection]:
            _signal(pid, signal.SIGTERM)
        self.selector.unregister(connection)
        _close_all(self.fds.pop(connection, []))
        self.buffers.pop(connection, None)
        connection.close()

    def _reap(self) -> None:
        for pid in list(self.gradings):
            try:
                done, status = os.waitpid(pid, os.WNOHANG)
            except ChildProcessError:
                done, status = pid, 1 << 8
            if done == 0:
                continue
            connection = self.gradings.pop(pid)
            code = os.waitstatus_to_exitcode(status)
            _send(connection, {"exit": code} if code >= 0 else {"exit": 128 - code, "killed_by": -code})
            if connection.fileno() != -1 and connection in self.buffers:
                self._drop(connection)
            self.last_active = time.monotonic()


def _text_stream(fd: int, encoding: str) -> io.TextIOWrapper:
    return io.TextIOWrapper(open(fd, "wb", closefd=False), encoding=encoding, errors="backslashreplace",
                            line_buffering=True)


def _peer_uid(connection: socket.socket) -> int:
    credentials = connection.getsockopt(socket.SOL_SOCKET, socket.SO_PEERCRED, struct.calcsize("3i"))
    _, uid, _ = struct.unpack("3i", credentials)
    return uid


def _signal(pid: int, signum: int) -> None:
    try:
        os.kill(pid, signum)
    except ProcessLookupError:
        pass


def _send(connection: socket.socket, message: dict) -> None:
    try:
        connection.sendall(json.dumps(message).encode() + b"\n")
    except OSError:
        pass


def _close_all(fds: list[int]) -> None:
    for fd in fds:
        try:
            os.close(fd)
        except OSError:
            pass


def main(folder: str) -> None:
    import gc
    import threading

    preload()
    gc.collect()
    gc.freeze()   # a grading's garbage collections skip what it inherited: no copy-on-write of every page

    print(f"ready: pid {os.getpid()}, version {runtime.version()}, threads {threading.active_count()}",
          flush=True)
    Server(Path(folder)).serve()


if __name__ == "__main__":
    main(sys.argv[1])
