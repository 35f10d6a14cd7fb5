"""HTML pages rendered from result records with the package's jinja2 templates: one self-contained
file each (inline stylesheet, inline SVG, no URL of any kind), readable with JavaScript off.

Every value a template prints is escaped (autoescape) after its control characters are removed
(`finalize`), so student output, file names and bucket names never become markup."""

from __future__ import annotations

import json
from functools import cache
from pathlib import Path

import jinja2
from markupsafe import Markup

from ..files import write_atomic
from ..grading.result import MODEL_PICTURE, GradeResult
from ..text import clip, plain
from . import pictures, view

REPORT_FILE = "report.html"   # a submission's report, in its own folder
EVIDENCE_LIMIT = 3000     # characters of one check's evidence shown
LIST_ITEMS = 12           # items of a list shown in evidence; the rest are counted
DRAWN = ("sample",)       # evidence drawn as a picture rather than printed


def _printable(value):
    return value if isinstance(value, Markup) or not isinstance(value, str) else plain(value)


@cache
def environment() -> jinja2.Environment:
    env = jinja2.Environment(loader=jinja2.PackageLoader("grader.reporting", "templates"),
                             autoescape=True, finalize=_printable, undefined=jinja2.StrictUndefined,
                             trim_blocks=True, lstrip_blocks=True)
    env.filters.update(evidence=evidence_text, points=lambda value: f"{value:g}", seconds=_seconds)
    env.globals.update(picture=pictures.for_check, monthly=view.monthly)
    return env


def _seconds(value) -> str:
    return f"{value:.1f} s" if value < 60 else f"{value // 60:.0f} min {value % 60:.0f} s"


def _shortened(value):
    if isinstance(value, dict):
        return {key: _shortened(item) for key, item in value.items() if key not in DRAWN}
    if isinstance(value, list):
        kept = [_shortened(item) for item in value[:LIST_ITEMS]]
        return kept + [f"... {len(value) - LIST_ITEMS} more"] if len(value) > LIST_ITEMS else kept
    return value


def evidence_text(evidence: dict) -> str:
    """The facts a check used, as indented JSON, long lists cut short."""
    return clip(json.dumps(_shortened(evidence), indent=1, default=str, ensure_ascii=False), EVIDENCE_LIMIT)


def submission_page(result: GradeResult, *, staff: bool = False) -> str:
    """The report a student (or, with staff=True, a TA) reads about one graded submission."""
    checks = view.shown_checks(result, staff)
    causes, every_other = view.causes(result, result.checks)   # counted over every check, as in the terminal
    groups = view.same_reason([check for check in every_other if check in checks])
    rest = [check for group in groups for check in group]
    said_above = {check.id for group in groups for check in group[1:]}   # same reason as the card before
    shown_cells = {(cause.notebook, cause.failure["cell"]) for cause in causes}
    other_failures = [(run, failure) for run in result.runs for failure in run.get("failures", [])
                      if (run["notebook"], failure["cell"]) not in shown_cells]
    # the picture of the student's model, which a hidden check drew: shown without the check
    model_pictures = [drawn for check in result.checks if check not in checks
                      and (drawn := pictures.for_check(_without_thresholds(check.evidence)))]
    return environment().get_template("submission.html.j2").render(
        result=result, staff=staff, checks=checks, causes=causes, rest=rest, other_failures=other_failures,
        model_pictures=model_pictures, fix_first=view.fix_first(causes, every_other),
        hidden_count=view.hidden_count, said_above=said_above,
        hidden_left_out=len(checks) < len(result.checks), percentage=view.percentage(result),
        warnings=view.warnings(result, checks), status=view.status(result),
        review=view.review_lines(result, checks))


def _without_thresholds(evidence: dict) -> dict:
    return {key: evidence[key] for key in MODEL_PICTURE if key in evidence}


def write_submission_page(result: GradeResult, path: Path, *, staff: bool = False) -> Path:
    return write_atomic(path, submission_page(result, staff=staff))
