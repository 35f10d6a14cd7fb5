"""The fallback when this machine cannot make a sandbox (not Linux, or no user namespaces for a
non-root user): the kernel runs as the grader's user, with per-process limits and the kernel-side
loopback guard only. The run record says so, and every result built on it is marked unisolated."""

from __future__ import annotations

from pathlib import Path

from jupyter_client.manager import AsyncKernelManager

from ..loopback_server import LoopbackServer
from .isolated import KernelPython, SandboxLimits

KERNEL_SITE = Path(__file__).resolve().parents[1] / "kernel_site"


class HostRun:
    kind = "host"

    def __init__(self, home: Path, limits: SandboxLimits, environment: KernelPython, reason: str):
        self.stage_home, self.limits, self.environment, self.reason = Path(home), limits, environment, reason
        self._servers: list[LoopbackServer] = []

    @property
    def home(self) -> str:
        return str(self.stage_home)

    @property
    def workdir(self) -> str:
        return str(self.stage_home / "work")

    @property
    def kernel_site(self) -> str:
        return str(KERNEL_SITE)

    @property
    def kernel_memory_limit_mb(self) -> int:
        """No sandbox to limit memory: the kernel caps its own address space at start-up."""
        return self.limits.memory_mb

    def serve(self, service: str, app, handler=None) -> str:
        """Serve the WSGI `app` on the host's loopback; returns its URL."""
        server = LoopbackServer(app, name=service, **({"handler": handler} if handler else {}))
        server.start()
        self._servers.append(server)
        return server.url

    def adopt(self, manager: AsyncKernelManager) -> AsyncKernelManager:
        return manager

    def cpu_seconds(self) -> None:
        """No control group counts the run's CPU time: the runner counts the kernel's processes."""
        return None

    def kernel_ready(self) -> None:
        """Nothing to close: the kernel runs as the grader's user."""

    def __enter__(self) -> HostRun:
        return self

    def __exit__(self, *exc) -> None:
        for server in self._servers:
            server.stop()

    def report(self) -> dict:
        return {"isolated": False, "kind": self.kind, "reason": self.reason}
