"""The baseline the benchmarks compare grading with: one notebook run by nbclient in a fresh kernel
against the emulator, and nothing else (the nbgrader / Otter model: no sandbox, no warm kernel, no
snapshot, no rubric). It gets what a graded run gets, so both do the same work: the activity's data
files in its folder, a fresh emulator account, and the bucket the course makes in the S3 console."""

import asyncio
import subprocess
import sys
import time
from pathlib import Path

import nbformat
from nbclient import NotebookClient

from grader.emulator import client_environment
from grader.execution import environments
from grader.execution.kernel import kernel_environment, stage_home
from grader.execution.prerequisites import provide_console_resources
from grader.execution.workspace import prepare_workspace


def plain_run(activity, notebook: Path, emulator) -> tuple[float, list[str]]:
    """(seconds, the errors its cells raised): a baseline that skipped its work by failing is no baseline."""
    started = time.perf_counter()
    workspace = prepare_workspace(notebook, list(activity.data), None)
    try:
        stage_home(workspace.home, environments.current())
        nb = nbformat.read(notebook, as_version=4)
        account = emulator.new_account(activity.region)
        provide_console_resources(nb, account, activity.region)
        env = kernel_environment(str(workspace.home), python_bin=Path(sys.executable).parent, memory_mb=None,
                                 emulator_env=client_environment(emulator.url, account))
        client = NotebookClient(nb, kernel_name="python3", allow_errors=True, shutdown_kernel="immediate",
                                resources={"metadata": {"path": str(workspace.workdir)}})
        asyncio.run(client.async_execute(env=env, stderr=subprocess.DEVNULL))   # shut down afterwards
        emulator.remove_account(account.account_id)
    finally:
        workspace.remove()
    errors = [f"{output.ename}: {output.evalue}" for cell in nb.cells if cell.cell_type == "code"
              for output in cell.get("outputs", []) if output.output_type == "error"]
    return time.perf_counter() - started, errors
