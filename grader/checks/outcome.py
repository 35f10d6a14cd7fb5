"""What one check concluded: a status, a message that says what is wrong and how to fix it, and
the evidence behind it."""

from __future__ import annotations

from dataclasses import dataclass, field

STATUSES = ("pass", "fail", "error", "manual", "skip")


@dataclass(frozen=True)
class Outcome:
    status: str
    message: str
    evidence: dict = field(default_factory=dict)


def passed(message: str, **evidence) -> Outcome:
    return Outcome("pass", message, evidence)


def failed(message: str, **evidence) -> Outcome:
    return Outcome("fail", message, evidence)


def manual(message: str, **evidence) -> Outcome:
    """Nothing readable can decide it: a person must look (never guessed)."""
    return Outcome("manual", message, evidence)


def unknown(message: str, **evidence) -> Outcome:
    """The evidence needed is missing because a call failed: an error, never a fail."""
    return Outcome("error", message, evidence)


def skipped(message: str, **evidence) -> Outcome:
    """The check does not apply to this evidence (a run-only check on a snapshot, a clean-up of
    something never created): no points either way, left out of the maximum."""
    return Outcome("skip", message, evidence)
