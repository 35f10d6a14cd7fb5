"""The trust boundary of a graded run.

Everything inside a run's sandbox (the kernel and whatever it starts) is the student's and may lie;
the emulator, the evidence, the checks and every file the grader writes are outside it. `open_run`
gives an IsolatedRun (Linux namespaces, its own unprivileged user, a control group, bridges to this
run's services only) wherever this machine can make one, else a HostRun that says why not.
"""

from __future__ import annotations

import functools
import json
import os
import subprocess
import sys
import tempfile
from pathlib import Path

from .host import HostRun
from .isolated import HOME, IsolatedRun, KernelPython, SandboxLimits, service_url

__all__ = ["HOME", "KernelPython", "HostRun", "IsolatedRun", "IsolationUnavailable", "SandboxLimits",
           "isolation_problem", "open_run", "service_url"]

ENTER = Path(__file__).resolve().with_name("enter.py")


class IsolationUnavailable(RuntimeError):
    """A run that had to be sandboxed (a batch's) on a machine that cannot: the grading is refused,
    never done unsandboxed."""


@functools.lru_cache(maxsize=1)
def isolation_problem() -> str | None:
    """Why this machine cannot isolate runs (None when it can): probed once per process by building a
    minimal sandbox for real, since kernels, containers and sysctls differ in what they allow."""
    if sys.platform != "linux":
        return f"{sys.platform} has no Linux namespaces"
    with tempfile.TemporaryDirectory(prefix="grader-probe-") as scratch:
        (Path(scratch) / "home").mkdir()
        (Path(scratch) / "root").mkdir()
        userns = os.geteuid() != 0
        spec = {"userns": userns, "uid": 0 if userns else 65534, "gid": 0 if userns else 65534,
                "cgroup_procs": [], "root": f"{scratch}/root", "hostname": "probe",
                "binds": [{"source": folder, "target": folder}
                          for folder in ("/usr", "/bin", "/lib", "/lib64")
                          if os.path.exists(folder)],
                "masks": [], "home": {"path": "/home/probe", "size_mb": 1, "copy_from": f"{scratch}/home"},
                "shm_mb": 1, "bridges": [], "rlimits": {}, "cwd": "/", "argv": ["/bin/true"], "env": {},
                "setup_log": f"{scratch}/setup.log"}
        (Path(scratch) / "spec.json").write_text(json.dumps(spec))
        try:
            done = subprocess.run([sys.executable, "-I", "-S", str(ENTER), f"{scratch}/spec.json"],
                                  capture_output=True, text=True, timeout=30)
        except (OSError, subprocess.TimeoutExpired) as error:
            return f"the sandbox probe could not run ({error})"
        said = (Path(scratch) / "setup.log").read_text() if (Path(scratch) / "setup.log").exists() else ""
    if done.returncode != 0:
        return ((said + done.stderr).strip().splitlines() or [f"exit code {done.returncode}"])[-1]
    return None


def open_run(home: Path, limits: SandboxLimits, environment: KernelPython, *, isolate: str = "auto",
             fork_server=None):
    """`isolate`: "auto" (isolate when possible), "required" (refuse to run unisolated: IsolationUnavailable)
    or "off" (never, e.g. to debug a notebook). `fork_server` (grader/sandbox/warm.py) starts the
    kernel warm in an isolated run."""
    problem = "isolation turned off" if isolate == "off" else isolation_problem()
    if problem is None:
        return IsolatedRun(home, limits, environment, fork_server)
    if isolate == "required":
        raise IsolationUnavailable(f"this machine cannot isolate graded runs: {problem}")
    return HostRun(home, limits, environment, reason=problem)
