"""The run record: a plain, JSON-serialisable account of one notebook run.

It is the hand-over between the runner and everything after it (checks, reports), so it holds
facts only: what each cell did, what the grader provided, what the account saw, how the kernel
ended, and which tools did the work.
"""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass, field
from importlib import metadata
from pathlib import Path

from ..files import write_atomic

SCHEMA = "grader.run-record/1"
CELL_STATUSES = ("ok", "error", "timeout", "not_run")
LIMITS = ("cell_timeout", "notebook_timeout", "memory", "output", "cpu_time")
KERNEL_FATES = ("finished", "died", "killed", "failed_to_start")
# the grader's side of a run (the kernel's: environments)
GRADER_TOOLS = ("moto", "nbclient", "sagemaker-course-grader")


@dataclass
class CellError:
    name: str
    value: str
    traceback: list[str] = field(default_factory=list)


@dataclass
class CellRecord:
    index: int
    source: str
    status: str = "not_run"
    execution_count: int | None = None
    duration_s: float = 0.0
    # CPU time the run's sandbox used while the cell ran (what limits count)
    cpu_s: float = 0.0
    stdout: str = ""
    stderr: str = ""
    rich: list[dict] = field(default_factory=list)   # {"mime_types": [...], "text": short text/plain}
    # matplotlib figures drawn: {"axes": [{title, lines, points, bars}]}
    figures: list[dict] = field(default_factory=list)
    error: CellError | None = None
    limits_hit: list[str] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)


@dataclass
class KernelFate:
    status: str = "finished"
    message: str = ""
    cell: int | None = None   # the cell running when the kernel died or was killed


@dataclass
class RunRecord:
    activity: str
    submission: dict                      # path, name, sha256, accepted_as, notes (execution/submission.py)
    account: dict                         # account_id, region, role_arn
    limits: dict
    started_at: str = ""
    duration_s: float = 0.0
    cells: list[CellRecord] = field(default_factory=list)
    kernel: KernelFate = field(default_factory=KernelFate)
    provided: list[dict] = field(default_factory=list)    # what the grader set up, not the student
    data_files: list[dict] = field(default_factory=list)
    helpers: list[dict] = field(default_factory=list)     # declared helper modules copied: name, source
    services: dict = field(default_factory=dict)
    # the kernel environment: name, python, versions, why chosen
    environment: dict = field(default_factory=dict)
    sandbox: dict = field(default_factory=dict)           # isolation and whole-sandbox usage (grader/sandbox)
    # seconds per stage: setup, kernel start, cells, shutdown
    stages: dict = field(default_factory=dict)
    api_log: list[dict] = field(default_factory=list)
    tools: dict = field(default_factory=dict)
    executed_notebook: str | None = None
    notebook: str = ""                    # the activity notebook this file was graded as
    schema: str = SCHEMA

    @property
    def synthetic_data(self) -> bool:
        return any(item.get("synthetic") for item in self.data_files) or any(
            service.get("synthetic") for service in self.services.values())

    def summary(self) -> dict:
        counts = {status: sum(cell.status == status for cell in self.cells) for status in CELL_STATUSES}
        return {"cells": len(self.cells), **counts, "kernel": self.kernel.status,
                "synthetic_data": self.synthetic_data}

    def to_dict(self) -> dict:
        return {**asdict(self), "summary": self.summary()}

    def write(self, path: Path) -> None:
        write_atomic(path, json.dumps(self.to_dict(), indent=1, default=str))

    @classmethod
    def from_dict(cls, raw: dict) -> RunRecord:
        raw = {key: value for key, value in raw.items() if key != "summary"}
        cells = []
        for cell in raw.pop("cells", []):
            error = cell.pop("error", None)
            cells.append(CellRecord(**cell, error=CellError(**error) if error else None))
        kernel = KernelFate(**raw.pop("kernel", {}))
        return cls(**raw, cells=cells, kernel=kernel)

    @classmethod
    def read(cls, path: Path) -> RunRecord:
        return cls.from_dict(json.loads(Path(path).read_text()))


def tool_versions(kernel_versions: dict | None = None) -> dict:
    """The versions that did the work: the grader's tools, and the kernel environment's Python and
    packages (read inside that environment; the grader's own when not given)."""
    if kernel_versions is None:
        from .interpreter import facts

        kernel_versions = facts()["versions"]
    versions = dict(kernel_versions)
    for name in GRADER_TOOLS:
        try:
            versions[name] = metadata.version(name)
        except metadata.PackageNotFoundError:
            versions[name] = None
    return versions
