"""A housing class for measuring similarity detection: honest students who fill the starter's blanks
their own ways and add their own cells, honest look-alikes who only filled the blanks the lesson's
way (so they match each other and the solution), and planted copies of honest students with the
variables renamed, the cells reordered or the comments changed. Used by tests/test_similarity.py
and benchmarks/similarity.py."""

from __future__ import annotations

import json
import random
import re
from pathlib import Path

from grader.activities import load

HOUSING = load("housing")
BLANK = "# YOUR CODE HERE"

# For each blank of the starter (in order), ways to fill it: the first is the lesson's own (the solution's).
UPLOADS = [
    None,
    'f = io.BytesIO()\nsmac.write_numpy_to_dense_tensor(f, {X}.astype("float32"), {y}.astype("float32"))\n'
    'f.seek(0)\n'
    's3 = boto3.client("s3")\ns3.upload_fileobj(f, bucket, f"{{prefix}}/{part}/linear_{part}.data")\n'
    's3_{part}_data = f"s3://{{bucket}}/{{prefix}}/{part}/linear_{part}.data"',
    'path = os.path.join(prefix, "{part}", "linear_{part}.data")\nwith io.BytesIO() as stream:\n'
    '    smac.write_numpy_to_dense_tensor(stream, np.asarray({X}, dtype=np.float32), '
    'np.asarray({y}, dtype=np.float32))\n'
    '    boto3.Session().resource("s3").Bucket(bucket).put_object(Key=path, Body=stream.getvalue())\n'
    's3_{part}_data = "s3://" + bucket + "/" + path',
]
FILLS = [
    [u.format(X="X_train", y="y_train", part="train") if u else None for u in UPLOADS],
    [u.format(X="X_test", y="y_test", part="test") if u else None for u in UPLOADS],
    [None,
     'output = f"s3://{bucket}/{prefix}/output"\nestimator = sagemaker.estimator.Estimator(container, role, '
     'train_instance_count=1, train_instance_type="ml.m4.xlarge", output_path=output, '
     'sagemaker_session=sess)\n'
     'linear = estimator',
     'settings = dict(train_instance_count=1, train_instance_type="ml.m4.xlarge")\n'
     'linear = sagemaker.estimator.Estimator(image_name=container, role=role, sagemaker_session=sess,\n'
     '                                       output_path="s3://%s/%s/output" % (bucket, prefix), '
     '**settings)'],
    [None,
     'hyperparameters = {"feature_dim": 1, "mini_batch_size": 100, "predictor_type": "regressor", '
     '"epochs": 10}\n'
     'linear.set_hyperparameters(**hyperparameters)',
     'linear.set_hyperparameters(feature_dim=X_train.shape[1], predictor_type="regressor", '
     'mini_batch_size=50,\n'
     '                           epochs=15, learning_rate=0.05, normalize_data=True)'],
    [None, 'channels = {"train": s3_train_data, "test": s3_test_data}\nlinear.fit(channels, wait=True)',
     'linear.fit(inputs={"train": s3_train_data, "test": s3_test_data}, logs=False)\n'
     'print(linear.latest_training_job.name)'],
    [None, 'predictor = linear.deploy(1, "ml.m4.xlarge")\nlinear_predictor = predictor',
     'linear_predictor = linear.deploy(instance_type="ml.m4.xlarge", initial_instance_count=1,\n'
     '                                 endpoint_name="housing-" + prefix[:10])'],
    [None,
     'for name, value in [("content_type", "text/csv"), ("serializer", csv_serializer),\n'
     '                    ("deserializer", json_deserializer)]:\n    setattr(linear_predictor, name, value)',
     'linear_predictor.content_type = "text/csv"\n'
     'linear_predictor.serializer, linear_predictor.deserializer = '
     'csv_serializer, json_deserializer\nprint(linear_predictor.endpoint)'],
    [None,
     'answers = linear_predictor.predict(X_test)["predictions"]\n'
     'y_predictions = np.array([a["score"] for a in answers])',
     'y_predictions = []\nfor row in X_test:\n    answer = linear_predictor.predict(row)\n'
     '    y_predictions.append(answer["predictions"][0]["score"])\ny_predictions = np.array(y_predictions)'],
    [None,
     'errors = y_test - y_predictions\nrmse = float(np.sqrt(np.mean(errors ** 2)))\n'
     'r2 = 1 - np.sum(errors ** 2) / np.sum((y_test - y_test.mean()) ** 2)\n'
     'print(f"RMSE {rmse:.3f}, R2 {r2:.3f}")',
     'from sklearn import metrics\nrmse = metrics.mean_squared_error(y_test, y_predictions) ** 0.5\n'
     'r2 = metrics.r2_score(y_test, y_predictions)\nprint("RMSE:", round(rmse, 2), "R2:", round(r2, 2))'],
    [None, 'boto3.client("sagemaker").delete_endpoint(EndpointName=linear_predictor.endpoint)',
     'sess.delete_endpoint(linear_predictor.endpoint)\nprint("deleted", linear_predictor.endpoint)'],
]
# Cells a student adds of their own accord (exploring the data, a plot of the predictions, ...).
EXTRAS = [
    'print(boston.isnull().sum())\nprint(boston.dtypes)',
    'fig, axes = plt.subplots(1, 3, figsize=(12, 4))\n'
    'for axis, column in zip(axes, ["RM", "LSTAT", "PTRATIO"]):\n'
    '    boston.plot.scatter(x=column, y="MEDV", ax=axis)\nplt.tight_layout()',
    'correlations = boston.corr()["MEDV"].sort_values()\nprint(correlations)\ncorrelations.plot.barh()',
    'plt.scatter(y_test, y_predictions, alpha=0.5)\nplt.plot([0, 50], [0, 50], "r--")\n'
    'plt.xlabel("actual price")\nplt.ylabel("predicted price")\nplt.show()',
    'residuals = y_test - y_predictions\nplt.hist(residuals, bins=30)\nplt.title("residuals")\n'
    'print("mean residual", residuals.mean(), "std", residuals.std())',
    'from sklearn.linear_model import LinearRegression\nbaseline = LinearRegression().fit(X_train, y_train)\n'
    'print("local baseline R2", baseline.score(X_test, y_test))',
    'print(X_train.shape, X_test.shape, y_train.shape, y_test.shape)\nprint(y_train[:10])',
    'import time\nstarted = time.time()\nsample = linear_predictor.predict(X_test[:5])\n'
    'print(sample)\nprint("round trip", time.time() - started, "seconds")',
    'def describe(values, name):\n'
    '    print(name, "min", values.min(), "max", values.max(), "mean", values.mean())\n'
    'describe(y_train, "train prices")\ndescribe(y_test, "test prices")',
    'boston["ROOMS_BUCKET"] = pd.cut(boston["RM"], bins=[0, 5, 6, 7, 10])\n'
    'print(boston.groupby("ROOMS_BUCKET")["MEDV"].agg(["mean", "count"]))',
]


def _starter() -> dict:
    return json.loads(HOUSING.notebook("starter").read_text())


def _code(cell: dict) -> str:
    return "".join(cell["source"]) if isinstance(cell["source"], list) else cell["source"]


def _cell(source: str) -> dict:
    return {"cell_type": "code", "execution_count": None, "metadata": {}, "outputs": [], "source": source}


def notebook(fills: list[int], extras: list[int], bucket: str, rng: random.Random) -> dict:
    """The starter with each blank filled by option fills[i] (0: the solution's) and the extra cells added
    after the cells that define what they use."""
    solution = [_code(cell) for cell in json.loads(HOUSING.notebook("solution").read_text())["cells"]
                if cell["cell_type"] == "code"]
    nb = _starter()
    code_index, blank = -1, 0
    for cell in nb["cells"]:
        if cell["cell_type"] != "code":
            continue
        code_index += 1
        source = _code(cell)
        if 'bucket = "sagemaker-bucket-name-here"' in source:
            cell["source"] = source.replace("sagemaker-bucket-name-here", bucket)
        elif BLANK in source:
            choice = FILLS[blank][fills[blank]]
            comment = source.splitlines()[0]
            cell["source"] = solution[code_index] if choice is None else f"{comment}\n{choice}"
            blank += 1
    for extra in extras:   # early ones (data) after the split, late ones (predictions) before the deletion
        at = len(nb["cells"]) - 1 if extra in (3, 4, 7) else 8 + rng.randrange(3)
        nb["cells"].insert(at, _cell(EXTRAS[extra]))
    return nb


def rename_variables(nb: dict) -> dict:
    names = {"linear_predictor": "model_endpoint", "y_predictions": "preds", "linear": "learner",
             "rmse": "error_rms", "s3_train_data": "train_uri", "s3_test_data": "test_uri",
             "residuals": "leftover", "buf": "buffer"}
    for cell in nb["cells"]:
        if cell["cell_type"] == "code":
            cell["source"] = re.sub(r"\b(" + "|".join(names) + r")\b", lambda m: names[m[1]], _code(cell))
    return nb


def reorder_cells(nb: dict) -> dict:
    """Moves the student's own cells elsewhere and swaps the two upload cells."""
    own = [cell for cell in nb["cells"] if cell["cell_type"] == "code" and _code(cell) in EXTRAS]
    rest = [cell for cell in nb["cells"] if cell not in own]
    uploads = [i for i, cell in enumerate(rest)
               if "upload" in _code(cell).lower() and "Encode" in _code(cell)]
    if len(uploads) == 2:
        rest[uploads[0]], rest[uploads[1]] = rest[uploads[1]], rest[uploads[0]]
    return {**nb, "cells": rest[:-1] + own[::-1] + rest[-1:]}


def change_comments(nb: dict) -> dict:
    for cell in nb["cells"]:
        if cell["cell_type"] == "code":
            lines = [line for line in _code(cell).splitlines() if not line.lstrip().startswith("#")]
            open_ended = ("(", ",", ":", "\\")   # a comment after these would break the line
            commented = [f"{line}  # step" if line.strip() and not line.rstrip().endswith(open_ended)
                         else line for line in lines]
            cell["source"] = "# my own work, written for this assignment\n" + "\n".join(commented)
    return nb


def make_class(folder: Path, *, honest: int = 20, seed: int = 23) -> set[frozenset[str]]:
    """Writes the class into `folder` (one notebook per student) and returns the pairs that are copies."""
    rng = random.Random(seed)
    folder.mkdir(parents=True, exist_ok=True)
    made: dict[str, dict] = {}
    for number in range(honest):
        fills = [rng.randrange(len(options)) for options in FILLS]
        extras = rng.sample(range(len(EXTRAS)), rng.randrange(1, 4))
        made[f"honest{number:02d}"] = notebook(fills, extras, f"sagemaker-hw-{number:02d}", rng)
    for pair in range(3):   # filled every blank the lesson's way, nothing more: look like each other
        for member in "ab":
            made[f"lookalike{pair}{member}"] = notebook([0] * len(FILLS), [], f"bucket-{pair}{member}", rng)
    copies = {"copy-renamed": ("honest03", [rename_variables]),
              "copy-reordered": ("honest07", [reorder_cells]),
              "copy-comments": ("honest11", [change_comments]),
              "copy-all-three": ("honest15", [rename_variables, reorder_cells, change_comments])}
    for student, (source, changes) in copies.items():
        copied = json.loads(json.dumps(made[source]))
        for change in changes:
            copied = change(copied)
        made[student] = copied
    for student, nb in made.items():
        (folder / f"{student}.ipynb").write_text(json.dumps({**nb, "nbformat": 4, "nbformat_minor": 5}))
    return {frozenset((student, source)) for student, (source, _) in copies.items()}
