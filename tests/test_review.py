"""Staff's review of a graded class (grader/review/): adjustments that survive every run and show in
every export, the history of each student's results, the late policy on the LMS's own times, one
submission per student, and triage flags. A class is graded once on disk (results and stamps as a
batch leaves them), then `grader grade` is run the way a TA runs it: with nothing left to grade, it
reviews and writes the class's files, so no kernel starts."""

import csv
import io
import json
import shutil
import zipfile
from pathlib import Path

import pytest
from graded_results import solution

from grader.activities import load
from grader.batch import store
from grader.batch.discovery import discover
from grader.cli import main
from grader.grading.grade import RESULT_FILE
from grader.grading.result import GradeResult
from grader.review import history
from grader.review.adjustments import read_adjustments
from grader.review.flags import content_flags
from grader.review.late import LatePolicy, late_line
from grader.review.stage import as_graded, review

HOUSING = load("housing")
STARTER = HOUSING.notebook("starter")
SOLUTION = HOUSING.notebook("solution")
EMPTY = json.dumps({"cells": [{"cell_type": "code", "source": "  \n", "metadata": {}, "outputs": [],
                               "execution_count": None}], "metadata": {}, "nbformat": 4, "nbformat_minor": 5})


def graded_on_disk(out: Path, submissions: Path, results: dict[str, GradeResult]) -> None:
    """What `grader grade SUBMISSIONS --out OUT --allow-unisolated` leaves once every student is graded:
    a manifest, and per student a result with a stamp naming these inputs."""
    found = discover(HOUSING, submissions, unpack_into=out / ".unpacked")
    store.claim(out, HOUSING, resume=False)
    version = store.grading_version(HOUSING, limits={}, data_dir=None, staff=False, isolate="auto")
    for work in found.students:
        key = store.Key(store.submission_sha256(work.files), version)
        results[work.student].write(out / work.student / RESULT_FILE)
        store.write_stamp(out / work.student, key, "run-0", {"status": "graded"})


def grade(submissions: Path, out: Path, *options: str) -> int:
    return main(["grade", "housing", str(submissions), "--out", str(out), "--allow-unisolated", *options])


def grades(out: Path) -> dict[str, dict]:
    return {row["student"]: row for row in csv.DictReader(io.StringIO((out / "grades.csv").read_text()))}


def failing(result: GradeResult, check_id: str) -> GradeResult:
    check = next(check for check in result.checks if check.id == check_id)
    check.status, check.points = "fail", 0.0
    return result


@pytest.fixture
def graded_class(tmp_path):
    """ann (a solution that failed model_quality), bo (full marks), cy (the unchanged starter), dee (an
    empty notebook), each graded as a batch would."""
    submissions = tmp_path / "class"
    submissions.mkdir()
    shutil.copy(SOLUTION, submissions / "ann.ipynb")
    shutil.copy(SOLUTION, submissions / "bo.ipynb")
    shutil.copy(STARTER, submissions / "cy.ipynb")
    (submissions / "dee.ipynb").write_text(EMPTY)
    out = tmp_path / "graded"
    zero = solution(6, hidden=False)
    for check in zero.checks:
        check.status, check.points = "fail", 0.0
    graded_on_disk(out, submissions, {"ann": failing(solution(6, hidden=False), "housing.model_quality"),
                                      "bo": solution(6, hidden=False), "cy": zero, "dee": zero})
    return submissions, out


def test_an_adjustment_survives_resume_and_shows_in_every_export(graded_class, capsys):
    submissions, out = graded_class
    assert grade(submissions, out, "--resume") == 0
    before = grades(out)
    assert before["ann"]["score"] == "6" and before["bo"]["score"] == "8"
    (out / "adjustments.csv").write_text(
        "student,check,points,reason,by\n"
        "ann,housing.model_quality,2,a defensible encoding of the feature,ta-kim\n"
        "bo,*,-1,'late data file, agreed with the instructor',ta-kim\n"
        "bo,*,'+3,bonus for the extra analysis,ta-lee\n")
    for _ in range(2):   # applied every time, never compounded
        assert grade(submissions, out, "--resume") == 0
        now = grades(out)
        assert now["ann"]["score"] == "8" and now["ann"]["housing.model_quality"] == "2"
        assert now["bo"]["score"] == "10" and now["bo"]["total_adjustment"] == "2"
    result = json.loads((out / "ann" / RESULT_FILE).read_text())
    quality = next(check for check in result["checks"] if check["id"] == "housing.model_quality")
    assert quality["status"] == "fail" and quality["points"] == 2   # the original outcome is kept
    assert quality["adjusted"] == {"points": 0, "reason": "a defensible encoding of the feature",
                                   "by": "ta-kim", "set": "2"}
    assert quality["evidence"]["rmse"] == 6.71 and result["score"] == 8
    report = (out / "ann" / "report.html").read_text()
    assert "adjusted by staff: a defensible encoding of the feature" in report and 'id="score">8/8<' in report
    gradescope = json.loads((out / "ann" / "gradescope.json").read_text())
    assert gradescope["score"] == 8 and "Adjusted by staff" in json.dumps(gradescope["tests"])
    bo = json.loads((out / "bo" / "gradescope.json").read_text())
    assert bo["score"] == 10 and [test["score"] for test in bo["tests"] if test["max_score"] == 0] == [-1, 3]
    bo_report = (out / "bo" / "report.html").read_text()
    assert "total adjusted by staff (ta-lee) +3: bonus for the extra analysis" in bo_report
    index = (out / "index.html").read_text()
    assert "Changed since the previous result" in index and "6 -&gt; 8 (adjustment" in index
    said = capsys.readouterr().out
    last_run = said.split("housing: 4 student(s)")[-1]
    assert "changed since the previous result" not in last_run   # nothing changed in the last run
    assert len(list((out / "ann" / "history").glob("*.json"))) == 1   # the result before the adjustment


def test_bad_adjustments_are_one_line_and_exit_2_before_anything_is_graded(graded_class, capsys):
    submissions, out = graded_class
    for text, says in (("student,check,points,reason,by\nzed,*,+1,why,ta\n", "line 2: no student 'zed'"),
                       ("student,check,points,reason,by\nann,housing.nope,1,why,ta\n",
                        "ann has no check 'housing.nope'"),
                       ("student,check,points,reason,by\nann,*,lots,why,ta\n", "points such as 2, +3 or -1"),
                       ("student,check,points,reason,by\nann,*,+1,,ta\n", "say why"),
                       ("who,what\n", "needs the header row student,check,points,reason,by")):
        (out / "adjustments.csv").write_text(text)
        assert grade(submissions, out, "--resume") == 2
        error = capsys.readouterr().err
        assert error.startswith("grader: error: ") and says in error and len(error.splitlines()) == 1


def test_grader_report_applies_the_same_review_from_the_batch_folder(graded_class, tmp_path):
    submissions, out = graded_class
    (out / "adjustments.csv").write_text("student,check,points,reason,by\n"
                                         "ann,housing.model_quality,+2,fair,ta\n")
    assert grade(submissions, out, "--resume") == 0
    assert main(["report", str(out), "--out", str(tmp_path / "again")]) == 0
    assert grades(tmp_path / "again")["ann"]["score"] == "8" == grades(out)["ann"]["score"]
    assert "adjusted by staff: fair" in (tmp_path / "again" / "ann" / "report.html").read_text()


def test_triage_flags_say_who_did_not_try_apart_from_who_tried_and_failed(graded_class, capsys):
    submissions, out = graded_class
    assert grade(submissions, out, "--resume") == 0
    flags = {student: row["flags"] for student, row in grades(out).items()}
    assert flags == {"ann": "", "bo": "", "cy": "starter", "dee": "empty"}
    said = capsys.readouterr().out
    assert "did not try (empty or unchanged starter) (2): cy, dee" in said
    index = (out / "index.html").read_text()
    assert 'id="triage"' in index and "did not try" in index
    assert json.loads((out / "cy" / RESULT_FILE).read_text())["flags"] == ["starter"]
    edited = json.loads(STARTER.read_text())
    edited["cells"][-1]["source"] = "predictor.delete_endpoint()"
    assert content_flags(HOUSING, [SOLUTION]) == [] and content_flags(HOUSING, [STARTER]) == ["starter"]
    (out / "edited.ipynb").write_text(json.dumps(edited))
    assert content_flags(HOUSING, [out / "edited.ipynb"]) == []   # one cell of their own: an attempt


def test_a_regrade_keeps_the_previous_result_and_says_what_changed_and_why(tmp_path):
    folder = tmp_path / "ann"
    before = failing(solution(6, hidden=False), "housing.model_quality")
    before.write(folder / RESULT_FILE)
    store.write_stamp(folder, store.Key("a" * 64, "v1"), "run-1", {})
    history.keep(folder, stamp=store.read_stamp(folder), run="run-2")   # as grade_job does before clearing
    store.clear(folder)
    assert [path.name for path in folder.iterdir()] == ["history"]
    solution(6, hidden=False).write(folder / RESULT_FILE)
    store.write_stamp(folder, store.Key("b" * 64, "v1"), "run-2", {})
    current = GradeResult.read(folder / RESULT_FILE).to_dict(for_students=False)
    change = history.change(history.last(folder), store.read_stamp(folder), current)
    assert change["from"] == 6 and change["to"] == 8 and change["why"] == ["submission changed"]
    assert change["checks"] == ["housing.model_quality: fail 0 -> pass 2"] and change["run"] == "run-2"
    store.write_stamp(folder, store.Key("c" * 64, "v2"), "run-3", {})
    assert history.change(history.last(folder), store.read_stamp(folder), current)["why"] == [
        "submission changed", "grader changed"]


def test_a_late_penalty_is_a_visible_line_from_the_gradescope_time():
    policy = LatePolicy.given("2026-12-01T23:59-08:00", "10%/day,cap=25%")
    facts = {"at": "2026-12-03T10:00:00-08:00", "clock": "Gradescope's :created_at:"}
    reviewed = review(solution(6, hidden=False), facts=facts, adjustments=[], policy=policy)
    assert reviewed.adjustments == [{"kind": "late", "points": -1.6, "by": "late policy", "reason":
                                     "2 day(s) late: submitted 2026-12-03T10:00:00-08:00 (Gradescope's "
                                     ":created_at:), due 2026-12-01T23:59:00-08:00; 10% per day, at most "
                                     "25%"}]
    assert reviewed.score == pytest.approx(6.4) and reviewed.flags == ["late"]
    assert all(check.points == check.max_points for check in reviewed.checks)   # the checks are as graded
    assert as_graded(reviewed).score == 8
    four_days = {"at": "2026-12-05T10:00:00-08:00", "clock": "Gradescope's :created_at:"}
    assert late_line(policy, four_days, 8, 8)["points"] == -2                    # the cap
    assert late_line(policy, {"at": "2026-12-01T23:00:00-08:00", "clock": "x"}, 7, 7) is None


def test_a_late_penalty_from_the_canvas_download_time_and_its_late_mark(tmp_path):
    download = tmp_path / "submissions.zip"
    with zipfile.ZipFile(download, "w") as archive:
        archive.writestr(zipfile.ZipInfo("leeann_LATE_444_900_boston-housing-regression.ipynb",
                                         (2026, 12, 2, 12, 0, 0)), SOLUTION.read_bytes())
        archive.writestr(zipfile.ZipInfo("bo_555_901_boston-housing-regression.ipynb",
                                         (2026, 12, 1, 12, 0, 0)), SOLUTION.read_bytes())
    out = tmp_path / "graded"
    graded_on_disk(out, download, {"444": solution(6, hidden=False), "555": solution(6, hidden=False)})
    assert grade(download, out, "--due", "2026-12-01T23:59Z", "--late-penalty", "1:10%,3:25%,7:50%") == 0
    rows = grades(out)
    late = rows["444"]
    assert (late["late_penalty"], late["score"], late["flags"]) == ("-0.8", "7.2", "late")
    assert rows["555"]["late_penalty"] == "" and rows["555"]["score"] == "8"
    line = json.loads((out / "444" / RESULT_FILE).read_text())["adjustments"][0]
    assert "the Canvas download's file time (read as UTC)" in line["reason"]
    assert "10% for up to 1 day(s)" in line["reason"]
    assert grade(download, out, "--resume") == 0                      # the policy is kept for later runs
    assert grades(out)["444"]["score"] == "7.2"
    early = LatePolicy.given("2026-12-03T00:00Z", "2/day")           # Canvas said LATE (its own due date)
    marked = late_line(early, {"at": "2026-12-02T12:00:00+00:00", "clock": "Canvas", "lms_late": True}, 7, 7)
    assert marked["points"] == -2 and "marked LATE by Canvas" in marked["reason"]


@pytest.mark.parametrize("arguments, says", [
    (["--due", "2026-12-01"], "--due and --late-penalty go together"),
    (["--due", "tomorrow", "--late-penalty", "10%/day"], "--due tomorrow: give a date and time"),
    (["--due", "2026-12-01T23:59Z", "--late-penalty", "lots"], "--late-penalty lots: give a rate per day"),
])
def test_a_bad_late_policy_is_one_line(graded_class, capsys, arguments, says):
    submissions, out = graded_class
    assert grade(submissions, out, *arguments) == 2
    assert says in capsys.readouterr().err


def test_a_resubmission_is_graded_as_the_latest_and_its_note_reaches_the_report(tmp_path):
    submissions = tmp_path / "class"
    (submissions / "ann").mkdir(parents=True)
    shutil.copy(STARTER, submissions / "ann" / "boston-housing-regression.ipynb")
    shutil.copy(SOLUTION, submissions / "ann" / "boston-housing-regression-2.ipynb")
    out = tmp_path / "graded"
    graded_on_disk(out, submissions, {"ann": solution(6, hidden=False)})
    assert grade(submissions, out) == 0
    result = json.loads((out / "ann" / RESULT_FILE).read_text())
    assert result["flags"] == ["resubmitted"]       # not "starter": the graded file is the solution
    assert result["notes"] == ["2 submissions of boston-housing-regression.ipynb: graded "
                               "boston-housing-regression-2.ipynb (the last, by the -N suffix of the file "
                               "name); "
                               "set aside boston-housing-regression.ipynb"]
    assert "set aside boston-housing-regression.ipynb" in (out / "ann" / "report.html").read_text()
    assert grades(out)["ann"]["flags"] == "resubmitted"


def test_adjustment_points_read_as_a_spreadsheet_writes_them(tmp_path):
    (tmp_path / "a.csv").write_text("student,check,points,reason,by\nann,*,'+3,x,\nann,*,-1.5,y,\n"
                                    "ann,*,2,z,\n")
    read = read_adjustments(tmp_path / "a.csv")
    assert [(a.value, a.relative) for a in read] == [(3, True), (-1.5, True), (2, False)]


@pytest.mark.slow
def test_an_adjustment_survives_a_real_regrade_and_the_previous_result_is_kept(tmp_path):
    """Graded for real (two iam-user notebooks), adjusted, graded again from scratch with --regrade."""
    iam = load("iam-user")
    submissions = tmp_path / "class"
    submissions.mkdir()
    shutil.copy(iam.notebook("solution"), submissions / "alice.ipynb")
    shutil.copy(iam.notebook("starter"), submissions / "bob.ipynb")
    out = tmp_path / "graded"
    command = ["grade", "iam-user", str(submissions), "--out", str(out), "--workers", "1",
               "--allow-unisolated"]
    assert main(command) == 0
    first = grades(out)
    assert first["bob"]["flags"] == "starter"
    (out / "adjustments.csv").write_text("student,check,points,reason,by\n"
                                         "bob,*,+2,attended the lab in person,ta\n")
    assert main(command + ["--regrade"]) == 0
    again = grades(out)
    assert float(again["bob"]["score"]) == float(first["bob"]["score"]) + 2
    assert again["bob"]["total_adjustment"] == "2"
    assert again["alice"]["score"] == first["alice"]["score"]
    assert "attended the lab in person" in (out / "bob" / "report.html").read_text()
    kept = history.last(out / "bob")
    assert kept["result"]["score"] == float(first["bob"]["score"]) and kept["stamp"]["submission"]
    assert len(list((out / "alice" / "history").glob("*.json"))) == 1
