"""Canvas's gradebook export, read as staff download it (Grades > Export > Export Entire Gradebook):
a header `Student, ID, SIS User ID, SIS Login ID, Section`, one column per assignment named
`Name (assignment id)`, then read-only totals (`Current Score`, `Final Score`, ...); a `Points
Possible` row (some exports add a `Muted` or posting row), then one row per student. It says which
column is the graded assignment, what it is worth and who the class is; the import file
(reporting/canvas_import.py) is written for exactly these students and that one column."""

from __future__ import annotations

import csv
import io
import re
from dataclasses import dataclass
from pathlib import Path

from .errors import UsageError

GRADEBOOK_LIMIT = 20 * 2**20     # bytes; 2,000 students with 200 assignments export to about 4 MB
IDENTITY = ("Student", "ID", "SIS User ID", "SIS Login ID", "Section")   # what an import needs, in order
ASSIGNMENT = re.compile(r"^(?P<name>.*?)\s*\((?P<id>\d+)\)$")
POINTS_POSSIBLE = "Points Possible"
CHOICES_LISTED = 30
HOW_TO_EXPORT = "export it from Canvas (Grades > Export > Export Entire Gradebook) and give that CSV as it is"


@dataclass(frozen=True)
class GradebookStudent:
    name: str            # as Canvas sorts it: "Last, First"
    id: str              # the Canvas user id, also in the submission download's file names
    sis_user_id: str
    sis_login_id: str
    section: str

    def identity(self) -> list[str]:
        return [self.name, self.id, self.sis_user_id, self.sis_login_id, self.section]


@dataclass(frozen=True)
class Gradebook:
    path: Path
    assignment: str          # the assignment's column header as exported: `Name (id)`
    points_label: str        # the Points Possible row's first cell as exported (Canvas indents it)
    points_text: str         # the assignment's points possible as exported
    points_possible: float
    students: list[GradebookStudent]


def _rows(path: Path) -> list[list[str]]:
    where = f"--canvas-gradebook {path}"
    if not path.is_file():
        raise UsageError(f"{where}: no such file; {HOW_TO_EXPORT}")
    try:
        with path.open("rb") as stream:
            data = stream.read(GRADEBOOK_LIMIT + 1)
    except OSError as error:
        raise UsageError(f"{where} cannot be read ({error.strerror})") from None
    if len(data) > GRADEBOOK_LIMIT:
        raise UsageError(f"{where} is over {GRADEBOOK_LIMIT // 2**20} MB: not a Canvas gradebook export; "
                         f"{HOW_TO_EXPORT}")
    try:
        return list(csv.reader(io.StringIO(data.decode("utf-8-sig"), newline=""), strict=True))
    except UnicodeDecodeError:
        raise UsageError(f"{where} is not UTF-8 text (a spreadsheet may have re-saved it); "
                         f"{HOW_TO_EXPORT}") from None
    except csv.Error as error:
        raise UsageError(f"{where} is not a readable CSV file ({error}); {HOW_TO_EXPORT}") from None


def _listed(headers: list[str]) -> str:
    shown = "; ".join(headers[:CHOICES_LISTED])
    return shown + (f"; ... {len(headers) - CHOICES_LISTED} more" if len(headers) > CHOICES_LISTED else "")


def _assignment_column(header: list[str], wanted: str, path: Path) -> int:
    """The one column `wanted` names: its assignment id, its name, or its header as exported."""
    columns = [(index, ASSIGNMENT.match(name)) for index, name in enumerate(header) if name not in IDENTITY]
    columns = [(index, found) for index, found in columns if found]
    if not columns:
        raise UsageError(f"--canvas-gradebook {path} has no assignment column (named `Name (id)`); "
                         "create the assignment in Canvas, then export the gradebook again")
    key = wanted.strip().casefold()
    chosen = [index for index, found in columns
              if key in (found["id"], found["name"].casefold(), found[0].casefold())]
    if len(chosen) == 1:
        return chosen[0]
    if not chosen:
        raise UsageError(f"--canvas-assignment {wanted!r} is not an assignment of {path}; give a name or id "
                         f"of one of: {_listed([found[0] for _, found in columns])}")
    raise UsageError(f"--canvas-assignment {wanted!r} names {len(chosen)} assignments of {path} "
                     f"({_listed([header[index] for index in chosen])}); give the id in parentheses instead")


def _points_possible(rows: list[list[str]], column: int, assignment: str,
                     path: Path) -> tuple[str, str, float]:
    """(the row's first cell, the assignment's points as written, as a number)."""
    for row in rows:
        if row and row[0].strip() == POINTS_POSSIBLE:
            text = row[column].strip() if column < len(row) else ""
            try:
                points = float(text)
            except ValueError:
                points = 0.0
            if not points > 0:
                raise UsageError(f"--canvas-gradebook {path}: {assignment} has no points possible "
                                 f"({text or 'blank'}); set its points in Canvas, then export the gradebook "
                                 "again")
            return row[0], text, points
    raise UsageError(f"--canvas-gradebook {path} has no {POINTS_POSSIBLE} row; {HOW_TO_EXPORT}")


def read_gradebook(path: Path, assignment: str) -> Gradebook:
    """The export at `path` with `assignment` (name or id) as the graded column; one line (UsageError)
    for a file that is not such an export or an assignment it does not have exactly once."""
    path = Path(path)
    rows = _rows(path)
    header = [name.strip() for name in rows[0]] if rows else []
    position = {name: index for index, name in enumerate(header)}
    if "Student" not in position or "ID" not in position:
        raise UsageError(f"--canvas-gradebook {path} is not a Canvas gradebook export (its header has no "
                         f"Student and ID columns; it starts: {', '.join(header[:5]) or 'empty file'}); "
                         f"{HOW_TO_EXPORT}")
    column = _assignment_column(header, assignment, path)
    points_label, points_text, points = _points_possible(rows, column, header[column], path)

    def cell(row: list[str], name: str) -> str:
        index = position.get(name)
        return row[index].strip() if index is not None and index < len(row) else ""

    students, line_of = [], {}
    for line, row in enumerate(rows[1:], start=2):
        student = GradebookStudent(*(cell(row, name) for name in IDENTITY))
        if not student.id or student.name == POINTS_POSSIBLE:   # Points Possible, Muted and posting rows
            continue
        if student.id in line_of:
            raise UsageError(f"--canvas-gradebook {path} line {line}: ID {student.id} is also on line "
                             f"{line_of[student.id]}; {HOW_TO_EXPORT}")
        line_of[student.id] = line
        students.append(student)
    return Gradebook(path, header[column], points_label, points_text, points, students)


def gradebook_option(path: Path | None, assignment: str | None) -> Gradebook | None:
    """The gradebook the two options give together (None when neither is given)."""
    if path is None and assignment is None:
        return None
    if path is None or assignment is None:
        raise UsageError("--canvas-gradebook and --canvas-assignment go together: give the gradebook Canvas "
                         "exported and the assignment (its name or id) the grades are for")
    return read_gradebook(path, assignment)
