"""Notebooks are accepted as they arrive: no kernelspec, any Python kernelspec, old nbformat
versions run (with a note in the record); a notebook for another language is refused in one line."""

import json

import pytest
from real_notebooks import PYTHON_INFO, write_v3, write_v4

from grader.cli import main
from grader.errors import UsageError
from grader.execution import read_submission

CELLS = ["import sys\nprint(sys.version_info[0])", "# YOUR CODE HERE", "print('done')"]


def test_no_kernelspec_with_language_info_runs_on_python_with_a_note(tmp_path):
    submission = read_submission(write_v4(tmp_path / "a.ipynb", CELLS, language_info=PYTHON_INFO))
    assert submission.accepted_as == {"nbformat": 4, "kernel": None, "language": "python",
                                      "runs_on": "python3"}
    assert submission.notes == ("no kernelspec in the notebook's metadata (its language_info says python): "
                                "run on the Python 3 kernel",)
    assert submission.to_dict()["notes"] == list(submission.notes)


def test_no_metadata_at_all_is_taken_as_python(tmp_path):
    submission = read_submission(write_v4(tmp_path / "a.ipynb", CELLS))
    assert submission.accepted_as["language"] == "python" and "it names no language" in submission.notes[0]


@pytest.mark.parametrize("name", ["conda_python3", "python2", "conda_mxnet_p36", "Python [Root]"])
def test_a_python_kernelspec_under_any_name_runs_with_a_note(tmp_path, name):
    spec = {"name": name, "display_name": name, "language": "python"}
    submission = read_submission(write_v4(tmp_path / "a.ipynb", CELLS, kernelspec=spec))
    assert submission.accepted_as["kernel"] == name and submission.accepted_as["runs_on"] == "python3"
    assert submission.notes == (f"kernelspec {name!r} is a Python kernel: "
                                "run on the grader's Python 3 kernel",)


def test_the_graders_own_kernel_needs_no_note(tmp_path):
    spec = {"name": "python3", "display_name": "Python 3", "language": "python"}
    assert read_submission(write_v4(tmp_path / "a.ipynb", CELLS, kernelspec=spec)).notes == ()


def test_a_kernelspec_without_language_is_told_by_its_name(tmp_path):
    spec = {"name": "conda_python3", "display_name": "conda_python3"}
    submission = read_submission(write_v4(tmp_path / "a.ipynb", CELLS, kernelspec=spec))
    assert submission.accepted_as["language"] == "python"


def test_nbformat_3_is_upgraded_and_noted(tmp_path):
    submission = read_submission(write_v3(tmp_path / "old.ipynb", CELLS))
    assert submission.notebook.nbformat == 4 and submission.accepted_as["nbformat"] == 3
    assert [cell.source for cell in submission.notebook.cells] == [cell.strip() for cell in CELLS]
    assert any(note.startswith("nbformat 3 notebook upgraded to nbformat 4") for note in submission.notes)


def test_nbformat_2_is_upgraded_too(tmp_path):
    path = tmp_path / "older.ipynb"
    path.write_text(json.dumps({"nbformat": 2, "nbformat_minor": 0, "metadata": {"name": "older"},
                                "worksheets": [{"cells": [{"cell_type": "code", "input": "print(1)",
                                                           "language": "python", "outputs": []}]}]}))
    submission = read_submission(path)
    assert submission.notebook.cells[0].source == "print(1)" and submission.accepted_as["nbformat"] == 2


@pytest.mark.parametrize("spec, language", [({"name": "ir", "display_name": "R", "language": "R"}, "R"),
                                            ({"name": "julia-1.6", "display_name": "Julia 1.6"}, "Julia")])
def test_another_language_is_refused_in_one_line(tmp_path, spec, language):
    with pytest.raises(UsageError, match=f"is a notebook for {language} .*switch the kernel to Python 3"):
        read_submission(write_v4(tmp_path / "r.ipynb", CELLS, kernelspec=spec))


@pytest.mark.slow
def test_an_nbformat_3_notebook_without_kernelspec_runs_and_its_record_says_how(tmp_path):
    notebook = write_v3(tmp_path / "create_admin_user.ipynb", CELLS)
    assert main(["run", "iam-user", str(notebook), "--out", str(tmp_path / "out")]) == 0
    (folder,) = (tmp_path / "out" / "iam-user").iterdir()   # the submission's own output folder
    record = json.loads((folder / "create_admin_user.run.json").read_text())
    # a comment-only blank runs as a no-op
    assert record["summary"]["ok"] == 3 and record["summary"]["cells"] == 3
    assert record["submission"]["accepted_as"]["nbformat"] == 3
    assert any("upgraded to nbformat 4" in note for note in record["submission"]["notes"])
