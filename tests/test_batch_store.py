"""What a batch remembers between runs (grader/batch/store.py), how it reports progress (progress.py),
the result of a submission that could not be graded (ungraded.py) and the end summary (summary.py)."""

import io
import json
import shutil
from pathlib import Path

import pytest
from graded_results import solution
from rich.console import Console

from grader.activities import load
from grader.batch import store
from grader.batch.discovery import Found, StudentWork, Unassigned
from grader.batch.progress import PROGRESS_FILE, BatchProgress
from grader.batch.summary import class_submissions, terminal_summary, write_class_outputs
from grader.batch.ungraded import ungraded_result
from grader.errors import UsageError
from grader.grading.grade import RESULT_FILE
from grader.reporting import view
from grader.reporting.results_files import read_submissions

PROJECT = Path(__file__).resolve().parents[1]
IAM = load("iam-user")


def version(activity=IAM, **changed) -> str:
    options = {"limits": {}, "data_dir": None, "staff": False, "isolate": "required", **changed}
    return store.grading_version(activity, **options)


def test_the_grading_version_follows_everything_that_changes_a_grade(tmp_path, monkeypatch):
    first = version()
    assert version() == first
    assert len({first, version(limits={"cell_timeout": 10}), version(staff=True),
                version(isolate="auto")}) == 4
    content = tmp_path / "content"
    for folder in ("activities", "rubrics"):
        shutil.copytree(PROJECT / folder, content / folder)
    monkeypatch.setenv("GRADER_PROJECT_DIR", str(content))
    copied = load("iam-user")
    assert version(copied) == first   # same files elsewhere: same version
    rubric = content / "rubrics" / "iam-user" / "rubric.toml"
    rubric.write_text(rubric.read_text().replace("points = 2", "points = 3", 1))
    second = version(copied)
    assert second != first
    toml = copied.folder / "activity.toml"
    toml.write_text(toml.read_text().replace("cell_timeout = 60", "cell_timeout = 61"))
    third = version(load("iam-user"))
    assert third not in (first, second)
    course = content / "activities" / "course.toml"
    course.write_text(course.read_text().replace('region = "us-west-2"', 'region = "us-east-2"'))
    assert version(load("iam-user")) not in (first, second, third)


def test_a_submissions_hash_is_its_files_names_and_contents_wherever_they_are(tmp_path):
    a = tmp_path / "a" / "x.ipynb"
    a.parent.mkdir()
    a.write_text("one")
    b = tmp_path / "b" / "x.ipynb"
    b.parent.mkdir()
    b.write_text("one")
    assert store.submission_sha256([a]) == store.submission_sha256([b])
    renamed = b.rename(b.with_name("y.ipynb"))
    assert store.submission_sha256([a]) != store.submission_sha256([renamed])
    renamed.write_text("two")
    assert store.submission_sha256([a.with_name("x.ipynb")]) != store.submission_sha256([renamed])


def test_a_stamp_makes_a_grade_current_only_for_the_same_inputs(tmp_path):
    folder, key = tmp_path / "jdoe", store.Key("s" * 64, "v1")
    folder.mkdir()
    (folder / RESULT_FILE).write_text("{}")
    assert not store.is_current(folder, key)
    store.write_stamp(folder, key, "run-1", {"failure": ""})
    assert store.is_current(folder, key) and store.stamped_by(folder, key, "run-1")
    assert not store.is_current(folder, store.Key("s" * 64, "v2"))
    assert not store.is_current(folder, store.Key("t" * 64, "v1"))
    (folder / RESULT_FILE).unlink()
    assert not store.is_current(folder, key)


def test_a_failure_of_the_grading_is_tried_again_by_the_next_run_not_by_this_one(tmp_path):
    folder, key = tmp_path / "jdoe", store.Key("s" * 64, "v1")
    folder.mkdir()
    (folder / RESULT_FILE).write_text("{}")
    store.write_stamp(folder, key, "run-1", {"failure": "the worker grading it died each time it was tried"})
    assert not store.is_current(folder, key)
    assert store.stamped_by(folder, key, "run-1") and not store.stamped_by(folder, key, "run-2")


def test_clearing_a_student_removes_the_stamp_and_every_old_output(tmp_path):
    folder = tmp_path / "jdoe"
    (folder / "sub").mkdir(parents=True)
    for name in (store.STAMP, RESULT_FILE, "monte_carlo.run.json", "sub/x"):
        (folder / name).write_text("old")
    store.clear(folder)
    assert folder.is_dir() and not list(folder.iterdir())
    store.clear(tmp_path / "never-graded")


def test_temporary_files_a_kill_left_are_removed(tmp_path):
    (tmp_path / "jdoe").mkdir()
    left = [tmp_path / "jdoe" / ".result.json.abc123.part", tmp_path / ".grades.csv.x.part"]
    for path in left:
        path.write_text("half")
    (tmp_path / "jdoe" / RESULT_FILE).write_text("{}")
    assert store.remove_partial_files(tmp_path) == 2
    assert not any(path.exists() for path in left) and (tmp_path / "jdoe" / RESULT_FILE).exists()


def test_an_output_folder_holds_one_activitys_batch(tmp_path):
    with pytest.raises(UsageError, match="holds no batch to resume"):
        store.claim(tmp_path, IAM, resume=True)
    store.claim(tmp_path, IAM, resume=False)
    store.claim(tmp_path, IAM, resume=True)
    with pytest.raises(UsageError, match="holds a batch of iam-user; grade housing into another --out"):
        store.claim(tmp_path, load("housing"), resume=False)


def summary(student: str, status: str = "graded", **fields) -> dict:
    return {"student": student, "status": status, "score": 3.0, "max_score": 8.0, "duration_s": 4.25,
            "error": "", "failure": "", "reused": False, **fields}


def test_without_a_terminal_each_finished_submission_is_one_line_and_a_json_event(tmp_path):
    printed = io.StringIO()
    (tmp_path / PROGRESS_FILE).write_text('{"event": "finished", "student": "cut-sh')   # a kill mid-line
    with BatchProgress(tmp_path, total=12, already=10, console=Console(file=printed, width=200)) as progress:
        progress.event("start", students=12)
        progress.finished(summary("jdoe"))
        progress.finished(summary("frank", "error", error="frank.ipynb is not valid notebook JSON"))
    assert printed.getvalue().splitlines() == [
        "[11/12] jdoe: 3/8 graded in 4.2 s",
        "[12/12] frank: 3/8 error in 4.2 s: frank.ipynb is not valid notebook JSON"]
    lines = (tmp_path / PROGRESS_FILE).read_text().splitlines()
    events = [json.loads(line) for line in lines[1:]]
    assert [event["event"] for event in events] == ["start", "finished", "finished"]
    assert events[2]["student"] == "frank" and events[2]["done"] == 12 and events[2]["total"] == 12


def test_on_a_terminal_the_bar_shows_done_total_failures_and_the_last_student(tmp_path):
    screen = io.StringIO()
    console = Console(file=screen, force_terminal=True, width=160)
    with BatchProgress(tmp_path, total=3, already=0, console=console) as progress:
        progress.finished(summary("alice"))
        progress.finished(summary("grace", "error"))
        progress.bar.refresh()
    shown = screen.getvalue()
    assert "2/3" in shown and "1 failed" in shown and "last: grace" in shown


def test_a_submission_that_could_not_be_graded_has_every_rubric_check_as_an_error(tmp_path):
    result = ungraded_result(IAM.id, [Path("frank.ipynb")], "frank.ipynb is not valid notebook JSON")
    assert result.error == "frank.ipynb is not valid notebook JSON" and view.status(result) == "error"
    assert len(result.checks) == 6 and {check.status for check in result.checks} == {"error"}
    assert result.score == 0 and result.max_score == sum(check.max_points for check in result.checks)
    assert all("frank.ipynb is not valid notebook JSON" in check.message for check in result.checks)
    assert view.warnings(result)[0] == "Could not be graded: frank.ipynb is not valid notebook JSON"


def test_the_end_writes_the_class_report_from_the_results_on_disk_and_one_screen_of_text(tmp_path):
    graded = solution(4)
    broken = ungraded_result("housing", [Path("frank.ipynb")], "frank.ipynb is not valid notebook JSON")
    for student, result in (("alice", graded), ("frank", broken), ("gone", graded)):
        result.write(tmp_path / student / RESULT_FILE)
    found = Found([StudentWork("alice", name="Alice Liddell"), StudentWork("frank"), StudentWork("zed")],
                  [Unassigned("class/notes.txt", "not a notebook (.ipynb)")], [("ann", "Ann Lee")])
    submissions = class_submissions(tmp_path, found)
    assert [s.student for s in submissions] == ["alice", "frank"]   # 'gone' is no longer in SUBMISSIONS
    written = write_class_outputs(tmp_path, submissions, found, staff=False)
    grades = (tmp_path / "grades.csv").read_text().splitlines()
    assert grades[0].startswith("student,name,score,") and grades[1].startswith("alice,Alice Liddell,")
    assert grades[2].startswith("frank,,0,") and ",error," in grades[2]
    assert "frank.ipynb is not valid notebook JSON" in (tmp_path / "index.html").read_text()
    assert (tmp_path / "unassigned.csv").read_text().splitlines() == [
        "file,reason", "class/notes.txt,not a notebook (.ipynb)"]
    read_back = read_submissions([tmp_path / "alice", tmp_path / "frank"])
    assert [s.student for s in read_back] == ["alice", "frank"]
    text = terminal_summary(submissions, found, written, graded_now=2, reused=1)
    assert text.splitlines()[0] == ("3 student(s), 2 with a result (1 graded, 1 error); "
                                    "2 graded in this run, 1 already graded with the same inputs")
    assert "frank: error - frank.ipynb is not valid notebook JSON" in text
    assert "class/notes.txt: not a notebook (.ipynb)" in text and "ann (Ann Lee)" in text
    assert f"grades: {tmp_path / 'grades.csv'}" in text
    assert len(text.splitlines()) < 25
    write_class_outputs(tmp_path, submissions, Found(found.students, []), staff=False)
    assert not (tmp_path / "unassigned.csv").exists()


def test_a_grading_the_worker_was_stopped_under_keeps_no_grade(tmp_path, monkeypatch):
    """A worker stopped mid-grading (Ctrl-C, a closed terminal, the cluster shut down) stops its kernels
    first, so the grading in flight ends wrong ('the kernel did not start'): the task hands back no
    outputs, so the TA's folder gets no result and no stamp, and the next run grades the student."""
    from grader.batch import task
    from grader.batch.workshop import Workshop

    shop = Workshop()
    monkeypatch.setattr(task, "workshop", lambda: shop)
    key = store.Key("s" * 64, "v1")
    job = task.Job(activity="iam-user", student="cara", files=(("cara.ipynb", b"{}"),), key=key,
                   run="run-1", deadline_s=60, limits={})

    def graded_while_stopping(job, files, folder, started):
        shop.closing = True   # the worker's teardown, while the kernel was starting
        wrong = ungraded_result("iam-user", [Path("cara.ipynb")], "")
        wrong.write(folder / RESULT_FILE)
        return wrong, ""

    monkeypatch.setattr(task, "_graded", graded_while_stopping)
    with pytest.raises(task.WorkerStopped, match="stopped while grading cara; run the batch again"):
        task.grade_job(job)
    assert not (tmp_path / "cara").exists()
