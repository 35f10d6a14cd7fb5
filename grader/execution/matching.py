"""Which of an activity's notebooks each submitted file is.

Students rename files (`boston-housing-regression (1).ipynb`, `jdoe_monte_carlo.ipynb`) and submit
only some of them, so a file is matched by name first and, failing that, by how much of its code it
shares with the activity's own starter and solution copies. One submission is at most one file per
activity notebook; anything more is a class, which `grader grade` handles.
"""

from __future__ import annotations

import difflib
import re
from dataclasses import dataclass, field
from pathlib import Path

from ..activities import Activity
from ..errors import UsageError
from .submission import Submission

MIN_CONTENT_SIMILARITY = 0.3   # share of matching code lines below which a file resembles no activity notebook
_NOISE = re.compile(r"[\s_\-.()]+|copy|checkpoint|\d+$")


@dataclass
class Matched:
    """The submission's files by the activity notebook each one is, in the activity's run order."""

    by_notebook: dict[str, Submission] = field(default_factory=dict)
    missing: list[str] = field(default_factory=list)
    how: dict[str, str] = field(default_factory=dict)   # activity notebook -> "name" or "content"

    def in_run_order(self) -> list[tuple[str, Submission]]:
        return list(self.by_notebook.items())


def _name_key(name: str) -> str:
    return _NOISE.sub("", Path(name).stem.lower())


def _code_lines(nb) -> list[str]:
    return [line.strip() for cell in nb.cells if cell.cell_type == "code"
            for line in cell.source.splitlines() if line.strip() and not line.strip().startswith("#")]


def _reference_code(activity: Activity, name: str) -> list[list[str]]:
    import nbformat

    copies = []
    for variant in ("solution", "starter"):
        path = activity.notebook(variant, name)
        if path.is_file():
            copies.append(_code_lines(nbformat.read(path, as_version=4)))
    return copies


def _similarity(code: list[str], references: list[list[str]]) -> float:
    return max((difflib.SequenceMatcher(None, code, reference, autojunk=False).ratio() for reference in references),
               default=0.0)


def match_notebooks(activity: Activity, submissions: list[Submission]) -> Matched:
    """Raises UsageError for more files than the activity has notebooks, two files for one notebook,
    or a file that resembles none of them."""
    names = list(activity.notebooks)
    if len(submissions) > len(names):
        raise UsageError(f"{activity.id} has {len(names)} notebook(s) ({', '.join(names)}) but {len(submissions)} "
                         "files were given; `grader check` grades one submission - to grade a class use "
                         f"`grader grade {activity.id} FOLDER --out DIR`")
    chosen: dict[str, Submission] = {}
    how: dict[str, str] = {}
    unmatched = []
    for submission in submissions:
        key = _name_key(submission.path.name)
        by_name = [name for name in names if _name_key(name) == key] or [
            name for name in names if _name_key(name) and _name_key(name) in key]
        if len(by_name) == 1 and by_name[0] not in chosen:
            chosen[by_name[0]], how[by_name[0]] = submission, "name"
        else:
            unmatched.append(submission)
    for submission in unmatched:
        free = [name for name in names if name not in chosen]
        if len(names) == 1 and free:
            chosen[free[0]], how[free[0]] = submission, "only notebook"
            continue
        code = _code_lines(submission.notebook)
        scored = sorted(((_similarity(code, _reference_code(activity, name)), name) for name in free), reverse=True)
        if not scored or scored[0][0] < MIN_CONTENT_SIMILARITY:
            taken = f"; {', '.join(chosen)} already matched other files" if chosen else ""
            raise UsageError(f"{submission.path.name} does not look like any of {activity.id}'s notebooks "
                             f"({', '.join(names)}){taken}; rename it to the notebook it is")
        chosen[scored[0][1]], how[scored[0][1]] = submission, "content"
    ordered = {name: chosen[name] for name in names if name in chosen}
    return Matched(ordered, [name for name in names if name not in chosen], how)
