"""The files `grader check` leaves for one graded submission besides its result: the HTML report
(always; report.html in the submission's folder unless a path is given), and on request Gradescope's
results.json and JUnit XML."""

from __future__ import annotations

import json
from pathlib import Path

from ..files import write_atomic
from ..grading.result import GradeResult
from . import gradescope
from .html import REPORT_FILE, write_submission_page
from .junit import junit_xml


def write_submission_outputs(result: GradeResult, folder: Path, *, html: Path | None = None,
                             gradescope_file: Path | None = None, junit: Path | None = None,
                             staff: bool = False) -> list[tuple[str, Path]]:
    """[(label, path)] of what was written."""
    written = [("report", write_submission_page(result, html or Path(folder) / REPORT_FILE, staff=staff))]
    if gradescope_file:
        written.append(("gradescope", write_atomic(gradescope_file,
                                                   json.dumps(gradescope.results(result), indent=1))))
    if junit:
        written.append(("junit", write_atomic(junit, junit_xml([(Path(folder).name, result)]))))
    return written
