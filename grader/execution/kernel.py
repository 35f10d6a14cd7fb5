"""A graded kernel's process: the kernel environment's Python, an environment built from nothing, and
extensions.

The environment holds only what the notebook needs (the emulator's variables for its own account,
a throw-away HOME, PATH so `!ls` works) and never the host's: no AWS profiles or keys, no tokens.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import time
from pathlib import Path
from queue import Empty

from jupyter_client.asynchronous import AsyncKernelClient
from jupyter_client.kernelspec import KernelSpecManager
from jupyter_client.manager import AsyncKernelManager

from .environment_build import cache_root
from .environments import KernelEnvironment

KERNEL_NAME = "python3"
# nbclient already points the history at :memory:; this loads the pip guard into every kernel.
KERNEL_ARGUMENTS = ["--IPKernelApp.extensions=grader_ipython"]


def _matplotlib_cache(environment: KernelEnvironment) -> Path | None:
    """A font cache built once per machine and kernel environment (each matplotlib version has its own
    format), with that environment's Python, and copied into each run's fresh config dir (building it
    costs ~3 s per kernel). Copied, not shared, so one run cannot tamper with the next."""
    cache = cache_root() / "matplotlib" / environment.key
    if not any(cache.glob("fontlist-*.json")):
        cache.mkdir(parents=True, exist_ok=True)
        subprocess.run([str(environment.python), "-c", "import matplotlib.font_manager"], env={
            "MPLCONFIGDIR": str(cache), "PATH": os.environ.get("PATH", ""), "HOME": str(cache)},
            capture_output=True, timeout=120)
    return cache if any(cache.glob("fontlist-*.json")) else None


def stage_home(home: Path, environment: KernelEnvironment) -> None:
    """What a fresh home needs before the kernel starts: a temp folder and the font cache."""
    (home / "tmp").mkdir(parents=True, exist_ok=True)
    fonts = _matplotlib_cache(environment)
    if fonts:
        shutil.copytree(fonts, home / ".matplotlib", dirs_exist_ok=True)


def kernel_environment(home: str, *, python_bin: Path, emulator_env: dict[str, str], memory_mb: int | None,
                       extra: dict[str, str] | None = None) -> dict[str, str]:
    """The kernel's whole environment; `home` as the kernel sees it (inside its sandbox). With
    `memory_mb`, the kernel caps its own address space (grader/kernel_site/sitecustomize.py)."""
    return {
        **emulator_env,
        "HOME": home,
        "USER": "student",
        "LOGNAME": "student",
        "TMPDIR": f"{home}/tmp",
        "IPYTHONDIR": f"{home}/.ipython",
        "MPLCONFIGDIR": f"{home}/.matplotlib",
        "MPLBACKEND": "Agg",
        "PATH": os.pathsep.join([str(python_bin), "/usr/local/bin", "/usr/bin", "/bin"]),
        "LANG": "C.UTF-8",
        "PYTHONUNBUFFERED": "1",
        "PYDEVD_DISABLE_FILE_VALIDATION": "1",
        "PIP_NO_INDEX": "1",
        **({"GRADER_MEMORY_LIMIT_MB": str(memory_mb)} if memory_mb else {}),
        **(extra or {}),
    }


def fork_server_environment(home: str, environment: KernelEnvironment,
                            emulator_env: dict[str, str]) -> dict[str, str]:
    """What a sandboxed kernel's environment holds at start-up that library imports may read, with none
    of a run's own values (its account's credentials arrive with the run): the warm-kernel server
    imports the environment's libraries under it. The font cache is the environment's shared one, read
    at import."""
    return {**kernel_environment(home, python_bin=environment.bin_dir, memory_mb=None,
                                 emulator_env=emulator_env),
            "MPLCONFIGDIR": str(_matplotlib_cache(environment) or "")}


class _EnvironmentKernelSpecs(KernelSpecManager):
    """The one kernel a graded notebook gets: ipykernel on the kernel environment's Python."""

    python: str = sys.executable

    def get_kernel_spec(self, kernel_name):
        spec = super().get_kernel_spec(kernel_name)
        spec.argv = [self.python, *spec.argv[1:]]
        return spec


def kernel_manager(python: Path | None = None) -> AsyncKernelManager:
    """Always ipykernel on the kernel environment's Python (the grader's own by default), whatever
    kernel name the notebook was saved with (such as SageMaker's `conda_python3`)."""
    specs = _EnvironmentKernelSpecs(kernel_dirs=[])
    specs.python = str(python or sys.executable)
    manager = AsyncKernelManager(kernel_name=KERNEL_NAME, kernel_spec_manager=specs)
    manager.client_factory = ReadyClient
    return manager


class ReadyClient(AsyncKernelClient):
    """jupyter_client's wait_for_ready, except for its end: it drains IOPub until that has been quiet
    for 0.2 s, a fixed 0.2 s on every kernel start. Here the drain stops after 20 ms of quiet (what is
    left over is the start-up's own status messages, which cells' handling ignores anyway)."""

    async def wait_for_ready(self, timeout: float | None = None) -> None:
        deadline = time.monotonic() + (float("inf") if timeout is None else timeout)
        while time.monotonic() < deadline:
            self.kernel_info()
            try:
                reply = await self.shell_channel.get_msg(timeout=1)
            except Empty:
                reply = None
            if reply is not None and reply["msg_type"] == "kernel_info_reply":
                try:
                    await self.iopub_channel.get_msg(timeout=0.2)   # IOPub is connected too
                except Empty:
                    continue
                self._handle_kernel_info_reply(reply)
                while True:
                    try:
                        await self.iopub_channel.get_msg(timeout=0.02)
                    except Empty:
                        return
            if not await self._async_is_alive():
                raise RuntimeError("Kernel died before replying to kernel_info")
        raise RuntimeError(f"Kernel didn't respond in {timeout:g} seconds")
