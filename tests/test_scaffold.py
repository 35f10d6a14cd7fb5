"""`grader new-activity ID --from-solution NB`: a new activity and its rubric from a solution notebook,
written into the course folder, after which `grader check ID NB` grades that solution to full marks."""

import json
from pathlib import Path

import nbformat
import pytest

from grader.cli import main
from grader.grading.rubric import load as load_rubric

CELLS = [
    ("markdown", "# Demand forecast with SageMaker linear learner\n\nTrain, deploy, predict, clean up."),
    ("code", "import io\nimport boto3\nimport numpy as np\nimport sagemaker\n"
             "from sagemaker.amazon.common import write_numpy_to_dense_tensor\n"
             "from sagemaker.deserializers import JSONDeserializer\n"
             "from sagemaker.serializers import CSVSerializer\n"
             "from sklearn.model_selection import train_test_split"),
    ("code", "# Two features and a noisy linear target\nrng = np.random.default_rng(7)\n"
             "X = rng.normal(size=(400, 2)).astype('float32')\n"
             "y = (3 * X[:, 0] - 2 * X[:, 1] + rng.normal(scale=0.1, size=400)).astype('float32')\n"
             "X_train, X_test, y_train, y_test = train_test_split(X, y, test_size=0.2, random_state=7)"),
    ("code", "# Create the bucket beside SageMaker\n"
             "bucket = 'sagemaker-20240115-0930'\nprefix = 'demand-forecast'\n"
             "boto3.client('s3').create_bucket(Bucket=bucket, "
             "CreateBucketConfiguration={'LocationConstraint': 'us-west-2'})"),
    ("code", "def upload(features, labels, channel):\n    buf = io.BytesIO()\n"
             "    write_numpy_to_dense_tensor(buf, features, labels)\n    buf.seek(0)\n"
             "    key = f'{prefix}/{channel}/data'\n"
             "    boto3.resource('s3').Bucket(bucket).Object(key).upload_fileobj(buf)\n"
             "    return f's3://{bucket}/{key}'\n\n"
             "train_url, test_url = upload(X_train, y_train, 'train'), upload(X_test, y_test, 'test')"),
    ("code", "session = sagemaker.Session()\nrole = sagemaker.get_execution_role()\n"
             "container = sagemaker.image_uris.retrieve('linear-learner', session.boto_region_name)\n"
             "linear = sagemaker.estimator.Estimator(container, role, instance_count=1, "
             "instance_type='ml.m4.xlarge',\n    output_path=f's3://{bucket}/{prefix}/output', "
             "sagemaker_session=session)\n"
             "linear.set_hyperparameters(feature_dim=2, predictor_type='regressor', mini_batch_size=50)\n"
             "linear.fit({'train': train_url, 'test': test_url})"),
    ("code", "predictor = linear.deploy(initial_instance_count=1, instance_type='ml.m4.xlarge',\n"
             "                          serializer=CSVSerializer(), deserializer=JSONDeserializer())\n"
             "predictions = np.array([r['score'] for r in predictor.predict(X_test)['predictions']])\n"
             "print('RMSE:', float(np.sqrt(np.mean((predictions - y_test) ** 2))))"),
    ("code", "# Delete the endpoint so that it stops billing\npredictor.delete_endpoint()"),
]


def _notebook(path: Path) -> Path:
    notebook = nbformat.v4.new_notebook()
    notebook.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3", "language": "python"}
    new = {"markdown": nbformat.v4.new_markdown_cell, "code": nbformat.v4.new_code_cell}
    notebook.cells = [new[kind](source) for kind, source in CELLS]
    nbformat.write(notebook, path)
    return path


@pytest.mark.slow
def test_an_activity_scaffolded_from_a_solution_grades_it_to_full_marks(tmp_path, monkeypatch, capsys):
    solution = _notebook(tmp_path / "demand_forecast.ipynb")
    course = tmp_path / "course"
    course.mkdir()
    monkeypatch.setenv("GRADER_PROJECT_DIR", str(course))
    assert main(["new-activity", "demand", "--from-solution", str(solution)]) == 0
    assert "grader check demand NOTEBOOK" in capsys.readouterr().out

    folder = course / "activities" / "demand"
    assert (folder / "solution" / solution.name).read_bytes() == solution.read_bytes()
    starter = nbformat.read(folder / "starter" / solution.name, as_version=4)
    assert "fit(" not in "".join(cell.source for cell in starter.cells)
    rubric = load_rubric(course / "rubrics" / "demand" / "rubric.toml")
    ids = [check.id for check in rubric.checks]
    assert {"bucket_region", "train_data_recordio", "feature_dim", "predictor_type", "split_sizes",
            "training_job_completed", "endpoint_invoked", "endpoint_deleted"} <= set(ids)
    assert "labels_agree" not in ids and "model_quality" not in ids   # need a course table and thresholds
    assert "no_notebook_instances" not in ids   # the run made none: a check passing on nothing is left out

    out = tmp_path / "result.json"
    reports = tmp_path / "reports"
    assert main(["check", "demand", str(solution), "--json", str(out), "--out", str(reports)]) == 0
    result = json.loads(out.read_text())
    assert result["max_score"] == sum(check.points for check in rubric.checks)
    assert result["score"] == result["max_score"], [c for c in result["checks"] if c["status"] != "pass"]


def test_scaffolding_refuses_what_it_would_overwrite_or_cannot_read(tmp_path, monkeypatch, capsys):
    monkeypatch.setenv("GRADER_PROJECT_DIR", str(tmp_path))
    (tmp_path / "rubrics" / "demand").mkdir(parents=True)
    solution = _notebook(tmp_path / "demand.ipynb")
    assert main(["new-activity", "demand", "--from-solution", str(solution)]) == 2
    assert "already exists; choose another id" in capsys.readouterr().err
    assert main(["new-activity", "Demand Model", "--from-solution", str(solution)]) == 2
    assert "must be lower-case letters" in capsys.readouterr().err
    assert main(["new-activity", "other", "--from-solution", str(tmp_path / "missing.ipynb")]) == 2
    assert "no such notebook file" in capsys.readouterr().err
    assert not (tmp_path / "activities" / "other").exists()
