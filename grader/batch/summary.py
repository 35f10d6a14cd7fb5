"""The end of a batch (and of every resumed one): the class summary, each student's report and
Gradescope file, grades.csv and junit.xml from the reviewed results on disk (reporting/class_summary.py),
the list of files no student could be tied to, and one screen of text for the terminal (with the triage
groups and what changed since each student's previous result)."""

from __future__ import annotations

import json
import statistics
from pathlib import Path

from ..files import write_atomic
from ..grading.grade import RESULT_FILE
from ..grading.result import GradeResult
from ..reporting import gradescope, view
from ..reporting.canvas_import import Placement, describe
from ..reporting.class_summary import write_class_report
from ..reporting.results_files import GradedSubmission
from ..spreadsheet import csv_text
from .discovery import UNASSIGNED_FILE, Found
from .task import GRADESCOPE_FILE

LISTED = 8   # lines per list on the terminal; the files have them all


def class_submissions(out: Path, found: Found) -> list[GradedSubmission]:
    """The results of the students found this time (a student no longer in SUBMISSIONS is left out)."""
    submissions = []
    for work in found.students:
        path = Path(out) / work.student / RESULT_FILE
        if path.is_file():
            submissions.append(GradedSubmission(work.student, GradeResult.read(path), path, work.name))
    return submissions


def write_class_outputs(out: Path, submissions: list[GradedSubmission], found: Found, *, staff: bool,
                        canvas: Placement | None = None, changes: dict[str, dict] | None = None,
                        similar: list | None = None) -> dict[str, Path]:
    """The class's pages and exports, and each student's Gradescope file again (a review may have changed
    their score since the worker wrote it)."""
    written = {}
    if submissions:
        written = write_class_report(submissions, out, staff=staff, canvas=canvas, changes=changes,
                                     similar=similar)
    for submission in submissions:
        results = json.dumps(gradescope.results(submission.result), indent=1)
        write_atomic(submission.path.parent / GRADESCOPE_FILE, results)
    unassigned = Path(out) / UNASSIGNED_FILE
    if found.unassigned:
        rows = [["file", "reason"]] + [[item.path, item.reason] for item in found.unassigned]
        written["unassigned"] = write_atomic(unassigned, csv_text(rows))
    else:
        unassigned.unlink(missing_ok=True)
    return written


def why(result: GradeResult) -> str:
    """Why a submission is not simply graded, in one line."""
    return result.error or "; ".join(view.run_problems(result))


def _listed(lines: list[str], more_in: str) -> list[str]:
    shown = [f"  {line}" for line in lines[:LISTED]]
    if len(lines) > LISTED:
        shown.append(f"  ... and {len(lines) - LISTED} more ({more_in})")
    return shown


def terminal_summary(submissions: list[GradedSubmission], found: Found, written: dict[str, Path], *,
                     graded_now: int, reused: int, canvas: Placement | None = None,
                     changes: dict[str, dict] | None = None) -> str:
    statuses = [view.status(submission.result) for submission in submissions]
    counts = ", ".join(f"{statuses.count(name)} {name}" for name in ("graded", "timeout", "error")
                       if name in statuses)
    lines = [f"{len(found.students)} student(s), {len(submissions)} with a result ({counts or 'none'}); "
             f"{graded_now} graded in this run, {reused} already graded with the same inputs"]
    if submissions:
        scores = [submission.result.score for submission in submissions]
        out_of = view.class_max_score([submission.result for submission in submissions])
        lines.append(f"score: mean {statistics.fmean(scores):.1f}, "
                     f"median {statistics.median(scores):g} of {out_of:g}")
        slowest = sorted(submissions, key=lambda submission: -submission.result.duration_s)[:3]
        lines.append("slowest: " + ", ".join(f"{s.student} {s.result.duration_s:.1f} s" for s in slowest))
    problems = [f"{s.student}: {status} - {why(s.result)}" for s, status in zip(submissions, statuses)
                if status != "graded"]
    if problems:
        lines += [f"errors and timeouts ({len(problems)}):"] + _listed(problems, "see index.html")
    for group, students in view.triage(submissions).items():
        lines.append(f"{group} ({len(students)}): " + ", ".join(students[:LISTED * 3])
                     + (" ..." if len(students) > LISTED * 3 else ""))
    if changes:
        lines += [f"changed since the previous result ({len(changes)}):"]
        lines += _listed([f"{student}: {view.change_text(change)}" for student, change in changes.items()],
                         "see index.html")
    if found.unassigned:
        lines += [f"files not assigned to any student ({len(found.unassigned)}):"]
        lines += _listed([f"{item.path}: {item.reason}" for item in found.unassigned],
                         str(written["unassigned"]))
    if found.not_submitted:
        lines.append(f"on the roster without a submission ({len(found.not_submitted)}): "
                     + ", ".join(f"{key} ({name})" for key, name in found.not_submitted[:LISTED * 3])
                     + (" ..." if len(found.not_submitted) > LISTED * 3 else ""))
    for label in ("index", "grades"):
        if label in written:
            lines.append(f"{label}: {written[label]}")
    if canvas is not None and "canvas" in written:
        lines += describe(canvas, written)
    return "\n".join(lines)
