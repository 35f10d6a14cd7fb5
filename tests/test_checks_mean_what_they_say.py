"""Checks that mean what they say (issue 9 point 4, issue 10 point 5), on evidence built by hand:
labels against the course data, the Monte Carlo part from what the notebook produced, expected
values the lesson does not ask for, printed metric spellings, bucket conventions, and points only
for work the student did."""

import io

import numpy as np
import pandas as pd
import pytest
from sklearn.model_selection import train_test_split
from sklearn.preprocessing import StandardScaler

from grader import datasets
from grader.activities import load
from grader.checks import cleanup, hyperparameters, labels, monte_carlo, reproducibility, s3
from grader.checks.evidence import Evidence
from grader.checks.metrics import printed_values
from grader.execution.record import CellError, CellRecord, RunRecord
from grader.recordio import Records


def uploaded(x, y) -> Records:
    return Records(features=np.asarray(x, np.float32), labels=np.asarray(y, np.float32),
                   feature_dtype="float32",
                   label_dtype="float32")


def course(activity_id):
    """The activity's course table as the grader reads it, and its features and labels as a notebook does."""
    activity = load(activity_id)
    table = labels.course_table(activity.expected["course_table"], [])
    if activity_id == "rainfall":
        x = pd.read_csv(io.BytesIO(datasets.content("x_austin_final.csv")[0]))[["TempAvgF"]].values
        y = pd.read_csv(io.BytesIO(datasets.content("y_austin_final.csv")[0]), header=None)[0].values
    elif activity_id == "housing":
        frame = pd.read_csv(io.BytesIO(datasets.content("boston_house_prices.csv")[0]))
        x, y = frame[["RM"]].values, frame["MEDV"].values
    else:
        frame = pd.read_csv(io.BytesIO(datasets.content("german_credit_data.csv")[0]), index_col=0)
        y = frame["Risk"].map({"good": 0, "bad": 1}).values
        x = pd.get_dummies(frame.drop(columns=["Risk"])).astype("float32").values
    return table, x, y


def split(x, y, scale=False, seed=0):
    x_train, x_test, y_train, y_test = train_test_split(x, y, test_size=0.2, random_state=seed)
    if scale:
        scaler = StandardScaler().fit(x_train)
        x_train, x_test = scaler.transform(x_train), scaler.transform(x_test)
    return uploaded(x_train, y_train), uploaded(x_test, y_test)


@pytest.mark.parametrize("activity_id", ["rainfall", "housing", "credit-risk"])
def test_correct_labels_agree_and_shuffled_ones_do_not(activity_id):
    table, x, y = course(activity_id)
    scale = activity_id == "credit-risk"
    correct = labels.agreement(table, *split(x, y, scale))
    shuffled = labels.agreement(table, *split(x, np.random.default_rng(1).permutation(y), scale))
    assert correct["disagree"] == 0 and correct["records"] == len(y)
    assert shuffled["share"] > 0.15, shuffled


def test_misaligned_labels_fail_and_the_share_is_given_per_channel():
    table, x, y = course("housing")
    train, test = split(x, y)
    misaligned = uploaded(test.features, np.sort(test.labels))   # y_test sorted apart from X_test
    found = labels.agreement(table, train, misaligned)
    assert found["train"]["disagree"] == 0 and found["test"]["disagree"] > 0.8 * test.count


def test_any_accepted_label_encoding_passes_and_another_fails():
    table, x, y = course("credit-risk")
    # 1 - y is LabelEncoder's coding: bad=0, good=1
    assert labels.agreement(table, *split(x, 1 - y, scale=True))["disagree"] == 0
    one_two = labels.agreement(table, *split(x, y + 1, scale=True))
    assert one_two["disagree"] == int((y == 1).sum())   # bad coded 2 matches no accepted encoding


def test_min_max_scaled_and_float64_features_are_matched_too():
    table, x, y = course("credit-risk")
    x_train, x_test, y_train, y_test = train_test_split(x, y, test_size=0.2, random_state=3)
    low, high = x_train.min(0), x_train.max(0)
    scaled = lambda part: (part - low) / np.where(high > low, high - low, 1)   # noqa: E731
    train = Records(features=scaled(x_train).astype(np.float64), labels=y_train.astype(np.float64),
                    feature_dtype="float64", label_dtype="float64")
    assert labels.agreement(table, train, uploaded(scaled(x_test), y_test))["disagree"] == 0


def run_record(*cells: CellRecord, name="monte_carlo.ipynb") -> RunRecord:
    return RunRecord(activity="sagemaker-notebook", notebook=name, submission={"name": name}, account={},
                     limits={},
                     cells=list(cells))


def evidence(activity_id, runs=(), snapshot=None) -> Evidence:
    return Evidence(load(activity_id), snapshot or {"iam": {}, "s3": {"buckets": []}, "sagemaker": {}},
                    list(runs))


SIMULATION_PLOT = {"axes": [{"title": "500 Simulations of Cumulative Portfolio Return Trajectories "
                                      "Over the Next "
                                      "1260 Trading Days.", "lines": 500, "points": 1261, "bars": 0}]}
SUMMARY = ("count           500.000000\nmean 1.2\n95% CI Lower      0.590754\n"
           "95% CI Upper      1.464490\ndtype: float64\n")


def test_a_monte_carlo_run_is_graded_on_what_it_produced():
    solved = evidence("sagemaker-notebook", [run_record(CellRecord(0, "", status="ok"),
                                                        name="create_infrastructure.ipynb"),
                                             run_record(CellRecord(12, "MC.plot_simulation()", status="ok",
                                                                   figures=[SIMULATION_PLOT]),
                                                        CellRecord(14, "print(summary)", status="ok",
                                                                   stdout=SUMMARY))])
    assert [check(solved).status for check in (monte_carlo.simulated, monte_carlo.plotted,
                                                monte_carlo.interval_printed)] == ["pass"] * 3
    assert monte_carlo.interval_printed(solved).evidence["lower"] == 0.590754


def test_a_starter_that_runs_to_the_end_earns_no_monte_carlo_points():
    blanks = [CellRecord(i, "# YOUR CODE HERE", status="ok") for i in range(10, 16)]
    starter = evidence("sagemaker-notebook", [run_record(*blanks)])
    outcomes = [check(starter)
                for check in (monte_carlo.simulated, monte_carlo.plotted, monte_carlo.interval_printed)]
    assert [outcome.status for outcome in outcomes] == ["fail"] * 3
    assert "no simulation" in outcomes[0].message


def test_a_simulation_of_another_size_says_what_was_asked():
    small = dict(SIMULATION_PLOT, axes=[dict(SIMULATION_PLOT["axes"][0], lines=100, points=253)])
    outcome = monte_carlo.simulated(evidence("sagemaker-notebook",
                                             [run_record(CellRecord(3, "", figures=[small]))]))
    assert (outcome.status == "fail" and "100 x 253" in outcome.message
            and "500 simulations of 1260" in outcome.message)


def test_the_sentence_and_the_quantiles_count_as_the_interval_too():
    for text in ["There is a 95% chance ... within the range of $5,907.54 and $14,644.9.",
                 "0.025    0.59\n0.975    1.46\nName: 1260, dtype: float64"]:
        found = monte_carlo.interval_printed(evidence("sagemaker-notebook",
                                                      [run_record(CellRecord(1, "", stdout=text))]))
        assert found.status == "pass", text


def test_monte_carlo_checks_skip_without_a_run():
    assert monte_carlo.simulated(evidence("sagemaker-notebook")).status == "skip"


@pytest.mark.parametrize("text, expected", [
    ("accuracy_score: 0.715", {"accuracy": [0.715]}),
    ("Accuracy: 71.5%", {"accuracy": [0.715]}),
    ("    accuracy                           0.73       200", {"accuracy": [0.73]}),
    ("RMSE: 0.31\nR2: -0.07", {"rmse": [0.31], "r2": [-0.07]}),
    ("Root Mean Squared Error: 6.7\nr2_score: 0.49", {"rmse": [6.7], "r2": [0.49]}),
    ("R-squared = 0.49", {"r2": [0.49]}),
    ("mean_squared_error: 3.0", {}),
])
def test_printed_metrics_are_recognised_in_the_courses_and_common_spellings(text, expected):
    assert printed_values(text) == expected


def job(hyperparameters_given: dict) -> dict:
    return {"TrainingJobName": "j", "TrainingJobStatus": "Completed",
            "HyperParameters": hyperparameters_given,
            "AlgorithmSpecification": {
                "TrainingImage": "174872318107.dkr.ecr.us-west-2.amazonaws.com/linear-learner:1"}}


def model_evidence(activity_id, hp, **snapshot_parts) -> Evidence:
    region = {"training_jobs": [job(hp)], "endpoints": [], "endpoint_configs": []}
    empty = {"training_jobs": [], "endpoints": [], "endpoint_configs": []}
    return evidence(activity_id, snapshot={"iam": {}, "s3": {"buckets": []},
                                           "sagemaker": {"us-west-2": region, "us-east-1": empty},
                                           "regions": ["us-west-2", "us-east-1"], **snapshot_parts})


def test_credit_risk_as_the_course_ships_it_keeps_full_marks_with_the_difference_shown():
    course_solution = {"feature_dim": "24", "predictor_type": "binary_classifier", "mini_batch_size": "200"}
    outcome = hyperparameters.other_hyperparameters(model_evidence("credit-risk", course_solution))
    assert outcome.status == "pass" and outcome.evidence["not_asked"] == {}
    ours = dict(course_solution, mini_batch_size="100", epochs="10")
    outcome = hyperparameters.other_hyperparameters(model_evidence("credit-risk", ours))
    assert outcome.status == "pass" and "mini_batch_size=200 (yours: 100)" in outcome.message
    assert "epochs=default (yours: 10)" in outcome.message


def test_rainfall_still_grades_the_values_its_lesson_asks_for():
    demo = {"feature_dim": "1", "mini_batch_size": "100", "predictor_type": "regressor", "epochs": "20",
            "num_models": "32", "loss": "absolute_loss"}
    assert hyperparameters.other_hyperparameters(model_evidence("rainfall", demo)).status == "fail"


def bucket_evidence(name, region="us-west-2", provided=False) -> Evidence:
    run = RunRecord(activity="housing", submission={"name": "x.ipynb"}, account={}, limits={},
                    provided=[{"kind": "bucket", "name": name, "created": True}] if provided else [])
    return Evidence(load("housing"), {"iam": {},
                                      "s3": {"buckets": [{"Name": name, "Region": region, "objects": []}]},
                                      "sagemaker": {"us-west-2": {"training_jobs": []}}}, [run])


@pytest.mark.parametrize("name, status", [("sagemaker-20190903-1026", "pass"),
                                          ("fintech-bootcamp-activities-jd-20200512", "pass"),
                                          ("fintech-bootcamp-activities-jd-2020-05-12", "pass"),
                                          ("fintech-bootcamp-activities-jd-20201345", "fail"),
                                          ("my-bucket", "fail")])
def test_bucket_naming_accepts_the_courses_conventions(name, status):
    assert s3.bucket_name_convention(bucket_evidence(name)).status == status


def test_a_grader_provided_bucket_earns_no_region_point_and_the_starters_placeholder_fails():
    assert s3.bucket_region(bucket_evidence("sagemaker-20190903-1026", provided=True)).status == "skip"
    assert s3.bucket_region(bucket_evidence("sagemaker-20190903-1026")).status == "pass"
    placeholder = s3.bucket_name_valid(bucket_evidence("sagemaker-bucket-name-here", provided=True))
    assert placeholder.status == "fail" and "placeholder" in placeholder.message


def test_cleaning_up_an_endpoint_earns_points_only_after_creating_one():
    never = model_evidence("housing", {})
    assert cleanup.endpoint_deleted(never).status == "skip"   # an account state: maybe deployed and tidied
    never.runs = [run_record(CellRecord(0, "linear.fit(data)", status="ok"))]
    assert cleanup.endpoint_deleted(never).status == "fail"   # a run the grader saw: out of the same points
    deployed_then_deleted = model_evidence("housing", {})
    deployed_then_deleted.snapshot["sagemaker"]["us-west-2"]["endpoint_configs"] = [
        {"EndpointConfigName": "c"}]
    assert cleanup.endpoint_deleted(deployed_then_deleted).status == "pass"


def test_only_a_notebook_that_runs_top_to_bottom_earns_the_reproducibility_points():
    """Issue 21 point 5: a cell stopped by a limit, a cell that errors, or a kernel that died fails the
    check (naming the cell); a trimmed output does not; a notebook that made no AWS call has nothing to
    reproduce; an account state cannot tell, so it does not apply."""
    def graded(*cells, kernel="finished", calls=({"operation": "PutObject", "status": 200},)):
        run = run_record(*cells, name="housing_prediction.ipynb")
        run.kernel.status, run.api_log = kernel, list(calls)
        return reproducibility.runs_top_to_bottom(evidence("housing", [run]))

    ok = CellRecord(0, "import numpy", status="ok")
    chatty = CellRecord(1, "print('x' * 10**7)", status="ok", limits_hit=["output"])
    assert graded(ok, chatty).status == "pass"
    idle = graded(ok, calls=())   # a blank notebook runs, but none of the activity's work did
    assert idle.status == "fail" and "no AWS call" in idle.message
    hangs = CellRecord(1, "while True: pass", status="timeout", limits_hit=["cell_timeout"],
                       error=CellError("TimeoutError", "stopped by the grader after the cell timeout"))
    errs = CellRecord(2, "1 / 0", status="error", error=CellError("ZeroDivisionError", "division by zero"))
    outcome = graded(ok, hangs, errs)
    assert outcome.status == "fail" and [cell["cell"] for cell in outcome.evidence["cells"]] == [1, 2]
    assert "cell 1 was stopped by the cell timeout" in outcome.message
    assert "ZeroDivisionError" in outcome.message
    died = graded(ok, CellRecord(1, "x = 1", status="not_run"), kernel="died")
    assert died.status == "fail" and "cell 1 never ran" in died.message and "kernel died" in died.message
    assert reproducibility.runs_top_to_bottom(evidence("housing")).status == "skip"


def test_without_a_training_job_the_uploads_are_found_only_as_a_train_and_test_pair():
    """Issue 21 point 2: before fit(), the data checks read what the notebook uploaded (the API log's
    server-side facts, else the activity's prefix in the student's bucket), train and test together."""
    bucket, prefix = "sagemaker-20191007-2307", "boston-housing-regression"
    keys = [f"{prefix}/train/linear_train.data", f"{prefix}/test/linear_test.data"]

    def uploaded(*stored, logged=()):
        run = run_record(CellRecord(0, "upload", status="ok"), name="boston-housing-regression.ipynb")
        run.api_log = [{"operation": "PutObject", "status": 200, "params": {"Bucket": "elsewhere"},
                        "facts": {"Bucket": bucket, "Key": key}} for key in logged]
        objects = [{"Key": key, "Size": 1} for key in stored]
        no_job = {"training_jobs": [], "endpoints": [], "endpoint_configs": []}
        return evidence("housing", [run], {"iam": {}, "regions": ["us-west-2", "us-east-1"],
                                           "s3": {"buckets": [{"Name": bucket, "Region": "us-west-2",
                                                               "objects": objects}]},
                                           "sagemaker": {"us-west-2": no_job, "us-east-1": no_job}})

    starter_like = uploaded(keys[0], logged=keys[:1])
    assert s3.uploaded_location(starter_like, "train") is None
    outcome = s3.channel_objects(starter_like, "train")
    assert outcome.status == "fail" and "uploaded no test data" in outcome.message
    both = uploaded(*keys, logged=keys)
    assert s3.uploaded_location(both, "test") == f"s3://{bucket}/{prefix}/test/"
    assert s3.channel_objects(both, "train").status == "pass"
    by_prefix = uploaded(*keys)   # not in the log (an earlier run of the notebook): found by the prefix
    assert s3.uploaded_location(by_prefix, "train") == f"s3://{bucket}/{prefix}/train/"
    claimed_only = uploaded(logged=keys)   # the log says stored, the account holds nothing: nothing found
    assert s3.uploaded_location(claimed_only, "train") is None
