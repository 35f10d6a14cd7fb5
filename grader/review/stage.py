"""The review stage, after grading and before every report: staff's adjustments, the late policy,
notes on the submission and triage flags, applied to result records and returning result records, so
that every export (grades.csv, index.html, the student's report, Gradescope's results.json) shows the
adjusted score without knowing about adjustments.

A review starts from the result as graded (`as_graded` undoes an earlier review) and is applied again
on every `grader grade` (and --resume) and `grader report`, so editing adjustments.csv, the policy or
the submissions never compounds. What the LMS said of each submission (times, LATE, files set aside,
empty or starter content) is DIR/<student>/submitted.json, written by the batch from discovery.
"""

from __future__ import annotations

import copy
import json
from pathlib import Path

from ..errors import UsageError
from ..files import write_atomic
from ..grading.result import GradeResult
from ..reporting.results_files import GradedSubmission
from . import history
from .adjustments import ADJUSTMENTS_FILE, TOTAL, Adjustment, check_known, read_adjustments
from .flags import flags_for
from .late import LatePolicy, late_line
from .similarity import Pair, read_pairs, similar_students

SUBMITTED_FILE = "submitted.json"


def write_facts(folder: Path, facts: dict) -> None:
    write_atomic(Path(folder) / SUBMITTED_FILE, json.dumps(facts, indent=1))


def read_facts(folder: Path) -> dict:
    try:
        facts = json.loads((Path(folder) / SUBMITTED_FILE).read_text())
    except (OSError, ValueError):
        return {}
    return facts if isinstance(facts, dict) else {}


def as_graded(result: GradeResult) -> GradeResult:
    """A copy of the result without any review: each check's graded points, no lines, flags or notes."""
    graded = copy.deepcopy(result)
    for check in graded.checks:
        if check.adjusted is not None:
            check.points, check.adjusted = check.adjusted["points"], None
    graded.adjustments, graded.flags, graded.notes = [], [], []
    return graded


def _adjust_check(result: GradeResult, adjustment: Adjustment) -> None:
    check = next(check for check in result.checks if check.id == adjustment.check)
    graded = check.adjusted["points"] if check.adjusted else check.points
    reasons = [check.adjusted["reason"]] if check.adjusted else []
    check.points = adjustment.applied_to(check.points)
    check.adjusted = {"points": graded, "reason": "; ".join(reasons + [adjustment.reason]),
                      "by": adjustment.by, "set": adjustment.said()}


def review(result: GradeResult, *, facts: dict, adjustments: list[Adjustment], policy: LatePolicy | None,
           similar: bool = False) -> GradeResult:
    """The result as staff decided: check adjustments, then the late penalty (on the adjusted checks), then
    changes of the total (`*`: an absolute total is the final word), then notes and flags."""
    reviewed = as_graded(result)
    for adjustment in adjustments:
        if adjustment.check != TOTAL:
            _adjust_check(reviewed, adjustment)
    penalty = late_line(policy, facts, reviewed.score, reviewed.max_score)
    if penalty:
        reviewed.adjustments.append(penalty)
    for adjustment in adjustments:
        if adjustment.check == TOTAL:
            change = adjustment.applied_to(reviewed.score) - reviewed.score
            reviewed.adjustments.append({"kind": "staff", "points": round(change, 2), "by": adjustment.by,
                                         "reason": adjustment.reason, "set": adjustment.said()})
    if facts.get("note"):
        reviewed.notes.append(facts["note"])
    reviewed.flags = flags_for(reviewed, facts, similar)
    return reviewed


def review_class(submissions: list[GradedSubmission], *, adjustments_file: Path | None,
                 policy: LatePolicy | None, similar: set[str] = frozenset(), write: bool = False,
                 fresh: set[str] = frozenset(), run: str = "") -> list[GradedSubmission]:
    """Every submission reviewed. With `write`, a result that changed is written back over its
    result.json; the previous one is kept in its history when its score, checks or review changed,
    unless it was graded in this run (`fresh`: the grading already kept the one before)."""
    adjustments = read_adjustments(adjustments_file) if adjustments_file else []
    if adjustments:
        check_known(adjustments, adjustments_file,
                    {submission.student: {check.id for check in submission.result.checks}
                     for submission in submissions})
    reviewed = []
    for submission in submissions:
        folder = submission.path.parent
        own = [adjustment for adjustment in adjustments if adjustment.student == submission.student]
        result = review(submission.result, facts=read_facts(folder), adjustments=own, policy=policy,
                        similar=submission.student in similar)
        before, after = submission.result.to_dict(for_students=False), result.to_dict(for_students=False)
        if write and after != before:
            if submission.student not in fresh and history.change({"result": before}, None, after):
                history.keep(folder, stamp=None, run=run)   # a change of score, checks or staff's review
            result.write(submission.path, for_students=False)
        reviewed.append(GradedSubmission(submission.student, result, submission.path, submission.name))
    return reviewed



def review_results(paths: list[Path], submissions: list[GradedSubmission], *, adjustments_file: Path | None,
                   due: str | None, late_penalty: str | None) -> tuple[list[GradedSubmission], list[Pair]]:
    """`grader report`'s review (nothing written back) and the similar pairs: the adjustments and late
    policy given, else those kept in RESULTS when it is one batch folder (with its pairs)."""
    folder = Path(paths[0]) if len(paths) == 1 and Path(paths[0]).is_dir() else None
    if adjustments_file is not None and not Path(adjustments_file).is_file():
        raise UsageError(f"--adjustments {adjustments_file}: no such file")
    if adjustments_file is None and folder is not None:
        adjustments_file = folder / ADJUSTMENTS_FILE
    policy = LatePolicy.given(due, late_penalty) or (LatePolicy.saved(folder) if folder else None)
    pairs = read_pairs(folder) if folder else []
    return review_class(submissions, adjustments_file=adjustments_file, policy=policy,
                        similar=similar_students(pairs)), pairs
