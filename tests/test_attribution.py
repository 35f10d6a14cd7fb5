"""Verdicts name their cause: a check that could not be judged because a cell failed is blocked by
that cell (followed back through NameErrors to the cell that failed first), the offending line and
value are quoted, and the scorecard shows the root cause once, first, with the checks under it."""

import json
from pathlib import Path

import pytest

from grader.execution.record import CellError, CellRecord, KernelFate, RunRecord
from grader.grading import attribution
from grader.grading.attribution import blocked_by, condensed, needs_of
from grader.grading.result import CheckResult, GradeResult
from grader.grading.rubric import load as load_rubric
from grader.reporting.scorecard import render

PROJECT = Path(__file__).resolve().parents[1]


class Marker:
    def __init__(self, *args, **kwargs):
        self.args, self.kwargs = args, kwargs


def cell(index, source, status="ok", error=None, traceback=()):
    return CellRecord(index=index, source=source, status=status,
                      error=CellError(*error, list(traceback)) if error else None)


def run_of(*cells, api_log=(), provided=(), kernel=None) -> RunRecord:
    return RunRecord(activity="housing", submission={"name": "hw.ipynb", "path": "hw.ipynb", "sha256": "0"},
                     account={}, limits={}, cells=list(cells), api_log=list(api_log), provided=list(provided),
                     kernel=kernel or KernelFate(), notebook="boston-housing-regression.ipynb")


def logged(operation, status=200, error=None, **params):
    return {"operation": operation, "status": status, "error": error, "params": params}


UPLOAD = 'boto3.resource("s3").Bucket(bucket).Object(key).upload_fileobj(buf)\ns3_train_data = f"s3://{bucket}/{key}"'
BAD_BUCKET_ERROR = ("NoSuchBucket", "An error occurred (NoSuchBucket) when calling the PutObject operation: "
                    "The specified bucket does not exist")


def crashed_early() -> RunRecord:
    """The notebook of issue 9: an invalid bucket name, so the upload fails and everything after it."""
    return run_of(
        cell(2, "import boto3"),
        cell(5, '# Set the bucket\nbucket = "your_s3_bucket_name_here"'),
        cell(8, UPLOAD, "error", BAD_BUCKET_ERROR, ["-----", "Cell In[3], line 1", "----> 1 boto3..."]),
        cell(10, "linear = Estimator(container, role)"),
        cell(12, 'linear.fit({"train": s3_train_data})', "error",
             ("NameError", "name 's3_train_data' is not defined"),
             ["Cell In[5], line 1"]),
        cell(14, "predictor = linear.deploy(1, 'ml.m4.xlarge')", "error",
             ("ValueError", "Estimator is not associated with a training job")),
        cell(16, "result = predictor.predict(X_test)", "error",
             ("NameError", "name 'predictor' is not defined")),
        api_log=[logged("PutObject", 404, "NoSuchBucket", Bucket="your_s3_bucket_name_here",
                        Key="train/x.data")],
        provided=[{"kind": "bucket", "name": "your_s3_bucket_name_here", "created": False,
                   "reason": "not a valid bucket name"}])


def test_every_check_that_needed_the_failed_upload_names_its_cell():
    run = crashed_early()
    for needs in (("PutObject",), ("PutObject", "CreateTrainingJob"), ("CreateTrainingJob",),
                  ("PutObject", "CreateTrainingJob", "CreateEndpoint", "InvokeEndpoint")):
        assert blocked_by([run], needs_of(Marker(*needs))) == {
            "notebook": "boston-housing-regression.ipynb", "cell": 8,
            "error": "NoSuchBucket: An error occurred (NoSuchBucket) when calling the PutObject operation: "
                     "The specified bucket does not exist"}, needs


def test_a_failure_is_followed_back_through_names_and_state_to_the_first_failed_cell():
    failures = {failure["cell"]: failure for failure in condensed(crashed_early())["failures"]}
    assert failures[12]["caused_by"] == 8        # s3_train_data: assigned only in the failed upload cell
    assert failures[14]["caused_by"] == 8        # deploy() on `linear`, whose fit() failed in cell 12 (<- 8)
    assert failures[16]["caused_by"] == 8        # predictor: assigned in the failed deploy cell (<- 12 <- 8)
    assert failures[14]["hint"].startswith("deploy() needs a model")
    assert failures[8]["hint"].startswith("the bucket does not exist: create it first")


def test_a_failure_that_uses_nothing_a_failed_cell_touched_is_its_own_root():
    run = run_of(cell(1, "linear.fit(data)", "error", ("ValueError", "bad data")),
                 cell(2, "x = 1 / 0", "error", ("ZeroDivisionError", "division by zero")),
                 cell(3, "linear.deploy(1, 't')", "error", ("ValueError", "not trained")))
    failures = {failure["cell"]: failure for failure in condensed(run)["failures"]}
    assert failures[2]["caused_by"] is None and failures[3]["caused_by"] == 1


def starter() -> RunRecord:
    """A starter notebook as handed out: its upload cell only comments, its later steps placeholders."""
    return run_of(
        cell(10, 'bucket = "sagemaker-20191007-2307"'),
        cell(17, "# Encode the training data as Protocol Buffer\n# YOUR CODE HERE\n\n# Upload encoded data"),
        cell(22, "linear = Estimator(container, role)"),
        cell(24, '# Train the model with the training and testing data in Amazon S3\n# YOUR CODE HERE\n'
                 'raise NotImplementedError("Train the model with fit()")', "error",
             ("NotImplementedError", "Train the model with fit()")),
        cell(26, '# Deploy the trained model to an endpoint\n# YOUR CODE HERE\n'
                 'raise NotImplementedError("Deploy the model")', "error",
             ("NotImplementedError", "Deploy the model")))


def test_unfinished_cells_are_not_done_yet_and_block_the_checks_of_their_step():
    run = starter()
    assert blocked_by([run], needs_of(Marker("PutObject"))) == {
        "notebook": "boston-housing-regression.ipynb", "cell": 17, "unfinished": True,
        "error": "not done yet: Encode the training data as Protocol Buffer"}
    assert blocked_by([run], needs_of(Marker("CreateTrainingJob")))["cell"] == 24
    train = blocked_by([run], needs_of(Marker("CreateTrainingJob")))
    assert train["error"] == "not done yet: Train the model with fit()"
    assert blocked_by([run], needs_of(Marker("CreateEndpoint")))["cell"] == 26
    failures = condensed(run)["failures"]
    assert [(failure["cell"], failure["unfinished"]) for failure in failures] == [(24, True), (26, True)]
    finished = run_of(cell(1, "x = 1"), cell(2, "# linear.fit(data)"))
    assert blocked_by([finished], needs_of(Marker("CreateTrainingJob"))) is None   # nothing left undone


def test_the_offending_value_is_quoted_where_the_notebook_sets_it():
    failure = condensed(crashed_early())["failures"][0]
    assert failure["line"] == 1 and failure["code"].endswith("upload_fileobj(buf)")
    assert failure["call"] == {"operation": "PutObject", "error": "NoSuchBucket",
                               "params": {"Bucket": "your_s3_bucket_name_here", "Key": "train/x.data"}}
    assert failure["value"] == {"value": "your_s3_bucket_name_here", "cell": 5, "line": 2,
                                "code": 'bucket = "your_s3_bucket_name_here"',
                                "note": "not a valid bucket name"}


def test_a_blank_left_in_an_assignment_is_the_root_of_what_follows():
    run = run_of(
        cell(3, "# Create the estimator\nlinear = \n", "error",
             ("SyntaxError", "invalid syntax (1281128631.py, line 2)"),
             ["  Cell In[15], line 2", "    linear =", "             ^", "SyntaxError: invalid syntax"]),
        cell(4, "linear.fit(data)", "error", ("NameError", "name 'linear' is not defined")),
        cell(5, "x = 1\n\n", "error", ("SyntaxError", "unexpected EOF"), ["Cell In[17], line 3"]))
    assert blocked_by([run], needs_of(Marker("CreateTrainingJob")))["cell"] == 3
    failures = condensed(run)["failures"]
    assert failures[0]["error"] == "SyntaxError: invalid syntax" and failures[0]["code"] == "linear = "
    assert failures[1]["caused_by"] == 3
    assert failures[2]["line"] == 3 and failures[2]["code"] == ""   # the blank line itself


def test_a_name_imported_by_a_cell_with_a_syntax_error_elsewhere_goes_back_to_that_cell():
    """The imports cell has a typo on one line, so none of its imports ran: a later NameError on one of
    them is that cell's fault, not the later cell's."""
    run = run_of(
        cell(4, "import sagemaker\nimport sagemaker.amazon.common as smac\nfor x in range(3)\n    pass",
             "error",
             ("SyntaxError", "expected ':'")),
        cell(17, "smac.write_numpy_to_dense_tensor(buf, vectors, labels)", "error",
             ("NameError", "name 'smac' is not defined")),
        cell(22, "sess = sagemaker.Session()", "error", ("NameError", "name 'sagemaker' is not defined")))
    failures = {failure["cell"]: failure for failure in condensed(run)["failures"]}
    assert failures[17]["caused_by"] == 4 and failures[22]["caused_by"] == 4


def test_a_missing_column_goes_back_to_the_failed_cell_that_was_to_add_it():
    """A typo in the cell that adds the MEDV column (AttributeError), then KeyError: 'MEDV' where it is
    read: the root cause is the typo, and the value is not 'set' where it is only read."""
    run = run_of(
        cell(6, 'boston = pd.DataFrame(data.data)\nboston["MEDV"] = data.targt', "error",
             ("AttributeError", "'Bunch' object has no attribute 'targt'")),
        cell(10, 'X = boston["RM"].values\ny = boston["MEDV"].values', "error", ("KeyError", "'MEDV'")),
        cell(12, 'plt.scatter(boston["MEDV"], boston["RM"])', "error", ("KeyError", "'MEDV'")))
    failures = {failure["cell"]: failure for failure in condensed(run)["failures"]}
    assert failures[10]["caused_by"] == 6 and failures[12]["caused_by"] == 6
    assert failures[6]["caused_by"] is None


def test_needs_that_were_met_or_never_tried_block_nothing():
    done = run_of(cell(1, "linear.fit(data)"),
                  cell(2, "linear.deploy(1, 't')", "error", ("ValueError", "no")),
                  api_log=[logged("CreateTrainingJob")])
    assert blocked_by([done], needs_of(Marker("CreateTrainingJob"))) is None          # met
    assert blocked_by([done], needs_of(Marker("InvokeEndpoint"))) is None            # no cell even tries
    assert blocked_by([done], needs_of(Marker("CreateEndpoint")))["cell"] == 2
    ran_but_unmet = run_of(cell(1, "model.predict(X)"))   # sklearn's predict, not AWS
    assert blocked_by([ran_but_unmet], needs_of(Marker("InvokeEndpoint"))) is None
    commented = run_of(cell(1, "x = 1"),
                       cell(2, "# linear.fit(data)\nraise ValueError()", "error", ("ValueError", "")))
    assert blocked_by([commented], needs_of(Marker("CreateTrainingJob"))) is None


def test_cells_the_kernel_never_ran_are_blamed_on_the_cell_it_died_in():
    run = run_of(cell(1, "big = allocate()", "error", ("DeadKernelError", "the kernel process died")),
                 cell(2, "linear.fit(data)", "not_run"), kernel=KernelFate("died", "out of memory", 1))
    assert blocked_by([run], needs_of(Marker("CreateTrainingJob")))["cell"] == 1


def test_a_call_need_is_met_by_a_cell_that_ran_it():
    marker = Marker(calls=r"\.calc_cumulative_return\(")
    assert needs_of(marker)[0].operations == ()
    ok = run_of(cell(1, "sim.calc_cumulative_return()"))
    failed = run_of(cell(1, "returns = load()", "error", ("KeyError", "'close'")),
                    cell(2, "sim = MC(returns)\nsim.calc_cumulative_return()", "error",
                         ("NameError", "name 'returns' is not defined")))
    assert blocked_by([ok], needs_of(marker)) is None
    assert blocked_by([failed], needs_of(marker))["cell"] == 1


def test_every_rubric_names_operations_the_grader_knows():
    names = set()
    for path in PROJECT.glob("rubrics/*/rubric.toml"):
        names.update(name for check in load_rubric(path).checks for name in check.needs)
    assert names and names <= set(attribution.OPERATIONS)
    with pytest.raises(ValueError, match="not one of"):
        needs_of(Marker("CreateTrainingjob"))


def graded(run: RunRecord, statuses: dict) -> GradeResult:
    checks = []
    for name, (needs, points) in statuses.items():
        blocked = blocked_by([run], needs_of(Marker(*needs)))
        checks.append(CheckResult(id=f"housing.{name}", title=f"Check {name}",
                                  status="fail" if needs else "pass",
                                  points=0.0 if needs else points, max_points=points,
                                  message=f"message of {name}", blocked_by=blocked))
    summary = {"cells": len(run.cells), "ok": 1, "error": 5, "timeout": 0, "not_run": 0, "kernel": "finished"}
    return GradeResult(activity="housing", submission=["hw.ipynb"], source="notebook run on the emulator",
                       checks=checks, runs=[{"notebook": run.notebook, "file": "hw.ipynb", **summary,
                                             "duration_s": 9.0, **condensed(run)}])


def test_the_scorecard_names_one_root_cause_first_with_its_checks_under_it():
    statuses = {f"needs_upload_{n}": (("PutObject", "CreateTrainingJob"), 1) for n in range(17)}
    statuses["endpoint_deleted"] = ((), 2)
    text = render(graded(crashed_early(), statuses))
    lines = text.splitlines()
    root = next(i for i, line in enumerate(lines) if line.startswith("ROOT CAUSE"))
    assert lines[root] == ("ROOT CAUSE: boston-housing-regression.ipynb cell 8 failed: NoSuchBucket: "
                           "An error occurred "
                           "(NoSuchBucket) when calling the PutObject operation: "
                           "The specified bucket does not exist")
    assert (text.count("ROOT CAUSE") == 1
            and "17 check(s) could not be judged because of it (17 point(s))" in text)
    assert "the value 'your_s3_bucket_name_here' appears in cell 5, line 2" in text
    assert "message of needs_upload_3" not in text          # blocked checks: the cause explains them
    assert root < text.splitlines().index("  PASS      2/2  Check endpoint_deleted")
    assert "cell(s) 12, 14, 16 failed because of it" in text


def test_results_keep_blocked_by_and_old_results_still_read(tmp_path):
    result = graded(crashed_early(), {"upload": (("PutObject",), 1)})
    result.write(tmp_path / "new.json")
    again = GradeResult.read(tmp_path / "new.json")
    assert again.checks[0].blocked_by["cell"] == 8 and again.runs[0]["failures"][0]["value"]["cell"] == 5
    old = json.loads((tmp_path / "new.json").read_text())
    old["schema"] = "grader.result/1"
    for key in ("duration_s", "environment"):
        old.pop(key)
    for check in old["checks"]:
        check.pop("blocked_by")
    (tmp_path / "old.json").write_text(json.dumps(old))
    assert GradeResult.read(tmp_path / "old.json").checks[0].blocked_by is None
    assert render(GradeResult.read(tmp_path / "old.json")).endswith("Score: 0/1")


@pytest.mark.parametrize("error, hint", [
    (("ValueError", "Found input variables with inconsistent numbers of samples: [1319, 1318]"),
     "y_austin_final.csv has no header row: read it with pd.read_csv(file_path, header=None)"),
    (BAD_BUCKET_ERROR, "the bucket does not exist: create it first"),
    (("ValueError", "Expected 2D array, got 1D array instead"), "scikit-learn and the RecordIO encoder"),
    (("ZeroDivisionError", "division by zero"), ""),
])
def test_common_course_mistakes_come_with_a_hint(error, hint):
    failure, = condensed(run_of(cell(3, "model.fit(X, y)", "error", error)))["failures"]
    assert failure["hint"].startswith(hint) and bool(failure["hint"]) == bool(hint)
