"""Every CSV the grader writes goes through here, so that no cell a student or a student's account
could name (a file name, a bucket, a roster entry) is run by a spreadsheet as a formula: a cell that
starts with `= + - @`, a tab or a line break (a carriage return is made one) is written as text, with a
leading quote."""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable, Sequence

from .text import plain

FORMULA_START = ("=", "+", "-", "@", "\t", "\r", "\n")


def cell(value) -> str:
    """`value` as a spreadsheet shows it: None empty, numbers as they print, text plain and inert."""
    if value is None:
        return ""
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        text = plain(value) if isinstance(value, str) else str(value)
        return f"'{text}" if text.startswith(FORMULA_START) else text
    return str(value)


def csv_text(rows: Iterable[Sequence]) -> str:
    """Rows (the header first) as CSV text with every cell made inert."""
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    writer.writerows([cell(value) for value in row] for row in rows)
    return buffer.getvalue()
