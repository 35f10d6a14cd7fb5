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
from pathlib import Path

from jupyter_client.kernelspec import KernelSpecManager
from jupyter_client.manager import AsyncKernelManager

KERNEL_NAME = "python3"
# nbclient already points the history at :memory:; this loads the pip guard into every kernel.
KERNEL_ARGUMENTS = ["--IPKernelApp.extensions=grader_ipython"]


def _matplotlib_cache() -> Path | None:
    """A font cache built once per machine and copied into each run's fresh config dir (building it
    costs ~3 s per kernel). Copied, not shared, so one run cannot tamper with the next."""
    cache = Path(os.environ.get("XDG_CACHE_HOME", Path.home() / ".cache")) / "sagemaker-course-grader" / "matplotlib"
    if not any(cache.glob("fontlist-*.json")):
        cache.mkdir(parents=True, exist_ok=True)
        subprocess.run([sys.executable, "-c", "import matplotlib.font_manager"], env={
            "MPLCONFIGDIR": str(cache), "PATH": os.environ.get("PATH", ""), "HOME": str(cache)},
            capture_output=True, timeout=120)
    return cache if any(cache.glob("fontlist-*.json")) else None


def stage_home(home: Path) -> None:
    """What a fresh home needs before the kernel starts: a temp folder and the font cache."""
    (home / "tmp").mkdir(parents=True, exist_ok=True)
    fonts = _matplotlib_cache()
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


def fork_server_environment(home: str, python_bin: Path, emulator_env: dict[str, str]) -> dict[str, str]:
    """What a sandboxed kernel's environment holds at start-up that library imports may read, with none
    of a run's own values (its account's credentials arrive with the run): the warm-kernel server
    imports the environment's libraries under it. The font cache is the shared one, read at import."""
    return {**kernel_environment(home, python_bin=python_bin, memory_mb=None, emulator_env=emulator_env),
            "MPLCONFIGDIR": str(_matplotlib_cache() or "")}


def kernel_manager() -> AsyncKernelManager:
    """Always the grader's own Python (whatever kernel name the notebook was saved with, such as
    SageMaker's `conda_python3`), so graded code sees the pinned stack."""
    return AsyncKernelManager(kernel_name=KERNEL_NAME, kernel_spec_manager=KernelSpecManager(kernel_dirs=[]))
