"""One run's sandbox, seen from the grader: its private folders, Unix sockets for the services the
kernel may reach, its control group and the spec that grader/sandbox/enter.py builds it from; a
watchdog that the kernel cannot signal enforces the run's wall-clock and CPU limits; leaving the
context kills every process of the run and removes everything.

What a kernel inside sees: the kernel environment's folders and the system's /usr, /lib, /etc,
read-only (the grader's own package hidden); its home (work folder, /tmp) in a size-limited tmpfs
that it owns; loopback only, where fixed ports lead to this run's emulator account and market-data
stub; its own PIDs, hostname and IPC; an unprivileged uid with no capabilities.
"""

from __future__ import annotations

import os
import secrets
import shutil
import tempfile
import threading
import time
from dataclasses import dataclass
from pathlib import Path

from jupyter_client.manager import AsyncKernelManager

from ..errors import UsageError
from ..loopback_server import LoopbackServer
from . import cgroups
from .provisioner import SandboxProvisioner

HOME = "/home/student"
WORKDIR = HOME + "/work"
KERNEL_SITE = "/opt/grader/kernel_site"
KERNEL_SITE_SOURCE = Path(__file__).resolve().parents[1] / "kernel_site"
SYSTEM_FOLDERS = ("/usr", "/bin", "/sbin", "/lib", "/lib32", "/lib64", "/libx32", "/etc")
# loopback ports inside; any free port works, these are fixed
SERVICE_PORTS = {"aws": 4566, "market_data": 5080}


def service_url(service: str) -> str:
    """Where a kernel inside any sandbox reaches `service` (the same in every run)."""
    return f"http://127.0.0.1:{SERVICE_PORTS[service]}"
CONNECTION_FILE = "connection.json"   # in the run's IPC folder, beside the kernel's sockets
UID_RANGE = (200_000, 1_000_000)    # a fresh unprivileged uid per run, owned by no one on the host
WATCH_EVERY_S = 0.25


@dataclass(frozen=True)
class SandboxLimits:
    """Limits on the whole sandbox (every process in it together)."""

    memory_mb: int
    processes: int
    disk_mb: int
    cpu_seconds: float
    wall_seconds: float     # from the kernel's start to the end of the run


@dataclass(frozen=True)
class KernelPython:
    """The Python a kernel runs on: its interpreter, the folders it needs (mounted read-only) and
    folders inside those that a kernel must never see (the grader's own package)."""

    python: Path
    folders: tuple[Path, ...]
    hidden: tuple[Path, ...] = ()


FOLDER_PREFIX = "grader-sandbox-"   # a run's folder in TMPDIR (mkdtemp adds 8 characters)
# Unix socket paths hold at most 107 bytes; a run's longest is TMPDIR's plus its folder's and the
# socket of its longest-named service
LONGEST_SOCKET = f"/{FOLDER_PREFIX}{'x' * 8}/sockets/{max(SERVICE_PORTS, key=len)}.sock"
SOCKET_PATH_MAX = 107


def require_short_tempdir() -> None:
    """A TMPDIR too deep for the run's sockets is refused in one line before anything starts (else
    every check of the grading ends in an error no one can read)."""
    longest = len(os.fsencode(tempfile.gettempdir() + LONGEST_SOCKET))
    if longest > SOCKET_PATH_MAX:
        raise UsageError(f"TMPDIR {tempfile.gettempdir()} is too long for the sandbox's sockets ({longest} "
                         f"bytes, at most {SOCKET_PATH_MAX}); set TMPDIR to a shorter folder, e.g. /tmp")


class IsolatedRun:
    """Context manager. `home` is the prepared home folder (with the work folder in it), copied into
    the sandbox; services are opened with `socket(name)` before the kernel starts."""

    kind = "namespaces"

    def __init__(self, home: Path, limits: SandboxLimits, environment: KernelPython, fork_server=None):
        self.stage_home, self.limits, self.environment = Path(home), limits, environment
        self.fork_server = fork_server          # a warm-kernel server for this environment, if any
        self.warm, self.warm_error = False, ""
        self.userns = os.geteuid() != 0
        self.uid = self.gid = (0 if self.userns
                               else secrets.randbelow(UID_RANGE[1] - UID_RANGE[0]) + UID_RANGE[0])
        require_short_tempdir()
        self.folder = Path(tempfile.mkdtemp(prefix=FOLDER_PREFIX))
        self.ipc = self.folder / "ipc"
        self.sockets = self.folder / "sockets"
        self.setup_log = self.folder / "setup.log"
        self.cgroup: cgroups.RunCgroup | None = None
        self.services: dict[str, Path] = {}
        self.limit_hit: str | None = None      # "wall_time" or "cpu_time" when the watchdog ended the run
        self.monitor = None                    # the process the provisioner started (Popen or ForkedKernel)
        self._started = 0.0
        self._stop = threading.Event()
        self._watchdog: threading.Thread | None = None
        self._servers: list[LoopbackServer] = []

    # --- what the run sets up around the kernel ---
    @property
    def home(self) -> str:
        return HOME

    @property
    def workdir(self) -> str:
        return WORKDIR

    @property
    def kernel_site(self) -> str:
        return KERNEL_SITE

    @property
    def kernel_memory_limit_mb(self) -> None:
        """The sandbox limits memory itself (cgroup, else rlimits in the spec): the kernel need not."""
        return None

    def serve(self, service: str, app, handler=None) -> str:
        """Serve the WSGI `app` to this run only, on a Unix socket bridged into the sandbox; returns
        the URL a kernel inside uses. Whoever connects there is this run: the socket says so, no
        header or key a kernel could forge."""
        path = self.sockets / f"{service}.sock"
        server = LoopbackServer(app, name=f"{service}-{self.folder.name}", unix_socket=path,
                                **({"handler": handler} if handler else {}))
        server.start()
        os.chmod(path, 0o666)
        self._servers.append(server)
        self.services[service] = path
        return service_url(service)

    def adopt(self, manager: AsyncKernelManager) -> AsyncKernelManager:
        """Make `manager` start its kernel in this sandbox, talking over Unix sockets in the run's IPC
        folder (the kernel has no network the grader could reach)."""
        manager.transport, manager.ip = "ipc", str(self.ipc / "kernel")
        manager.connection_file = str(self.ipc / CONNECTION_FILE)
        manager.kernel_id = secrets.token_hex(8)
        provisioner = SandboxProvisioner(kernel_id=manager.kernel_id, kernel_spec=manager.kernel_spec,
                                         parent=manager)
        provisioner.sandbox = self
        manager.provisioner = provisioner
        return manager

    def kernel_ready(self) -> None:
        """The kernel has bound its channels, so the IPC folder (on the host's disk, where the grader
        reaches the sockets) takes no more files: it and the connection file go back to the grader
        before any cell runs, and a notebook cannot fill the host's disk there. Under a user namespace
        the kernel is the grader's own user and could undo this (docs/security.md)."""
        if not self.userns:
            for path in (self.ipc / CONNECTION_FILE, self.ipc):
                os.chown(path, 0, 0)

    def cpu_seconds(self) -> float | None:
        """CPU time every process of the run has used so far (what time limits count); None without a
        control group that counts it."""
        return self.cgroup.cpu_seconds() if self.cgroup and self.cgroup.counts_cpu else None

    def give_to_kernel(self, path: Path) -> None:
        """Files the grader writes for the kernel (its connection file) must be readable by its user."""
        if not self.userns:
            os.chown(path, self.uid, self.gid)

    # --- life cycle ---
    def __enter__(self) -> IsolatedRun:
        try:
            for folder in (self.ipc, self.sockets, self.folder / "root"):
                folder.mkdir(mode=0o700)
            os.chmod(self.sockets, 0o711)
            os.chown(self.ipc, self.uid if not self.userns else os.getuid(),
                     self.gid if not self.userns else os.getgid())
            os.chmod(self.folder, 0o711)
            (self.folder / "passwd").write_text(f"root:x:0:0:root:/root:/usr/sbin/nologin\n"
                                                f"student:x:{self.uid}:{self.gid}:student:{HOME}:/bin/sh\n")
            (self.folder / "group").write_text(f"root:x:0:\nstudent:x:{self.gid}:\n")
            for name in ("passwd", "group"):   # the run's user reads them, whatever the grader's umask
                os.chmod(self.folder / name, 0o644)
            if cgroups.available():
                self.cgroup = cgroups.RunCgroup.create(self.folder.name,
                                                       memory_bytes=self.limits.memory_mb << 20,
                                                       max_processes=self.limits.processes)
        except BaseException:
            self._remove()
            raise
        return self

    def __exit__(self, *exc) -> None:
        self.kill()
        for server in self._servers:
            server.stop()
        self._remove()

    def started(self, monitor) -> None:
        """Called by the provisioner once the monitor runs: the limits' clock starts."""
        self.monitor, self._started = monitor, time.monotonic()
        self._watchdog = threading.Thread(target=self._watch, name="sandbox-watchdog", daemon=True)
        self._watchdog.start()

    def kill(self) -> None:
        """End every process of the run (idempotent)."""
        self._stop.set()
        if self.monitor is not None:
            self.monitor.kill()   # through its handle (which knows when it has ended): never a reused pid
        if self.cgroup:
            self.cgroup.kill()

    def _watch(self) -> None:
        deadline = self._started + self.limits.wall_seconds
        while not self._stop.wait(WATCH_EVERY_S):
            if time.monotonic() > deadline:
                self.limit_hit = "wall_time"
            elif (self.cpu_seconds() or 0.0) > self.limits.cpu_seconds:
                self.limit_hit = "cpu_time"
            if self.limit_hit:
                self.kill()
                return

    def _remove(self) -> None:
        if self.cgroup:
            self.cgroup.remove()
        shutil.rmtree(self.folder, ignore_errors=True)

    # --- the spec enter.py builds the sandbox from ---
    def spec(self, argv: list[str], env: dict[str, str]) -> dict:
        limits = self.limits
        binds = [{"source": folder, "target": folder} for folder in SYSTEM_FOLDERS if os.path.exists(folder)]
        binds += [{"source": str(folder), "target": str(folder)} for folder in self.environment.folders]
        binds += [{"source": str(KERNEL_SITE_SOURCE), "target": KERNEL_SITE},
                  {"source": str(self.ipc), "target": str(self.ipc), "writable": True},
                  {"source": str(self.sockets), "target": "/run/grader"},
                  {"source": str(self.folder / "passwd"), "target": "/etc/passwd"},
                  {"source": str(self.folder / "group"), "target": "/etc/group"}]
        rlimits = {"CORE": 0, "FSIZE": limits.disk_mb << 20, "CPU": int(limits.cpu_seconds), "NOFILE": 4096}
        if not self.cgroup:   # no whole-tree memory limit: cap each process's address space instead
            rlimits["AS"] = limits.memory_mb << 20
        if not self.userns:
            rlimits["NPROC"] = limits.processes   # counts this run's uid only: the uid is the run's own
        return {
            "userns": self.userns, "uid": self.uid, "gid": self.gid,
            "cgroup_procs": self.cgroup.procs_files if self.cgroup else [],
            "root": str(self.folder / "root"), "hostname": "sandbox",
            "binds": binds, "masks": [str(folder) for folder in self.environment.hidden],
            "home": {"path": HOME, "size_mb": limits.disk_mb, "copy_from": str(self.stage_home)},
            "shm_mb": min(limits.disk_mb, 256),
            "bridges": [{"port": SERVICE_PORTS[name], "socket": f"/run/grader/{path.name}"}
                        for name, path in self.services.items()],
            "rlimits": rlimits, "cwd": WORKDIR, "setup_log": str(self.setup_log),
            "argv": [str(self.environment.python), *argv[1:]], "env": env,
        }

    def report(self) -> dict:
        """What the run record keeps about the isolation and the limits of the whole sandbox."""
        report = {"isolated": True, "kind": self.kind, "user_namespace": self.userns, "uid": self.uid,
                  "warm_kernel": self.warm, **({"warm_error": self.warm_error} if self.warm_error else {}),
                  "limits_enforced_by": (f"cgroup v{self.cgroup.version}" if self.cgroup
                                         else "per-process rlimits"),
                  "setup_error": self.setup_log.read_text()[-2000:] if self.setup_log.exists() else "",
                  "limit_hit": self.limit_hit}
        if self.cgroup:
            report.update(cpu_s=round(self.cgroup.cpu_seconds(), 2),
                          memory_peak_mb=round(self.cgroup.memory_peak_bytes() / 2**20, 1),
                          oom_kills=self.cgroup.oom_kills())
        return report
