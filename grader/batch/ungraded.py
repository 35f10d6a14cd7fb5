"""The result of a submission that could not be graded at all (a malformed notebook, more files than
the activity has notebooks, a worker that died, grading that overran): the rubric's every check as
`error` with the reason, so the student's row in grades.csv and the class summary says why, against
the same maximum score as everyone else's."""

from __future__ import annotations

from pathlib import Path

from ..execution.record import tool_versions
from ..grading.result import CheckResult, GradeResult
from ..grading.rubric import rubric_checks


def ungraded_result(activity_id: str, files: list[Path], reason: str, duration_s: float = 0.0) -> GradeResult:
    checks = [CheckResult(**check, status="error", points=0.0, message=f"not graded: {reason}")
              for check in rubric_checks(activity_id)]
    return GradeResult(activity=activity_id, submission=[path.name for path in files], source="not run",
                       checks=checks, error=reason, duration_s=round(duration_s, 3),
                       environment=tool_versions())
