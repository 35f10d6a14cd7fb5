"""Triage words for a TA (result `flags`, grades.csv's `flags` column, the class summary's groups):

- `empty`: no code in the submitted notebook(s);
- `starter`: every code cell is one of the activity's starter cells, unchanged (whitespace aside);
- `late`: a late penalty applies, or the LMS marked it late;
- `resubmitted`: other submissions of the same notebook were set aside;
- `similar`: its code is near-identical to another student's (grader/review/similarity.py);
- `error`: it could not be graded (reporting/view.py's status).

`empty` and `starter` together say "did not try", apart from an attempt that failed.
"""

from __future__ import annotations

import json
from pathlib import Path

from ..activities import Activity
from ..grading.result import GradeResult
from ..reporting.view import status

ORDER = ("empty", "starter", "late", "resubmitted", "similar", "error")
DID_NOT_TRY = ("empty", "starter")


def code_cells(path: Path) -> list[str]:
    """The code cells of a notebook, whitespace-normalised; [] for a file that is not a readable notebook."""
    try:
        cells = json.loads(Path(path).read_text(encoding="utf-8")).get("cells", [])
    except (OSError, ValueError, AttributeError):
        return []
    sources = []
    for cell in cells if isinstance(cells, list) else []:
        if isinstance(cell, dict) and cell.get("cell_type") == "code":
            source = cell.get("source", "")
            source = "".join(source) if isinstance(source, list) else str(source)
            if source.strip():
                sources.append(" ".join(source.split()))
    return sources


def content_flags(activity: Activity, files: list[Path]) -> list[str]:
    """`empty` or `starter` for what the student submitted (read from the files themselves)."""
    submitted = [cell for path in files for cell in code_cells(path)]
    if not files or not submitted:
        return ["empty"] if files else []
    starter = {cell for name in activity.notebooks for cell in code_cells(activity.notebook("starter", name))}
    return ["starter"] if starter and set(submitted) <= starter else []


def flags_for(result: GradeResult, facts: dict, similar: bool) -> list[str]:
    said = set(facts.get("content", []))
    if facts.get("lms_late") or any(line["kind"] == "late" for line in result.adjustments):
        said.add("late")
    if facts.get("set_aside"):
        said.add("resubmitted")
    if similar:
        said.add("similar")
    if status(result) == "error":
        said.add("error")
    return [word for word in ORDER if word in said]
