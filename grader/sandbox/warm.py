"""The grader's side of warm kernels: one fork server (zygote.py) per kernel environment and grader
process, started on first use (or ahead of it, to overlap its imports with other work), and the
kernels it forks, driven like processes.

A batch worker keeps its servers for all the submissions it grades, so each environment's imports
are paid once per worker instead of once per submission. The warm grader (grader/warm_server/) keeps
them across `grader check` commands: its gradings are forks of the process that started the servers,
and use them without owning them (only the owner stops a server).
"""

from __future__ import annotations

import asyncio
import atexit
import json
import os
import select
import shutil
import signal
import socket
import subprocess
import tempfile
import threading
import time
from pathlib import Path

ZYGOTE = Path(__file__).resolve().with_name("zygote.py")
READY_TIMEOUT_S = 180.0   # the environment's imports, on a loaded machine
READY_POLL_S = 0.05


class ForkServerError(RuntimeError):
    """The fork server could not start or fork; the run falls back to a cold kernel."""


class ForkedKernel:
    """A kernel's monitor forked by the server, with the subset of subprocess.Popen that jupyter_client's
    provisioner uses. Its exit status arrives from the server; signals go through a pidfd, so they can
    never reach a recycled pid."""

    stdin = stdout = stderr = None

    def __init__(self, pid: int, connection: socket.socket):
        self.pid, self._connection = pid, connection
        self.returncode: int | None = None
        try:
            self._pidfd: int | None = os.pidfd_open(pid)
        except ProcessLookupError:   # it has already ended; its status is on the way
            self._pidfd = None

    def poll(self) -> int | None:
        if self.returncode is None and select.select([self._connection], [], [], 0)[0]:
            self._read_exit()
        return self.returncode

    def wait(self, timeout: float | None = None) -> int:
        if self.returncode is None:
            if not select.select([self._connection], [], [], timeout)[0]:
                raise subprocess.TimeoutExpired(str(self.pid), timeout)
            self._read_exit()
        return self.returncode

    def _read_exit(self) -> None:
        line = _read_line(self._connection)
        # server gone: so is the kernel
        self.returncode = json.loads(line)["exit"] if line else -signal.SIGKILL
        self._connection.close()
        if self._pidfd is not None:
            os.close(self._pidfd)
            self._pidfd = None

    def send_signal(self, signum: int) -> None:
        if self.returncode is None and self._pidfd is not None:
            try:
                signal.pidfd_send_signal(self._pidfd, signum)
            except ProcessLookupError:
                pass

    def terminate(self) -> None:
        self.send_signal(signal.SIGTERM)

    def kill(self) -> None:
        self.send_signal(signal.SIGKILL)


def _read_line(connection: socket.socket) -> bytes:
    data = b""
    while not data.endswith(b"\n"):
        chunk = connection.recv(4096)
        if not chunk:
            break
        data += chunk
    return data.strip()


class ForkServer:
    def __init__(self, python: Path, env: dict[str, str]):
        self.folder = Path(tempfile.mkdtemp(prefix="grader-forks-"))
        self.socket = self.folder / "server.sock"
        self._log = open(self.folder / "server.log", "wb")
        env = {**env, "HOME": str(self.folder), "TMPDIR": str(self.folder)}   # its own, never a kernel's
        self._process = subprocess.Popen([str(python), str(ZYGOTE), str(self.socket)], env=env,
                                         cwd=self.folder, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
                                         stderr=self._log, start_new_session=True)
        self._owner = os.getpid()
        self._pidfd = os.pidfd_open(self._process.pid)   # its liveness, seen from forks of the owner too
        self._ready = threading.Event()
        self._failed: str | None = None
        threading.Thread(target=self._wait_ready, name="fork-server-ready", daemon=True).start()

    def _wait_ready(self) -> None:
        for line in self._process.stdout:   # imports may print before the server says it is ready
            if line.strip() == b"ready":
                break
        else:
            self._failed = (self.folder / "server.log").read_text(errors="replace")[-1000:] or "it exited"
        self._ready.set()

    @property
    def pid(self) -> int:
        return self._process.pid

    async def _wait_ready_async(self) -> bool:
        """Polled, not a thread blocked on the event: an interrupted grading must not wait at its exit
        for a thread still waiting out the server's imports."""
        deadline = time.monotonic() + READY_TIMEOUT_S
        while not self._ready.is_set() and time.monotonic() < deadline:
            await asyncio.sleep(READY_POLL_S)
        return self._ready.is_set()

    def alive(self) -> bool:
        if os.getpid() == self._owner:
            return self._process.poll() is None   # reaps it if it ended
        return not select.select([self._pidfd], [], [], 0)[0]   # a pidfd turns readable when its process ends

    def wait_ready(self, timeout: float = READY_TIMEOUT_S) -> bool:
        """Wait for the server's imports; False if it failed or did not get there in time."""
        return self._ready.wait(timeout) and not self._failed and self.alive()

    async def fork(self, spec_path: Path) -> ForkedKernel:
        """Fork a kernel for the run whose spec is at `spec_path` (waiting for the server's imports)."""
        ready = await self._wait_ready_async()
        if not ready or self._failed or not self.alive():
            raise ForkServerError(f"the warm-kernel server did not start: {self._failed or 'timed out'}")
        connection = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        try:
            connection.connect(str(self.socket))
            connection.sendall(json.dumps({"spec": str(spec_path)}).encode() + b"\n")
            reply = json.loads(await asyncio.to_thread(_read_line, connection)
                               or b'{"error": "the server closed"}')
        except OSError as error:   # it died between the liveness check and its answer
            connection.close()
            raise ForkServerError(f"the warm-kernel server went away: {error}") from None
        if "pid" not in reply:
            connection.close()
            raise ForkServerError(reply.get("error", "no reply"))
        return ForkedKernel(reply["pid"], connection)

    def stop(self) -> None:
        if os.getpid() != self._owner:   # a fork of the owner (a warm grading) uses it, never stops it
            return
        if self.alive():
            self._process.kill()
            self._process.wait()
        self._process.stdout.close()
        self._log.close()
        os.close(self._pidfd)
        shutil.rmtree(self.folder, ignore_errors=True)


_servers: dict[tuple[str, str], ForkServer] = {}
_lock = threading.Lock()


def fork_server(python: Path, env: dict[str, str]) -> ForkServer:
    """This process's fork server for an environment (its Python and start-up environment), started
    now if it is not running yet."""
    key = (str(python), json.dumps(env, sort_keys=True))
    with _lock:
        server = _servers.get(key)
        if server is None or not server.alive():
            server = _servers[key] = ForkServer(python, env)
        return server


@atexit.register
def stop_all() -> None:
    """Stop the servers this process started (a fork of it leaves them to their owner)."""
    with _lock:
        for server in _servers.values():
            server.stop()
        _servers.clear()


def available() -> bool:
    """Warm kernels need pidfds (Linux 5.3+) besides the sandbox itself."""
    return hasattr(os, "pidfd_open") and hasattr(signal, "pidfd_send_signal")


def running() -> list[ForkServer]:
    """This process's fork servers that are up."""
    with _lock:
        return [server for server in _servers.values() if server.alive()]
