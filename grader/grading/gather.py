"""Gathering the evidence a rubric grades, from one of three sources: running the submission's
notebooks on the emulator (then snapshotting its account), a recorded snapshot file, or a live
AWS account (read-only)."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from ..activities import Activity
from ..checks.evidence import Evidence
from ..errors import UsageError, require_dir
from ..evidence import snapshot as snapshots


@dataclass
class GradingOptions:
    submissions: list[Path] = field(default_factory=list)
    snapshot: Path | None = None
    live: bool = False
    profile: str | None = None
    region: str | None = None
    data_dir: Path | None = None
    limits: dict = field(default_factory=dict)


def limit_options(namespace) -> dict:
    """The run limits given as options (--cell-timeout, --notebook-timeout, --memory-mb, --output-limit)."""
    chosen = {"cell_timeout": namespace.cell_timeout, "notebook_timeout": namespace.notebook_timeout,
              "memory_mb": namespace.memory_mb, "output_bytes": namespace.output_limit}
    return {name: value for name, value in chosen.items() if value is not None}


@dataclass
class Gathered:
    evidence: Evidence
    runs: list = field(default_factory=list)   # RunOutcome per notebook (record, account, executed notebook)


def gather(activity: Activity, options: GradingOptions) -> Gathered:
    if options.submissions:
        return _run_notebooks(activity, options)
    if options.snapshot:
        return Gathered(Evidence(activity, snapshots.read(options.snapshot)))
    if options.live:
        return Gathered(Evidence(activity, snapshots.collect_live(options.profile, options.region or activity.region)))
    raise UsageError(f"nothing to grade for {activity.id}: give the notebook(s), --snapshot FILE or --live")


def run_notebooks(activity: Activity, options: GradingOptions, emulator) -> list:
    """Run the submission's notebooks in order in one account (a later notebook meets what an earlier
    one made); returns their RunOutcomes. The caller removes the account."""
    from ..datasets import DataFileMissing
    from ..execution import default_limits, read_submission, run_submission

    submissions = [read_submission(path) for path in options.submissions]
    require_dir(options.data_dir, "--data-dir")
    seed = snapshots.read(options.snapshot) if options.snapshot else None
    limits = default_limits(activity).with_overrides(**options.limits)
    outcomes, account = [], None
    for submission in submissions:
        try:
            outcome = run_submission(activity, submission, emulator, limits=limits, data_dir=options.data_dir,
                                     snapshot=seed, account=account)
        except DataFileMissing as error:
            raise UsageError(str(error)) from None
        account = outcome.account
        outcomes.append(outcome)
    return outcomes


def _run_notebooks(activity: Activity, options: GradingOptions) -> Gathered:
    from ..emulator import Emulator

    snapshots.warm_up()   # the collector's service models load while the notebooks run
    with Emulator() as emulator:
        outcomes = run_notebooks(activity, options, emulator)
        account = outcomes[-1].account
        state = snapshots.collect_emulated(emulator, account)   # the regions cleanup checks need
        emulator.remove_account(account.account_id)
    return Gathered(Evidence(activity, state, [outcome.record for outcome in outcomes]), outcomes)
