"""The late policy: `--due DATETIME` and `--late-penalty SPEC`, applied to the submission time the LMS
gives (Gradescope's `:created_at:`, the Canvas download's file time with its LATE mark; a plain folder
has only its files' times) and saying which time was used. The penalty is a line of the result
(`adjustments`, kind `late`), never a hidden change of the checks.

SPEC is a rate per day started late (`10%/day`, or points: `2/day`) with an optional cap
(`10%/day,cap=50%`), or a table of days late -> deduction (`1:10%,3:25%,7:50%`: up to 1 day 10 %, up
to 3 days 25 %, ...; later than the last row, the last row). Percentages are of the submission's
maximum score, as Canvas's late policy deducts from the points possible; no penalty takes the score
below 0.
"""

from __future__ import annotations

import json
import math
import re
from dataclasses import asdict, dataclass
from datetime import UTC, datetime
from pathlib import Path

from ..errors import UsageError
from ..files import write_atomic

POLICY_FILE = "late-policy.json"    # in DIR: the policy `grader grade` was last given, for later runs
AMOUNT = r"(\d+(?:\.\d+)?)(%?)"
RATE = re.compile(rf"^{AMOUNT}/day(?:,cap={AMOUNT})?$")
ROW = re.compile(rf"^(\d+(?:\.\d+)?):{AMOUNT}$")
DAY_S = 86400


def parse_due(text: str) -> datetime:
    """ISO 8601; without a zone it is UTC (said in every penalty line)."""
    try:
        due = datetime.fromisoformat(text.strip())
    except ValueError:
        raise UsageError(f"--due {text}: give a date and time such as 2026-12-01T23:59-08:00") from None
    return due if due.tzinfo else due.replace(tzinfo=UTC)


@dataclass(frozen=True)
class LatePolicy:
    due: str                 # ISO 8601 with a zone
    penalty: str             # SPEC as given

    @classmethod
    def given(cls, due: str | None, penalty: str | None) -> LatePolicy | None:
        if not due and not penalty:
            return None
        if not due or not penalty:
            raise UsageError("--due and --late-penalty go together: give both (e.g. --due "
                             "2026-12-01T23:59-08:00 --late-penalty 10%/day,cap=50%)")
        policy = cls(parse_due(due).isoformat(), penalty.replace(" ", ""))
        policy.deduction(1, 100.0)   # refuses a SPEC it cannot read, before anything runs
        return policy

    def deduction(self, days: int, max_score: float) -> tuple[float, str]:
        """(points deducted for `days` started late, how that was worked out)."""
        def amount(value: str, percent: str) -> float:
            return float(value) * max_score / 100 if percent else float(value)

        if rate := RATE.match(self.penalty):
            points = days * amount(rate[1], rate[2])
            said = f"{rate[1]}{rate[2] and '%'} per day"
            if rate[3]:
                points = min(points, amount(rate[3], rate[4]))
                said += f", at most {rate[3]}{rate[4] and '%'}"
            return points, said
        rows = [ROW.match(part) for part in self.penalty.split(",")]
        if not rows or not all(rows):
            raise UsageError(f"--late-penalty {self.penalty}: give a rate per day (10%/day, 2/day, "
                             "optionally ,cap=50%) or a table of days:deduction (1:10%,3:25%,7:50%)")
        table = sorted((float(row[1]), row[2], row[3]) for row in rows)
        for up_to, value, percent in table:
            if days <= up_to:
                return amount(value, percent), f"{value}{percent} for up to {up_to:g} day(s) late"
        up_to, value, percent = table[-1]
        return amount(value, percent), f"{value}{percent}, the most the table deducts"

    def save(self, out: Path) -> None:
        write_atomic(Path(out) / POLICY_FILE, json.dumps(asdict(self)))

    @classmethod
    def saved(cls, out: Path) -> LatePolicy | None:
        path = Path(out) / POLICY_FILE
        try:
            return cls(**json.loads(path.read_text()))
        except FileNotFoundError:
            return None
        except (OSError, ValueError, TypeError):
            raise UsageError(f"{path} is not a late policy; give --due and --late-penalty again") from None


def late_line(policy: LatePolicy | None, facts: dict, score: float, max_score: float) -> dict | None:
    """The penalty line for a submission (None when on time or no policy): days late counted from the
    LMS's time, or 1 day when only the LMS's LATE mark says it was late."""
    if policy is None:
        return None
    due = datetime.fromisoformat(policy.due)
    at = datetime.fromisoformat(facts["at"]) if facts.get("at") else None
    if at is not None and at > due:
        days = math.ceil((at - due).total_seconds() / DAY_S)
        when = f"submitted {facts['at']} ({facts['clock']}), due {policy.due}"
    elif facts.get("lms_late"):
        days = 1
        when = (f"marked LATE by Canvas (its time, {facts.get('at') or 'unknown'}, is not after "
                f"{policy.due}: counted as 1 day)")
    else:
        return None
    points, how = policy.deduction(days, max_score)
    points = min(points, max(score, 0.0))
    return {"kind": "late", "points": -round(points, 2), "by": "late policy",
            "reason": f"{days} day(s) late: {when}; {how}"}
