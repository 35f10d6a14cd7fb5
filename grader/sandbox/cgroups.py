"""A control group per run: limits on the whole process tree (memory, process count), its CPU time,
and a way to kill every process in it, however it was started (double forks, new sessions).

cgroup v1 (separate memory, pids, cpuacct and freezer hierarchies, as on this project's Debian
machines) and v2 (one unified hierarchy) are both handled; each run's group is made below the
grader's own group, so a grader confined by its own parent stays within it. Without write access to
cgroups (not root), `RunCgroup.create` returns None and the sandbox falls back to per-process limits.
"""

from __future__ import annotations

import os
import signal
import time
from dataclasses import dataclass, field
from pathlib import Path

ROOT = Path("/sys/fs/cgroup")
V1_REQUIRED = ("memory", "pids")
V1_OPTIONAL = ("cpuacct", "freezer")   # CPU time and a race-free kill, where mounted
PREFIX = "grader-run-"
# a killed run's processes are gone within milliseconds: looked for that often (every grading waits)
POLL_S = 0.002
REMOVE_WAIT_S = 1.0   # how long a group may take to empty before its folder is left


def _own_path(controller: str | None) -> str:
    """Where this process sits in a hierarchy ('' controller name for v2)."""
    for line in Path("/proc/self/cgroup").read_text().splitlines():
        _, controllers, path = line.split(":", 2)
        if ((controller is None and controllers == "")
                or (controller and controller in controllers.split(","))):
            return path.lstrip("/")
    raise FileNotFoundError(f"no {controller or 'v2'} cgroup for this process")


def _v2() -> bool:
    return (ROOT / "cgroup.controllers").is_file()


@dataclass
class RunCgroup:
    name: str
    version: int
    folders: dict[str, Path] = field(default_factory=dict)   # controller ('' on v2) -> the run's folder

    @classmethod
    def create(cls, name: str, *, memory_bytes: int, max_processes: int) -> RunCgroup | None:
        group = cls(PREFIX + name, 2 if _v2() else 1)
        try:
            if group.version == 2:
                folder = ROOT / _own_path(None) / group.name
                folder.mkdir()
                group.folders[""] = folder
                (folder / "memory.max").write_text(str(memory_bytes))
                (folder / "memory.swap.max").write_text("0")
                (folder / "pids.max").write_text(str(max_processes))
            else:
                for controller in V1_REQUIRED + V1_OPTIONAL:
                    if controller in V1_OPTIONAL and not (ROOT / controller).is_dir():
                        continue
                    folder = ROOT / controller / _own_path(controller) / group.name
                    folder.mkdir()
                    group.folders[controller] = folder
                (group.folders["memory"] / "memory.limit_in_bytes").write_text(str(memory_bytes))
                swap = group.folders["memory"] / "memory.memsw.limit_in_bytes"
                if swap.exists():
                    swap.write_text(str(memory_bytes))
                (group.folders["pids"] / "pids.max").write_text(str(max_processes))
        except OSError:
            group.remove()
            return None
        return group

    @property
    def procs_files(self) -> list[str]:
        """The files a process writes its pid to, to join the group (in every hierarchy)."""
        return [str(folder / "cgroup.procs") for folder in self.folders.values()]

    def _file(self, controller: str, v1_name: str, v2_name: str) -> Path:
        return self.folders[""] / v2_name if self.version == 2 else self.folders[controller] / v1_name

    def pids(self) -> set[int]:
        folder = self.folders.get("" if self.version == 2 else "pids")
        try:
            return {int(pid) for pid in (folder / "cgroup.procs").read_text().split()} if folder else set()
        except OSError:
            return set()

    @property
    def counts_cpu(self) -> bool:
        return self.version == 2 or "cpuacct" in self.folders

    def cpu_seconds(self) -> float:
        try:
            if self.version == 2:
                stat = dict(line.split() for line in (self.folders[""] / "cpu.stat").read_text().splitlines())
                return int(stat["usage_usec"]) / 1e6
            return (int((self.folders["cpuacct"] / "cpuacct.usage").read_text()) / 1e9
                    if "cpuacct" in self.folders else 0.0)
        except (OSError, KeyError, ValueError):
            return 0.0

    def memory_peak_bytes(self) -> int:
        try:
            return int(self._file("memory", "memory.max_usage_in_bytes", "memory.peak").read_text())
        except (OSError, ValueError):
            return 0

    def oom_kills(self) -> int:
        """How many processes the memory limit killed (the kernel's OOM killer, inside this group)."""
        try:
            text = self._file("memory", "memory.oom_control", "memory.events").read_text()
        except OSError:
            return 0
        counts = dict(line.split() for line in text.splitlines() if len(line.split()) == 2)
        return int(counts.get("oom_kill", 0))

    def kill(self, timeout: float = 5.0) -> None:
        """SIGKILL every process of the run; frozen first on v1 so that nothing forks meanwhile."""
        if self.version == 2:
            try:
                (self.folders[""] / "cgroup.kill").write_text("1")
            except OSError:
                pass
        freezer = self.folders.get("freezer")
        deadline = time.monotonic() + timeout
        while (pids := self.pids()) and time.monotonic() < deadline:
            if freezer:
                _write_quietly(freezer / "freezer.state", "FROZEN")
            for pid in pids:
                try:
                    os.kill(pid, signal.SIGKILL)
                except ProcessLookupError:
                    pass
            if freezer:
                _write_quietly(freezer / "freezer.state", "THAWED")
            time.sleep(POLL_S)

    def remove(self) -> None:
        for folder in self.folders.values():
            for _ in range(round(REMOVE_WAIT_S / POLL_S)):   # a killed process leaves it a moment later
                try:
                    folder.rmdir()
                    break
                except FileNotFoundError:
                    break
                except OSError:
                    time.sleep(POLL_S)


def _write_quietly(path: Path, text: str) -> None:
    try:
        path.write_text(text)
    except OSError:
        pass


def available() -> bool:
    """Whether this process may make cgroups (root, with the memory and pids controllers)."""
    if os.geteuid() != 0:
        return False
    if _v2():
        return {"memory", "pids"} <= set((ROOT / "cgroup.controllers").read_text().split())
    return all((ROOT / controller).is_dir() for controller in V1_REQUIRED)
