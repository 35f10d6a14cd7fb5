"""Class rosters: a CSV file with a header row mapping one column to another (an account to a student
for the audit, a student id to a name for batch grading); other columns are ignored."""

from __future__ import annotations

import csv
from pathlib import Path

from .errors import UsageError

MAX_ROSTER_BYTES = 20_000_000   # a roster of 10,000 students is well under 1 MB


def read_pairs(path: Path, key: str, value: str) -> dict[str, str]:
    """`key` column -> `value` column, refusing a file that is not such a roster with one clear line."""
    columns_wanted = f"{key},{value}"
    if not path.is_file():
        raise UsageError(f"--roster {path}: no such file; give a CSV file with the columns {columns_wanted}")
    if path.stat().st_size > MAX_ROSTER_BYTES:
        raise UsageError(f"--roster {path} is larger than {MAX_ROSTER_BYTES // 1_000_000} MB, more than a "
                         f"class roster is; give a CSV file with the columns {columns_wanted}")
    try:
        rows = list(csv.DictReader(path.read_text(encoding="utf-8-sig").splitlines()))
    except (UnicodeDecodeError, csv.Error) as error:
        raise UsageError(f"--roster {path} is not a readable CSV file ({error})") from None
    columns = {name.strip().lower(): name for name in (rows[0].keys() if rows else []) if name}
    if key not in columns or value not in columns:
        raise UsageError(f"--roster {path} needs a header row with the columns {columns_wanted} "
                         f"(found: {', '.join(columns) or 'no rows'})")
    pairs: dict[str, str] = {}
    for line, row in enumerate(rows, start=2):
        found_key = (row.get(columns[key]) or "").strip()
        found_value = (row.get(columns[value]) or "").strip()
        if not found_key or not found_value:
            raise UsageError(f"--roster {path} line {line}: both {key} and {value} are needed")
        if pairs.get(found_key, found_value) != found_value:
            raise UsageError(f"--roster {path} line {line}: {key} {found_key} is given to both "
                             f"{pairs[found_key]} and {found_value}")
        pairs[found_key] = found_value
    return pairs
