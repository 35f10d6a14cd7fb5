"""The terminal scorecard: the root cause first with the checks it blocked under it, then every other
check with its status and points and the fix for what failed, then the total."""

from __future__ import annotations

import textwrap

from ..grading.result import CheckResult, GradeResult
from ..terminal import inert
from .view import Cause, causes, fix_first, review_lines, same_reason, warnings

LABELS = {"pass": "PASS", "fail": "FAIL", "error": "ERROR", "manual": "MANUAL", "skip": "SKIP"}
CHECK_INDENT = 17


def _shown(text) -> str:
    """Every piece of text the submission controls (file names, its errors and code, values quoted in
    messages) reaches the terminal through here, and only here: made inert (grader/terminal.py)."""
    return inert(str(text))


def _points(check: CheckResult) -> str:
    if check.status == "manual":
        return f"  -/{check.max_points:g}"
    return f"{check.points:g}/{check.max_points:g}".rjust(6)


def _check_lines(check: CheckResult, width: int, indent: str = "  ", message: bool = True) -> list[str]:
    lines = [f"{indent}{LABELS[check.status]:<6} {_points(check)}  {_shown(check.title)}"]
    if message and check.status != "pass" and check.message:
        pad = " " * (len(indent) + CHECK_INDENT - 2)
        lines += [pad + line for line in textwrap.wrap(_shown(check.message), width - len(pad))]
    return lines


def _merged_check_lines(checks: list[CheckResult], width: int) -> list[str]:
    """Each check's line; checks that did not pass for the same reason are listed together (where the
    first of them is), with the reason once, under the last."""
    lines = []
    for group in same_reason(checks):
        for check in group:
            lines += _check_lines(check, width, message=check is group[-1])
    return lines


def cause_lines(cause: Cause, width: int = 100) -> list[str]:
    """One root cause: where it failed, the offending line and value, what followed from it."""
    failure = cause.failure
    where = f"{_shown(cause.notebook)} cell {failure['cell']}"
    if failure.get("unfinished"):
        lines = [f"NOT DONE YET: {where}: {_shown(failure['error'])}"[:width * 2]]
    else:
        head = "ROOT CAUSE" if cause.checks else "FIRST FAILURE"
        lines = [f"{head}: {where} failed: {_shown(failure['error'])}"[:width * 2]]
    if failure.get("line") is not None and failure.get("code") is not None:
        lines.append(f"    line {failure['line']}: {_shown(failure['code']) or '(blank line)'}")
    value = failure.get("value")
    if value:
        lines.append(f"    the value '{_shown(value['value'])}' appears in cell {value['cell']}, line "
                     f"{value['line']}: {_shown(value['code'])}")
        if value.get("note"):
            lines.append(f"    grader's note: {_shown(value['note'])}")
    if failure.get("hint"):
        lines.append(f"    hint: {_shown(failure['hint'])}")
    if cause.followers:
        cells = ", ".join(str(follower["cell"]) for follower in cause.followers)
        lines.append(f"    cell(s) {cells} failed because of it")
    if cause.checks:
        lines.append(f"    {len(cause.checks)} check(s) could not be judged because of it "
                     f"({cause.lost_points:g} point(s)):")
        for check in cause.checks:
            lines += _check_lines(check, width, indent="      ", message=False)
    return lines


def render(result: GradeResult, width: int = 100) -> str:
    """Every check in the result (a student result already hides what hidden checks found)."""
    source = ", ".join(_shown(path) for path in result.submission) or _shown(result.source)
    lines = [f"{result.activity}: {source}"]
    for run in result.runs:
        ran = _shown(run.get("file", run["notebook"]))
        graded_as = (f" as {_shown(run['notebook'])}" if run.get("file", run["notebook"]) != run["notebook"]
                     else "")
        graded_as += f" (version {_shown(run['version_title'])})" if run.get("version_title") else ""
        environment = run.get("environment", {})
        on = f" on {_shown(environment['name'])}" if environment.get("name", "current") != "current" else ""
        lines.append(f"  ran {ran}{graded_as}{on}: {run['ok']}/{run['cells']} cells ok "
                     f"in {run['duration_s']:.1f} s"
                     + (f"; kernel {run['kernel']}" if run["kernel"] != "finished" else ""))
        if environment.get("note"):
            lines.append(f"    kernel environment: {_shown(environment['note'])}")
    lines += [f"  NOTE: {_shown(said)}" for said in warnings(result)]
    found, rest = causes(result, result.checks)
    first = fix_first(found, rest)
    if first:
        lines += ["", "WHAT TO FIX FIRST:"] + [f"  {number}. {_shown(text)}"[:width * 2]
                                              for number, text in enumerate(first, 1)]
    for cause in found:
        lines += [""] + cause_lines(cause, width)
    others = (sum(len(run.get("failures", [])) for run in result.runs)
              - sum(1 + len(c.followers) for c in found))
    if others > 0:
        lines.append(f"  ({others} other cell(s) failed: see report.html)")
    lines.append("")
    lines += _merged_check_lines(rest, width)
    lines += [f"  STAFF  {_shown(said)}" for said in review_lines(result)]
    manual = f" ({result.manual_points:g} point(s) awaiting manual review)" if result.manual_points else ""
    lines += ["", f"Score: {result.score:g}/{result.max_score:g}{manual}"]
    return "\n".join(map(inert, lines))   # every line, whatever field it came from (inert is idempotent)
