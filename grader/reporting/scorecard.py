"""The terminal scorecard: each check with its status and points, the fix for what failed, the total."""

from __future__ import annotations

import textwrap

from ..grading.result import GradeResult
from ..terminal import inert

LABELS = {"pass": "PASS", "fail": "FAIL", "error": "ERROR", "manual": "MANUAL", "skip": "SKIP"}


def _points(check) -> str:
    if check.status in ("manual", "skip"):
        return f"  -/{check.max_points:g}"
    return f"{check.points:g}/{check.max_points:g}".rjust(6)


def render(result: GradeResult, width: int = 100) -> str:
    source = ", ".join(result.submission) or result.source
    lines = [f"{result.activity}: {source}"]
    for run in result.runs:
        lines.append(f"  ran {run['notebook']}: {run['ok']}/{run['cells']} cells ok in {run['duration_s']:.1f} s"
                     + (f"; kernel {run['kernel']}" if run["kernel"] != "finished" else ""))
    if result.synthetic_data:
        lines.append("  NOTE: graded on a SYNTHETIC stand-in for the course data (pass --data-dir for the real files)")
    lines.append("")
    for check in result.checks:
        lines.append(f"  {LABELS[check.status]:<6} {_points(check)}  {check.title}")
        if check.status != "pass" and check.message:
            for line in textwrap.wrap(inert(check.message), width - 17):
                lines.append(" " * 17 + line)
    manual = f" ({result.manual_points:g} more awaiting manual review)" if result.manual_points else ""
    lines += ["", f"Score: {result.score:g}/{result.max_score:g}{manual}"]
    return "\n".join(map(inert, lines))
