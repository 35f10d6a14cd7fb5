"""Bad input to `grader run` and `grader check`: one clear line on stderr and exit code 2."""

import json
import os

import nbformat
import pytest

from grader.cli import main

HOUSING = "activities/housing/solution/boston-housing-regression.ipynb"


@pytest.fixture
def bad_notebooks(tmp_path):
    made = {}
    made["invalid JSON"] = tmp_path / "broken.ipynb"
    made["invalid JSON"].write_text('{"cells": [')
    made["R kernel"] = tmp_path / "r.ipynb"
    made["R kernel"].write_text(json.dumps({"nbformat": 4, "nbformat_minor": 2, "cells": [], "metadata": {
        "kernelspec": {"name": "ir", "display_name": "R", "language": "R"}}}))
    made["empty"] = tmp_path / "empty.ipynb"
    made["empty"].write_text("")
    made["missing"] = tmp_path / "does-not-exist.ipynb"
    return made


EXPECTED = {
    "invalid JSON": "is not valid notebook JSON (line 1",
    "R kernel": "is a notebook for R (kernel 'ir')",
    "empty": "is empty, not a notebook",
    "missing": "no such notebook file",
}


@pytest.mark.parametrize("command", ["run", "check"])
@pytest.mark.parametrize("problem", list(EXPECTED))
def test_a_malformed_notebook_gets_one_line_and_exit_2(command, problem, bad_notebooks, capsys, tmp_path):
    code = main([command, "housing", str(bad_notebooks[problem]), "--out", str(tmp_path / "out")])
    err = capsys.readouterr().err
    assert code == 2 and err.count("\n") == 1 and err.startswith("grader: error: ")
    assert EXPECTED[problem] in err and str(bad_notebooks[problem].name) in err


@pytest.mark.parametrize("command", ["run", "check"])
def test_an_unknown_activity_names_the_known_ones(command, capsys, tmp_path):
    assert main([command, "forecasting", HOUSING, "--out", str(tmp_path)]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "unknown activity 'forecasting'" in err and "housing" in err


def test_a_missing_data_file_says_where_it_looked(capsys, tmp_path):
    empty = tmp_path / "data"
    empty.mkdir()
    code = main(["run", "rainfall", "activities/rainfall/solution/rainfall_forecast.ipynb",
                 "--data-dir", str(empty), "--out", str(tmp_path / "out")])
    err = capsys.readouterr().err
    assert code == 2 and err.count("\n") == 1
    assert "x_austin_final.csv" in err and str(empty / "x_austin_final.csv") in err


def test_a_data_dir_that_is_not_a_folder_is_refused(capsys, tmp_path):
    code = main(["run", "housing", HOUSING, "--data-dir", str(tmp_path / "nope"), "--out", str(tmp_path)])
    assert code == 2 and "--data-dir" in capsys.readouterr().err


def test_a_bad_limit_is_refused(capsys, tmp_path):
    assert main(["run", "housing", HOUSING, "--cell-timeout", "-5", "--out", str(tmp_path)]) == 2
    assert "cell_timeout must be a positive number" in capsys.readouterr().err


def test_a_malformed_snapshot_is_refused_by_check(capsys, tmp_path):
    (tmp_path / "snap.json").write_text("{}")
    assert main(["check", "iam-user", "--snapshot", str(tmp_path / "snap.json")]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "grader.account-snapshot/1" in err


def test_check_with_nothing_to_grade_says_what_to_give(capsys):
    assert main(["check", "iam-user"]) == 2
    assert "give the notebook(s) to grade, --snapshot FILE or --live" in capsys.readouterr().err


@pytest.mark.slow
def test_grader_run_writes_the_record_and_the_executed_notebook(tmp_path, capsys):
    assert main(["run", "iam-user", "activities/iam-user/solution/create_admin_user.ipynb",
                 "--out", str(tmp_path)]) == 0
    out = capsys.readouterr().out
    assert "8 cells, 8 ok, 0 error" in out
    (folder,) = (tmp_path / "iam-user").iterdir()
    record = json.loads((folder / "create_admin_user.run.json").read_text())
    assert record["activity"] == "iam-user" and record["summary"]["ok"] == 8
    assert {entry["operation"] for entry in record["api_log"]} >= {"CreateUser", "CreateLoginProfile"}
    executed = nbformat.read(folder / "create_admin_user.executed.ipynb", as_version=4)
    assert any(cell.get("outputs") for cell in executed.cells)


def test_grader_activities_lists_what_each_needs(capsys):
    assert main(["activities"]) == 0
    out = capsys.readouterr().out
    for activity in ("iam-user", "sagemaker-notebook", "rainfall", "housing", "credit-risk", "cleanup"):
        assert activity in out
    assert "x_austin_final.csv" in out and "service: market_data" in out


def test_check_live_without_credentials_says_so_in_one_line(monkeypatch, tmp_path, capsys):
    for key in [key for key in os.environ if key.startswith("AWS_")]:
        monkeypatch.delenv(key)
    monkeypatch.setenv("HOME", str(tmp_path))
    monkeypatch.setenv("AWS_CONFIG_FILE", "/dev/null")
    monkeypatch.setenv("AWS_SHARED_CREDENTIALS_FILE", "/dev/null")
    monkeypatch.setenv("AWS_EC2_METADATA_DISABLED", "true")
    assert main(["check", "iam-user", "--live"]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "no AWS credentials found" in err
