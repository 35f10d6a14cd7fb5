"""One graded run: submission -> workspace + fresh emulator account -> kernel -> run record.

The caller owns the emulator (one per batch) and gets the account back, so the account's state
can be collected into a snapshot before it is removed.
"""

from __future__ import annotations

import time
from contextlib import ExitStack
from dataclasses import dataclass
from datetime import datetime, timezone
from pathlib import Path

import nbformat

from ..activities import Activity
from ..emulator import client_environment
from ..emulator.accounts import Account
from ..evidence.snapshot import read as read_snapshot
from .kernel import kernel_environment
from .limits import RunLimits
from .prerequisites import provide_console_resources
from .record import RunRecord, tool_versions
from .runner import NotebookRun
from .seeding import seed_from_snapshot
from .submission import Submission
from .workspace import prepare_workspace


@dataclass
class RunOutcome:
    record: RunRecord
    account: Account
    executed: nbformat.NotebookNode


def write_run(outcome: RunOutcome, out: Path) -> tuple[Path, Path]:
    """Save <name>.executed.ipynb and <name>.run.json (which points at it) in `out`."""
    stem = Path(outcome.record.submission["name"]).stem
    out.mkdir(parents=True, exist_ok=True)
    notebook_path = out / f"{stem}.executed.ipynb"
    nbformat.write(outcome.executed, notebook_path)
    outcome.record.executed_notebook = str(notebook_path)
    record_path = out / f"{stem}.run.json"
    outcome.record.write(record_path)
    return record_path, notebook_path


def default_limits(activity: Activity) -> RunLimits:
    return RunLimits().with_overrides(**activity.limits)


def run_submission(activity: Activity, submission: Submission, emulator, *, limits: RunLimits,
                   data_dir: Path | None = None, snapshot: dict | None = None,
                   account: Account | None = None) -> RunOutcome:
    """Run one notebook in a fresh account, or in `account` when an earlier notebook of the same
    activity prepared it. A snapshot of the student's account, when given, is the starting state;
    otherwise the console resources the notebook needs are inferred from its code."""
    started_at = datetime.now(timezone.utc).isoformat(timespec="seconds")
    started = time.monotonic()
    workspace = prepare_workspace(submission.path, list(activity.data), data_dir)
    fresh = account is None
    if snapshot is None and activity.starting_state:
        snapshot = read_snapshot(activity.folder / activity.starting_state)
    account = account or emulator.new_account(activity.region)
    record = RunRecord(activity=activity.id, submission=submission.to_dict(),
                       account={"account_id": account.account_id, "region": account.region,
                                "role_arn": account.role_arn},
                       limits=limits.to_dict(), started_at=started_at, data_files=workspace.data_files,
                       tools=tool_versions())
    try:
        with ExitStack() as services:
            if snapshot and fresh:
                record.provided = seed_from_snapshot(emulator, account, snapshot)
            else:
                record.provided = provide_console_resources(submission.notebook, account, activity.region)
            log_start = len(account.api_log)
            extra_env = _start_services(activity, workspace.workdir, services, record)
            env = kernel_environment(workspace.home, emulator_env=client_environment(emulator.url, account),
                                     memory_mb=limits.memory_mb, extra=extra_env)
            notebook = nbformat.from_dict(submission.notebook)
            run = NotebookRun(notebook, workdir=workspace.workdir, env=env, limits=limits,
                              explain_error=_explain_error)
            run.execute()
        record.cells, record.kernel = run.cells, run.kernel
        record.api_log = list(account.api_log)[log_start:]
    finally:
        workspace.remove()
    record.duration_s = round(time.monotonic() - started, 3)
    return RunOutcome(record=record, account=account, executed=notebook)


def _start_services(activity: Activity, workdir: Path, services: ExitStack, record: RunRecord) -> dict:
    env: dict[str, str] = {}
    if activity.needs("market_data"):
        from ..market_data.server import MarketDataServer, env_file_text

        server = services.enter_context(MarketDataServer())
        env.update(server.client_environment())
        (workdir / ".env").write_text(env_file_text())
        # `replayed` is the server's own list: it fills in as the notebook asks for dates outside the recording
        record.services["market_data"] = {"url": server.url, "synthetic": server.synthetic,
                                          "replayed": server.replayed}
    return env


def _explain_error(name: str, value: str) -> str | None:
    from ..market_data.compat import explain_missing_method

    return explain_missing_method(name, value)
