"""`grader check` end to end on real notebook runs: the root cause named first for a notebook that
crashes early (issue 9's invalid bucket, a blank left in an assignment), the HTML report beside the
result, Gradescope and JUnit files, and the size of a solution's report (the Gradescope autograder:
test_gradescope_autograder.py)."""

import json
import re
import xml.etree.ElementTree as ElementTree
from pathlib import Path

import nbformat
import pytest
from graded_results import IMG, SCRIPT
from html_checks import external_references, strict

from grader.activities import load
from grader.cli import main
from grader.grading.result import GradeResult
from grader.reporting.html import submission_page

HOUSING = load("housing")
pytestmark = pytest.mark.slow


def variant(tmp_path: Path, name: str, cell: int, old: str | None, new: str) -> Path:
    """The housing solution with one cell changed (the way students break it)."""
    nb = nbformat.read(HOUSING.notebook("solution"), as_version=4)
    nb.cells[cell].source = nb.cells[cell].source.replace(old, new) if old else new
    path = tmp_path / name
    path.parent.mkdir(parents=True, exist_ok=True)
    nbformat.write(nb, path)
    return path


def score_in(page: str) -> float:
    return float(re.search(r'<meta name="grader-score" content="([^"]+)">', page).group(1))


def test_an_invalid_bucket_is_named_once_as_the_root_cause(tmp_path, capsys):
    notebook = variant(tmp_path, "bad_bucket.ipynb", 13, "sagemaker-20191007-2307",
                       "your_s3_bucket_name_here")
    out = tmp_path / "out"
    assert main(["check", "housing", str(notebook), "--out", str(out), "--gradescope",
                 str(tmp_path / "gs.json"), "--junit", str(tmp_path / "junit.xml")]) == 0
    printed = capsys.readouterr().out
    folder = next((out / "housing").iterdir())
    result = GradeResult.read(folder / "result.json")

    blocked = [check for check in result.checks if check.blocked_by]
    assert len(blocked) >= 17 and {check.blocked_by["cell"] for check in blocked} == {17}
    assert all(check.status != "pass" for check in blocked)
    first_check = min(printed.index(f"  {label} ") for label in ("PASS", "FAIL", "SKIP", "ERROR")
                      if f"  {label} " in printed)
    assert printed.count("ROOT CAUSE") == 1 and printed.index("ROOT CAUSE") < first_check
    assert "ROOT CAUSE: boston-housing-regression.ipynb cell 17 failed: NoSuchBucket" in printed
    assert "the value 'your_s3_bucket_name_here' appears in cell 13, line 2" in printed

    report = folder / "report.html"
    assert f"report: {report}" in printed
    page = report.read_text()
    strict(page)
    assert external_references(page) == [] and score_in(page) == result.score
    assert "your_s3_bucket_name_here" in page[page.index('id="causes"'):page.index('id="checks"')]
    assert "The model's metrics" not in page          # hidden in the student view, even when blocked

    gradescope = json.loads((tmp_path / "gs.json").read_text())
    assert gradescope["score"] == result.score and "ROOT CAUSE" in gradescope["output"]
    junit = ElementTree.parse(tmp_path / "junit.xml").getroot()
    assert int(junit.get("failures")) == sum(check.status == "fail" for check in result.checks)


def test_a_student_s_report_of_a_real_grading_shows_their_model_without_the_hidden_threshold(
        tmp_path, capsys):
    out = tmp_path / "out"
    assert main(["check", "housing", str(HOUSING.notebook("solution")), "--out", str(out)]) == 0
    result = GradeResult.read(next((out / "housing").iterdir()) / "result.json")
    quality = next(check for check in result.checks if "rmse" in check.evidence)
    assert quality.visibility == "hidden" and "required" not in quality.evidence   # the students' copy
    page = (next((out / "housing").iterdir()) / "report.html").read_text()
    model = page[page.index('id="model"'):page.index("</section>", page.index('id="model"'))]
    assert model.count('class="point"') == len(quality.evidence["sample"]) > 0
    assert "RMSE" in model and "at most" not in model and "at least" not in model
    assert quality.title not in page


def test_a_solution_report_is_small_and_shows_the_model_to_staff(tmp_path, capsys):
    out = tmp_path / "out"
    html = tmp_path / "staff.html"
    assert main(["check", "housing", str(HOUSING.notebook("solution")), "--out", str(out), "--staff",
                 "--html", str(html)]) == 0
    assert f"report: {html}" in capsys.readouterr().out
    result = GradeResult.read(next((out / "housing").iterdir()) / "result.json")
    page = html.read_text()
    assert result.score == result.max_score == score_in(page)
    assert len(page.encode()) < 200_000 and external_references(page) == []
    quality = next(check for check in result.checks if check.id == "housing.model_quality")
    assert len(quality.evidence["sample"]) == quality.evidence["records"] <= 200
    assert page.count('class="point"') == len(quality.evidence["sample"])
    student = submission_page(result, staff=False)   # the picture of the model, not the hidden check
    assert student.count('class="point"') == len(quality.evidence["sample"])
    assert "housing.model_quality" not in student
    assert quality.title not in student and "at most" not in student
    assert len(result.runs[0]["timings"]) == result.runs[0]["cells"] and result.duration_s > 0


def test_a_notebook_that_prints_markup_cannot_put_any_in_its_report(tmp_path, capsys):
    notebook = tmp_path / f"{IMG}.ipynb"
    nb = nbformat.v4.new_notebook(metadata={"kernelspec": {"name": "python3", "display_name": "Python 3",
                                                           "language": "python"}})
    nb.cells = [nbformat.v4.new_code_cell(f"bucket = {IMG!r}"),
                nbformat.v4.new_code_cell(f"print({SCRIPT!r})\nprint('\\x1b[31mred\\x1b[0m')\n"
                                          "raise ValueError(f\"bucket '{bucket}' is not valid\")")]
    nbformat.write(nb, notebook)
    assert main(["check", "housing", str(notebook), "--out", str(tmp_path / "out"), "--staff"]) == 0
    capsys.readouterr()
    folder = next((tmp_path / "out" / "housing").iterdir())
    failure = GradeResult.read(folder / "result.json").runs[0]["failures"][0]
    assert SCRIPT in failure["output"] and "\x1b" not in failure["output"] and "red" in failure["output"]
    assert failure["value"]["value"] == IMG and failure["value"]["cell"] == 0
    page = (folder / "report.html").read_text()
    document = strict(page)
    assert external_references(page) == [] and "<script" not in page and "<img" not in page
    assert [element.tag for element in document.iter() if element.tag.endswith(("script", "img"))] == []
    assert "&lt;script&gt;alert(&#39;pwned&#39;)&lt;/script&gt;" in page
    assert "&lt;img src=x onerror=alert(1)&gt;" in page
