"""`grader grade --rescore` (grader/batch/rescore.py): a rubric change applied to a graded class from
the evidence each run left (run records, the account's snapshot), with no kernel started and no Dask
cluster; a student whose grading needs new evidence is named with the reason and graded by running.
benchmarks/rescore.py times a class of 30."""

import json
import shutil
import sys
from pathlib import Path

import pytest
from graded_results import solution

from grader.activities import load
from grader.batch import store
from grader.batch.rescore import needs_a_run
from grader.batch.task import Job
from grader.cli import main
from grader.grading.gather import EVIDENCE_SNAPSHOT
from grader.grading.grade import RESULT_FILE
from grader.review import history

PROJECT = Path(__file__).resolve().parents[1]
NEW_EVIDENCE = "the code or settings that run notebooks changed: new evidence is needed"


def job(folder: Path, key: store.Key) -> Job:
    return Job(activity="housing", student=folder.name, files=(("x.ipynb", b"{}"),), key=key,
               run="run-2", deadline_s=60, limits={})


def test_who_needs_a_run_and_why(tmp_path):
    key = store.Key("s" * 64, "v2", "e1")
    folder = tmp_path / "ann"
    assert needs_a_run(folder.parent, job(folder, key)) == "not graded yet"
    solution(4).write(folder / RESULT_FILE)
    (folder / "boston-housing-regression.run.json").write_text("{}")
    (folder / EVIDENCE_SNAPSHOT).write_text("{}")
    for stamp_key, summary, why in ((store.Key("t" * 64, "v1", "e1"), {}, "the submission changed"),
                                    (key, {"failure": "the worker died"}, "its last grading failed"),
                                    (store.Key("s" * 64, "v1"), {}, "graded before the grader kept evidence"),
                                    (store.Key("s" * 64, "v1", "e0"), {}, NEW_EVIDENCE),
                                    (store.Key("s" * 64, "v1", "e1"), {}, "")):
        store.write_stamp(folder, stamp_key, "run-1", summary)
        assert needs_a_run(folder.parent, job(folder, key)) == why
    (folder / EVIDENCE_SNAPSHOT).unlink()
    assert needs_a_run(folder.parent, job(folder, key)) == "its stored evidence is incomplete"


def forget_rubric(course: Path) -> None:
    """As a new `grader grade` process would, import the course's changed rubric afresh."""
    for name, module in list(sys.modules.items()):
        if str(getattr(module, "__file__", "") or "").startswith(str(course)):
            del sys.modules[name]


@pytest.mark.slow
def test_a_rubric_change_is_rescored_across_a_class_without_any_kernel(tmp_path, monkeypatch, capsys):
    course = tmp_path / "course"   # a course's own copy of the content, to change its rubric
    for part in ("activities", "rubrics", "environments"):
        shutil.copytree(PROJECT / part, course / part)
    monkeypatch.setenv("GRADER_PROJECT_DIR", str(course))
    iam = load("iam-user")
    submissions = tmp_path / "class"
    submissions.mkdir()
    shutil.copy(iam.notebook("solution"), submissions / "alice.ipynb")
    shutil.copy(iam.notebook("starter"), submissions / "bob.ipynb")
    out = tmp_path / "graded"
    command = ["grade", "iam-user", str(submissions), "--out", str(out), "--workers", "1",
               "--allow-unisolated"]
    assert main(command) == 0
    graded = {student: json.loads((out / student / RESULT_FILE).read_text()) for student in ("alice", "bob")}
    assert (out / "alice" / EVIDENCE_SNAPSHOT).is_file()

    def no_kernels(*args, **kwargs):
        raise AssertionError("a rescore started a notebook run or a Dask cluster")

    monkeypatch.setattr("grader.execution.run_submission", no_kernels)
    monkeypatch.setattr("grader.execution.run.run_submission", no_kernels)
    monkeypatch.setattr("grader.batch.run.DaskExecutor", no_kernels)
    rubric = course / "rubrics" / "iam-user" / "rubric.toml"
    rubric.write_text(rubric.read_text() + "\n# a comment: the rubric's file changed, its checks did not\n")
    capsys.readouterr()
    assert main(command + ["--rescore"]) == 0
    said = capsys.readouterr().out
    assert "rescored 2 student(s) from their stored evidence in " in said and "0 to grade by running" in said
    for student in ("alice", "bob"):   # the same checks over the same evidence: the same verdicts
        again = json.loads((out / student / RESULT_FILE).read_text())
        assert [(c["id"], c["status"], c["points"], c["message"]) for c in again["checks"]] == \
               [(c["id"], c["status"], c["points"], c["message"]) for c in graded[student]["checks"]]
        assert again["source"] == "notebook run on the emulator, rescored from its stored evidence"
    user_exists = 'id = "user_exists"\ntitle = "An IAM user named `administrator` exists"\npoints = '
    rubric.write_text(rubric.read_text().replace(user_exists + "2", user_exists + "5"))
    forget_rubric(course)
    assert main(command + ["--rescore"]) == 0
    said = capsys.readouterr().out
    alice = json.loads((out / "alice" / RESULT_FILE).read_text())
    before = graded["alice"]
    assert alice["score"] == before["score"] + 3 and alice["max_score"] == before["max_score"] + 3
    assert (f"alice: {before['score']:g} -> {alice['score']:g} (rubric changed (rescored from stored "
            "evidence); iam-user.user_exists: pass 2 -> pass 5)") in said
    assert len(list((out / "alice" / "history").glob("*.json"))) == 2
    assert history.last(out / "alice")["result"]["score"] == graded["alice"]["score"]
    text = rubric.read_text()   # a check removed
    start = text.rindex("[[check]]", 0, text.index('id = "console_access"'))
    rubric.write_text(text[:start] + text[text.index("[[check]]", start + 1):])
    forget_rubric(course)
    assert main(command + ["--rescore"]) == 0
    said = capsys.readouterr().out
    assert "iam-user.console_access: removed" in said and "rescored 2 student(s)" in said
    assert "iam-user.console_access" not in (out / "grades.csv").read_text().splitlines()[0]
    bob = submissions / "bob.ipynb"
    bob.write_text(bob.read_text().replace("administrator", "admin2"))
    with pytest.raises(AssertionError, match="a rescore started a notebook run or a Dask cluster"):
        main(command + ["--rescore"])   # bob's submission changed: he must be run, which this test forbids
    said = capsys.readouterr().out
    assert "0 student(s) from their stored evidence" in said.replace("rescored 0", "0") and \
           "bob: the submission changed" in said
