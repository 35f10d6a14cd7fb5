"""DIR/canvas-import.csv: the file staff import into Canvas's gradebook (Grades > Import), written
for the students and the one assignment of the gradebook export they gave (grader/canvas.py).

Canvas takes an uploaded score as the new grade and any unknown column as a new assignment, so the
file holds exactly the identity columns, the one assignment column and its Points Possible row, and
writes a score only for a student this grading gives one: a student with no result, or whose
submission could not be graded at all, is left blank (Canvas keeps what it has). Each result is
placed on the gradebook row of its student's Canvas user id, else SIS login, else SIS user id,
else name, never on a row two results or two names could claim; a result placed nowhere is listed
in DIR/canvas-not-imported.csv with the reason, never dropped silently.

Scores are scaled to the assignment's Points Possible (a 27-point activity in a 10-point assignment:
27/27 -> 10, 18/27 -> 6.67), so Canvas's percentages and totals are the grader's."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path

from ..canvas import IDENTITY, Gradebook, GradebookStudent
from ..files import write_atomic
from ..spreadsheet import csv_text
from ..terminal import inert
from . import view
from .results_files import GradedSubmission

IMPORT_FILE = "canvas-import.csv"
NOT_IMPORTED_FILE = "canvas-not-imported.csv"
LISTED = 8   # results not imported named on the terminal; the file has them all


def _name_forms(name: str) -> set[str]:
    """A name as the download spells it (`doejane`), as Canvas sorts it (`Doe, Jane`) or as a roster
    may (`Jane Doe`): the words run together and the words in any order."""
    words = re.findall(r"[^\W_]+", name.casefold())
    return {"".join(words), " ".join(sorted(words))} if words else set()


def _same_login(submission: GradedSubmission, student: GradebookStudent) -> bool:
    return bool(student.sis_login_id) and submission.student.casefold() == student.sis_login_id.casefold()


def _same_sis_id(submission: GradedSubmission, student: GradebookStudent) -> bool:
    return bool(student.sis_user_id) and submission.student == student.sis_user_id


def _same_name(submission: GradedSubmission, student: GradebookStudent) -> bool:
    return bool(_name_forms(submission.name) & _name_forms(student.name))


RULES = (   # (what matched, does this result belong on this row), tried in this order for every result
    ("Canvas user id", lambda submission, student: submission.student == student.id),
    ("SIS login", _same_login),
    ("SIS user id", _same_sis_id),
    ("name", _same_name),
)


@dataclass
class Placement:
    gradebook: Gradebook
    # gradebook ID -> the result on that row
    rows: dict[str, GradedSubmission] = field(default_factory=dict)
    matched_by: dict[str, str] = field(default_factory=dict)       # student (folder) -> the rule placing it
    # (result, why it is not in)
    not_imported: list[tuple[GradedSubmission, str]] = field(default_factory=list)

    @property
    def scored(self) -> dict[str, GradedSubmission]:
        """The rows that get a score: placed results that were graded."""
        left_out = {id(submission) for submission, _ in self.not_imported}
        return {key: submission for key, submission in self.rows.items() if id(submission) not in left_out}


def place(submissions: list[GradedSubmission], gradebook: Gradebook, *,
          keep_names: bool = False) -> Placement:
    """Every result on its gradebook row (a result no rule places alone on a free row is left out), and
    the gradebook as a roster: a placed result takes its student's Canvas name, unless `keep_names`
    (a roster named the students) and it has one."""
    placement = Placement(gradebook)
    waiting = list(submissions)
    for rule, belongs in RULES:
        still = []
        for submission in waiting:
            rows = [student for student in gradebook.students
                    if student.id not in placement.rows and belongs(submission, student)]
            if len(rows) == 1:
                placement.rows[rows[0].id] = submission
                placement.matched_by[submission.student] = rule
            elif len(rows) > 1:
                names = "; ".join(row.name for row in rows)
                placement.not_imported.append((submission, f"its {rule} matches {len(rows)} gradebook "
                                                           f"students ({names})"))
            else:
                still.append(submission)
        waiting = still
    placement.not_imported += [(submission, "not in the gradebook (no row with its Canvas id, SIS login, "
                                            "SIS id or name)") for submission in waiting]
    for submission in placement.rows.values():
        if submission.result.error:
            placement.not_imported.append((submission, f"could not be graded: {submission.result.error}"))
        elif not submission.result.max_score:
            placement.not_imported.append((submission, "no check counts towards its score (all manual or "
                                                       "skipped)"))
    placement.not_imported.sort(key=lambda item: item[0].student)
    canvas_names = {student.id: student.name for student in gradebook.students}
    for student_id, submission in placement.rows.items():
        if not (keep_names and submission.name):
            submission.name = canvas_names[student_id]
    return placement


def canvas_points(submission: GradedSubmission, points_possible: float) -> float:
    """The result's score out of the assignment's points possible, to 2 decimals."""
    result = submission.result
    return round(result.score * points_possible / result.max_score, 2)


def canvas_import_csv(placement: Placement) -> str:
    gradebook, scored = placement.gradebook, placement.scored
    rows = [[*IDENTITY, gradebook.assignment],
            [gradebook.points_label, *[""] * (len(IDENTITY) - 1), gradebook.points_text]]
    for student in gradebook.students:
        submission = scored.get(student.id)
        points = f"{canvas_points(submission, gradebook.points_possible):g}" if submission else ""
        rows.append(student.identity() + [points])
    return csv_text(rows)


def not_imported_csv(placement: Placement) -> str:
    rows = [["student", "name", "score", "max_score", "reason"]]
    rows += [[submission.student, submission.name, f"{submission.result.score:g}",
              f"{submission.result.max_score:g}", reason] for submission, reason in placement.not_imported]
    return csv_text(rows)


def write_canvas_files(out: Path, placement: Placement | None) -> dict[str, Path]:
    """DIR/canvas-import.csv and, when some result is not in it, DIR/canvas-not-imported.csv; without a
    gradebook both are removed, so no file in DIR is older than the results it was rendered from."""
    out = Path(out)
    written = {}
    if placement is not None:
        written["canvas"] = write_atomic(out / IMPORT_FILE, canvas_import_csv(placement))
    else:
        (out / IMPORT_FILE).unlink(missing_ok=True)
    if placement is not None and placement.not_imported:
        written["canvas_not_imported"] = write_atomic(out / NOT_IMPORTED_FILE, not_imported_csv(placement))
    else:
        (out / NOT_IMPORTED_FILE).unlink(missing_ok=True)
    return written


def describe(placement: Placement, written: dict[str, Path]) -> list[str]:
    """What staff need to know before they import, a few lines for the terminal."""
    gradebook, scored = placement.gradebook, len(placement.scored)
    max_score = view.class_max_score([submission.result for submission in placement.scored.values()])
    lines = [f"canvas: {written['canvas']}: {scored} score(s) for {gradebook.assignment}; "
             f"{len(gradebook.students) - scored} of {len(gradebook.students)} gradebook rows left blank"]
    if max_score and max_score != gradebook.points_possible:
        lines.append(f"  scores scaled from {max_score:g} to the assignment's {gradebook.points_text} "
                     "points possible")
    by_name = sorted(student for student, rule in placement.matched_by.items() if rule == "name")
    if by_name:
        lines.append(f"  placed by name only, check them before importing ({len(by_name)}): "
                     + ", ".join(by_name[:LISTED]) + (" ..." if len(by_name) > LISTED else ""))
    pending = sum(bool(submission.result.manual_points) for submission in placement.scored.values())
    if pending:
        lines.append(f"  {pending} score(s) leave out checks awaiting a person's review (status manual): "
                     "review them in report.html and adjust those grades in Canvas")
    if placement.not_imported:
        lines.append(f"  not in the import ({len(placement.not_imported)}; "
                     f"{written['canvas_not_imported']}):")
        lines += [f"    {submission.student}{f' ({submission.name})' if submission.name else ''}: {reason}"
                  for submission, reason in placement.not_imported[:LISTED]]
        if len(placement.not_imported) > LISTED:
            lines.append(f"    ... and {len(placement.not_imported) - LISTED} more")
    return [inert(line) for line in lines]
