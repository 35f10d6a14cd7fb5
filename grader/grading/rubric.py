"""An activity's rubric as it declares itself, before anything is graded: its checks (id, title,
points, visibility) and so the activity's points, the one maximum every result of it is scored out of
(docs/results.md)."""

from __future__ import annotations

import contextlib
import functools
import io

from ..project import project_dir
from .plugin import check_identity


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
        pytest.main([str(rubric), "--collect-only", "-q", "-s", "-p", "no:cacheprovider",
                     "--import-mode=importlib"], plugins=[collector])   # -s: no capture of the process's fds
    return tuple(collector.checks)


def activity_points(activity_id: str) -> float:
    """What every submission of the activity is scored out of: the sum of its checks' points."""
    return sum(check["max_points"] for check in rubric_checks(activity_id))
