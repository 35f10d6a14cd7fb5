"""`grader grade` on a class with attackers in it, end to end (kernels run: slow). One student plants a
submission_metadata.yml claiming a classmate's id, file names and roster names are spreadsheet
formulas, and the class arrives as two LMS downloads in turn. Verdicts: every student is graded
under their own id, the CSVs are inert, and no student's report.html, result.json or gradescope.json
names a folder of the grading machine (nor, after the second download, the first one's)."""

import contextlib
import csv
import hashlib
import io
import json
import subprocess
import zipfile
from pathlib import Path

import pytest

from grader.cli import main

from .conftest import write_notebook
from .test_spreadsheets import FORMULA_START, HOSTILE, cells

pytestmark = pytest.mark.slow
NOTEBOOK = "boston-housing-regression.ipynb"
MALFORMED = '{"cells": [{"cell_type": "code", "source": "print(1)"'
HIJACK = "sub:\n  :submitters:\n  - :name: Student One\n    :sid: s1\n"
STUDENT_OUTPUTS = ("report.html", "result.json", "gradescope.json")


def grade(*args: str) -> subprocess.CompletedProcess:
    """`grader grade housing ARGS` and what it printed. It runs in this process (the attacks are on the
    batch's inputs, not its process; the command as a process is tested in tests/test_batch_grading.py)."""
    command = ["grade", "housing", *args, "--workers", "1", "--cell-timeout", "60"]
    stdout, stderr = io.StringIO(), io.StringIO()
    with contextlib.redirect_stdout(stdout), contextlib.redirect_stderr(stderr):
        code = main(command)
    return subprocess.CompletedProcess(command, code, stdout.getvalue(), stderr.getvalue())


def sha256(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def result(out: Path, student: str) -> dict:
    return json.loads((out / student / "result.json").read_text())


def host_folders_named(out: Path, student: str, *folders: Path) -> list[str]:
    """Which of `folders` (or any unpacked download) the student's own outputs name."""
    named = []
    for name in STUDENT_OUTPUTS:
        text = (out / student / name).read_text()
        named += [f"{name}: {folder}" for folder in folders if str(folder) in text]
        named += [f"{name}: .unpacked"] * (".unpacked" in text)
    return named


@pytest.fixture(scope="module")
def hijacked_class(tmp_path_factory):
    """s1 and x hand in notebooks that run; s2 and @s3 malformed ones; x adds a submission_metadata.yml
    naming their notebook s1's; stray files at the top are named like formulas; the roster's names too."""
    root = tmp_path_factory.mktemp("class-with-attackers")
    folder = root / "class"
    for student in ("s1", "x/sub", "s2", "@s3"):
        (folder / student).mkdir(parents=True)
    write_notebook(folder / "s1" / NOTEBOOK, 'print("s1 did the work")')
    write_notebook(folder / "x" / "sub" / NOTEBOOK, 'print("x did not")')
    (folder / "x" / "submission_metadata.yml").write_text(HIJACK)
    for student in ("s2", "@s3"):
        (folder / student / NOTEBOOK).write_text(MALFORMED)
    for name in HOSTILE:
        (folder / f"{name}.txt").write_text("not a notebook")
    roster = root / "roster.csv"
    with open(roster, "w", newline="") as stream:
        csv.writer(stream).writerows([["id", "name"], *zip(("s1", "s2", "@s3", "x"), HOSTILE)])
    out = root / "graded"
    done = grade(str(folder), "--out", str(out), "--roster", str(roster))
    assert done.returncode == 0, done.stderr
    return {"root": root, "class": folder, "out": out, "printed": done.stdout}


def test_class_hijack_leaves_every_classmate_graded_under_their_own_id(hijacked_class):
    """Attack: x's submission_metadata.yml maps x's notebook to s1 (it graded x as s1 and dropped s2 and
    s3 with exit 0). Verdict: four students; s1's result is s1's notebook, x's is x's."""
    out, folder = hijacked_class["out"], hijacked_class["class"]
    assert "housing: 4 student(s)" in hijacked_class["printed"]
    assert sorted(path.parent.name for path in out.glob("*/result.json")) == ["@s3", "s1", "s2", "x"]
    assert [run["sha256"] for run in result(out, "s1")["runs"]] == [sha256(folder / "s1" / NOTEBOOK)]
    assert [run["sha256"] for run in result(out, "x")["runs"]] == [sha256(folder / "x" / "sub" / NOTEBOOK)]
    for student in ("s2", "@s3"):
        assert result(out, student)["error"].startswith(f"{NOTEBOOK} is not valid notebook JSON")


def test_formula_file_names_and_roster_names_are_inert_in_the_batchs_csvs(hijacked_class):
    """Attack: files named `=HYPERLINK(...)`, `+1+1`, ... handed in beside the class, a student id
    `@s3`, roster names that are formulas. Verdict: unassigned.csv and grades.csv hold them as text,
    as does every other CSV the batch writes (an export added later is checked too)."""
    out = hijacked_class["out"]
    assert {"'" + name.replace("\r", "\n") + ".txt" for name in HOSTILE} <= set(cells(out / "unassigned.csv"))
    assert {f"'{name}" for name in HOSTILE[:4]} | {"'@s3"} <= set(cells(out / "grades.csv"))
    written = sorted(out.rglob("*.csv"))
    assert {"unassigned.csv", "grades.csv"} <= {path.name for path in written}
    live = {path.name: [cell for cell in cells(path) if cell.startswith(FORMULA_START)] for path in written}
    assert live == {path.name: [] for path in written}


def test_a_students_outputs_name_no_folder_of_the_grading_machine(hijacked_class):
    """Attack (information leak): reports named the TA's folders. Verdict: a graded student's and an
    errored student's report.html, result.json and gradescope.json name their notebook by its file name."""
    out, root = hijacked_class["out"], hijacked_class["root"]
    for student in ("s1", "s2"):
        assert host_folders_named(out, student, root) == []
        assert result(out, student)["submission"] == [NOTEBOOK]
        assert NOTEBOOK in (out / student / "report.html").read_text()


def test_a_later_download_names_no_earlier_unpacked_folder(tmp_path):
    """Attack (information leak): after a second LMS download, a reused result still named the first
    download's unpacked folder. Verdict: neither download's folder is named in any student's outputs."""
    out = tmp_path / "graded"
    first = {f"s2/{NOTEBOOK}": MALFORMED, f"s5/{NOTEBOOK}": MALFORMED}
    for number, entries in enumerate([first, {**first, f"s6/{NOTEBOOK}": MALFORMED}], start=1):
        download = tmp_path / f"download-{number}" / "submissions.zip"
        download.parent.mkdir()
        with zipfile.ZipFile(download, "w") as archive:
            for name, text in entries.items():
                archive.writestr(name, text)
        done = grade(str(download), "--out", str(out))
        assert done.returncode == 0, done.stderr
    assert f"{len(first)} already graded with the same inputs" in done.stdout
    assert len(list((out / ".unpacked").iterdir())) == 2
    for student in ("s2", "s5", "s6"):
        assert host_folders_named(out, student, tmp_path) == []
        assert result(out, student)["error"].startswith(f"{NOTEBOOK} is not valid notebook JSON")
