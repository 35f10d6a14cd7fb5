"""Gradescope's results.json for one submission: the score, the root causes as the output, and one
test per check (hidden checks are `after_published`: students see them once grades are published)."""

from __future__ import annotations

from ..grading.result import GradeResult
from ..text import plain
from . import view
from .scorecard import cause_lines

VISIBILITY = {"visible": "visible", "hidden": "after_published"}
STATUS = {"pass": "passed", "fail": "failed", "error": "failed"}   # manual and skip carry no status


def _output(check) -> str:
    said = [view.blocked_note(check)] if check.blocked_by else []
    if check.status == "manual":
        said.append("MANUAL: awaiting a person's review")
    elif check.status == "skip":
        said.append("SKIPPED: does not apply to this submission")
    return plain("\n".join(said + [check.message]))


def results(result: GradeResult) -> dict:
    found, rest = view.causes(result, result.checks)
    summary = [f"Score {result.score:g}/{result.max_score:g} ({view.percentage(result):.0f}%)"]
    summary += view.warnings(result)
    first = view.fix_first(found, rest)
    if first:
        summary += ["", "What to fix first:"]
        summary += [f"  {number}. {text}" for number, text in enumerate(first, 1)]
    for cause in found:
        summary += [""] + cause_lines(cause)
    tests = []
    for number, check in enumerate(result.checks, 1):
        test = {"name": check.title, "number": str(number), "score": check.points, "max_score": check.max_points,
                "output": _output(check), "visibility": VISIBILITY.get(check.visibility, "visible"),
                "tags": [check.id]}
        if check.status in STATUS:
            test["status"] = STATUS[check.status]
        tests.append(test)
    return {"score": result.score, "execution_time": round(result.duration_s), "output": plain("\n".join(summary)),
            "output_format": "text", "visibility": "visible", "stdout_visibility": "hidden", "tests": tests}


def could_not_grade(message: str) -> dict:
    """What Gradescope shows when the submission could not be graded at all (bad input)."""
    return {"score": 0, "output": plain(f"The grader could not grade this submission: {message}"),
            "output_format": "text", "visibility": "visible", "tests": []}
