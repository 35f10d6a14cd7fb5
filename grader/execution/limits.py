"""The limits a graded kernel runs under; each one hit is recorded with the cell that hit it.

Time limits count CPU time (of the run's whole sandbox: the kernel and whatever it starts), so a
notebook gets the same verdict on an idle machine and on one busy with a batch: load stretches the
wall clock, not the CPU a cell needs. A cell that sleeps or waits uses no CPU; a wall-clock backstop
of `wall_factor` times the CPU limit stops it.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, replace

from ..errors import UsageError


@dataclass(frozen=True)
class RunLimits:
    # CPU seconds one cell may use (slowest course cell: ~30 s, a Monte Carlo loop)
    cell_timeout: float = 120.0
    notebook_timeout: float = 600.0    # CPU seconds for all the notebook's cells
    # wall-clock backstop of both, for cells that sleep or wait: this many times
    wall_factor: float = 5.0
    # per process address space, and memory of the whole sandbox (the SDK flow needs ~1.5 GB)
    memory_mb: int = 4096
    output_bytes: int = 1_000_000      # captured output kept per cell; the rest is dropped and noted
    processes: int = 256               # processes and threads of the whole sandbox at once
    disk_mb: int = 1024                # the sandbox's writable space (home, work folder, /tmp), in memory
    # CPU time of the whole sandbox (two busy cores for the notebook timeout)
    cpu_seconds: float = 1200.0

    @property
    def cell_wall_seconds(self) -> float:
        return self.cell_timeout * self.wall_factor

    @property
    def notebook_wall_seconds(self) -> float:
        return self.notebook_timeout * self.wall_factor

    def to_dict(self) -> dict:
        return asdict(self)

    def with_overrides(self, **values) -> RunLimits:
        """These limits with the given fields replaced, ignoring None (an option not given)."""
        chosen = {key: value for key, value in values.items() if value is not None}
        for key, value in chosen.items():
            if key not in self.__dataclass_fields__:
                raise UsageError(f"unknown limit '{key}'; limits are {', '.join(self.__dataclass_fields__)}")
            if not isinstance(value, (int, float)) or value <= 0:
                raise UsageError(f"limit {key} must be a positive number, got {value!r}")
        return replace(self, **chosen)
