"""Grading one submission end to end: check the input, run the activity's rubric through the pytest
plugin, and leave the result, run records and executed notebooks in the submission's own folder.

`grader check` calls this for one submission; batch grading calls it once per student. Nothing is
written as a result unless grading finished: an interrupted or crashed grading leaves no result.json
(and removes an older one), never a partial or stale grade.
"""

from __future__ import annotations

import contextlib
import hashlib
import io
from dataclasses import dataclass
from pathlib import Path

from ..activities import Activity
from ..errors import UsageError, require_dir
from ..files import remove_stale
from ..project import project_dir
from .gather import GradingOptions, read_submissions
from .result import GradeResult
from .rubric import RUBRIC_FILE
from .rubric import load as load_rubric

RESULT_FILE = "result.json"


@dataclass
class Graded:
    result: GradeResult
    folder: Path          # the submission's output folder: result.json, <notebook>.run.json, ...

    @property
    def result_path(self) -> Path:
        return self.folder / RESULT_FILE


def submission_key(options: GradingOptions) -> str:
    """A folder name that is the same for the same files and differs between submissions, even when
    every student's notebook has the course's file name: '<first file's stem>-<8 hex of the content>'."""
    if options.submissions:
        digest = hashlib.sha256()
        for path in sorted(options.submissions, key=lambda p: Path(p).name):
            digest.update(hashlib.sha256(Path(path).read_bytes()).digest())
        return f"{Path(options.submissions[0]).stem}-{digest.hexdigest()[:8]}"
    if options.snapshot:
        content = hashlib.sha256(Path(options.snapshot).read_bytes()).hexdigest()[:8]
        return f"snapshot-{Path(options.snapshot).stem}-{content}"
    return f"live-{options.profile or 'default'}"


def validate(activity: Activity, options: GradingOptions) -> Path:
    """Everything that can be refused before anything runs; returns the activity's rubric folder."""
    from ..execution import environments
    from ..snapshots.snapshot import read as read_snapshot

    if options.start_from and not options.submissions:
        raise UsageError(
            "--start-from needs the notebook(s) to run; to grade the snapshot itself use --snapshot FILE")
    if not (options.submissions or options.snapshot or options.live):
        raise UsageError(f"give the notebook(s) to grade, --snapshot FILE or --live (activity {activity.id} "
                         f"has {', '.join(activity.notebooks)})")
    if options.live and (options.submissions or options.snapshot):
        raise UsageError("--live grades the account as it is: do not combine it with notebooks or --snapshot")
    if options.snapshot and options.submissions:
        raise UsageError("--snapshot grades a recorded account without running anything; to run the "
                         "notebooks from that account state use --start-from FILE")
    if options.submissions:
        read_submissions(activity, options)
    for snapshot in (options.snapshot, options.start_from):
        if snapshot:
            read_snapshot(snapshot)
    require_dir(options.data_dir, "--data-dir")
    for environment in (options.environment, activity.environment):
        if environment:
            environments.require_known(environment)
    rubric = project_dir() / "rubrics" / activity.id
    if not rubric.is_dir():
        raise UsageError(f"activity {activity.id} has no rubric folder {rubric}; add one")
    if (rubric / RUBRIC_FILE).is_file():
        load_rubric(rubric / RUBRIC_FILE)   # a mistake in it is refused with its line before anything runs
    return rubric


# no:unraisableexception: its gc.collect() passes cost ~0.5 s per grading in a process holding the
# notebook stack's objects, and a rubric raises nothing unraisable. A grading is one process with the
# grader's plugin alone, whatever options the project's own test suite is given (addopts) and whatever
# pytest plugins are installed beside it (not looking for them saves 30 ms of every grading).
PYTEST_ARGUMENTS = ["-o", "addopts=", "--disable-plugin-autoload", "-p", "no:cacheprovider", "-p",
                    "no:unraisableexception", "-q", "--import-mode=importlib"]


def grade_submission(activity: Activity, options: GradingOptions, *, out: Path | None = None,
                     folder: Path | None = None, staff: bool = False) -> Graded:
    """Grade into `folder`, or into OUT/<activity>/<submission key>/ under `out`. Raises UsageError for
    bad input and KeyboardInterrupt when interrupted (with nothing written as a result)."""
    import pytest

    from . import plugin
    from .plugin import Grading

    rubric = validate(activity, options)
    folder = Path(folder) if folder is not None else Path(out) / activity.id / submission_key(options)
    result_path = folder / RESULT_FILE
    remove_stale(result_path)
    grading = Grading(options, out=folder, staff=staff)
    pytest_output = io.StringIO()   # pytest's own report: the result is the grading's record, not this text
    with contextlib.redirect_stdout(pytest_output), contextlib.redirect_stderr(pytest_output):
        code = pytest.main([str(rubric), *PYTEST_ARGUMENTS], plugins=[plugin, grading])
    if grading.refused is not None:
        raise grading.refused
    if code == pytest.ExitCode.INTERRUPTED:
        raise KeyboardInterrupt
    if grading.result is None:
        raise RuntimeError(
            f"the rubric did not run (pytest exit code {code}):\n{pytest_output.getvalue()[-3000:]}")
    result = grading.result if staff else grading.result.for_students()
    result.write(result_path, for_students=not staff)
    return Graded(result, folder)
