"""Checks on the notebook runs themselves (from the run records)."""

from __future__ import annotations

from .evidence import Evidence
from .outcome import Outcome, failed, passed


def notebook_ran_clean(ev: Evidence, name: str) -> Outcome:
    """The activity's notebook `name` ran with no failing cell."""
    if not ev.runs:
        return Outcome("skip", f"graded from account state: {name} is checked when the notebooks are submitted")
    run = ev.run_of(name)
    if run is None:
        return failed(f"{name} was not submitted; grade it with `grader check {ev.activity.id}` and all of "
                      f"{', '.join(ev.activity.notebooks)}")
    bad = [cell for cell in run.cells if cell.status != "ok"]
    if bad:
        first = bad[0]
        reason = f"{first.error.name}: {first.error.value}" if first.error else first.status
        return failed(f"{run.submission['name']}: {len(bad)} cell(s) did not run cleanly; the first is cell "
                      f"{first.index} ({reason[:200]})", cells=[cell.index for cell in bad])
    return passed(f"{run.submission['name']} ran to the end ({len(run.cells)} cells)")
