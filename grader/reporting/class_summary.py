"""A class's results at a glance, for staff: DIR/index.html (score histogram, the checks the class
struggles with first, the triage groups, what changed since each student's previous result, a sortable
and filterable table of students with their flags linking to each report, the submissions that
errored or timed out, grading times, and for staff only the pairs of similar submissions), each
student's DIR/<student>/report.html, and
the exports beside them: grades.csv and junit.xml. Renders from result records only."""

from __future__ import annotations

import statistics
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import quote

from ..files import write_atomic
from . import view
from .canvas_import import IMPORT_FILE, NOT_IMPORTED_FILE, Placement, write_canvas_files
from .gradebook import grades_csv
from .html import REPORT_FILE, environment, write_submission_page
from .junit import junit_xml
from .pictures import histogram
from .results_files import GradedSubmission


@dataclass
class CheckRate:
    id: str
    title: str
    max_points: float
    hidden: bool
    passed: int = 0
    judged: int = 0       # graded submissions where the evidence decided it (not manual, not skipped)
    blocked: int = 0      # of the failures, those a failed cell kept from being judged

    @property
    def rate(self) -> float:
        return self.passed / self.judged if self.judged else 1.0


def check_rates(submissions: list[GradedSubmission]) -> list[CheckRate]:
    """Each check's pass rate across the class, the lowest first (rubric order among equals). A submission
    that could not be graded at all says nothing about a check: it is left out of the rates (its row
    and the problems list say why)."""
    rates: dict[str, CheckRate] = {}
    for submission in submissions:
        for check in submission.result.checks:
            rate = rates.setdefault(check.id, CheckRate(check.id, check.title, check.max_points,
                                                        check.visibility == "hidden"))
            if check.judged and not submission.result.error:
                rate.judged += 1
                rate.passed += check.status == "pass"
                rate.blocked += check.blocked_by is not None
    order = list(rates)
    return sorted(rates.values(), key=lambda rate: (rate.rate, order.index(rate.id)))


def _first_cause(submission: GradedSubmission) -> str:
    found, _ = view.causes(submission.result, submission.result.checks)
    if not found:
        return ""
    failure = found[0].failure
    return f"{found[0].notebook} cell {failure['cell']}: {failure['error']}"


def summary_page(submissions: list[GradedSubmission], links: dict[str, str], exports: tuple[str, ...] = (),
                 changes: dict[str, dict] | None = None, similar: list | None = None) -> str:
    """`similar`: pairs of students (`a`, `b`, `share_a`, `share_b`, `shared_chars`; review/similarity.py)."""
    results = [submission.result for submission in submissions]
    scores = [result.score for result in results]
    max_score = view.class_max_score(results)
    times = [result.duration_s for result in results]
    rows = [{"student": submission.student, "name": submission.name, "link": links.get(submission.student),
             "result": submission.result, "percentage": view.percentage(submission.result),
             "status": view.status(submission.result), "cause": _first_cause(submission)}
            for submission in submissions]
    return environment().get_template("summary.html.j2").render(
        activity=results[0].activity if results else "", rows=rows, rates=check_rates(submissions),
        histogram=histogram(scores, max_score) if results else None, max_score=max_score,
        mean=statistics.fmean(scores) if scores else 0, median=statistics.median(scores) if scores else 0,
        total_time=sum(times), mean_time=statistics.fmean(times) if times else 0,
        max_time=max(times, default=0), problems=[row for row in rows if row["status"] != "graded"],
        exports=exports, triage=view.triage(submissions), links=links, similar=similar or [],
        changes=[(student, links.get(student), view.change_text(change))
                 for student, change in sorted((changes or {}).items())])


INDEX_FILE, GRADES_FILE, JUNIT_FILE = "index.html", "grades.csv", "junit.xml"
CLASS_FILES = (INDEX_FILE, GRADES_FILE, JUNIT_FILE, IMPORT_FILE, NOT_IMPORTED_FILE)   # beside the students


def write_class_report(submissions: list[GradedSubmission], out: Path, *, staff: bool = False,
                       canvas: Placement | None = None, changes: dict[str, dict] | None = None,
                       similar: list | None = None) -> dict[str, Path]:
    """Write every student's report, the class summary and the exports into `out` (with `canvas`, the
    results placed in a Canvas gradebook, its import file too); returns what was written by name
    ('index', 'grades', 'junit', 'reports', 'canvas', 'canvas_not_imported'). `changes`: student -> what
    changed since their previous result (grader/review/history.py)."""
    out = Path(out)
    links = {}
    for submission in submissions:
        write_submission_page(submission.result, out / submission.student / REPORT_FILE, staff=staff)
        links[submission.student] = f"{quote(submission.student)}/{REPORT_FILE}"
    exports = (GRADES_FILE, JUNIT_FILE) + ((IMPORT_FILE,) if canvas is not None else ())
    return {"index": write_atomic(out / INDEX_FILE,
                                  summary_page(submissions, links, exports, changes, similar)),
            "grades": write_atomic(out / GRADES_FILE, grades_csv(submissions)),
            "junit": write_atomic(out / JUNIT_FILE, junit_xml([(s.student, s.result) for s in submissions])),
            "reports": out, **write_canvas_files(out, canvas)}
