"""The class roster: which student an account belongs to. A CSV file with a header row and the
columns `account` (an account id, a profile name, an organization account name or a snapshot
file name) and `student`; other columns are ignored."""

from __future__ import annotations

from pathlib import Path

from ..roster import read_pairs

NOT_ON_ROSTER = "(not on the roster)"


def read_roster(path: Path) -> dict[str, str]:
    """account key -> student, refusing a file that is not a roster with one clear line."""
    return read_pairs(path, "account", "student")


def student_of(roster: dict[str, str], account_id: str | None, label: str) -> str:
    """The student an account belongs to, found by its id first, then by its profile/file/account name."""
    return roster.get(account_id or "") or roster.get(label) or NOT_ON_ROSTER


def not_audited(roster: dict[str, str], audited: list[tuple[str | None, str]]) -> list[dict]:
    """Students on the roster none of whose keys matched an audited (account id, label)."""
    matched = {key for pair in audited for key in pair if key}
    students_found = {student for key, student in roster.items() if key in matched}
    return [{"student": student, "account": key} for key, student in roster.items()
            if key not in matched and student not in students_found]
