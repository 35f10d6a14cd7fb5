"""Which of an activity's notebooks each submitted file is.

Students rename files (`boston-housing-regression (1).ipynb`, `jdoe_monte_carlo.ipynb`) and submit
only some of them, so a file is matched by name first and, failing that, by how much of its code it
shares with the activity's own starter and solution copies. One submission is at most one file per
activity notebook; anything more is a class, which `grader grade` handles.

A file of another activity is refused, naming that activity, whatever its name: graded as this one it
would only fail for reasons that are not the student's. The model activities share most of their
code (the SageMaker steps), so what tells them apart is the code only one activity's copies have
(`load_boston()`, `x_austin_final.csv`, its S3 prefix).

An activity may declare known versions of a notebook (the course's terms, `[[versions]]` in its
activity.toml): every version's copies count as that notebook's, and a matched file is the version
whose own code it has most of (version_of), which the checks then grade it against.
"""

from __future__ import annotations

import difflib
import functools
import os
import re
from dataclasses import dataclass, field, replace
from pathlib import Path

from ..activities import Activity, load, load_all
from ..errors import UsageError
from .submission import Submission

# share of matching code lines below which a file resembles no activity notebook
MIN_CONTENT_SIMILARITY = 0.3
# lines only another activity's copies have, from which a file is that activity's
MIN_DISTINCTIVE_LINES = 3
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


@functools.lru_cache(maxsize=256)
def _code_of_file(path: str, mtime_ns: int, size: int) -> tuple[str, ...]:
    import nbformat

    return tuple(_code_lines(nbformat.read(path, as_version=4)))


def _file_code(path: Path) -> tuple[str, ...]:
    """A course copy's code lines, read once per process while the file is unchanged: every grading
    compares the submission with every activity's copies (a warm grading inherits them read)."""
    stat = os.stat(path)
    return _code_of_file(str(path), stat.st_mtime_ns, stat.st_size)


def _versioned_code(activity: Activity, name: str) -> list[tuple[str | None, tuple[str, ...]]]:
    """The code of notebook `name`'s starter and solution copies in every known version, with the version."""
    return [(version.name if version else None, _file_code(path)) for version, path in activity.copies(name)]


def _reference_code(activity: Activity, name: str) -> list[tuple[str, ...]]:
    return [code for _, code in _versioned_code(activity, name)]


def _similarity(code: list[str], references: list[tuple[str, ...]]) -> float:
    return max((difflib.SequenceMatcher(None, code, reference, autojunk=False).ratio()
                for reference in references),
               default=0.0)


def version_of(activity: Activity, name: str, code: list[str]) -> str | None:
    """The known version of notebook `name` that `code` is: the one with most of the code lines only its
    copies have, then the closest to its copies (the first declared on a tie); None when the activity
    declares no versions of it. A starter shares most lines with any submission, so closeness alone
    would pick a version's starter over another version's own code."""
    lines: dict[str | None, list[tuple[str, ...]]] = {}
    for version, reference in _versioned_code(activity, name):
        lines.setdefault(version, []).append(reference)
    own = {version: {line for copy in copies for line in copy} for version, copies in lines.items()}
    present = set(code)

    def fit(version: str) -> tuple[int, float]:
        others = set().union(*(theirs for other, theirs in own.items() if other != version))
        return len(present & (own[version] - others)), _similarity(code, lines[version])

    return max((version for version in lines if version), key=fit, default=None)


def _distinctive_lines() -> dict[str, set[str]]:
    """Per activity, the code lines its starter and solution copies have and no other activity's do."""
    lines = {other.id: {line for name in other.notebooks
                        for copy in _reference_code(other, name) for line in copy}
             for other in load_all()}
    return {key: own - set().union(*(theirs for other, theirs in lines.items() if other != key))
            for key, own in lines.items()}


def refuse_other_activity(activity: Activity, submission: Submission) -> None:
    """UsageError naming the activity (and its notebook) that `submission` is, when it is clearly
    another one's: more than twice as many of that activity's distinctive lines as of this one's, and
    at least as close to that activity's copies in all."""
    code = _code_lines(submission.notebook)
    present = {key: len(set(code) & lines) for key, lines in _distinctive_lines().items()}
    other = max((key for key in present if key != activity.id), key=present.get, default=None)
    if other is None or present[other] < MIN_DISTINCTIVE_LINES or present[other] <= 2 * present[activity.id]:
        return
    theirs = load(other)
    closest, similarity = max(((name, _similarity(code, _reference_code(theirs, name)))
                               for name in theirs.notebooks),
                              key=lambda pair: pair[1])
    own = max((_similarity(code, _reference_code(activity, name)) for name in activity.notebooks),
              default=0.0)
    if similarity >= own:
        raise UsageError(f"{submission.path.name} is not a notebook of {activity.id}: "
                         f"this is {closest} of the "
                         f"{other} activity; run `grader check {other} {submission.path}`")


def match_notebooks(activity: Activity, submissions: list[Submission]) -> Matched:
    """Raises UsageError for more files than the activity has notebooks, two files for one notebook,
    a file of another activity, or a file that resembles none of them."""
    names = list(activity.notebooks)
    for submission in submissions:
        refuse_other_activity(activity, submission)
    if len(submissions) > len(names):
        raise UsageError(f"{activity.id} has {len(names)} notebook(s) ({', '.join(names)}) "
                         f"but {len(submissions)} "
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
        scored = sorted(((_similarity(code, _reference_code(activity, name)), name) for name in free),
                        reverse=True)
        if not scored or scored[0][0] < MIN_CONTENT_SIMILARITY:
            taken = f"; {', '.join(chosen)} already matched other files" if chosen else ""
            raise UsageError(f"{submission.path.name} does not look like any of {activity.id}'s notebooks "
                             f"({', '.join(names)}){taken}; rename it to the notebook it is")
        chosen[scored[0][1]], how[scored[0][1]] = submission, "content"
    ordered = {name: replace(chosen[name],
                             version=version_of(activity, name, _code_lines(chosen[name].notebook)))
               for name in names if name in chosen}
    return Matched(ordered, [name for name in names if name not in chosen], how)
