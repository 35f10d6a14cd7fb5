"""Each student's earlier results: before a result is replaced (a regrade, or a review that changes
it), it is kept in DIR/<student>/history/NNN.json with the stamp that graded it, and the class summary
says what changed between the last two versions (score, checks) and why (the submission, the grader,
an adjustment, the late policy)."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path

from ..files import write_atomic
from ..grading.grade import RESULT_FILE

HISTORY = "history"


def keep(folder: Path, *, stamp: dict | None, run: str) -> Path | None:
    """Copy the student's current result (and the stamp it was graded under) into the history."""
    current = Path(folder) / RESULT_FILE
    try:
        result = json.loads(current.read_text())
    except (OSError, ValueError):
        return None
    history = Path(folder) / HISTORY
    history.mkdir(parents=True, exist_ok=True)
    numbers = [int(path.stem) for path in history.glob("[0-9]*.json") if path.stem.isdigit()]
    number = 1 + max(numbers, default=0)
    entry = {"kept_at": datetime.now(UTC).isoformat(timespec="seconds"), "run": run,
             "stamp": stamp or {}, "result": result}
    return write_atomic(history / f"{number:03d}.json", json.dumps(entry, indent=1))


def last(folder: Path) -> dict | None:
    entries = sorted(path for path in (Path(folder) / HISTORY).glob("[0-9]*.json") if path.stem.isdigit())
    for path in reversed(entries):
        try:
            return json.loads(path.read_text())
        except (OSError, ValueError):
            continue
    return None


def _review_lines(result: dict, kind: str) -> list:
    """The review's lines of one kind: `late`, or staff's (their lines and the checks they adjusted)."""
    late = kind == "late"
    lines = [line for line in result.get("adjustments", []) if (line.get("kind") == "late") == late]
    if not late:
        checks = result.get("checks", [])
        lines += [(check["id"], check["adjusted"]) for check in checks if check.get("adjusted")]
    return lines


def _checks(result: dict) -> dict:
    return {check["id"]: (check["status"], check["points"]) for check in result.get("checks", [])}


def _differ(old: dict, new: dict, key: str) -> bool:
    return bool(old.get(key)) and bool(new.get(key)) and old[key] != new[key]


def change(previous: dict, stamp: dict | None, result: dict) -> dict | None:
    """What changed from a history entry to the current result and stamp (score, checks, staff's review)
    and why; None when the outcome is the same."""
    before = previous["result"]
    old_stamp, stamp = previous.get("stamp") or {}, stamp or {}
    why = []
    if _differ(old_stamp, stamp, "submission"):
        why.append("submission changed")
    if _differ(old_stamp, stamp, "grading"):
        why.append("rubric changed (rescored from stored evidence)" if stamp.get("rescored")
                   else "grader changed")
    if _review_lines(before, "staff") != _review_lines(result, "staff"):
        why.append("adjustment")
    if _review_lines(before, "late") != _review_lines(result, "late"):
        why.append("late policy")
    old_checks, new_checks = _checks(before), _checks(result)
    checks = [f"{id}: {old_checks[id][0]} {old_checks[id][1]:g} -> {new_checks[id][0]} {new_checks[id][1]:g}"
              for id in new_checks if id in old_checks and old_checks[id] != new_checks[id]]
    checks += [f"{id}: added" for id in new_checks if id not in old_checks]
    checks += [f"{id}: removed" for id in old_checks if id not in new_checks]
    reviewed = {"adjustment", "late policy"} & set(why)
    if before.get("score") == result.get("score") and not checks and not reviewed:
        return None   # graded again (a new submission, grader or rubric) with the same outcome
    return {"from": before.get("score"), "to": result.get("score"), "checks": checks,
            "why": why or ["graded again with the same inputs"], "since": previous.get("kept_at", ""),
            "run": previous.get("run", "")}


def latest_changes(submissions, stamp_of) -> dict[str, dict]:
    """student -> the change from their last kept result to the current one (`stamp_of(folder)` reads the
    stamp the current one was graded under), for those with a history where something changed."""
    changes = {}
    for submission in submissions:
        folder = submission.path.parent
        previous = last(folder)
        if previous is not None:
            said = change(previous, stamp_of(folder), submission.result.to_dict(for_students=False))
            if said:
                changes[submission.student] = said
    return changes
