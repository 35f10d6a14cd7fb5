"""What every report shows of a graded result, decided once: which checks a reader may see, the root
causes first with the checks they blocked, the state of the submission, and what weakens the verdict.
The terminal scorecard, the HTML pages and the exports all render from this."""

from __future__ import annotations

from dataclasses import dataclass, field

from ..grading.result import CheckResult, GradeResult

MONTH_HOURS = 730   # what a cloud bill counts as a month


@dataclass
class Cause:
    """A failed cell that others go back to: its failure record (grading/attribution.py), the checks
    it kept from being judged, and the failed cells that follow from it."""
    notebook: str
    failure: dict
    checks: list[CheckResult] = field(default_factory=list)
    followers: list[dict] = field(default_factory=list)

    @property
    def lost_points(self) -> float:
        return sum(check.max_points - check.points for check in self.checks)


def shown_checks(result: GradeResult, staff: bool) -> list[CheckResult]:
    """Students never see hidden checks at all (not even that one exists by name); staff see all."""
    return [check for check in result.checks if staff or check.visibility != "hidden"]


def causes(result: GradeResult, checks: list[CheckResult]) -> tuple[list[Cause], list[CheckResult]]:
    """(root causes in notebook order, the checks no cause blocked, those that did not pass first). A
    cause is every failed (or unfinished) cell some check is blocked by, and the first failed cell of
    each run even when it blocked none. Every view passes all the result's checks, so counts agree;
    a student's view then leaves hidden ones out of the lists (`shown_checks`), not out of the counts."""
    found: dict[tuple[str, int], Cause] = {}
    for run in result.runs:
        failures = run.get("failures", [])
        for failure in failures:
            if failure is failures[0] or any(_blames(check, run, failure) for check in checks):
                found[(run["notebook"], failure["cell"])] = Cause(run["notebook"], failure)
        for failure in failures:
            cause = found.get((run["notebook"], failure.get("caused_by")))
            if cause is not None:
                cause.followers.append(failure)
    rest = []
    for check in checks:
        blocked = check.blocked_by
        key = (blocked["notebook"], blocked["cell"]) if blocked else None
        if key is not None and key not in found:   # an unfinished cell, or a failure over the result's cap
            found[key] = Cause(key[0], {"cell": key[1], "error": blocked["error"],
                                        "unfinished": blocked.get("unfinished", False)})
        (found[key].checks if key else rest).append(check)
    order = {run["notebook"]: position for position, run in enumerate(result.runs)}
    ordered = sorted(found.values(),
                     key=lambda cause: (order.get(cause.notebook, len(order)), cause.failure["cell"]))
    return ordered, sorted(rest, key=lambda check: STATUS_ORDER.get(check.status, 1))


STATUS_ORDER = {"fail": 0, "error": 0, "manual": 1, "skip": 1, "pass": 2}   # what to read first
FIX_FIRST = 5


def fix_first(found: list[Cause], rest: list[CheckResult]) -> list[str]:
    """The few things to fix first, most points first: root causes (with what they block), then
    visible checks that failed on their own. The same sentences in every view."""
    items = [(cause.lost_points, f"{cause.notebook} cell {cause.failure['cell']}: {cause.failure['error']} "
                                 f"({len(cause.checks)} check(s), {cause.lost_points:g} point(s))")
             for cause in found if cause.checks]
    same_reason: dict[str, list[CheckResult]] = {}   # checks that failed for one reason are one thing to fix
    for check in rest:
        if check.status in ("fail", "error") and check.visibility != "hidden":
            same_reason.setdefault(check.message, []).append(check)
    for message, group in same_reason.items():
        points = sum(check.max_points for check in group)
        titles = "; ".join(check.title for check in group)
        items.append((points, f"{titles}: {message} ({points:g} point(s))"))
    return [text for _, text in sorted(items, key=lambda item: -item[0])[:FIX_FIRST]]


def same_reason(checks: list[CheckResult]) -> list[list[CheckResult]]:
    """The checks in groups that did not pass for one reason (status and message), each group where
    its first check is; a passed check is a group of its own. Views say a group's reason once."""
    groups: dict = {}
    for check in checks:
        reason = (check.status, check.message) if check.status != "pass" else id(check)
        groups.setdefault(reason, []).append(check)
    return list(groups.values())


def hidden_count(checks: list[CheckResult], shown: list[CheckResult]) -> int:
    """How many of `checks` a view leaves out of its lists (hidden ones, for students)."""
    return sum(check not in shown for check in checks)


def blocked_note(check: CheckResult) -> str:
    """'blocked by <notebook> cell N: <error>' for a check a failed cell kept from being judged, else ''."""
    blocked = check.blocked_by
    return f"blocked by {blocked['notebook']} cell {blocked['cell']}: {blocked['error']}" if blocked else ""


def _blames(check: CheckResult, run: dict, failure: dict) -> bool:
    blocked = check.blocked_by
    return bool(blocked) and blocked["notebook"] == run["notebook"] and blocked["cell"] == failure["cell"]


def status(result: GradeResult) -> str:
    """How grading went for the submission: 'graded', 'timeout' (a limit stopped a notebook) or 'error'
    (a kernel died or failed to start, the evidence could not be gathered, or the submission could not be
    graded at all)."""
    if result.error or any(run.get("kernel") in ("died", "failed_to_start") for run in result.runs):
        return "error"
    if any(run.get("timeout") or run.get("kernel") == "killed" for run in result.runs):
        return "timeout"
    if result.checks and all(check.status == "error" and "could not gather evidence" in check.message
                             for check in result.checks):
        return "error"
    return "graded"


def class_max_score(results: list[GradeResult]) -> float:
    """What a class is scored out of: the activity's points, the same in every result (results graded
    with an edited rubric may differ: the largest is shown); 0 for none."""
    return max((result.max_score for result in results), default=0.0)


def percentage(result: GradeResult) -> float:
    return 100.0 * result.score / result.max_score if result.max_score else 0.0


def warnings(result: GradeResult, checks: list[CheckResult] | None = None) -> list[str]:
    """What weakens the verdict, one sentence each (banners in the HTML, notes in the terminal), about
    `checks` (default: all) among the result's checks."""
    said = [f"Could not be graded: {result.error}"] if result.error else []
    if result.unisolated:
        said.append(f"The notebooks ran WITHOUT a sandbox ({result.unisolated}): fine for a self-check, not "
                    "for grading for credit.")
    if result.synthetic_data:
        said.append("Graded on a SYNTHETIC stand-in for the course data (or replayed market data): the grade "
                    "is indicative; grade with --data-dir for the real files.")
    for name in result.missing_notebooks:
        said.append(f"{name} was not submitted: its checks fail.")
    said += run_problems(result)
    checks = result.checks if checks is None else checks
    skipped = sum(check.status == "skip" for check in checks)
    if skipped:
        said.append(f"{skipped} check(s) do not apply to this submission (each says why): they earn their "
                    "points, so every submission is scored out of the same maximum.")
    errors = sum(check.status == "error" for check in checks)
    if errors:
        said.append(f"{errors} check(s) could not read their evidence (status error): they score 0 until it "
                    "can be read.")
    return said


def run_problems(result: GradeResult) -> list[str]:
    """One sentence per notebook run that did not simply finish: a kernel that died or was stopped, cells
    that hit the time limit."""
    said = []
    for run in result.runs:
        if run.get("kernel", "finished") != "finished":
            said.append(f"{run.get('file', run['notebook'])}: the kernel {run['kernel'].replace('_', ' ')}"
                        + (f" ({run['kernel_message']})" if run.get("kernel_message") else "")
                        + f"; {run.get('not_run', 0)} cell(s) never ran.")
        elif run.get("timeout"):
            said.append(f"{run.get('file', run['notebook'])}: {run['timeout']} cell(s) hit the time limit.")
    return said


def monthly(cost_per_hour: float | None) -> float | None:
    return None if cost_per_hour is None else cost_per_hour * MONTH_HOURS


def review_lines(result: GradeResult, checks: list[CheckResult] | None = None) -> list[str]:
    """Staff's review of the result, one sentence each: `checks` (default: all) whose points staff set, the
    late penalty and changes of the total, notes on the submission (shown beside the score, never hidden)."""
    said = [f"{check.title}: adjusted by staff{_by(check.adjusted)}: {check.adjusted['reason']} (graded "
            f"{check.adjusted['points']:g}, now {check.points:g}/{check.max_points:g})"
            for check in (result.checks if checks is None else checks) if check.adjusted]
    for line in result.adjustments:
        what = "late penalty" if line["kind"] == "late" else f"total adjusted by staff{_by(line)}"
        said.append(f"{what} {line['points']:+g}: {line['reason']}")
    return said + [f"note: {note}" for note in result.notes]


def _by(record: dict) -> str:
    return f" ({record['by']})" if record.get("by") else ""


TRIAGE = {"did not try (empty or unchanged starter)": ("empty", "starter"),
          "could not be graded": ("error",), "late": ("late",), "resubmitted": ("resubmitted",),
          "similar to another student's": ("similar",)}


def triage(submissions) -> dict[str, list[str]]:
    """The class's flags grouped so a TA sees who did not try apart from who tried and failed (students
    who tried and scored under half of the marks are their own group); empty groups left out."""
    groups = {group: [s.student for s in submissions if set(s.result.flags) & set(words)]
              for group, words in TRIAGE.items()}
    groups["tried, under half marks"] = [s.student for s in submissions if percentage(s.result) < 50
                                         and not set(s.result.flags) & {"empty", "starter", "error"}]
    return {group: students for group, students in groups.items() if students}


def change_text(change: dict) -> str:
    """`20 -> 25 (submission changed; housing.model_quality: fail 0 -> pass 2)`."""
    more = len(change["checks"]) - 4
    checks = "; ".join(change["checks"][:4]) + (f"; {more} more" if more > 0 else "")
    return (f"{change['from']:g} -> {change['to']:g} ({', '.join(change['why'])}"
            + (f"; {checks}" if checks else "") + ")")
