"""The result of a submission that could not be graded at all (a malformed notebook, more files than
the activity has notebooks, a worker that died, grading that overran): the rubric's every check as
`error` with the reason, so the student's row in grades.csv and the class summary says why, against
the same maximum score as everyone else's."""

from __future__ import annotations

import contextlib
import functools
import io
from pathlib import Path

from ..execution.record import tool_versions
from ..grading.plugin import check_identity
from ..grading.result import CheckResult, GradeResult
from ..project import project_dir


class _Collector:
    def __init__(self):
        self.checks: list[dict] = []

    def pytest_collection_finish(self, session):
        self.checks = [check_identity(item) for item in session.items]


@functools.lru_cache(maxsize=8)
def rubric_checks(activity_id: str) -> tuple[dict, ...]:
    """The activity's checks as the rubric declares them (id, title, max_points, visibility), found by
    collecting the rubric with pytest without running it; cached per process."""
    import pytest

    collector = _Collector()
    rubric = project_dir() / "rubrics" / activity_id
    with contextlib.redirect_stdout(io.StringIO()), contextlib.redirect_stderr(io.StringIO()):
        pytest.main([str(rubric), "--collect-only", "-q", "-s", "-p", "no:cacheprovider", "--import-mode=importlib"],
                    plugins=[collector])   # -s: no capture of the process's file descriptors
    return tuple(collector.checks)


def ungraded_result(activity_id: str, files: list[Path], reason: str, duration_s: float = 0.0) -> GradeResult:
    checks = [CheckResult(**check, status="error", points=0.0, message=f"not graded: {reason}")
              for check in rubric_checks(activity_id)]
    return GradeResult(activity=activity_id, submission=[path.name for path in files], source="not run",
                       checks=checks, error=reason, duration_s=round(duration_s, 3), environment=tool_versions())
