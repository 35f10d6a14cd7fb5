"""Every CSV the grader writes is inert in a spreadsheet: a cell a student (or their account) could name
that starts with `= + - @`, a tab or a carriage return is written as text. Through the real commands:
`grader report` (grades.csv) and `grader audit` (leftovers.csv) here; `grader grade` (grades.csv and
unassigned.csv) in test_class_ingestion_end_to_end.py. Every CSV writer goes through
grader/spreadsheet.py, which a new one (a Canvas import file) must use too."""

import csv
import json
import re
from pathlib import Path

from grader.cli import main
from grader.grading.result import CheckResult, GradeResult

PROJECT = Path(__file__).resolve().parents[2]
HOSTILE = ['=HYPERLINK("evil.example","click")', "+1+1", "-1+1", "@SUM(1)", "\tTAB", "\rCR"]
FORMULA_START = ("=", "+", "-", "@", "\t", "\r", "\n")
INERT = {"'" + name.replace("\r", "\n") for name in HOSTILE}   # text is made plain: CR becomes a newline


def cells(path: Path) -> list[str]:
    with open(path, newline="", encoding="utf-8") as stream:
        return [cell for row in csv.reader(stream) for cell in row]


def live_formulas(path: Path) -> list[str]:
    """The cells a spreadsheet would evaluate (or might, once it trims a leading line break)."""
    return [cell for cell in cells(path) if cell.startswith(FORMULA_START)]


def test_grades_csv_from_grader_report_keeps_hostile_student_names_inert(tmp_path):
    """Attack: result folders (named after students) whose names are formulas, e.g. an id chosen as
    `=HYPERLINK(...)`. Verdict: grades.csv has each name as text, with a leading quote."""
    for name in HOSTILE:
        graded = GradeResult(activity="housing", submission=["nb.ipynb"], source="notebook run",
                             checks=[CheckResult("housing.a", "A", "pass", 2, 2, "ok")])
        graded.write(tmp_path / "results" / name / "result.json")
    assert main(["report", str(tmp_path / "results"), "--out", str(tmp_path / "out")]) == 0
    grades = tmp_path / "out" / "grades.csv"
    assert live_formulas(grades) == []
    assert INERT <= set(cells(grades))


def test_leftovers_csv_from_grader_audit_keeps_resource_and_student_names_inert(tmp_path):
    """Attack: an endpoint named `=HYPERLINK(...)` in a student's account, and roster names that are
    formulas. Verdict: leftovers.csv has them as text."""
    endpoint = {"EndpointName": HOSTILE[0], "EndpointConfigName": "c", "EndpointStatus": "InService",
                "CreationTime": "2026-11-30T08:00:00+00:00",
                "ProductionVariants": [{"VariantName": "AllTraffic", "CurrentInstanceCount": 1}]}
    config = {"EndpointConfigName": "c", "CreationTime": "2026-11-30T08:00:00+00:00",
              "ProductionVariants": [{"VariantName": "AllTraffic", "InstanceType": "ml.t2.medium",
                                      "InitialInstanceCount": 1}]}
    kinds = ("endpoints", "endpoint_configs", "models", "notebook_instances", "training_jobs")
    empty = {kind: [] for kind in kinds}
    snapshots = tmp_path / "snapshots"
    snapshots.mkdir()
    for number in range(4):
        account = f"99998888777{number}"
        (snapshots / f"{account}.json").write_text(json.dumps({
            "schema": "grader.account-snapshot/1", "collected_at": "2026-12-01T08:00:00+00:00",
            "source": "fixture", "account_id": account, "regions": ["us-west-2", "us-east-1"], "iam": {},
            "errors": [], "s3": {"buckets": []},
            "sagemaker": {"us-west-2": {**empty, "endpoints": [endpoint], "endpoint_configs": [config]},
                          "us-east-1": empty}}))
    roster = tmp_path / "roster.csv"
    with open(roster, "w", newline="") as stream:
        rows = [[f"99998888777{number}", student] for number, student in enumerate(HOSTILE[:4])]
        csv.writer(stream).writerows([["account", "student"], *rows])
    code = main(["audit", "--snapshots", str(snapshots), "--roster", str(roster),
                 "--out", str(tmp_path / "audit")])
    assert code == 1   # the endpoints bill
    leftovers = tmp_path / "audit" / "leftovers.csv"
    assert live_formulas(leftovers) == []
    assert {f"'{name}" for name in HOSTILE[:4]} <= set(cells(leftovers))


NOT_FOR_SPREADSHEETS = {"grader/autograder/wheel.py"}   # a wheel's RECORD file: CSV that only pip reads


def test_every_csv_writer_goes_through_the_shared_one():
    """Verdict: no module but grader/spreadsheet.py writes CSV a person opens, so no export can forget to
    escape."""
    writers = [path.relative_to(PROJECT).as_posix() for path in sorted((PROJECT / "grader").rglob("*.py"))
               if re.search(r"csv\.(writer|DictWriter)\(", path.read_text())]
    assert sorted(set(writers) - NOT_FOR_SPREADSHEETS) == ["grader/spreadsheet.py"]
