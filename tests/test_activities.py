"""The six activities end to end through `grader check`: every solution runs with no failing cell
and scores full marks, and grades the same from cold kernels as from warm ones; every starter fails
only at its blanks and scores low."""

import json
import shutil
from pathlib import Path

import nbformat
import pytest

from grader.activities import activity_ids, load
from grader.cli import main
from grader.grading.rubric import activity_points
from grader.sandbox import isolation_problem
from grader.sandbox import warm as warm_kernels

PROJECT_ACTIVITIES = Path(__file__).resolve().parents[1] / "activities"
ACTIVITIES = ["iam-user", "sagemaker-notebook", "rainfall", "housing", "credit-risk", "cleanup"]
MODEL_ACTIVITIES = ["rainfall", "housing", "credit-risk"]
DATA_CHECKS = {"train_data_uploaded", "test_data_uploaded", "train_data_recordio", "test_data_recordio",
               "feature_count", "train_labels", "test_labels", "labels_agree", "split_sizes", "no_overlap"}
JOB_CHECKS = {"feature_dim", "predictor_type", "other_hyperparameters", "training_job_completed",
              "model_quality", "printed_metrics"}


def test_the_six_activities_are_defined_with_instructions_and_both_variants():
    assert activity_ids() == sorted(ACTIVITIES)
    for activity_id in ACTIVITIES:
        activity = load(activity_id)
        assert activity.instructions.is_file() and activity.expected
        for name in activity.notebooks:
            for variant in ("starter", "solution"):
                nbformat.validate(nbformat.read(activity.notebook(variant, name), as_version=4))


def grade(activity_id, variant, tmp_path, *flags):
    activity = load(activity_id)
    notebooks = [str(activity.notebook(variant, name)) for name in activity.notebooks]
    out = tmp_path / "reports"
    assert main(["check", activity_id, *notebooks, "--json", str(tmp_path / "result.json"),
                 "--out", str(out), *flags]) == 0
    (folder,) = (out / activity_id).iterdir()   # the submission's own output folder
    runs = [json.loads((folder / f"{name.removesuffix('.ipynb')}.run.json").read_text())
            for name in activity.notebooks]
    return json.loads((tmp_path / "result.json").read_text()), runs


@pytest.fixture(scope="module")
def solutions(tmp_path_factory):
    """solutions(activity_id): that solution's (result, runs) from `grader check` as it grades by default
    (warm kernels), graded once for the tests of this module that read it."""
    graded = {}

    def solution(activity_id):
        if activity_id not in graded:
            graded[activity_id] = grade(activity_id, "solution", tmp_path_factory.mktemp(activity_id))
        return graded[activity_id]
    return solution


@pytest.mark.slow
@pytest.mark.parametrize("activity_id", ACTIVITIES)
def test_the_solution_runs_cleanly_and_scores_full_marks(activity_id, solutions):
    result, runs = solutions(activity_id)
    for run in runs:
        failing = [(cell["index"], cell["error"]) for cell in run["cells"] if cell["status"] != "ok"]
        assert not failing and run["kernel"]["status"] == "finished", failing
    # The model activities' solutions name a bucket the grader creates (the course makes it in the console):
    # its region is not the student's work, so that check does not apply and earns its points (results.md).
    provided_bucket_region = ({f"{activity_id}.bucket_region"} if load(activity_id).kind == "notebook"
                              else set())
    not_passed = [(c["id"], c["status"], c["message"]) for c in result["checks"]
                  if c["status"] not in ("pass", "manual")
                  and not (c["status"] == "skip" and c["id"] in provided_bucket_region)]
    assert not not_passed, not_passed
    # Full marks out of the activity's points, but for what a person decides (iam-user's billing access).
    points = activity_points(activity_id)
    assert result["score"] + result["manual_points"] == result["max_score"] == points > 0


@pytest.mark.slow
@pytest.mark.skipif(isolation_problem() is not None or not warm_kernels.available(),
                    reason=f"no sandbox or no pidfds here: {isolation_problem()}")
@pytest.mark.parametrize("activity_id", ACTIVITIES)
def test_a_warm_and_a_cold_run_of_each_solution_grade_the_same(activity_id, solutions, tmp_path):
    """Warm kernels (tests/test_warm_kernels.py) grade each solution as cold ones do: the same cells'
    outcomes, checks and score. The warm grading is the one the test above reads."""
    warm, warm_runs = solutions(activity_id)
    cold, cold_runs = grade(activity_id, "solution", tmp_path, "--cold-kernels")
    assert [run["sandbox"]["warm_kernel"] for run in warm_runs] == [True] * len(warm_runs)
    assert [run["sandbox"]["warm_kernel"] for run in cold_runs] == [False] * len(cold_runs)
    for warm_run, cold_run in zip(warm_runs, cold_runs):
        assert [(c["index"], c["status"]) for c in warm_run["cells"]] == \
            [(c["index"], c["status"]) for c in cold_run["cells"]]
    assert [(c["id"], c["status"]) for c in warm["checks"]] == \
        [(c["id"], c["status"]) for c in cold["checks"]]
    # full marks, but for what a person decides (iam-user's billing access is in its one maximum)
    assert warm["score"] == cold["score"] == warm["max_score"] - warm["manual_points"]



@pytest.mark.slow
def test_a_solution_with_a_hanging_cell_cannot_reach_full_marks(tmp_path):
    """Issue 21 point 5: the rainfall solution with `while True: pass` inserted as a cell. The cell is
    stopped, the other cells run and pass every other check; the reproducibility check fails naming that
    cell, so the score is below full marks and agrees with the root cause the report shows."""
    activity = load("rainfall")
    (name,) = activity.notebooks
    notebook = nbformat.read(activity.notebook("solution", name), as_version=4)
    notebook.cells.insert(1, nbformat.v4.new_code_cell("while True:\n    pass"))
    nbformat.write(notebook, tmp_path / name)
    out = tmp_path / "reports"
    assert main(["check", "rainfall", str(tmp_path / name), "--cell-timeout", "6", "--json",
                 str(tmp_path / "result.json"), "--out", str(out)]) == 0
    result = json.loads((tmp_path / "result.json").read_text())
    checks = {check["id"].removeprefix("rainfall."): check for check in result["checks"]}
    hang = checks.pop("runs_top_to_bottom")
    assert hang["status"] == "fail" and hang["points"] == 0, hang
    assert "cell 1 was stopped by the cell timeout" in hang["message"], hang["message"]
    assert [cell["cell"] for cell in hang["evidence"]["cells"]] == [1]
    others = [(key, c["status"], c["message"]) for key, c in checks.items()
              if c["status"] not in ("pass", "skip")]
    assert not others, others
    assert result["score"] == result["max_score"] - hang["max_points"] == activity_points("rainfall") - 3
    (run,) = result["runs"]
    assert [failure["cell"] for failure in run["failures"]] == [1]   # the root cause the report shows


@pytest.mark.slow
def test_a_notebook_cut_before_fit_earns_the_data_checks_and_says_once_that_there_is_no_job(tmp_path, capsys):
    """Issue 21 point 2: the housing solution cut before `fit(` (data prepared, encoded and uploaded)
    scored 2/28, the data checks repeating "no training job found". The data checks read the uploads
    (the API log's server-side facts, the activity's prefix) and pass; the checks that need a job fail
    with one message, which the terminal says once."""
    activity = load("housing")
    (name,) = activity.notebooks
    notebook = nbformat.read(activity.notebook("solution", name), as_version=4)
    fit = next(index for index, cell in enumerate(notebook.cells) if ".fit(" in cell.source)
    notebook.cells = notebook.cells[:fit]
    nbformat.write(notebook, tmp_path / name)
    out = tmp_path / "reports"
    assert main(["check", "housing", str(tmp_path / name), "--json", str(tmp_path / "result.json"),
                 "--out", str(out)]) == 0
    terminal = capsys.readouterr().out
    result = json.loads((tmp_path / "result.json").read_text())
    checks = {check["id"].removeprefix("housing."): check for check in result["checks"]}
    data = [(key, checks[key]["status"], checks[key]["message"]) for key in sorted(DATA_CHECKS)]
    assert all(status == "pass" for _, status, _ in data), data
    assert "boston-housing-regression/train/" in checks["train_data_uploaded"]["message"]
    needing_a_job = {checks[key]["message"] for key in JOB_CHECKS if checks[key]["visibility"] == "visible"}
    assert len(needing_a_job) == 1 and "no linear-learner training job" in needing_a_job.pop()
    assert all(checks[key]["status"] == "fail" and checks[key]["points"] == 0 for key in JOB_CHECKS)
    assert terminal.count("no linear-learner training job found") == 1, terminal
    assert checks["runs_top_to_bottom"]["status"] == "pass"   # every cell it has ran
    earned = sum(checks[key]["points"] for key in DATA_CHECKS)
    assert earned == 11 and result["score"] >= earned + 3


def blank_cells(activity, name) -> set[int]:
    """The cells a student fills in: those that differ between the starter and the solution."""
    starter = nbformat.read(activity.notebook("starter", name), as_version=4)
    solution = nbformat.read(activity.notebook("solution", name), as_version=4)
    assert len(starter.cells) == len(solution.cells)
    return {i for i, (a, b) in enumerate(zip(starter.cells, solution.cells)) if a.source != b.source}


@pytest.mark.slow
@pytest.mark.parametrize("activity_id", ACTIVITIES)
def test_the_starter_fails_only_at_its_blanks_and_scores_low(activity_id, tmp_path):
    activity = load(activity_id)
    result, runs = grade(activity_id, "starter", tmp_path)
    failures = 0
    for name, run in zip(activity.notebooks, runs):
        blanks = blank_cells(activity, name)
        failing = {cell["index"] for cell in run["cells"] if cell["status"] != "ok"}
        assert failing <= blanks, (name, failing - blanks)
        assert run["kernel"]["status"] == "finished"
        failures += len(failing)
    assert failures
    assert result["score"] <= result["max_score"] / 2
    if activity_id in MODEL_ACTIVITIES:   # nothing uploaded: the data checks find nothing to earn (issue 21)
        earned = [c["id"] for c in result["checks"] if c["id"].split(".")[1] in DATA_CHECKS and c["points"]]
        assert not earned, earned
    assert result["max_score"] == activity_points(activity_id)   # the solution's maximum too
    for check in result["checks"]:
        if check["status"] == "fail":
            assert check["message"] and check["visibility"] == "hidden" or len(check["message"]) > 20


def test_an_activity_names_only_snapshot_sections_that_exist(tmp_path, monkeypatch):
    from grader.errors import UsageError

    for activity_id in ("iam-user", "cleanup"):
        shutil.copytree(PROJECT_ACTIVITIES / activity_id, tmp_path / "activities" / activity_id)
    toml = tmp_path / "activities" / "iam-user" / "activity.toml"
    toml.write_text(toml.read_text().replace('snapshot = ["iam"]', 'snapshot = ["iam", "ec2"]'))
    monkeypatch.setenv("GRADER_PROJECT_DIR", str(tmp_path))
    assert load("cleanup").snapshot == ("iam", "s3", "sagemaker")   # not declared: every section
    with pytest.raises(UsageError,
                       match=r"activity.toml:\d+: snapshot: must list some of iam, s3, sagemaker"):
        load("iam-user")


def test_an_activitys_notebook_versions_are_read_and_checked(tmp_path, monkeypatch):
    from grader.errors import UsageError

    shutil.copytree(PROJECT_ACTIVITIES / "sagemaker-notebook", tmp_path / "activities" / "sagemaker-notebook")
    monkeypatch.setenv("GRADER_PROJECT_DIR", str(tmp_path))
    activity = load("sagemaker-notebook")
    loop = activity.version("monte_carlo.ipynb", "get-barset-loop")
    assert loop.expected["monte_carlo"] == {"notebook": "monte_carlo.ipynb", "simulations": 10,
                                            "trading_days": 7560, "interval": False}
    assert loop.expected["instance_type"] == activity.expected["instance_type"]   # the rest is the activity's
    assert activity.version("monte_carlo.ipynb", "mcforecasttools").expected == activity.expected
    assert len(activity.copies("monte_carlo.ipynb")) == 6   # starter and solution of three versions
    toml = tmp_path / "activities" / "sagemaker-notebook" / "activity.toml"
    text = toml.read_text()
    for wrong, problem in (('folder = "versions/get-bars-loop"', r"versions.folder: must be a folder under"),
                           ('simulations = 10', r"versions.simulations: must be "),
                           ('notebook = "monte_carlo.ipynb"\nname = "get-bars-loop"',
                            r"versions.notebook: must be one of"),
                           ('name = "get-bars-loop"', r"versions: two versions of one notebook")):
        replacement = {'folder = "versions/get-bars-loop"': 'folder = "../../iam-user"',
                       'simulations = 10': 'simulations = "ten"',
                       'notebook = "monte_carlo.ipynb"\nname = "get-bars-loop"':
                           'notebook = "montecarlo.ipynb"\nname = "get-bars-loop"',
                       'name = "get-bars-loop"': 'name = "get-barset-loop"'}[wrong]
        assert wrong in text
        toml.write_text(text.replace(wrong, replacement, 1))
        with pytest.raises(UsageError, match=r"activity.toml:\d+: " + problem):
            load("sagemaker-notebook")


@pytest.mark.slow
def test_a_correct_model_on_an_unlucky_split_keeps_its_model_points(tmp_path):
    """A random 80/20 split can leave a test set a correct model fits badly (2 correct housing runs in
    1,000, benchmarks/thresholds.py): here the 102 houses whose room counts are nearest the median, where
    RM explains little. The model is judged on every record uploaded as well, so it keeps its points."""
    activity = load("housing")
    (name,) = activity.notebooks
    notebook = nbformat.read(activity.notebook("solution", name), as_version=4)
    (split,) = [cell for cell in notebook.cells if "train_test_split(X, y" in cell.source]
    split.source = ("order = np.argsort(np.abs(X.ravel() - np.median(X)), kind='stable')\n"
                    "X_train, X_test = X[order[102:]], X[order[:102]]\n"
                    "y_train, y_test = y[order[102:]], y[order[:102]]")
    nbformat.write(notebook, tmp_path / name)
    assert main(["check", "housing", str(tmp_path / name), "--staff", "--json", str(tmp_path / "r.json"),
                 "--out", str(tmp_path / "out")]) == 0
    checks = {check["id"]: check for check in json.loads((tmp_path / "r.json").read_text())["checks"]}
    quality = checks["housing.model_quality"]
    assert quality["evidence"]["r2"] < activity.thresholds["r2_min"], quality   # the split was unlucky
    assert quality["status"] == "pass", quality
    assert "on all 506 records you uploaded" in quality["message"]
    assert quality["evidence"]["every_record"]["r2"] > 0.3
