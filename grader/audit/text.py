"""How the audit writes money for people. (Untrusted names reach a terminal or a comment line
through grader/terminal.py's `inert`.)"""

from __future__ import annotations


def money(amount: float | None, unit: str = "") -> str:
    """$1.23 (cents from a dollar up, four decimals below, 'under $0.0001'), 'unknown' for None."""
    if amount is None:
        return "unknown"
    if 0 < amount < 0.0001:
        return "under $0.0001" + unit
    return (f"${amount:,.2f}" if amount >= 1 or amount == 0 else f"${amount:.4f}") + unit
