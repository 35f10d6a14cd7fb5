"""Reproducibility: the notebook runs top to bottom in a fresh kernel, every cell ok and none stopped by
a limit. A notebook that hangs or errors then cannot reach full marks, however much of the account's
state its other cells left right (the run record says how each cell ended); one that did none of
the activity's work (no AWS call) has nothing to reproduce and earns nothing for running."""

from __future__ import annotations

from ..execution.record import RunRecord
from .evidence import Evidence
from .outcome import Outcome, failed, passed, skipped

STOPPING_LIMITS = ("cell_timeout", "notebook_timeout", "memory", "cpu_time")   # "output" only trims output
CELLS_NAMED = 5   # cells named in the message; the evidence lists them all


def _problems(run: RunRecord) -> list[dict]:
    """The cells of the run that did not end well: an error, a limit that stopped them, or not run."""
    problems = []
    for cell in run.cells:
        stopped_by = [limit for limit in cell.limits_hit if limit in STOPPING_LIMITS]
        if cell.status == "ok" and not stopped_by:
            continue
        error = f"{cell.error.name}: {cell.error.value}" if cell.error else ""
        problems.append({"notebook": run.notebook, "cell": cell.index, "status": cell.status,
                         "limits": stopped_by, "error": error[:200]})
    return problems


def _said(problem: dict) -> str:
    if problem["status"] == "not_run":
        return f"cell {problem['cell']} never ran"
    if problem["limits"]:
        return f"cell {problem['cell']} was stopped by the {problem['limits'][0].replace('_', ' ')}"
    return f"cell {problem['cell']} failed ({problem['error'] or problem['status']})"


def runs_top_to_bottom(ev: Evidence) -> Outcome:
    if ev.run is None:
        return skipped("graded from account state: whether the notebook runs shows only when the grader "
                       "runs it")
    problems = [problem for run in ev.runs for problem in _problems(run)]
    ended = [f"the kernel {run.kernel.status.replace('_', ' ')}: {run.kernel.message}"
             for run in ev.runs if run.kernel.status != "finished"]
    if not problems and not ended:
        if not any(entry.get("status", 500) < 300 for entry in ev.api_log):
            return failed("the notebook made no AWS call, so none of the activity's work ran: there is "
                          "nothing to reproduce yet (a blank notebook earns nothing for running)")
        cells = sum(len(run.cells) for run in ev.runs)
        return passed(f"all {cells} code cells ran in order in a fresh kernel, none stopped by a limit",
                      cells=cells)
    said = [_said(problem) for problem in problems[:CELLS_NAMED]]
    more = len(problems) - len(said)
    text = "; ".join(said + ([f"and {more} more cell(s)"] if more > 0 else []) + ended[:1])
    return failed(f"the notebook does not run top to bottom in a fresh kernel: {text}. Restart the kernel "
                  "and run all cells (Kernel > Restart & Run All) until every cell finishes without an error",
                  cells=problems, kernel=[run.kernel.status for run in ev.runs])
