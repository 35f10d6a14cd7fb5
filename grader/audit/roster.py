"""The class roster: which student an account belongs to. A CSV file with a header row and the
columns `account` (an account id, a profile name, an organization account name or a snapshot
file name) and `student`; other columns are ignored."""

from __future__ import annotations

import csv
from pathlib import Path

from ..errors import UsageError

NOT_ON_ROSTER = "(not on the roster)"


def read_roster(path: Path) -> dict[str, str]:
    """account key -> student, refusing a file that is not a roster with one clear line."""
    if not path.is_file():
        raise UsageError(f"--roster {path}: no such file; give a CSV file with the columns account,student")
    try:
        rows = list(csv.DictReader(path.read_text(encoding="utf-8-sig").splitlines()))
    except (UnicodeDecodeError, csv.Error) as error:
        raise UsageError(f"--roster {path} is not a readable CSV file ({error})") from None
    columns = {name.strip().lower(): name for name in (rows[0].keys() if rows else []) if name}
    if "account" not in columns or "student" not in columns:
        raise UsageError(f"--roster {path} needs a header row with the columns account,student "
                         f"(found: {', '.join(columns) or 'no rows'})")
    roster: dict[str, str] = {}
    for line, row in enumerate(rows, start=2):
        account = (row.get(columns["account"]) or "").strip()
        student = (row.get(columns["student"]) or "").strip()
        if not account or not student:
            raise UsageError(f"--roster {path} line {line}: both account and student are needed")
        if roster.get(account, student) != student:
            raise UsageError(f"--roster {path} line {line}: account {account} is given to both "
                             f"{roster[account]} and {student}")
        roster[account] = student
    return roster


def student_of(roster: dict[str, str], account_id: str | None, label: str) -> str:
    """The student an account belongs to, found by its id first, then by its profile/file/account name."""
    return roster.get(account_id or "") or roster.get(label) or NOT_ON_ROSTER


def not_audited(roster: dict[str, str], audited: list[tuple[str | None, str]]) -> list[dict]:
    """Students on the roster none of whose keys matched an audited (account id, label)."""
    matched = {key for pair in audited for key in pair if key}
    students_found = {student for key, student in roster.items() if key in matched}
    return [{"student": student, "account": key} for key, student in roster.items()
            if key not in matched and student not in students_found]
