"""Load never changes a grade: time limits count the CPU time of the run, so the same notebook gets the
same verdict on an idle machine and on one whose cores are busy (a batch with more workers than cores,
other users). The test makes the contention itself: busy-loop processes pinned to every core, started
and stopped by the test; it asserts CPU times and ratios, never wall-clock durations."""

import json
import os
import subprocess
import sys
from pathlib import Path

import nbformat
import pytest

from grader.cli import main

BUSY_PER_CORE = 2   # a kernel then has about 2/5 of a core: slow, but within the wall-clock backstop
CELL_CPU_LIMIT = 2
WORK = """
import time
def busy(seconds):
    start = time.process_time()
    while time.process_time() - start < seconds:
        pass
busy(1.2)
"""


def _notebook(path: Path) -> Path:
    nb = nbformat.v4.new_notebook(metadata={"kernelspec": {"name": "python3", "display_name": "Python 3",
                                                           "language": "python"}})
    nb.cells = [nbformat.v4.new_code_cell(source) for source in
                (WORK,                      # within its CPU limit however long the wall clock says it took
                 "while True:\n    pass",   # never within it
                 "print('after')")]
    nbformat.write(nb, path)
    return path


def _grade(submission: Path, out: Path) -> tuple[dict, list[dict]]:
    """`grader check` as a user runs it; the result and the run record it left."""
    assert main(["check", "iam-user", str(submission), "--out", str(out), "--json", str(out / "result.json"),
                 "--cell-timeout", str(CELL_CPU_LIMIT)]) == 0
    record, = out.rglob("*.run.json")
    return json.loads((out / "result.json").read_text()), json.loads(record.read_text())["cells"]


def _verdict(result: dict, cells: list[dict]) -> dict:
    return {"score": result["score"],
            "checks": [(check["id"], check["status"]) for check in result["checks"]],
            "cells": [(cell["status"], cell["limits_hit"]) for cell in cells]}


class Contention:
    """Busy loops on every core, BUSY_PER_CORE each, pinned there, each in a session of its own: the
    scheduler shares the CPU between sessions (autogroups) before processes, and a kernel runs in its
    own session, as other runs' kernels do."""

    def __enter__(self):
        cores = sorted(os.sched_getaffinity(0))
        loop = "import os, sys\nos.sched_setaffinity(0, {int(sys.argv[1])})\nwhile True:\n    pass"
        self.loops = [subprocess.Popen([sys.executable, "-c", loop, str(core)], start_new_session=True)
                      for core in cores for _ in range(BUSY_PER_CORE)]
        return self

    def __exit__(self, *exc):
        for loop in self.loops:
            loop.kill()
            loop.wait()


@pytest.mark.slow
def test_the_same_notebook_gets_the_same_verdict_idle_and_under_cpu_contention(tmp_path):
    submission = _notebook(tmp_path / "create_admin_user.ipynb")
    idle = _grade(submission, tmp_path / "idle")
    with Contention():
        loaded = _grade(submission, tmp_path / "loaded")
    assert _verdict(*loaded) == _verdict(*idle)
    assert [cell["status"] for cell in idle[1]] == ["ok", "timeout", "ok"]
    work_idle, work_loaded = idle[1][0], loaded[1][0]
    # the contention was real: under load the cell had less than half a core, and less than idle
    share_idle, share_loaded = (cell["cpu_s"] / cell["duration_s"] for cell in (work_idle, work_loaded))
    assert share_loaded < 0.5 and share_loaded < share_idle
    for _, (_, looped, _) in (idle, loaded):
        assert CELL_CPU_LIMIT <= looped["cpu_s"]
        assert f"its {CELL_CPU_LIMIT} s of CPU time" in looped["error"]["value"]
