"""Gradescope's results.json for one submission: the score, the root causes as the output, and one
test per check (hidden checks are `after_published`: students see them once grades are published).
The tests' scores add up to `score` and their maxima to the activity's points: a check that does not
apply carries its full points as passed, a manual one 0 until staff adjust the score."""

from __future__ import annotations

import dataclasses

from ..grading.result import GradeResult
from ..text import plain
from . import view
from .scorecard import cause_lines

VISIBILITY = {"visible": "visible", "hidden": "after_published"}
STATUS = {"pass": "passed", "skip": "passed", "fail": "failed", "error": "failed"}   # manual carries none


def _output(check) -> str:
    said = [view.blocked_note(check)] if check.blocked_by else []
    if check.adjusted:
        said.append(f"Adjusted by staff: {check.adjusted['reason']} (graded {check.adjusted['points']:g})")
    if check.status == "manual":
        said.append("MANUAL: awaiting a person's review (0 points until staff adjust the score)")
    elif check.status == "skip":
        said.append("DOES NOT APPLY to this submission: full points")
    return plain("\n".join(said + [check.message]))


def container_note(unisolated: str) -> str:
    """Gradescope's container, one per submission, is the isolation when it forbids the grader's sandbox."""
    return (f"The notebooks ran in Gradescope's container without the grader's sandbox ({unisolated}): "
            "the container, made for this submission alone, is the isolation here.")


def results(result: GradeResult) -> dict:
    found, rest = view.causes(result, result.checks)
    summary = [f"Score {result.score:g}/{result.max_score:g} ({view.percentage(result):.0f}%)"]
    summary += view.review_lines(result, view.shown_checks(result, staff=False))
    summary += [container_note(result.unisolated)] if result.unisolated else []
    summary += view.warnings(dataclasses.replace(result, unisolated=""))
    first = view.fix_first(found, rest)
    if first:
        summary += ["", "What to fix first:"]
        summary += [f"  {number}. {text}" for number, text in enumerate(first, 1)]
    for cause in found:
        summary += [""] + cause_lines(cause)
    tests = []
    for number, check in enumerate(result.checks, 1):
        test = {"name": check.title, "number": str(number), "score": check.points,
                "max_score": check.max_points, "output": _output(check), "output_format": "text",
                "visibility": VISIBILITY.get(check.visibility, "visible"), "tags": [check.id]}
        if check.status in STATUS:
            test["status"] = STATUS[check.status]
        tests.append(test)
    for line in result.adjustments:   # lines of the score beyond the checks: tests worth no points
        tests.append({"name": "Late penalty" if line["kind"] == "late" else "Adjustment by staff",
                      "number": str(len(tests) + 1), "score": line["points"], "max_score": 0,
                      "output": plain(line["reason"]), "visibility": "visible",
                      "tags": [f"review.{line['kind']}"]})
    return {"score": result.score, "execution_time": round(result.duration_s),
            "output": plain("\n".join(summary)), "output_format": "text", "visibility": "visible",
            "stdout_visibility": "hidden", "tests": tests}

