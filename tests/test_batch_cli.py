"""`grader grade` refuses what cannot work in one line (exit 2) before any worker starts."""

import shutil
from pathlib import Path

import pytest

import grader.sandbox
from grader.activities import load
from grader.cli import main

IAM = load("iam-user")


@pytest.fixture
def submissions(tmp_path) -> Path:
    folder = tmp_path / "class"
    folder.mkdir()
    shutil.copy(IAM.notebook("solution"), folder / "alice.ipynb")
    return folder


@pytest.mark.parametrize("arguments, says", [
    (["nope", "{class}", "--out", "{out}"], "unknown activity 'nope'"),
    (["iam-user", "{missing}", "--out", "{out}"],
     "does not exist; give the folder of submissions or the LMS zip"),
    (["iam-user", "{class}", "--out", "{class}/graded"],
     "overlap; give an output folder apart from the submissions"),
    (["iam-user", "{class}", "--out", "{out}", "--workers", "0"], "--workers must be at least 1"),
    (["iam-user", "{class}", "--out", "{out}", "--workers", "2", "--scheduler", "tcp://127.0.0.1:1"],
     "--workers sizes the embedded cluster"),
    (["iam-user", "{class}", "--out", "{out}", "--cell-timeout", "-1"],
     "limit cell_timeout must be a positive number"),
    (["iam-user", "{class}", "--out", "{out}", "--resume"], "holds no batch to resume"),
    (["iam-user", "{class}", "--out", "{out}", "--roster", "{missing}"],
     "no such file; give a CSV file with the columns id,name"),
    (["iam-user", "{class}", "--out", "{out}", "--data-dir", "{missing}"], "--data-dir"),
])
def test_bad_input_is_one_line_and_exit_2(submissions, tmp_path, capsys, arguments, says):
    values = {"class": submissions, "out": tmp_path / "graded", "missing": tmp_path / "missing"}
    assert main(["grade", *[argument.format(**values) for argument in arguments]]) == 2
    error = capsys.readouterr().err
    assert error.startswith("grader: error: ") and says in error and error.count("\n") == 1
    assert not (tmp_path / "graded").exists()   # nothing is made for bad input


def test_a_machine_that_cannot_sandbox_is_refused_unless_asked(submissions, tmp_path, capsys, monkeypatch):
    monkeypatch.setattr(grader.sandbox, "isolation_problem", lambda: "user namespaces are disabled")
    assert main(["grade", "iam-user", str(submissions), "--out", str(tmp_path / "graded")]) == 2
    error = capsys.readouterr().err
    assert "cannot sandbox graded runs (user namespaces are disabled)" in error
    assert "--allow-unisolated" in error
    assert not (tmp_path / "graded").exists()


def test_an_output_folder_of_another_activity_is_refused(submissions, tmp_path, capsys):
    (tmp_path / "graded").mkdir()
    (tmp_path / "graded" / "batch.json").write_text('{"schema": "grader.batch/1", "activity": "housing"}')
    assert main(["grade", "iam-user", str(submissions), "--out", str(tmp_path / "graded")]) == 2
    assert "holds a batch of housing; grade iam-user into another --out folder" in capsys.readouterr().err
