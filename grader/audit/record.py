"""The audit as one plain record (audit.json; every other output renders it): the accounts sorted by
what they cost, their leftovers with the student each belongs to, what could not be read, totals,
and the exit status a scheduled job acts on."""

from __future__ import annotations

from datetime import UTC, datetime

from ..checks import prices
from ..checks.leftovers import find
from .deletion import commands
from .roster import not_audited, student_of

SCHEMA = "grader.audit/1"
EXIT_NOTHING_BILLS = 0
EXIT_SOMETHING_BILLS = 1     # or is above --fail-over, or could not be read (unknown is never clean)


def build(readings: list[dict], roster: dict[str, str], regions: str, fail_over: float | None) -> dict:
    accounts = [_account(reading, roster) for reading in _one_per_account(readings)]
    accounts.sort(key=lambda account: (account["failure"] is not None, -account["cost_per_hour"],
                                       -account["unpriced"], -len(account["leftovers"]), account["student"]))
    totals = _totals(accounts)
    code, reasons = verdict(totals, fail_over)
    return {
        "schema": SCHEMA,
        "generated_at": datetime.now(UTC).isoformat(timespec="seconds"),
        "regions": regions,
        "price_table": {"as_of": prices.AS_OF.isoformat(), "hours_per_month": prices.HOURS_PER_MONTH,
                        "file": "grader/checks/prices.toml", "sources": prices.SOURCES},
        "fail_over": fail_over,
        "totals": totals,
        "exit": {"code": code, "reasons": reasons},
        "accounts": accounts,
        "not_audited": not_audited(roster, [(a["account_id"], label) for a in accounts
                                            for label in [a["source"]["label"], *a["also_reached_as"]]]),
    }


def _one_per_account(readings: list[dict]) -> list[dict]:
    """A live account reached twice (a profile and the organization) is audited once, not billed twice.
    Snapshot files stay apart: each is its own recording (one per student)."""
    kept: dict[str, dict] = {}
    unique = []
    for reading in sorted(readings, key=lambda reading: reading["failure"] is not None):
        live = reading["source"]["kind"] != "snapshot" and reading["account_id"]
        first = kept.get(reading["account_id"]) if live else None
        if first is None:
            reading["also_reached_as"] = []
            if live:
                kept[reading["account_id"]] = reading
            unique.append(reading)
        else:
            first["also_reached_as"].append(reading["source"]["label"])
    return unique


def _account(reading: dict, roster: dict[str, str]) -> dict:
    leftovers, unknown = ([], []) if reading["failure"] else find(reading)
    student = student_of(roster, reading["account_id"], reading["source"]["label"])
    profile = reading["source"]["profile"]
    for leftover in leftovers:
        leftover.update(student=student, account_id=reading["account_id"], account=reading["source"]["label"],
                        delete_commands=commands(leftover, profile))
    leftovers.sort(key=_most_costly_first)
    billing = [leftover for leftover in leftovers if leftover["bills"] is not False]
    cost = sum(leftover["cost_per_hour"] for leftover in billing if leftover["cost_per_hour"] is not None)
    status = ("could not be read" if reading["failure"] else "bills" if billing
              else "partly unknown" if unknown else "clean")
    return {"student": student, "account_id": reading["account_id"], "source": reading["source"],
            "also_reached_as": reading["also_reached_as"], "status": status, "failure": reading["failure"],
            "observed_at": reading["observed_at"], "regions_read": reading["regions"], "unknown": unknown,
            "leftovers": leftovers, "billing": len(billing),
            "unpriced": sum(1 for leftover in billing if leftover["cost_per_hour"] is None),
            "cost_per_hour": cost, "cost_per_month": cost * prices.HOURS_PER_MONTH,
            "read_seconds": reading.get("read_seconds")}


def _most_costly_first(leftover: dict) -> tuple:
    """Billing at an unknown cost first (it may be the largest), then by cost, then free clutter."""
    cost = leftover["cost_per_hour"]
    return leftover["bills"] is False, cost is not None, -(cost or 0), leftover["type"], str(leftover["name"])


def _totals(accounts: list[dict]) -> dict:
    cost = sum(account["cost_per_hour"] for account in accounts)
    return {"accounts": len(accounts),
            "unreadable": sum(1 for account in accounts if account["failure"]),
            "partly_unknown": sum(1 for account in accounts if account["unknown"]),
            "billing_accounts": sum(1 for account in accounts if account["billing"]),
            "leftovers": sum(len(account["leftovers"]) for account in accounts),
            "billing_leftovers": sum(account["billing"] for account in accounts),
            "unpriced_leftovers": sum(account["unpriced"] for account in accounts),
            "cost_per_hour": cost, "cost_per_month": cost * prices.HOURS_PER_MONTH}


def verdict(totals: dict, fail_over: float | None) -> tuple[int, list[str]]:
    """Exit 1 with the reasons when something bills (above --fail-over, when given) or when part of
    the class could not be read; 0 when everything was read and nothing bills."""
    reasons = []
    if totals["unreadable"]:
        reasons.append(f"{totals['unreadable']} account(s) could not be read: what they hold is unknown")
    if totals["partly_unknown"]:
        reasons.append(f"{totals['partly_unknown']} account(s) have regions or lists that could not be read")
    if totals["unpriced_leftovers"]:
        reasons.append(f"{totals['unpriced_leftovers']} billing leftover(s) have no price in the table")
    burn = f"${totals['cost_per_hour']:.4f}/hour"
    if fail_over is None and totals["billing_leftovers"]:
        reasons.append(f"{totals['billing_leftovers']} leftover(s) bill {burn}")
    elif fail_over is not None and totals["cost_per_hour"] > fail_over:
        reasons.append(f"leftovers bill {burn}, above --fail-over ${fail_over:g}/hour")
    return (EXIT_SOMETHING_BILLS if reasons else EXIT_NOTHING_BILLS), reasons
