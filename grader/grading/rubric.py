"""An activity's rubric: `rubrics/<activity>/rubric.toml`, the list of everything the activity grades.

Each `[[check]]` says what a TA decides: the check's id, title, points, visibility, what it needs from
the run (to name the failed cell that blocked it), the fix text shown when it fails, and which check
function judges it with which arguments. The functions hold the logic and are shared
(`grader/checks/`); a course's own copy of the rubric (GRADER_PROJECT_DIR) changes points, drops a check
or adds one, and a check of its own can live in a Python module beside rubric.toml. The file is read
strictly (grader/strict_toml.py): a typo is refused with its line before anything is graded. The
rubric's checks and their points sum to the activity's points, the one maximum every result of it is
scored out of (docs/results.md).
"""

from __future__ import annotations

import contextlib
import functools
import importlib
import importlib.util
import io
import re
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from ..project import project_dir
from ..strict_toml import TomlFile, optional, required
from .attribution import OPERATIONS

RUBRIC_FILE = "rubric.toml"
VISIBILITIES = ("visible", "hidden")
CHECK_ID = re.compile(r"^[a-z][a-z0-9_]*$")
FIELDS = {
    "id": required(str), "title": required(str), "points": required(float), "check": required(str),
    "visibility": optional(str), "needs": optional(list, items=(str,)), "needs_call": optional(str),
    "arguments": optional(list, dict), "fix": optional(str),
}


@dataclass(frozen=True)
class RubricCheck:
    id: str
    title: str
    points: float
    function: Callable            # function(evidence, *arguments, **keyword arguments) -> Outcome
    line: int                     # where the check is written in rubric.toml
    visibility: str = "visible"   # hidden: students see the title and score, not the message
    needs: tuple[str, ...] = ()   # AWS operations, in the order the notebook makes them (attribution.py)
    needs_call: str | None = None  # a regex of code that must have run (a need no AWS operation shows)
    arguments: tuple = ()
    keywords: dict = field(default_factory=dict)
    fix: str = ""                 # added to the message when the check fails


@dataclass(frozen=True)
class Rubric:
    path: Path
    checks: tuple[RubricCheck, ...]


def load(path: Path) -> Rubric:
    """The rubric in `path` (a rubric.toml), every check validated and its function found; UsageError,
    naming the line, for anything wrong in it."""
    document = TomlFile(path, "rubric")
    document.checked(document.data, {"check": required(list, items=(dict,))})
    checks, seen = [], set()
    for index, raw in enumerate(document.data["check"]):
        document.checked(raw, FIELDS, "check", index)
        if not CHECK_ID.match(raw["id"]) or raw["id"] in seen:
            problem = "is used twice" if raw["id"] in seen else "must be lower_case_with_underscores"
            raise document.refuse(f"'{raw['id']}' {problem}", "check", "id", index)
        seen.add(raw["id"])
        if raw.get("visibility", "visible") not in VISIBILITIES:
            raise document.refuse(f"must be one of {', '.join(VISIBILITIES)}", "check", "visibility", index)
        unknown = [name for name in raw.get("needs", ()) if name not in OPERATIONS]
        if unknown:
            raise document.refuse(f"{', '.join(unknown)} is not one of {', '.join(OPERATIONS)}", "check",
                                  "needs", index)
        if raw.get("needs_call"):
            try:
                re.compile(raw["needs_call"])
            except re.error as error:
                raise document.refuse(f"is not a regular expression ({error})", "check", "needs_call",
                                      index) from None
        if raw["points"] < 0:
            raise document.refuse("must not be negative", "check", "points", index)
        arguments = raw.get("arguments", [])
        checks.append(RubricCheck(
            id=raw["id"], title=raw["title"], points=float(raw["points"]),
            function=_function(raw["check"], Path(path).parent, document, index),
            line=document.line("check", "id", index), visibility=raw.get("visibility", "visible"),
            needs=tuple(raw.get("needs", ())), needs_call=raw.get("needs_call"),
            arguments=tuple(arguments) if isinstance(arguments, list) else (),
            keywords=dict(arguments) if isinstance(arguments, dict) else {}, fix=raw.get("fix", "")))
    return Rubric(Path(path), tuple(checks))


def _function(name: str, folder: Path, document: TomlFile, index: int) -> Callable:
    """`module.function`: a module beside rubric.toml (a course's own checks), else grader/checks/."""
    module_name, _, function_name = name.rpartition(".")
    if not module_name or not function_name:
        raise document.refuse(f"'{name}' must name module.function, e.g. s3.bucket_region", "check", "check",
                              index)
    local = folder / f"{module_name}.py"
    try:
        module = (_local_module(local) if local.is_file()
                  else importlib.import_module(f"grader.checks.{module_name}"))
    except ModuleNotFoundError:
        raise document.refuse(f"no module '{module_name}' in grader/checks/ or beside the rubric ({local})",
                              "check", "check", index) from None
    function = getattr(module, function_name, None)
    if not callable(function):
        raise document.refuse(f"{module_name} has no check function '{function_name}'", "check", "check",
                              index)
    return function


def _local_module(path: Path):
    """A course's own check module; it is the course's code (never a submission's): rubrics come only
    from the project folder (grader/project.py)."""
    spec = importlib.util.spec_from_file_location(f"grader_rubric_{path.parent.name}_{path.stem}", path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


class _Collector:
    def __init__(self):
        self.checks: list[dict] = []

    def pytest_collection_finish(self, session):
        from .plugin import check_identity

        self.checks = [check_identity(item) for item in session.items]


@functools.lru_cache(maxsize=8)
def rubric_checks(activity_id: str) -> tuple[dict, ...]:
    """The activity's checks as the rubric declares them (id, title, max_points, visibility), found by
    collecting the rubric with pytest without running it (rubric.toml and any Python rubric tests alike);
    cached per process."""
    import pytest

    collector = _Collector()
    rubric = project_dir() / "rubrics" / activity_id
    with contextlib.redirect_stdout(io.StringIO()), contextlib.redirect_stderr(io.StringIO()):
        pytest.main([str(rubric), "--collect-only", "-q", "-s", "-p", "no:cacheprovider",
                     "--import-mode=importlib"], plugins=[collector])   # -s: no capture of the process's fds
    return tuple(collector.checks)


def activity_points(activity_id: str) -> float:
    """What every submission of the activity is scored out of (the one maximum, docs/results.md): the sum
    of its checks' points."""
    return sum(check["max_points"] for check in rubric_checks(activity_id))
