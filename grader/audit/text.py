"""How the audit writes values for people: money, and untrusted text made safe for a terminal line
or a comment line (names come from student accounts and files: no control characters, no newlines)."""

from __future__ import annotations

import unicodedata


def printable(value) -> str:
    """`value` as one line of visible text: control and formatting characters become '?'."""
    return "".join("?" if unicodedata.category(ch) in ("Cc", "Cf", "Zl", "Zp") else ch for ch in str(value))


def money(amount: float | None, unit: str = "") -> str:
    """$1.23 (cents from a dollar up, four decimals below, 'under $0.0001'), 'unknown' for None."""
    if amount is None:
        return "unknown"
    if 0 < amount < 0.0001:
        return "under $0.0001" + unit
    return (f"${amount:,.2f}" if amount >= 1 or amount == 0 else f"${amount:.4f}") + unit
