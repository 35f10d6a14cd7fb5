"""The Canvas round trip (docs/canvas.md): the submission download as Canvas names it, graded, and the
gradebook export as staff download it, make DIR/canvas-import.csv: the identity columns, the one
assignment column, its Points Possible row, a score (scaled to the points possible) on each student's
row, blanks where Canvas must keep what it has, and no other column; a student of the download who is
not in the gradebook is listed, never dropped. Built from graded results (tests/graded_results.py);
one small class is graded for real (slow)."""

import csv
import io
import json
import zipfile
from pathlib import Path

import pytest
from graded_results import HIDDEN_MESSAGE, HIDDEN_TITLE, hostile, solution
from html_checks import strict

from grader.activities import load
from grader.batch import store
from grader.batch.discovery import discover
from grader.canvas import GRADEBOOK_LIMIT, read_gradebook
from grader.cli import main
from grader.errors import UsageError
from grader.grading.grade import RESULT_FILE
from grader.grading.result import GradeResult
from grader.reporting.canvas_import import describe, place
from grader.reporting.results_files import GradedSubmission

HOUSING = load("housing")
NOTEBOOK = b'{"cells": [], "metadata": {}, "nbformat": 4, "nbformat_minor": 5}'
IDENTITY = ["Student", "ID", "SIS User ID", "SIS Login ID", "Section"]
READ_ONLY = ["Current Points", "Final Points", "Current Score", "Unposted Current Score", "Final Score",
             "Unposted Final Score", "Current Grade", "Final Grade"]
ASSIGNMENT = "Housing prices on SageMaker (2002)"
POINTS = "10"

# The download as Canvas names it: a late one, a resubmission (`-1`), a student who dropped the course
# (not in the gradebook) and one whose notebook could not be graded.
DOWNLOAD = {
    "doejane_12345_7001_boston-housing-regression.ipynb": "12345",
    "smithann_LATE_23456_7002_boston-housing-regression.ipynb": "23456",
    "kimbo_34567_7003_boston-housing-regression-1.ipynb": "34567",
    "gonegary_56789_7004_boston-housing-regression.ipynb": "56789",
    "badbob_67890_7005_boston-housing-regression-2.ipynb": "67890",
}
# Canvas's rows: the students above but Gary, one who submitted nothing (with a grade Canvas must keep)
# and Canvas's test student.
CLASS = [
    ["Doe, Jane", "12345", "900100", "jdoe", "Section 1", "9", "4"],
    ["Smith, Ann", "23456", "900200", "asmith", "Section 1", "8", ""],
    ["Kim, Bo", "34567", "900300", "bkim", "Section 2", "10", ""],
    ["Extra, Eve", "45678", "900400", "eextra", "Section 2", "7", "3"],
    ["Bad, Bob", "67890", "900500", "bbad", "Section 2", "", ""],
    ["Student, Test", "99990", "", "", "Section 1", "", ""],
]


def gradebook_csv(path: Path, *, students=CLASS, points=POINTS, muted_first=False, assignments=None) -> Path:
    assignments = assignments or ["Lab 1: the S3 console (1001)", ASSIGNMENT]
    header = IDENTITY + assignments + READ_ONLY
    more = [""] * (len(assignments) - 2)
    possible = ["    Points Possible", "", "", "", "", "5", points] + [points] * len(more)
    possible += ["(read only)"] * len(READ_ONLY)
    muted = ["", "", "", "", "", "", "Muted"] + more + [""] * len(READ_ONLY)
    rows = [header] + ([muted, possible] if muted_first else [possible, muted])
    totals = ["41.2", "41.2", "82.4", "82.4", "82.4", "82.4", "B", "B"]
    rows += [student + more + totals for student in students]
    buffer = io.StringIO()
    csv.writer(buffer, quoting=csv.QUOTE_ALL, lineterminator="\r\n").writerows(rows)
    path.write_bytes(b"\xef\xbb\xbf" + buffer.getvalue().encode())   # Canvas writes UTF-8 with a BOM
    return path


def results() -> dict[str, GradeResult]:
    """Canvas user id -> the result graded for them."""
    made = {student: solution(26) for student in ("12345", "23456", "34567", "56789", "67890")}
    for check in made["23456"].checks[4:9]:
        check.status, check.points = "fail", 0.0
    made["34567"].checks[0].status, made["34567"].checks[0].points = "fail", 0.0
    made["34567"].checks[1].status, made["34567"].checks[1].points = "manual", 0.0
    made["67890"].error = "badbob_67890_7005_boston-housing-regression-2.ipynb is not valid notebook JSON"
    for check in made["67890"].checks:
        check.status, check.points = "error", 0.0
    return made


def graded_download(tmp_path: Path) -> tuple[Path, Path]:
    """(the download zip, DIR) with every student already graded by an earlier `grader grade`: each
    folder holds the result and a current stamp, so the command renders and grades nobody again."""
    download = tmp_path / "submissions.zip"
    with zipfile.ZipFile(download, "w") as archive:
        for name in DOWNLOAD:
            archive.writestr(name, NOTEBOOK)
    found = discover(HOUSING, download, unpack_into=tmp_path / "unpacked")
    assert {work.student: [path.name for path in work.files] for work in found.students} == \
        {student: [name] for name, student in DOWNLOAD.items()}
    out = tmp_path / "graded"
    version = store.grading_version(HOUSING, limits={}, data_dir=None, staff=False, isolate="auto")
    made = results()
    for work in found.students:
        made[work.student].write(out / work.student / RESULT_FILE)
        key = store.Key(store.submission_sha256(work.files), version)
        store.write_stamp(out / work.student, key, "earlier", {"failure": ""})
    return download, out


def table(path: Path) -> list[list[str]]:
    return list(csv.reader(io.StringIO(path.read_text(encoding="utf-8"), newline="")))


def index_scores(page: str) -> dict[str, tuple[float, float, str]]:
    """student -> (score, max_score, name) from the class summary's table of students."""
    namespace = {"h": "http://www.w3.org/1999/xhtml"}
    found = {}
    for row in strict(page).findall(".//h:section[@id='students']//h:tbody/h:tr", namespace):
        cells = row.findall("h:td", namespace)
        student = cells[0].find("h:a", namespace).text
        name = cells[0].find("h:span", namespace)
        score, maximum = cells[1].text.split("/")
        found[student] = (float(score), float(maximum), name.text if name is not None else "")
    return found


def test_a_canvas_download_graded_with_a_gradebook_makes_the_import_canvas_takes(tmp_path, capsys):
    download, out = graded_download(tmp_path)
    gradebook = gradebook_csv(tmp_path / "gradebook.csv")
    assert main(["grade", "housing", str(download), "--out", str(out), "--allow-unisolated",
                 "--canvas-gradebook", str(gradebook),
                 "--canvas-assignment", "Housing prices on SageMaker"]) == 0
    printed = capsys.readouterr().out
    assert "0 to grade, 5 already graded" in printed
    shown = index_scores((out / "index.html").read_text())
    for student, (score, maximum, _) in shown.items():   # each student's Gradescope file says the same
        exported = json.loads((out / student / "gradescope.json").read_text())
        assert exported["score"] == score == sum(test["score"] for test in exported["tests"])
        assert sum(test["max_score"] for test in exported["tests"]) == maximum

    rows = table(out / "canvas-import.csv")
    assert rows[0] == IDENTITY + [ASSIGNMENT]                           # no other column Canvas would add
    assert rows[1] == ["    Points Possible", "", "", "", "", POINTS]  # no Muted row, no read-only totals
    assert all(len(row) == 6 for row in rows)
    by_id = {row[1]: row for row in rows[2:]}
    assert [row[1] for row in rows[2:]] == [student[1] for student in CLASS]   # every student, in order
    assert all(by_id[student[1]][:5] == student[:5] for student in CLASS)      # identity as exported
    made = results()
    for student in ("12345", "23456", "34567"):
        result = made[student]
        assert float(by_id[student][5]) == round(result.score * 10 / result.max_score, 2)
    assert by_id["23456"][5] == "8.33" and by_id["12345"][5] == "10"
    assert by_id["45678"][5] == "" and by_id["99990"][5] == ""   # no submission: Canvas keeps Eve's 3
    assert by_id["67890"][5] == ""                              # could not be graded: listed, not a 0

    left_out = {row[0]: row for row in table(out / "canvas-not-imported.csv")[1:]}
    assert left_out.keys() == {"56789", "67890"}
    assert "not in the gradebook" in left_out["56789"][4]
    assert "not valid notebook JSON" in left_out["67890"][4]
    assert "3 score(s) for Housing prices on SageMaker (2002); 3 of 6 gradebook rows left blank" in printed
    assert "scores scaled from 30 to the assignment's 10 points possible" in printed
    assert "1 score(s) leave out checks awaiting a person's review" in printed
    assert "56789 (gonegary): not in the gradebook" in printed   # named by the download: no row names it


def test_the_class_summary_grades_csv_and_the_canvas_import_agree_on_every_student(tmp_path, capsys):
    download, out = graded_download(tmp_path)
    gradebook = gradebook_csv(tmp_path / "gradebook.csv", points="30")   # the activity's points: unscaled
    assert main(["report", str(out), "--out", str(out), "--canvas-gradebook", str(gradebook),
                 "--canvas-assignment", "2002"]) == 0
    assert "scaled" not in capsys.readouterr().out
    shown = index_scores((out / "index.html").read_text())
    spreadsheet = {row["student"]: row
                   for row in csv.DictReader(io.StringIO((out / "grades.csv").read_text(), newline=""))}
    imported = {row[1]: row[5] for row in table(out / "canvas-import.csv")[2:]}
    assert shown.keys() == spreadsheet.keys() == set(DOWNLOAD.values())
    for student, (score, maximum, name) in shown.items():
        row = spreadsheet[student]
        assert (float(row["score"]), float(row["max_score"])) == (score, maximum)
        assert row["name"] == name
        if student in ("56789", "67890"):   # not in the gradebook; could not be graded
            assert imported.get(student, "") == ""
        else:
            points = float(imported[student])
            assert points == round(score * 30 / maximum, 2)                 # the same share of the points
            assert abs(points / 30 * 100 - float(row["percentage"])) < 0.05   # as grades.csv's percentage
            if maximum == 30:                                                # Bo's manual check is left out
                assert points == score
    assert shown["12345"][2] == "Doe, Jane" and shown["56789"][2] == ""   # the gradebook names who it has
    footer = "Exports beside this page: grades.csv, junit.xml, canvas-import.csv."
    assert footer in (out / "index.html").read_text()


def test_an_assignment_is_chosen_by_name_or_id_and_refused_in_one_line(tmp_path, capsys):
    gradebook = gradebook_csv(tmp_path / "gradebook.csv", muted_first=True,
                              assignments=["Housing (1001)", "Housing (2002)", "Rainfall (3003)"])
    assert read_gradebook(gradebook, "2002").assignment == "Housing (2002)"
    assert read_gradebook(gradebook, "rainfall").assignment == "Rainfall (3003)"
    assert read_gradebook(gradebook, "Housing (1001)").points_possible == 5
    chosen = read_gradebook(gradebook, "3003")
    assert [student.id for student in chosen.students] == [student[1] for student in CLASS]   # no Muted row
    with pytest.raises(UsageError, match=r"'Housing' names 2 assignments .*\(Housing \(1001\); "
                                         r"Housing \(2002\)\); give the id in parentheses"):
        read_gradebook(gradebook, "Housing")
    results_folder = tmp_path / "results" / "12345"
    solution(3).write(results_folder / RESULT_FILE)
    assert main(["report", str(tmp_path / "results"), "--out", str(tmp_path / "out"), "--canvas-gradebook",
                 str(gradebook), "--canvas-assignment", "Credit risk"]) == 2
    error = capsys.readouterr().err
    assert error.count("\n") == 1 and "'Credit risk' is not an assignment of" in error
    assert "Housing (1001); Housing (2002); Rainfall (3003)" in error
    assert not (tmp_path / "out").exists()   # nothing is rendered for bad input


HEADER = b"Student,ID,SIS User ID,SIS Login ID,Section,Housing (2002)\n"


@pytest.mark.parametrize("content, says", [
    (None, "no such file"),
    (b"name,score\njdoe,3\n", "is not a Canvas gradebook export"),
    (b"\xff\xfeS\x00t\x00", "is not UTF-8 text"),
    (b'Student,ID,Section,Housing (2002)\n"unclosed', "is not a readable CSV file"),
    (b"Student,ID,SIS User ID,SIS Login ID,Section,Current Score\n", "has no assignment column"),
    (HEADER + b'"Doe, Jane",1,,,,\n', "has no Points Possible row"),
    (HEADER + b"    Points Possible,,,,,\n", "has no points possible"),
    (HEADER + b"    Points Possible,,,,,3\na,1,,,,\nb,1,,,,\n", "line 4: ID 1 is also on line 3"),
    (b"x" * (GRADEBOOK_LIMIT + 1), "is over 20 MB"),
])
def test_what_is_not_a_canvas_gradebook_is_refused_in_one_line_exit_2(tmp_path, capsys, content, says):
    gradebook = tmp_path / "gradebook.csv"
    if content is not None:
        gradebook.write_bytes(content)
    solution(3).write(tmp_path / "results" / "12345" / RESULT_FILE)
    assert main(["report", str(tmp_path / "results"), "--out", str(tmp_path / "out"),
                 "--canvas-gradebook", str(gradebook), "--canvas-assignment", "2002"]) == 2
    error = capsys.readouterr().err
    assert error.startswith("grader: error: --canvas-gradebook") and says in error and error.count("\n") == 1


def test_grade_refuses_a_bad_gradebook_or_half_the_options_before_anything_is_made(tmp_path, capsys):
    download = tmp_path / "class"
    download.mkdir()
    (download / "doejane_12345_7001_boston-housing-regression.ipynb").write_bytes(NOTEBOOK)
    out = tmp_path / "graded"
    missing = ["--canvas-gradebook", str(tmp_path / "missing.csv"), "--canvas-assignment", "2002"]
    for options, says in ((missing, "no such file"),
                          (["--canvas-assignment", "2002"], "--canvas-gradebook and --canvas-assignment go")):
        arguments = ["grade", "housing", str(download), "--out", str(out), "--allow-unisolated", *options]
        assert main(arguments) == 2
        assert says in capsys.readouterr().err
        assert not out.exists()


def test_results_are_placed_by_canvas_id_then_sis_login_then_name_never_on_a_row_two_could_claim(tmp_path):
    gradebook = read_gradebook(gradebook_csv(tmp_path / "gradebook.csv", students=CLASS + [
        ["Kim, Bo", "77777", "", "bokim2", "Section 3", "", ""]]), ASSIGNMENT)
    made = [GradedSubmission("12345", solution(3), Path("a")),                          # Canvas user id
            GradedSubmission("ASmith", solution(3), Path("b")),                         # SIS login, any case
            GradedSubmission("900400", solution(3), Path("c")),                         # SIS user id
            GradedSubmission("kb", solution(3), Path("d"), name="Bo Kim"),      # two Bo Kims: not guessed
            GradedSubmission("jd", solution(3), Path("e"), name="Jane Doe")]    # Jane's row is taken by id
    placement = place(made, gradebook)
    assert {key: submission.student for key, submission in placement.rows.items()} == \
        {"12345": "12345", "23456": "ASmith", "45678": "900400"}
    assert placement.matched_by == {"12345": "Canvas user id", "ASmith": "SIS login", "900400": "SIS user id"}
    reasons = {submission.student: reason for submission, reason in placement.not_imported}
    assert reasons["kb"].startswith("its name matches 2 gradebook students (Kim, Bo; Kim, Bo)")
    assert reasons["jd"].startswith("not in the gradebook")
    assert made[1].name == "Smith, Ann"   # the gradebook as a roster
    named = [GradedSubmission("x1", solution(3), Path("f"), name="doejane"),
             GradedSubmission("x2", solution(3), Path("g"))]
    placement = place(named, gradebook)
    assert {key: submission.student for key, submission in placement.rows.items()} == {"12345": "x1"}
    written = {"canvas": tmp_path / "canvas-import.csv", "canvas_not_imported": tmp_path / "not.csv"}
    assert "  placed by name only, check them before importing (1): x1" in describe(placement, written)


def test_a_roster_names_the_students_of_a_report_and_says_who_has_no_result(tmp_path, capsys):
    for student in ("jdoe", "=cmd"):
        solution(3).write(tmp_path / "results" / student / RESULT_FILE)
    roster = tmp_path / "roster.csv"
    roster.write_text("id,name,email\njdoe,Jane Doe,j@x\n=cmd,Eve Evil,e@x\nbkim,Bo Kim,b@x\n")
    report = ["report", str(tmp_path / "results"), "--out", str(tmp_path / "out")]
    assert main([*report, "--roster", str(roster)]) == 0
    assert "on the roster without a result (1): bkim (Bo Kim)" in capsys.readouterr().out
    rows = table(tmp_path / "out" / "grades.csv")
    assert rows[0][:2] == ["student", "name"]
    assert sorted(row[:2] for row in rows[1:]) == [["'=cmd", "Eve Evil"], ["jdoe", "Jane Doe"]]
    assert index_scores((tmp_path / "out" / "index.html").read_text())["jdoe"][2] == "Jane Doe"
    assert main([*report, "--roster", str(tmp_path / "missing.csv")]) == 2


def test_the_student_view_of_a_staff_grading_is_what_a_student_view_grading_renders(tmp_path, capsys):
    """One staff grading, two views: `--student-view` renders from each result's students' copy, the very
    record a grading without --staff writes, so every file equals the one rendered from those records."""
    for student, result in (("jdoe", solution()), ("crash", hostile())):
        result.write(tmp_path / "staff" / student / RESULT_FILE, for_students=False)   # grading with --staff
        result.write(tmp_path / "students" / student / RESULT_FILE)                     # grading without

    def report(results: str, out: str, *view: str) -> None:
        assert main(["report", str(tmp_path / results), "--out", str(tmp_path / out), *view]) == 0

    report("staff", "derived", "--student-view")
    report("students", "graded", "--student-view")
    report("students", "plain")
    derived = sorted(path.relative_to(tmp_path / "derived")
                     for path in (tmp_path / "derived").rglob("*") if path.is_file())
    assert len(derived) == 3 + 2   # index.html, grades.csv, junit.xml and a report each
    for relative in derived:
        for other in ("graded", "plain"):
            mine, theirs = (tmp_path / "derived" / relative), (tmp_path / other / relative)
            assert mine.read_bytes() == theirs.read_bytes(), relative
        assert HIDDEN_MESSAGE not in (tmp_path / "derived" / relative).read_text()
    # the same staff records, rendered as they are, still hold what the hidden check found
    report("staff", "staff-view", "--staff")
    assert HIDDEN_MESSAGE in (tmp_path / "staff-view" / "junit.xml").read_text()
    staff_page = (tmp_path / "staff-view" / "jdoe" / "report.html").read_text()
    assert HIDDEN_TITLE in staff_page and HIDDEN_MESSAGE in staff_page
    assert HIDDEN_TITLE not in (tmp_path / "derived" / "jdoe" / "report.html").read_text()
    with pytest.raises(SystemExit) as stopped:   # one view or the other
        main(["report", str(tmp_path / "staff"), "--out", str(tmp_path / "x"), "--staff", "--student-view"])
    assert stopped.value.code == 2 and "not allowed with argument" in capsys.readouterr().err


def test_without_a_gradebook_a_report_leaves_no_stale_import_behind(tmp_path):
    download, out = graded_download(tmp_path)
    gradebook = gradebook_csv(tmp_path / "gradebook.csv")
    assert main(["report", str(out), "--out", str(out), "--canvas-gradebook", str(gradebook),
                 "--canvas-assignment", "2002"]) == 0
    assert (out / "canvas-import.csv").is_file() and (out / "canvas-not-imported.csv").is_file()
    assert main(["report", str(out), "--out", str(out)]) == 0
    assert not (out / "canvas-import.csv").exists() and not (out / "canvas-not-imported.csv").exists()
    assert (out / "grades.csv").read_text().startswith("student,score,max_score,percentage,status,")


@pytest.mark.slow
def test_a_small_canvas_class_graded_for_real_imports_its_scores(tmp_path, capsys):
    """Three iam-user notebooks as Canvas names them (a late solution, a resubmitted starter, a file
    that is not a notebook's JSON), really graded: the import has the solution's full points and the
    starter's 0, and leaves the broken one blank."""
    iam = load("iam-user")
    download = tmp_path / "submissions.zip"
    with zipfile.ZipFile(download, "w") as archive:
        archive.write(iam.notebook("solution"), "doejane_LATE_12345_7001_create_admin_user.ipynb")
        archive.write(iam.notebook("starter"), "smithann_23456_7002_create_admin_user-1.ipynb")
        archive.writestr("badbob_67890_7005_create_admin_user.ipynb", '{"cells": [')
    gradebook = gradebook_csv(tmp_path / "gradebook.csv", points="5",
                              assignments=["Lab 1: the S3 console (1001)", "IAM admin user (3003)"])
    out = tmp_path / "graded"
    assert main(["grade", "iam-user", str(download), "--out", str(out), "--workers", "1",
                 "--canvas-gradebook", str(gradebook), "--canvas-assignment", "IAM admin user"]) == 0
    printed = capsys.readouterr().out
    solution_result = GradeResult.read(out / "12345" / RESULT_FILE)
    # full marks but for the billing-access check a person decides (in the activity's one maximum)
    assert solution_result.score == solution_result.max_score - solution_result.manual_points > 0
    assert GradeResult.read(out / "23456" / RESULT_FILE).score == 0
    imported = {row[1]: row[5] for row in table(out / "canvas-import.csv")[2:]}
    shown = f"{round(solution_result.score * 5 / solution_result.max_score, 2):g}"
    assert imported == {"12345": shown, "23456": "0", "34567": "", "45678": "", "67890": "", "99990": ""}
    assert "67890 (Bad, Bob): could not be graded" in printed
    assert "score(s) leave out checks awaiting a person's review" in printed   # iam-user's billing access


def test_no_cell_of_the_import_is_a_formula_a_spreadsheet_would_run(tmp_path):
    hostile_name = ["=HYPERLINK(\"http://x\";\"y\")", "12345", "@sum", "-jdoe", "+Section", "", ""]
    gradebook = read_gradebook(gradebook_csv(tmp_path / "gradebook.csv", students=[hostile_name]), "2002")
    solution(3).write(tmp_path / "results" / "12345" / RESULT_FILE)
    assert main(["report", str(tmp_path / "results"), "--out", str(tmp_path / "out"),
                 "--canvas-gradebook", str(gradebook.path), "--canvas-assignment", "2002"]) == 0
    row = table(tmp_path / "out" / "canvas-import.csv")[2]
    assert row == ["'" + hostile_name[0], "12345", "'@sum", "'-jdoe", "'+Section", "10"]
