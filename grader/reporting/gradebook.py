"""grades.csv: one row per student (id, total, max, percentage, status, triage flags, then each check's
points, then the score's lines beyond the checks: late penalty, staff's change of the total), a plain
header row, UTF-8, so a spreadsheet reads it as it is (Canvas's import file is canvas_import.py's). Scores
are as reviewed (grader/review/): a check staff adjusted shows its adjusted points."""

from __future__ import annotations

from ..spreadsheet import csv_text
from . import view
from .results_files import GradedSubmission

FIXED = ["student", "score", "max_score", "percentage", "status", "flags"]
LINES = {"late": "late_penalty", "staff": "total_adjustment"}   # columns: the score's lines beyond the checks

def check_ids(submissions: list[GradedSubmission]) -> list[str]:
    """Every check any result has, in rubric order."""
    return list(dict.fromkeys(check.id for submission in submissions for check in submission.result.checks))


def _number(value: float) -> int | float:
    """A number (not text: a negative one is not a formula), printed as `%g` prints it."""
    return int(value) if value == int(value) else round(value, 2)


def grades_csv(submissions: list[GradedSubmission]) -> str:
    """Points per check (they add up to the score); a manual check's cell is empty (a person decides), as is
    a check a result lacks.
    A `name` column follows `student` when a roster named the students."""
    ids = check_ids(submissions)
    named = any(submission.name for submission in submissions)
    present = {line["kind"] for submission in submissions for line in submission.result.adjustments}
    kinds = [kind for kind in LINES if kind in present]
    rows = [FIXED[:1] + ["name"] * named + FIXED[1:] + ids + [LINES[kind] for kind in kinds]]
    for submission in submissions:
        result = submission.result
        points = {check.id: f"{check.points:g}" for check in result.checks if check.decided}
        lines: dict[str, float] = {}
        for line in result.adjustments:
            lines[line["kind"]] = lines.get(line["kind"], 0.0) + line["points"]
        rows.append([submission.student] + [submission.name] * named
                    + [f"{result.score:g}", f"{result.max_score:g}", f"{view.percentage(result):.1f}",
                       view.status(result), " ".join(result.flags)] + [points.get(id, "") for id in ids]
                    + [_number(lines[kind]) if kind in lines else "" for kind in kinds])
    return csv_text(rows)
