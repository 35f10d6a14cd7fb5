"""`grader check` grades ONE submission: its files matched to the activity's notebooks, its outputs in
a folder of its own, and an interruption that never becomes a grade."""

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import nbformat
import psutil
import pytest

from grader.activities import load
from grader.cli import main
from grader.errors import UsageError
from grader.execution import read_submission
from grader.execution.matching import match_notebooks
from grader.grading.gather import GradingOptions
from grader.grading.grade import RESULT_FILE, submission_key
from grader.sandbox import isolation_problem

PROJECT = Path(__file__).resolve().parents[1]
SAGEMAKER = load("sagemaker-notebook")


def copy(source: Path, target: Path) -> Path:
    target.parent.mkdir(parents=True, exist_ok=True)
    target.write_bytes(source.read_bytes())
    return target


def notebook(path: Path, *sources: str) -> Path:
    nb = nbformat.v4.new_notebook(metadata={"kernelspec": {"name": "python3", "display_name": "Python 3",
                                                           "language": "python"}})
    nb.cells = [nbformat.v4.new_code_cell(source) for source in sources]
    path.parent.mkdir(parents=True, exist_ok=True)
    nbformat.write(nb, path)
    return path


def matched(activity, *paths):
    return match_notebooks(activity, [read_submission(path) for path in paths])


def test_files_are_matched_by_name_despite_renames(tmp_path):
    infra = copy(SAGEMAKER.notebook("solution", "create_infrastructure.ipynb"),
                 tmp_path / "jdoe_create_infrastructure (1).ipynb")
    monte = copy(SAGEMAKER.notebook("solution", "monte_carlo.ipynb"), tmp_path / "Monte-Carlo.ipynb")
    result = matched(SAGEMAKER, monte, infra)
    assert [name for name, _ in result.in_run_order()] == ["create_infrastructure.ipynb", "monte_carlo.ipynb"]
    assert result.by_notebook["monte_carlo.ipynb"].path.name == "Monte-Carlo.ipynb" and not result.missing


def test_a_file_named_otherwise_is_matched_by_its_code(tmp_path):
    monte = copy(SAGEMAKER.notebook("starter", "monte_carlo.ipynb"), tmp_path / "homework.ipynb")
    result = matched(SAGEMAKER, monte)
    assert list(result.by_notebook) == ["monte_carlo.ipynb"] and result.how["monte_carlo.ipynb"] == "content"
    assert result.missing == ["create_infrastructure.ipynb"]


def test_a_file_like_none_of_the_notebooks_is_refused(tmp_path):
    unrelated = notebook(tmp_path / "homework.ipynb", "print('hello')", "x = [i * i for i in range(10)]")
    with pytest.raises(UsageError, match="does not look like any of sagemaker-notebook's notebooks"):
        matched(SAGEMAKER, unrelated)


def test_more_files_than_notebooks_points_to_batch_grading(tmp_path):
    housing = load("housing")
    first = copy(housing.notebook("solution"), tmp_path / "a" / "boston-housing-regression.ipynb")
    second = copy(housing.notebook("starter"), tmp_path / "b" / "boston-housing-regression.ipynb")
    with pytest.raises(UsageError,
                       match="grades one submission - to grade a class use `grader grade housing"):
        matched(housing, first, second)


def test_a_single_notebook_activity_takes_any_one_file(tmp_path):
    housing = load("housing")
    renamed = copy(housing.notebook("solution"), tmp_path / "my work.ipynb")
    assert matched(housing, renamed).how == {"boston-housing-regression.ipynb": "only notebook"}


def test_two_submissions_with_the_same_file_name_get_separate_folders(tmp_path):
    housing = load("housing")
    first = copy(housing.notebook("solution"), tmp_path / "alice" / "boston-housing-regression.ipynb")
    second = copy(housing.notebook("starter"), tmp_path / "bob" / "boston-housing-regression.ipynb")
    keys = {submission_key(GradingOptions(submissions=[path])) for path in (first, second)}
    assert len(keys) == 2 and all(key.startswith("boston-housing-regression-") for key in keys)
    assert (submission_key(GradingOptions(submissions=[first]))
            == submission_key(GradingOptions(submissions=[first])))


@pytest.mark.parametrize("arguments, says", [
    (["NOTEBOOK", "--snapshot", "SNAP"],
     "to run the notebooks from that account state use --start-from FILE"),
    (["--start-from", "SNAP"], "--start-from needs the notebook(s) to run"),
])
def test_grading_a_snapshot_and_starting_from_one_are_separate_options(arguments, says, tmp_path, capsys):
    snapshot = tmp_path / "snap.json"
    snapshot.write_text(json.dumps({"schema": "grader.account-snapshot/1", "iam": {}, "s3": {},
                                    "sagemaker": {},
                                    "errors": []}))
    nb = copy(load("iam-user").notebook("solution"), tmp_path / "create_admin_user.ipynb")
    arguments = [str(snapshot) if a == "SNAP" else str(nb) if a == "NOTEBOOK" else a for a in arguments]
    assert main(["check", "iam-user", *arguments, "--out", str(tmp_path / "out")]) == 2
    assert says in capsys.readouterr().err


def _kernels_of(process: subprocess.Popen) -> list[psutil.Process]:
    """The kernel processes the grader started: cold ones run ipykernel_launcher; warm ones are forks
    of the fork server; sandboxed ones run as the run's own uid (200000 and up)."""
    kernels = []
    for child in psutil.Process(process.pid).children(recursive=True):
        try:
            sandboxed = child.uids().real >= 200_000
            if sandboxed or "ipykernel_launcher" in " ".join(child.cmdline()):
                kernels.append(child)
        except psutil.Error:   # gone, or a zombie, meanwhile
            pass
    return kernels


@pytest.mark.slow
@pytest.mark.parametrize("signum, code", [(signal.SIGINT, 130), (signal.SIGTERM, 143)])
def test_an_interrupted_check_grades_nothing_and_leaves_no_kernel(signum, code, tmp_path):
    slow = notebook(tmp_path / "create_admin_user.ipynb", "import time\nprint('started', flush=True)",
                    "time.sleep(120)")
    out = tmp_path / "out"
    folder = out / "iam-user" / submission_key(GradingOptions(submissions=[slow]))
    stale = folder / RESULT_FILE
    stale.parent.mkdir(parents=True)
    stale.write_text('{"score": 26}')   # an earlier grade must not survive an interrupted regrade
    grader = subprocess.Popen([sys.executable, "-m", "grader.cli", "check", "iam-user", str(slow),
                               "--out", str(out), "--json", str(tmp_path / "copy.json")],
                              cwd=PROJECT, stderr=subprocess.PIPE, text=True,
                              env={**os.environ, "PYTHONUNBUFFERED": "1"})
    deadline = time.monotonic() + 120
    while not (kernels := _kernels_of(grader)) and time.monotonic() < deadline:
        time.sleep(0.2)
    assert kernels, "the kernel did not start"
    time.sleep(3)   # the kernel is running the notebook's cells
    grader.send_signal(signum)
    _, err = grader.communicate(timeout=60)
    assert grader.returncode == code, err
    assert err.strip().splitlines() == [err.strip()] and "nothing was graded" in err
    assert not stale.exists() and not (tmp_path / "copy.json").exists()
    gone, alive = psutil.wait_procs(kernels, timeout=5)
    assert not alive, "a kernel outlived the interrupted check"


MODEL_ACTIVITIES = ("rainfall", "housing", "credit-risk")


@pytest.mark.parametrize("given, actual", [(given, actual) for given in MODEL_ACTIVITIES + ("iam-user",)
                                           for actual in MODEL_ACTIVITIES if given != actual])
@pytest.mark.parametrize("variant", ["solution", "starter"])
def test_a_notebook_of_another_activity_is_refused_naming_it(given, actual, variant, tmp_path):
    theirs = load(actual)
    renamed = copy(theirs.notebook(variant), tmp_path / "homework.ipynb")
    with pytest.raises(UsageError) as refused:
        matched(load(given), renamed)
    assert (f"this is {theirs.notebooks[0]} of the {actual} activity; run `grader check {actual} {renamed}`"
            in str(refused.value))


@pytest.mark.parametrize("path", sorted((PROJECT / "fixtures" / "submissions").glob("*/*.ipynb")),
                         ids=lambda path: f"{path.parent.name}/{path.stem}")
def test_every_submission_of_an_activity_is_still_accepted_by_it(path):
    assert matched(load(path.parent.name), path).by_notebook


def test_grader_check_of_another_activity_exits_2_naming_it(tmp_path, capsys):
    rainfall = copy(load("rainfall").notebook("solution"), tmp_path / "rainfall_forecast.ipynb")
    assert main(["check", "housing", str(rainfall), "--out", str(tmp_path / "out")]) == 2
    err = capsys.readouterr().err
    assert err.strip().splitlines() == [err.strip()]
    assert ("this is rainfall_forecast.ipynb of the rainfall activity; "
            f"run `grader check rainfall {rainfall}`") in err
    assert not (tmp_path / "out").exists()


@pytest.mark.slow
def test_a_user_with_a_restrictive_umask_gets_the_same_grade(tmp_path):
    """With umask 027 the folders the sandbox made for its root shut the run's user out and the kernel
    never started: 0/9 for the solution. The command, as a user with that umask runs it."""
    solution = load("iam-user").notebook("solution")
    command = ["check", "iam-user", str(solution), "--out", str(tmp_path / "out"), "--json",
               str(tmp_path / "result.json"), "--no-warm-server"]
    done = subprocess.run([sys.executable, "-m", "grader.cli", *command],
                          cwd=PROJECT, capture_output=True, text=True, timeout=600,
                          preexec_fn=lambda: os.umask(0o027))
    assert done.returncode == 0, done.stderr
    result = json.loads((tmp_path / "result.json").read_text())
    assert result["score"] + result["manual_points"] == result["max_score"], done.stdout


@pytest.mark.skipif(isolation_problem() is not None, reason="only a sandboxed run has Unix sockets in TMPDIR")
def test_a_tmpdir_too_deep_for_the_sandbox_sockets_is_one_line(tmp_path, monkeypatch, capsys):
    deep = tmp_path / ("d" * 100)
    deep.mkdir()
    monkeypatch.setattr("tempfile.tempdir", str(deep))
    solution = load("iam-user").notebook("solution")
    assert main(["check", "iam-user", str(solution), "--out", str(tmp_path / "out")]) == 2
    said = capsys.readouterr().err.strip()
    assert said.startswith(f"grader: error: TMPDIR {deep} is too long for the sandbox's sockets (")
    assert said.endswith("set TMPDIR to a shorter folder, e.g. /tmp") and "\n" not in said
    assert not list((tmp_path / "out").rglob("result.json"))
