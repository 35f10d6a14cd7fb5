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


@dataclass
class Gathered:
    evidence: Evidence
    executed: list = field(default_factory=list)   # (stem, executed notebook) per run


def gather(activity: Activity, options: GradingOptions) -> Gathered:
    if options.submissions:
        return _run_notebooks(activity, options)
    if options.snapshot:
        return Gathered(Evidence(activity, snapshots.read(options.snapshot)))
    if options.live:
        return Gathered(Evidence(activity, snapshots.collect_live(options.profile, options.region or activity.region)))
    raise UsageError(f"nothing to grade for {activity.id}: give the notebook(s), --snapshot FILE or --live")


def _run_notebooks(activity: Activity, options: GradingOptions) -> Gathered:
    from ..emulator import Emulator
    from ..datasets import DataFileMissing
    from ..execution import default_limits, read_submission, run_submission

    submissions = [read_submission(path) for path in options.submissions]
    require_dir(options.data_dir, "--data-dir")
    seed = snapshots.read(options.snapshot) if options.snapshot else None
    limits = default_limits(activity).with_overrides(**options.limits)
    snapshots.warm_up()   # the collector's service models load while the notebooks run
    with Emulator() as emulator:
        account, runs, executed = None, [], []
        for submission in submissions:
            try:
                outcome = run_submission(activity, submission, emulator, limits=limits, data_dir=options.data_dir,
                                         snapshot=seed, account=account)
            except DataFileMissing as error:
                raise UsageError(str(error)) from None
            account = outcome.account
            runs.append(outcome.record)
            executed.append((submission.path.stem, outcome.executed))
        state = snapshots.collect_emulated(emulator, account, [activity.region])
        emulator.remove_account(account.account_id)
    return Gathered(Evidence(activity, state, runs), executed)
