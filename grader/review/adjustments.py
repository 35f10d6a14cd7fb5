"""Staff's adjustments: DIR/adjustments.csv, written by a TA, read on every `grader grade` (and
--resume) and `grader report`, so a decision survives every regrade.

    student,check,points,reason,by
    12345,housing.model_quality,2,one-hot encoding is defensible,ta-kim
    900100,*,+3,data file of the 2019 term,ta-kim

`student` is the batch's id (the folder under DIR, the student column of grades.csv); `check` a check
id, or `*` for the total; `points` an absolute value (`2`) or a change (`+3`, `-1`; a spreadsheet's
text marker `'+3` is read as `+3`). An unknown student or check, or a line that cannot be read, is
one clear error naming the line.
"""

from __future__ import annotations

import csv
import re
from dataclasses import dataclass
from pathlib import Path

from ..errors import UsageError

ADJUSTMENTS_FILE = "adjustments.csv"
COLUMNS = ("student", "check", "points", "reason", "by")
TOTAL = "*"
POINTS = re.compile(r"^'?(?P<sign>[+-]?)(?P<value>\d+(?:\.\d+)?)$")


@dataclass(frozen=True)
class Adjustment:
    student: str
    check: str              # a check id, or TOTAL
    value: float
    relative: bool          # `+3` / `-1` change the points; `2` sets them
    reason: str
    by: str
    line: int

    def applied_to(self, points: float) -> float:
        return points + self.value if self.relative else self.value

    def said(self) -> str:
        return f"{self.value:+g}" if self.relative else f"{self.value:g}"


def read_adjustments(path: Path) -> list[Adjustment]:
    """Every line of the file (none when there is no file); UsageError for a file that cannot be used."""
    path = Path(path)
    if not path.is_file():
        return []
    try:
        rows = list(csv.reader(path.read_text(encoding="utf-8-sig").splitlines()))
    except (OSError, UnicodeDecodeError, csv.Error) as error:
        raise UsageError(f"{path} is not a readable CSV file ({error}); fix it or remove it") from None
    header = [name.strip().lower() for name in rows[0]] if rows else []
    if tuple(header[:len(COLUMNS)]) != COLUMNS:
        raise UsageError(f"{path} needs the header row {','.join(COLUMNS)} "
                         f"(found: {','.join(header) or 'nothing'})")
    adjustments = []
    for line, row in enumerate(rows[1:], start=2):
        if not any(cell.strip() for cell in row):
            continue
        student, check, points, reason, by = (list(row) + [""] * len(COLUMNS))[:len(COLUMNS)]
        parsed = POINTS.match(points.strip())
        if not student.strip() or not check.strip() or not parsed:
            raise UsageError(f"{path} line {line}: give a student, a check id (or *) and points such as "
                             f"2, +3 or -1 (found {','.join(row)})")
        if not reason.strip():
            raise UsageError(f"{path} line {line}: say why (the reason column); students see it in their "
                             "report")
        value = float(parsed["value"]) * (-1 if parsed["sign"] == "-" else 1)
        adjustments.append(Adjustment(student.strip(), check.strip(), value, bool(parsed["sign"]),
                                      reason.strip(), by.strip(), line))
    return adjustments


def check_known(adjustments: list[Adjustment], path: Path, checks_of: dict[str, set[str]]) -> None:
    """Refuse a line naming a student the class does not have, or a check their result does not have."""
    for adjustment in adjustments:
        if adjustment.student not in checks_of:
            raise UsageError(f"{path} line {adjustment.line}: no student {adjustment.student!r} in this "
                             "class (use the student column of grades.csv)")
        known = checks_of[adjustment.student]
        if adjustment.check != TOTAL and adjustment.check not in known:
            raise UsageError(f"{path} line {adjustment.line}: {adjustment.student} has no check "
                             f"{adjustment.check!r} (give * for the total, or one of: "
                             f"{', '.join(sorted(known))})")
