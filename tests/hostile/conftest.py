"""Helpers for hostile tests: a notebook from cell sources, grading it through `grader check` as
staff would, and raw HTTP requests to the emulator as a dishonest kernel would send them.

The emulator fixtures (`emulator`, `account`, `aws`) come from tests/conftest.py.
"""

from __future__ import annotations

import contextlib
import http.client
import io
import json
import textwrap
from dataclasses import dataclass
from pathlib import Path

import nbformat
import pytest

from grader.cli import main

PROJECT = Path(__file__).resolve().parents[2]
IMAGE = "174872318107.dkr.ecr.us-west-2.amazonaws.com/linear-learner:1"


def write_notebook(path: Path, *sources: str) -> Path:
    """A Python 3 notebook whose code cells are `sources` (dedented), written to `path`."""
    nb = nbformat.v4.new_notebook(metadata={"kernelspec": {"name": "python3", "display_name": "Python 3",
                                                           "language": "python"}})
    nb.cells = [nbformat.v4.new_code_cell(textwrap.dedent(source).strip()) for source in sources]
    nbformat.write(nb, path)
    return path


@dataclass
class Graded:
    """What `grader check` gave: exit code, terminal output and the result JSON (None if none)."""

    returncode: int
    stdout: str
    stderr: str
    result: dict | None

    def status(self, check: str) -> str:
        """Status of a check by its short id, e.g. "training_job_completed"."""
        found = [item for item in self.result["checks"] if item["id"].split(".", 1)[1] == check]
        assert found, f"no check {check} in {[item['id'] for item in self.result['checks']]}"
        return found[0]["status"]

    def message(self, check: str) -> str:
        return next(item["message"] for item in self.result["checks"] if item["id"].endswith(f".{check}"))

    @property
    def score(self) -> float:
        return self.result["score"]

    def passed(self) -> set[str]:
        return {item["id"].split(".", 1)[1] for item in self.result["checks"] if item["status"] == "pass"}


def grade(activity: str, *notebooks: Path, out: Path, extra: tuple[str, ...] = ()) -> Graded:
    """Run `grader check ACTIVITY NOTEBOOK...` as staff do (hidden checks' messages are hidden in the
    result, as for students), in this process: the notebooks run in their sandboxed kernels either way,
    and the command as a process is tested in tests/test_check_submission.py."""
    result_path = out / "result.json"
    stdout, stderr = io.StringIO(), io.StringIO()
    with contextlib.redirect_stdout(stdout), contextlib.redirect_stderr(stderr):
        code = main(["check", activity, *map(str, notebooks), "--json", str(result_path), "--out",
                     str(out / "reports"), *extra])
    result = json.loads(result_path.read_text()) if result_path.exists() else None
    return Graded(code, stdout.getvalue(), stderr.getvalue(), result)


def raw_request(emulator, account, method: str, path: str, body: bytes = b"", *, service: str = "sagemaker",
                region: str | None = None, headers: dict | None = None) -> tuple[int, dict, bytes]:
    """Send one request the way a kernel can, bypassing boto3: the account's credentials in an
    (unchecked) SigV4 header, anything else as given. Returns (status, headers, body)."""
    region = region or account.region
    sent = {"Authorization": "AWS4-HMAC-SHA256 "
                             f"Credential={account.access_key_id}/20261201/{region}/{service}/"
                             "aws4_request, SignedHeaders=host, Signature=0",
            "X-Amz-Security-Token": account.session_token, "Host": f"127.0.0.1:{emulator.port}",
            **(headers or {})}
    connection = http.client.HTTPConnection("127.0.0.1", emulator.port, timeout=60)
    try:
        connection.putrequest(method, path, skip_host=True, skip_accept_encoding=True)
        for name, value in sent.items():
            if value is not None:
                connection.putheader(name, value)
        connection.putheader("Content-Length", str(len(body)))
        connection.endheaders(body)
        answer = connection.getresponse()
        return answer.status, dict(answer.getheaders()), answer.read()
    finally:
        connection.close()


def sagemaker_json(emulator, account, target: str, payload: dict, *, query: str = "",
                   headers: dict | None = None):
    """A SageMaker JSON-protocol request naming `target` in X-Amz-Target, with an optional query string."""
    return raw_request(emulator, account, "POST", "/" + (f"?{query}" if query else ""),
                       json.dumps(payload).encode(),
                       headers={"X-Amz-Target": f"SageMaker.{target}",
                                "Content-Type": "application/x-amz-json-1.1", **(headers or {})})


def error_code(body: bytes) -> str:
    text = body.decode("utf-8", "replace")
    if text.lstrip().startswith("{"):
        return json.loads(text).get("__type", "")
    start = text.find("<Code>")
    return text[start + 6:text.find("</Code>")] if start >= 0 else ""


def training_job_request(account, name: str, train_url: str, output_url: str, **overrides) -> dict:
    """CreateTrainingJob parameters for linear-learner on one train channel."""
    request = {
        "TrainingJobName": name, "RoleArn": account.role_arn,
        "AlgorithmSpecification": {"TrainingImage": IMAGE, "TrainingInputMode": "File"},
        "HyperParameters": {"predictor_type": "regressor", "feature_dim": "2", "mini_batch_size": "50"},
        "InputDataConfig": [{"ChannelName": "train", "DataSource": {"S3DataSource": {
            "S3DataType": "S3Prefix", "S3Uri": train_url, "S3DataDistributionType": "FullyReplicated"}}}],
        "OutputDataConfig": {"S3OutputPath": output_url},
        "ResourceConfig": {"InstanceType": "ml.m4.xlarge", "InstanceCount": 1, "VolumeSizeInGB": 10},
        "StoppingCondition": {"MaxRuntimeInSeconds": 3600},
    }
    request.update(overrides)
    return request


@pytest.fixture
def bucket(aws):
    """The course's bucket, in the account's region."""
    name = "sagemaker-20191007-2307"
    aws("s3").create_bucket(Bucket=name, CreateBucketConfiguration={"LocationConstraint": "us-west-2"})
    return name
