"""One graded run: submission -> workspace + fresh emulator account -> kernel -> run record.

The caller owns the emulator (one per batch) and gets the account back, so the account's state
can be collected into a snapshot before it is removed.
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

import nbformat

from ..activities import Activity
from ..emulator import client_environment, emulator_environment
from ..emulator.accounts import Account
from ..emulator.client import KERNEL_SITE
from ..files import write_atomic
from ..sandbox import HOME as KERNEL_HOME
from ..sandbox import SandboxLimits, isolation_problem, open_run, service_url
from ..sandbox import warm as warm_kernels
from ..snapshots.snapshot import read as read_snapshot
from . import environments
from .environments import KernelEnvironment
from .kernel import fork_server_environment, kernel_environment, kernel_manager, stage_home
from .limits import RunLimits
from .prerequisites import provide_console_resources
from .record import RunRecord, tool_versions
from .runner import NotebookRun
from .seeding import seed_from_snapshot
from .submission import Submission
from .workspace import prepare_workspace

KERNEL_START_GRACE_S = 60.0   # the sandbox's wall clock allows this beyond the notebook's wall-clock backstop


@dataclass
class RunOutcome:
    record: RunRecord
    account: Account
    executed: nbformat.NotebookNode


def write_run(outcome: RunOutcome, out: Path) -> tuple[Path, Path]:
    """Save <notebook>.executed.ipynb and <notebook>.run.json (which points at it) in `out`, the
    submission's own folder, named after the activity notebook the run was graded as."""
    stem = Path(outcome.record.notebook or outcome.record.submission["name"]).stem
    notebook_path = write_atomic(out / f"{stem}.executed.ipynb", nbformat.writes(outcome.executed))
    outcome.record.executed_notebook = str(notebook_path)
    record_path = out / f"{stem}.run.json"
    outcome.record.write(record_path)
    return record_path, notebook_path


def default_limits(activity: Activity) -> RunLimits:
    return RunLimits().with_overrides(**activity.limits)


def sandbox_limits(limits: RunLimits) -> SandboxLimits:
    return SandboxLimits(memory_mb=limits.memory_mb, processes=limits.processes, disk_mb=limits.disk_mb,
                         cpu_seconds=limits.cpu_seconds,
                         wall_seconds=limits.notebook_wall_seconds + KERNEL_START_GRACE_S)


def run_submission(activity: Activity, submission: Submission, emulator, *, limits: RunLimits,
                   data_dir: Path | None = None, snapshot: dict | None = None,
                   account: Account | None = None, notebook: str | None = None,
                   environment: KernelEnvironment | None = None, isolate: str = "auto",
                   warm: bool = True) -> RunOutcome:
    """Run one notebook (graded as the activity's `notebook`) in its own sandbox, in a fresh account
    or in `account` when an earlier notebook of the same activity prepared it. A snapshot of the
    student's account, when given, is the starting state; otherwise the console resources the
    notebook needs are inferred from its code. `warm`: fork the kernel from the environment's
    warm-kernel server (imports already done) rather than start a fresh interpreter."""
    started_at = datetime.now(UTC).isoformat(timespec="seconds")
    started = time.monotonic()
    environment = environment or environments.current()
    workspace = prepare_workspace(submission.path, list(activity.data), data_dir, helpers=activity.helpers,
                                  activity_folder=activity.folder)
    fresh = account is None
    if snapshot is None and activity.starting_state:
        snapshot = read_snapshot(activity.folder / activity.starting_state)
    account = account or emulator.new_account(activity.region)
    record = RunRecord(activity=activity.id, notebook=notebook or activity.notebooks[0],
                       submission=submission.to_dict(),
                       account={"account_id": account.account_id, "region": account.region,
                                "role_arn": account.role_arn},
                       limits=limits.to_dict(), started_at=started_at, data_files=workspace.data_files,
                       helpers=workspace.helpers, environment=environment.to_dict(),
                       tools=tool_versions(environment.versions))
    executed = nbformat.from_dict(submission.notebook)
    try:
        stage_home(workspace.home, environment)
        with open_run(workspace.home, sandbox_limits(limits), environment, isolate=isolate,
                      fork_server=fork_server_for(environment) if warm else None) as sandbox:
            if snapshot and fresh:
                record.provided = seed_from_snapshot(emulator, account, snapshot)
            else:
                record.provided = provide_console_resources(submission.notebook, account, activity.region)
            log_start = len(account.api_log)
            aws_url = sandbox.serve("aws", emulator.app_for(account), emulator.request_handler)
            extra_env = _start_services(activity, workspace.workdir, sandbox, record)
            isolated = sandbox.report()["isolated"]
            env = kernel_environment(sandbox.home, python_bin=environment.bin_dir,
                                     memory_mb=sandbox.kernel_memory_limit_mb,
                                     emulator_env=client_environment(
                                         aws_url, account, loopback_only=not isolated,
                                         kernel_site=sandbox.kernel_site),
                                     extra=extra_env)
            run = NotebookRun(executed, workdir=sandbox.workdir, env=env, limits=limits,
                              km=sandbox.adopt(kernel_manager(environment.python)),
                              explain_error=_explain_error, kernel_ready=sandbox.kernel_ready,
                              cpu_clock=sandbox.cpu_seconds)
            setup_s = time.monotonic() - started
            run.execute()
            record.sandbox = sandbox.report()
        record.stages = {"setup_s": round(setup_s, 3), **run.stages}
        record.cells, record.kernel = run.cells, run.kernel
        _attribute_sandbox_limits(record, limits)
        record.api_log = list(account.api_log)[log_start:]
    finally:
        workspace.remove()
    record.duration_s = round(time.monotonic() - started, 3)
    return RunOutcome(record=record, account=account, executed=executed)


def fork_server_for(environment: KernelEnvironment):
    """This process's warm-kernel server for `environment` (started now if need be, so its imports
    overlap whatever comes next); None where warm kernels cannot run (no sandbox, no pidfds)."""
    if isolation_problem() is not None or not warm_kernels.available():
        return None
    env = fork_server_environment(KERNEL_HOME, environment,
                                  emulator_environment(service_url("aws"), loopback_only=False,
                                                       kernel_site=str(KERNEL_SITE)))
    return warm_kernels.fork_server(environment.python, env)


def _start_services(activity: Activity, workdir: Path, sandbox, record: RunRecord) -> dict:
    env: dict[str, str] = {}
    if activity.needs("market_data"):
        from ..market_data.server import MarketDataServer, env_file_text

        server = MarketDataServer()
        url = sandbox.serve("market_data", server.app)
        env.update(server.client_environment(url))
        (workdir / ".env").write_text(env_file_text())
        # `replayed` is the server's own list: it fills in as the notebook asks for dates outside the
        # recording
        record.services["market_data"] = {"url": url, "synthetic": server.synthetic,
                                          "replayed": server.replayed}
    return env


def _attribute_sandbox_limits(record: RunRecord, limits: RunLimits) -> None:
    """A kernel the sandbox's limits ended says which limit did it (the kernel only sees a SIGKILL);
    one that never started says what stopped the sandbox."""
    report = record.sandbox
    if record.kernel.status == "failed_to_start" and report.get("setup_error"):
        record.kernel.message = f"{record.kernel.message} ({report['setup_error'].strip()})"
    reason = None
    if report.get("oom_kills"):
        reason, limit = (f"the sandbox's memory limit ({limits.memory_mb:,} MB) killed the kernel "
                         f"(peak {report.get('memory_peak_mb', 0):,.0f} MB)"), "memory"
    elif report.get("limit_hit") == "cpu_time":
        reason, limit = f"the sandbox used up its CPU time ({limits.cpu_seconds:g} s)", "cpu_time"
    elif report.get("limit_hit") == "wall_time":
        reason, limit = (f"the run exceeded its wall-clock limit ({limits.notebook_wall_seconds:g} s)",
                         "notebook_timeout")
    if reason is None or record.kernel.status == "finished":
        return
    record.kernel.message = f"{reason}; {record.kernel.message}"
    cell = next((cell for cell in record.cells if cell.index == record.kernel.cell), None)
    if cell is not None:
        if limit not in cell.limits_hit:
            cell.limits_hit.append(limit)
        cell.notes.append(reason)


def _explain_error(name: str, value: str) -> str | None:
    from ..market_data.compat import explain_missing_method

    return explain_missing_method(name, value)
