"""Floods and hangs end within the sandbox's limits, with the reason recorded: memory of the whole
process tree, CPU time, wall-clock time. The watchdog that enforces them runs in the grader, where
the kernel cannot signal it."""

import json
import subprocess
import sys
import time
from dataclasses import replace

import nbformat
import pytest

from grader.activities import load
from grader.execution import read_submission, run_submission
from grader.execution.limits import RunLimits
from grader.sandbox import SandboxLimits, isolation_problem, open_run
from grader.sandbox.provisioner import ENTER

pytestmark = [pytest.mark.slow,
              pytest.mark.skipif(isolation_problem() is not None,
                                 reason=f"no sandbox here: {isolation_problem()}")]


def sandboxed(tmp_path, limits: SandboxLimits, *argv: str, environment=None):
    """Start `argv` in a sandbox the way the kernel provisioner does; returns (run, monitor process)."""
    from grader.execution import environments

    home = tmp_path / "home"
    (home / "work").mkdir(parents=True)
    run = open_run(home, limits, environment or environments.current())
    run.__enter__()
    spec = run.spec(argv=list(argv), env={"PATH": "/usr/bin:/bin"})
    (run.folder / "spec.json").write_text(json.dumps(spec))
    monitor = subprocess.Popen([sys.executable, "-I", "-S", str(ENTER), str(run.folder / "spec.json")])
    run.started(monitor)
    return run, monitor


LIMITS = SandboxLimits(memory_mb=512, processes=64, disk_mb=64, cpu_seconds=600, wall_seconds=600)


def test_a_run_past_its_wall_clock_is_killed_by_the_watchdog(tmp_path):
    run, monitor = sandboxed(tmp_path, replace(LIMITS, wall_seconds=2), sys.executable, "-c",
                             "import time; time.sleep(60)")
    started = time.monotonic()
    try:
        monitor.wait(timeout=30)
        assert time.monotonic() - started < 10 and run.limit_hit == "wall_time"
    finally:
        run.__exit__(None, None, None)


def test_a_run_past_its_cpu_time_is_killed(tmp_path):
    busy = "import os\nos.fork()\nwhile True: pass"   # two busy processes: CPU time counts the whole tree
    run, monitor = sandboxed(tmp_path, replace(LIMITS, cpu_seconds=2), sys.executable, "-c", busy)
    try:
        monitor.wait(timeout=60)
        assert run.limit_hit == "cpu_time" and run.report()["cpu_s"] >= 2
    finally:
        run.__exit__(None, None, None)


def test_a_memory_bomb_is_killed_at_the_sandbox_limit_and_said_so(emulator, tmp_path):
    nb = nbformat.v4.new_notebook(metadata={"kernelspec": {"name": "python3", "display_name": "Python 3",
                                                           "language": "python"}})
    nb.cells = [nbformat.v4.new_code_cell("print('before')"),
                nbformat.v4.new_code_cell("hog = b'x' * (3 << 30)"),
                nbformat.v4.new_code_cell("print('after')")]
    nbformat.write(nb, tmp_path / "create_admin_user.ipynb")
    outcome = run_submission(load("iam-user"), read_submission(tmp_path / "create_admin_user.ipynb"),
                             emulator, limits=RunLimits(memory_mb=700, cell_timeout=60, notebook_timeout=120))
    record = outcome.record
    bomb = record.cells[1]
    assert record.sandbox["oom_kills"] >= 1 and record.kernel.status == "died"
    assert "memory" in bomb.limits_hit and "memory limit (700 MB)" in record.kernel.message
    assert record.cells[2].status == "not_run"
