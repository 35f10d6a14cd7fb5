"""A notebook written exactly in the course's 2019 style runs unchanged with no failing cell:
v1 SDK names, load_boston(), `from path import Path`, Data/ paths, a hard-coded console bucket."""

import textwrap

import nbformat
import pytest

from grader.activities import load
from grader.execution import default_limits, read_submission, run_submission

CELLS = [
    """
    import os
    import io
    import json
    import numpy as np
    import pandas as pd
    from path import Path
    import matplotlib.pyplot as plt
    from sklearn.datasets import load_boston
    from sklearn.model_selection import train_test_split
    from sklearn.metrics import mean_squared_error, r2_score
    """,
    """
    import sagemaker
    import sagemaker.amazon.common as smac
    from sagemaker.predictor import csv_serializer, json_deserializer
    from sagemaker import get_execution_role
    from sagemaker.amazon.amazon_estimator import get_image_uri
    import boto3
    """,
    """
    boston = load_boston()
    print(boston.data.shape, boston.feature_names[:3].tolist(), len(boston.DESCR) > 100)
    file_path = Path("Data/x_austin_final.csv")
    features = pd.read_csv(file_path)
    X = features["TempAvgF"].values.reshape(-1, 1)
    y = pd.read_csv(Path("Data/y_austin_final.csv"), names=["PrecipitationSumInches"],
                    header=None).iloc[:, 0].values
    X_train, X_test, y_train, y_test = train_test_split(X, y, test_size=0.2)
    """,
    """
    bucket = "sagemaker-20191007-2307"
    prefix = "austin-rainfall-regression"
    role = get_execution_role()
    """,
    """
    buf = io.BytesIO()
    smac.write_numpy_to_dense_tensor(buf, np.array(X_train).astype("float32"),
                                     np.array(y_train).astype("float32"))
    buf.seek(0)
    key = "linear_train.data"
    boto3.resource("s3").Bucket(bucket).Object(os.path.join(prefix, "train", key)).upload_fileobj(buf)
    s3_train_data = "s3://{}/{}/train/{}".format(bucket, prefix, key)
    buf = io.BytesIO()
    smac.write_numpy_to_dense_tensor(buf, np.array(X_test).astype("float32"),
                                     np.array(y_test).astype("float32"))
    buf.seek(0)
    key = "linear_test.data"
    boto3.resource("s3").Bucket(bucket).Object(os.path.join(prefix, "test", key)).upload_fileobj(buf)
    s3_test_data = "s3://{}/{}/test/{}".format(bucket, prefix, key)
    """,
    """
    container = get_image_uri(boto3.Session().region_name, "linear-learner")
    sess = sagemaker.Session()
    linear = sagemaker.estimator.Estimator(container, role, train_instance_count=1,
                                           train_instance_type="ml.m4.xlarge",
                                           output_path="s3://{}/{}/output".format(bucket, prefix),
                                           sagemaker_session=sess)
    linear.set_hyperparameters(feature_dim=1, mini_batch_size=100, predictor_type="regressor", epochs=10,
                               num_models=32, loss="absolute_loss")
    linear.fit({"train": s3_train_data, "test": s3_test_data})
    """,
    """
    linear_predictor = linear.deploy(initial_instance_count=1, instance_type="ml.m4.xlarge")
    linear_predictor.content_type = "text/csv"
    linear_predictor.serializer = csv_serializer
    linear_predictor.deserializer = json_deserializer
    result = linear_predictor.predict(X_test)
    y_predictions = np.array([r["score"] for r in result["predictions"]])
    print("RMSE: {}".format(np.sqrt(mean_squared_error(y_test, y_predictions))))
    print("R2: {}".format(r2_score(y_test, y_predictions)))
    """,
    """
    sagemaker.Session().delete_endpoint(linear_predictor.endpoint)
    """,
]


@pytest.mark.slow
def test_a_2019_style_notebook_runs_unchanged(emulator, tmp_path):
    nb = nbformat.v4.new_notebook(metadata={"kernelspec": {"name": "conda_python3",
                                                           "display_name": "conda_python3",
                                                           "language": "python"}})
    nb.cells = [nbformat.v4.new_code_cell(textwrap.dedent(cell).strip()) for cell in CELLS]
    nbformat.write(nb, tmp_path / "rainfall_2019.ipynb")
    activity = load("rainfall")
    outcome = run_submission(activity, read_submission(tmp_path / "rainfall_2019.ipynb"), emulator,
                             limits=default_limits(activity))
    emulator.remove_account(outcome.account.account_id)
    failing = [(cell.index, cell.error) for cell in outcome.record.cells if cell.status != "ok"]
    assert not failing, failing
    assert outcome.record.cells[2].stdout.startswith("(506, 13) ['CRIM', 'ZN', 'INDUS'] True")
    assert "RMSE: " in outcome.record.cells[6].stdout
    assert [item["name"] for item in outcome.record.provided if item["kind"] == "bucket"] == [
        "sagemaker-20191007-2307"]
    operations = [entry["operation"] for entry in outcome.record.api_log]
    assert {"CreateTrainingJob", "CreateEndpoint", "InvokeEndpoint", "DeleteEndpoint"} <= set(operations)
