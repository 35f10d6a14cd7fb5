"""Finding and reading a class's result files: `result.json` files, or folders holding them (a batch
folder DIR/<student>/result.json, or `grader check`'s OUT/<activity>/<submission>/result.json).
A submission is named after the folder its result is in."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from ..errors import UsageError
from ..grading.grade import RESULT_FILE
from ..grading.result import GradeResult


@dataclass
class GradedSubmission:
    student: str          # the name of the folder its result.json is in
    result: GradeResult
    path: Path            # its result.json
    name: str = ""        # the student's name, when a roster gives one


def result_paths(paths: list[Path]) -> list[Path]:
    found = []
    for path in map(Path, paths):
        if path.is_dir():
            inside = sorted(path.rglob(RESULT_FILE))
            if not inside:
                raise UsageError(
                    f"{path} holds no {RESULT_FILE}; give result files or the folders grading wrote")
            found += inside
        elif path.is_file():
            found.append(path)
        else:
            raise UsageError(f"{path} does not exist; give result files or the folders grading wrote")
    return list(dict.fromkeys(path.resolve() for path in found))


def read_submissions(paths: list[Path], *, student_view: bool = False) -> list[GradedSubmission]:
    """Every result, each named uniquely after its folder; one line (UsageError) for a file that is not
    a graded result or for results of different activities. `student_view`: each result as students may
    see it (GradeResult.for_students), so that nothing rendered from it holds what hidden checks found."""
    submissions, taken = [], set()
    for path in result_paths(paths):
        try:
            result = GradeResult.read(path)
        except (OSError, ValueError, KeyError, TypeError) as error:
            raise UsageError(f"{path} is not a graded result ({type(error).__name__}: {error})") from None
        name, suffix = path.parent.name or "submission", 1
        while name in taken:
            suffix += 1
            name = f"{path.parent.name}-{suffix}"
        taken.add(name)
        submissions.append(GradedSubmission(name, result.for_students() if student_view else result, path))
    activities = sorted({submission.result.activity for submission in submissions})
    if len(activities) > 1:
        raise UsageError(
            f"the results are of several activities ({', '.join(activities)}); report one activity at a time")
    return sorted(submissions, key=lambda submission: submission.student)


def name_from_roster(submissions: list[GradedSubmission], roster: dict[str, str]) -> list[tuple[str, str]]:
    """Each result whose student (the name of its folder) is on the roster (id -> name) gets that name;
    returns the roster's (id, name) pairs that have no result."""
    for submission in submissions:
        submission.name = roster.get(submission.student, submission.name)
    found = {submission.student for submission in submissions}
    return [(key, name) for key, name in roster.items() if key not in found]
