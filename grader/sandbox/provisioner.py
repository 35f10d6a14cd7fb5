"""A jupyter_client kernel provisioner that starts the kernel inside a run's sandbox, so nbclient
drives a sandboxed kernel exactly as it drives a local one.

The process it starts is the sandbox's monitor (grader/sandbox/enter.py): signals sent to it reach
the kernel's process group inside, and killing it ends the whole sandbox. The provisioner never
signals a process group of the grader's side.
"""

from __future__ import annotations

import asyncio
import json
import subprocess
import sys
from pathlib import Path
from typing import Any

from jupyter_client.connect import KernelConnectionInfo
from jupyter_client.provisioning import LocalProvisioner

from .warm import ForkServerError

ENTER = Path(__file__).resolve().with_name("enter.py")


class SandboxProvisioner(LocalProvisioner):
    """Needs `sandbox` (an IsolatedRun) set on it before the kernel starts."""

    sandbox = None

    async def pre_launch(self, **kwargs: Any) -> dict[str, Any]:
        kwargs = await super().pre_launch(**kwargs)
        self.sandbox.give_to_kernel(Path(self.parent.connection_file))
        spec = self.sandbox.spec(argv=kwargs["cmd"], env=kwargs.get("env") or {})
        spec_path = self.sandbox.folder / "spec.json"
        spec_path.write_text(json.dumps(spec))
        kwargs["cmd"] = [sys.executable, "-I", "-S", str(ENTER), str(spec_path)]
        return kwargs

    async def launch_kernel(self, cmd: list[str], **kwargs: Any) -> KernelConnectionInfo:
        self.process = None
        if self.sandbox.fork_server is not None:   # a warm kernel: forked from the environment's server
            try:
                self.process = await self.sandbox.fork_server.fork(self.sandbox.folder / "spec.json")
                self.sandbox.warm = True
            except ForkServerError as error:       # a cold kernel still grades the run
                self.sandbox.warm_error = str(error)
        if self.process is None:
            self.process = subprocess.Popen(cmd, stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL,
                                            stderr=subprocess.DEVNULL, cwd=self.sandbox.folder,
                                            env={"PATH": "/usr/bin:/bin"}, start_new_session=True)
        self.pid, self.pgid = self.process.pid, None   # never signal a group: the monitor forwards
        self.sandbox.started(self.process)
        return self.connection_info

    async def wait(self) -> int | None:
        """Wait for the end itself (jupyter_client's own wait polls every 0.1 s)."""
        if self.process is not None:
            await asyncio.to_thread(self.process.wait)
        return await super().wait()

    async def kill(self, restart: bool = False) -> None:
        await super().kill(restart)
        self.sandbox.kill()
