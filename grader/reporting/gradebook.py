"""grades.csv: one row per student (id, total, max, percentage, status, then each check's points), a
plain header row, UTF-8, so a spreadsheet or an LMS gradebook import reads it as it is."""

from __future__ import annotations

from ..spreadsheet import csv_text
from . import view
from .results_files import Submission

FIXED = ["student", "score", "max_score", "percentage", "status"]

def check_ids(submissions: list[Submission]) -> list[str]:
    """Every check any result has, in rubric order."""
    return list(dict.fromkeys(check.id for submission in submissions for check in submission.result.checks))


def grades_csv(submissions: list[Submission]) -> str:
    """Points per check (they add up to the score); a manual check's cell is empty (a person decides), as is
    a check a result lacks.
    A `name` column follows `student` when a roster named the students."""
    ids = check_ids(submissions)
    named = any(submission.name for submission in submissions)
    rows = [FIXED[:1] + ["name"] * named + FIXED[1:] + ids]
    for submission in submissions:
        result = submission.result
        points = {check.id: f"{check.points:g}" for check in result.checks if check.status != "manual"}
        rows.append([submission.student] + [submission.name] * named
                    + [f"{result.score:g}", f"{result.max_score:g}", f"{view.percentage(result):.1f}",
                       view.status(result)] + [points.get(id, "") for id in ids])
    return csv_text(rows)
