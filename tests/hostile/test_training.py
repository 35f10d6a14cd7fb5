"""Training and serving attacks at the emulator: jobs only the trainer completes, bounded work,
prompt shutdown, bounded bodies and artifacts, and the API log's server-side facts."""

import gzip
import io
import tarfile
import threading
import time

import numpy as np
import pytest
from botocore.exceptions import ClientError
from moto.sagemaker.models import sagemaker_backends

from grader import recordio
from grader.emulator import Emulator, gateway, training
from grader.linear_learner import model
from grader.linear_learner.model import LinearModel

from .conftest import IMAGE, error_code, raw_request, training_job_request


def _upload(aws, bucket, key, rows=200, features=2, seed=0):
    rng = np.random.default_rng(seed)
    x = rng.normal(size=(rows, features)).astype(np.float32)
    y = (x @ np.arange(1, features + 1) + 0.5).astype(np.float32)
    aws("s3").put_object(Bucket=bucket, Key=key, Body=recordio.write_dense(x, y))
    return f"s3://{bucket}/{key}"


def _wait(aws, name, seconds=30):
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        job = aws("sagemaker").describe_training_job(TrainingJobName=name)
        if job["TrainingJobStatus"] != "InProgress":
            return job
        time.sleep(0.05)
    raise AssertionError(f"{name} still InProgress after {seconds} s")


def _start(aws, account, bucket, name, train, **overrides):
    aws("sagemaker").create_training_job(**training_job_request(account, name, train, f"s3://{bucket}/out",
                                                                **overrides))


def _deploy(aws, account, name, model_url):
    sagemaker = aws("sagemaker")
    sagemaker.create_model(ModelName=name, ExecutionRoleArn=account.role_arn,
                           PrimaryContainer={"Image": IMAGE, "ModelDataUrl": model_url})
    sagemaker.create_endpoint_config(EndpointConfigName=name, ProductionVariants=[{
        "VariantName": "AllTraffic", "ModelName": name, "InitialInstanceCount": 1,
        "InstanceType": "ml.m4.xlarge"}])
    sagemaker.create_endpoint(EndpointName=name, EndpointConfigName=name)


def _forged_artifact(weights=(1.0, 2.0), bias=0.5) -> bytes:
    """What a notebook can build itself: a model fitted elsewhere (scikit-learn), in the artifact format."""
    return LinearModel("regressor", "squared_loss", len(weights), [[w] for w in weights],
                       [bias]).to_artifact()


def test_a_job_moto_creates_by_any_path_starts_in_progress(account, aws, bucket):
    """Attack: any request shape that reaches moto's CreateTrainingJob without our handler. Verdict:
    moto's own record says InProgress with no model, never Completed."""
    backend = sagemaker_backends[account.account_id][account.region]
    request = training_job_request(account, "direct", f"s3://{bucket}/p/", f"s3://{bucket}/out")
    backend.create_training_job(
        request["TrainingJobName"], request["HyperParameters"], request["AlgorithmSpecification"],
        request["RoleArn"], request["InputDataConfig"], request["OutputDataConfig"],
        request["ResourceConfig"], None, request["StoppingCondition"],
        None, False, False, False, None, None, None, None, None)
    job = aws("sagemaker").describe_training_job(TrainingJobName="direct")
    assert job["TrainingJobStatus"] == "InProgress" and "ModelArtifacts" not in job
    assert account.trained_models == []


def test_reusing_a_job_name_is_refused(account, aws, bucket):
    """Attack: recreate a finished job under its name (moto would replace it). Verdict: ResourceInUse."""
    train = _upload(aws, bucket, "p/train/d")
    _start(aws, account, bucket, "once", train)
    assert _wait(aws, "once")["TrainingJobStatus"] == "Completed"
    with pytest.raises(ClientError) as raised:
        _start(aws, account, bucket, "once", train)
    assert raised.value.response["Error"]["Code"] == "ResourceInUse"


def test_runaway_epochs_fail_at_once_with_a_reason(account, aws, bucket):
    """Attack: epochs=1000000000 (kept the emulator's shutdown waiting forever). Verdict: Failed within
    a second, with the work budget in the reason."""
    train = _upload(aws, bucket, "p/train/d")
    started = time.monotonic()
    _start(aws, account, bucket, "runaway", train,
           HyperParameters={"predictor_type": "regressor", "feature_dim": "2", "epochs": "1000000000"})
    job = _wait(aws, "runaway", seconds=10)
    assert job["TrainingJobStatus"] == "Failed" and "record passes" in job["FailureReason"]
    assert time.monotonic() - started < 5


def test_max_runtime_in_seconds_stops_the_job(account, aws, bucket):
    """Attack: a job within the work budget that still trains for minutes (tiny mini-batches).
    Verdict: Stopped at MaxRuntimeInSeconds, as AWS does (MaxRuntimeExceeded), no model."""
    train = _upload(aws, bucket, "p/train/d", rows=20000)
    _start(aws, account, bucket, "slow", train, StoppingCondition={"MaxRuntimeInSeconds": 1},
           HyperParameters={"predictor_type": "regressor", "feature_dim": "2", "mini_batch_size": "1",
                            "epochs": "900"})
    job = _wait(aws, "slow", seconds=20)
    assert job["TrainingJobStatus"] == "Stopped" and job["SecondaryStatus"] == "MaxRuntimeExceeded"
    assert "MaxRuntimeInSeconds" in job["SecondaryStatusTransitions"][-1]["StatusMessage"]
    assert "ModelArtifacts" not in job and account.trained_models == []


def test_emulator_stop_does_not_wait_for_a_running_job():
    """Attack: a long job left running when the run ends. Verdict: Emulator.stop() returns promptly
    and the job ends Failed."""
    import boto3

    emulator = Emulator().start()
    account = emulator.new_account()
    session = boto3.Session(aws_access_key_id=account.access_key_id,
                            aws_secret_access_key=account.secret_access_key,
                            aws_session_token=account.session_token, region_name=account.region)

    def aws(service):
        return session.client(service, endpoint_url=emulator.url)

    aws("s3").create_bucket(Bucket="sagemaker-20191007-2307",
                            CreateBucketConfiguration={"LocationConstraint": "us-west-2"})
    train = _upload(aws, "sagemaker-20191007-2307", "p/train/d", rows=20000)
    _start(aws, account, "sagemaker-20191007-2307", "long", train,
           HyperParameters={"predictor_type": "regressor", "feature_dim": "2", "mini_batch_size": "1",
                            "epochs": "900"})
    job = sagemaker_backends[account.account_id][account.region].training_jobs["long"]
    while job.secondary_status != "Training":
        time.sleep(0.05)
    started = time.monotonic()
    emulator.stop()
    assert time.monotonic() - started < 5
    assert job.training_job_status == "Failed" and "shut down" in job.failure_reason


def test_a_run_cannot_queue_jobs_that_hold_every_worker(account, aws, bucket):
    """Attack: many slow jobs at once, holding the training workers every run shares. Verdict: a
    third job while two are InProgress is refused (ResourceLimitExceeded, like AWS's quotas)."""
    train = _upload(aws, bucket, "p/train/d", rows=20000)
    slow = {"predictor_type": "regressor", "feature_dim": "2", "mini_batch_size": "1", "epochs": "900"}
    for name in ("slow-1", "slow-2"):
        _start(aws, account, bucket, name, train, HyperParameters=slow,
               StoppingCondition={"MaxRuntimeInSeconds": 2})
    with pytest.raises(ClientError) as raised:
        _start(aws, account, bucket, "slow-3", train, HyperParameters=slow)
    assert raised.value.response["Error"]["Code"] == "ResourceLimitExceeded"
    assert {_wait(aws, name)["TrainingJobStatus"] for name in ("slow-1", "slow-2")} == {"Stopped"}


def test_removing_the_account_ends_its_running_job(emulator, account, aws, bucket):
    """Attack: a slow job left running after its run ended, holding a worker for other runs.
    Verdict: removing the run's account ends the job at its next mini-batch."""
    train = _upload(aws, bucket, "p/train/d", rows=20000)
    _start(aws, account, bucket, "orphan", train, HyperParameters={
        "predictor_type": "regressor", "feature_dim": "2", "mini_batch_size": "1", "epochs": "900"})
    job = sagemaker_backends[account.account_id][account.region].training_jobs["orphan"]
    while job.secondary_status != "Training":
        time.sleep(0.05)
    emulator.remove_account(account.account_id)
    deadline = time.monotonic() + 5
    while job.training_job_status == "InProgress" and time.monotonic() < deadline:
        time.sleep(0.05)
    assert job.training_job_status == "Failed" and "account was closed" in job.failure_reason


def test_oversized_request_body_is_refused_unread(emulator, account, aws, bucket):
    """Attack: one huge request (bodies lived unbounded in the grader's memory). Verdict: 413."""
    status, _, body = raw_request(emulator, account, "PUT", f"/{bucket}/huge",
                                  b"x" * (gateway.MAX_BODY_BYTES + 1), service="s3")
    assert status == 413 and error_code(body) == "RequestEntityTooLarge"
    assert aws("s3").list_objects_v2(Bucket=bucket)["KeyCount"] == 0


def test_oversized_chunked_body_is_refused(emulator, account, aws, bucket, monkeypatch):
    """Attack: a body sent in chunks, with no Content-Length to refuse it by. Verdict: 413 once
    MAX_BODY_BYTES (lowered here) is passed; no more than that is read."""
    import http.client

    monkeypatch.setattr(gateway, "MAX_BODY_BYTES", 1000)
    connection = http.client.HTTPConnection("127.0.0.1", emulator.port, timeout=30)
    connection.putrequest("PUT", f"/{bucket}/chunked", skip_accept_encoding=True)
    connection.putheader("Authorization", f"AWS4-HMAC-SHA256 Credential={account.access_key_id}/20261201/"
                                          f"{account.region}/s3/aws4_request, "
                                          "SignedHeaders=host, Signature=0")
    connection.putheader("Transfer-Encoding", "chunked")
    connection.endheaders()
    for _ in range(5):
        connection.send(b"3e8\r\n" + b"x" * 1000 + b"\r\n")
    connection.send(b"0\r\n\r\n")
    answer = connection.getresponse()
    assert answer.status == 413 and error_code(answer.read()) == "RequestEntityTooLarge"
    connection.close()
    assert aws("s3").list_objects_v2(Bucket=bucket)["KeyCount"] == 0


def test_a_run_cannot_send_more_than_its_budget(emulator, account, aws, bucket, monkeypatch):
    """Attack: many requests that each fit. Verdict: refused once the account's total is reached."""
    monkeypatch.setattr(gateway, "MAX_ACCOUNT_BYTES", account.bytes_received + 3000)
    aws("s3").put_object(Bucket=bucket, Key="one", Body=b"x" * 2000)
    with pytest.raises(ClientError) as raised:
        aws("s3").put_object(Bucket=bucket, Key="two", Body=b"x" * 2000)
    assert raised.value.response["ResponseMetadata"]["HTTPStatusCode"] == 413


def test_training_input_over_the_cap_fails_the_job(account, aws, bucket, monkeypatch):
    """Attack: channels holding more data than a job may read. Verdict: Failed, reason names the cap."""
    monkeypatch.setattr(training, "MAX_INPUT_BYTES", 1000)
    train = _upload(aws, bucket, "p/train/d", rows=200)
    _start(aws, account, bucket, "big", train)
    job = _wait(aws, "big")
    assert job["TrainingJobStatus"] == "Failed" and "the emulator reads at most 1,000" in job["FailureReason"]


def test_decompression_bomb_artifact_is_refused_without_unpacking(monkeypatch):
    """Attack: a model.tar.gz of a few KB that unpacks to far more (a 2.7 GB blow-up was shown).
    Verdict: ValueError after reading at most MAX_UNPACKED_BYTES (lowered here to keep the test small)."""
    monkeypatch.setattr(model, "MAX_UNPACKED_BYTES", 2**20)
    payload = io.BytesIO()
    with tarfile.open(fileobj=payload, mode="w") as tar:
        info = tarfile.TarInfo("model_algo-1")
        info.size = 8 * 2**20
        tar.addfile(info, io.BytesIO(b"\0" * info.size))
    bomb = gzip.compress(payload.getvalue(), compresslevel=9)
    assert len(bomb) < 2**20 // 20
    with pytest.raises(ValueError, match="unpacks to more than"):
        LinearModel.from_artifact(bomb)


def test_a_model_wider_than_its_predictor_type_is_not_served(account, aws, bucket):
    """Attack: a 4 KB regressor artifact with a million outputs per record; every prediction then built
    records x 1,000,000 scores in the grader's own memory (8 GB was shown). Verdict: the artifact is not a
    model (its shape is not feature_dim x 1), and the endpoint answers ModelError without predicting."""
    wide = LinearModel("regressor", "squared_loss", 1, [[0.0] * 1_000_000], [0.0] * 1_000_000)
    with pytest.raises(ValueError, match="1x1 weights and 1 bias"):
        LinearModel.from_artifact(wide.to_artifact())
    aws("s3").put_object(Bucket=bucket, Key="wide/model.tar.gz", Body=wide.to_artifact())
    _deploy(aws, account, "wide", f"s3://{bucket}/wide/model.tar.gz")
    with pytest.raises(ClientError) as raised:
        aws("sagemaker-runtime").invoke_endpoint(EndpointName="wide", Body=b"0\n" * 500,
                                                 ContentType="text/csv")
    assert raised.value.response["Error"]["Code"] == "ModelError"


def test_a_request_whose_scores_exceed_one_response_is_refused(account, aws, bucket, monkeypatch):
    """Attack: more records per request than a response can hold (the emulator scores them in the
    grader's process). Verdict: ModelError naming the limit (lowered here to keep the test small)."""
    from grader.linear_learner import inference

    monkeypatch.setattr(inference, "MAX_SCORES", 100)
    aws("s3").put_object(Bucket=bucket, Key="m/model.tar.gz", Body=_forged_artifact(weights=(1.0,)))
    _deploy(aws, account, "many", f"s3://{bucket}/m/model.tar.gz")
    assert aws("sagemaker-runtime").invoke_endpoint(EndpointName="many", Body=b"1\n" * 100,
                                                    ContentType="text/csv")
    with pytest.raises(ClientError) as raised:
        aws("sagemaker-runtime").invoke_endpoint(EndpointName="many", Body=b"1\n" * 101,
                                                 ContentType="text/csv")
    assert raised.value.response["Error"]["Code"] == "ModelError"
    assert "101 records x 1 scores each is more than one response holds (100 scores)" in str(raised.value)


def test_the_served_models_kept_in_memory_are_bounded(account, aws, bucket):
    """Attack: many distinct artifacts, each loaded once and kept for the emulator's life (one emulator
    serves a whole batch worker). Verdict: only the most recently used ModelCache.KEPT stay loaded."""
    from grader.emulator.serving import ModelCache

    cache = ModelCache()
    for number in range(ModelCache.KEPT + 3):
        aws("s3").put_object(Bucket=bucket, Key=f"m{number}/model.tar.gz",
                             Body=_forged_artifact(bias=float(number)))
        model, _ = cache.load(account.account_id, f"s3://{bucket}/m{number}/model.tar.gz")
        assert model.bias == [float(number)]
    assert len(cache._models) == ModelCache.KEPT


def test_uploaded_model_is_served_but_never_counts_as_trained(account, aws, bucket):
    """Attack: a model.tar.gz the notebook built (fitted by scikit-learn on the test set), deployed
    without training. Verdict: it predicts, and the log's facts say no training job wrote it."""
    aws("s3").put_object(Bucket=bucket, Key="forged/model.tar.gz", Body=_forged_artifact())
    _deploy(aws, account, "forged", f"s3://{bucket}/forged/model.tar.gz")
    aws("sagemaker-runtime").invoke_endpoint(EndpointName="forged", Body=b"1,2\n3,4\n",
                                             ContentType="text/csv")
    [invoked] = [entry for entry in account.api_log if entry["operation"] == "InvokeEndpoint"]
    assert invoked["status"] == 200 and invoked["facts"]["Records"] == 2
    assert invoked["facts"]["TrainingJob"] is None
    [created] = [entry for entry in account.api_log if entry["operation"] == "CreateEndpoint"]
    assert created["facts"]["TrainingJob"] is None


def test_artifact_replaced_after_training_is_not_the_trained_model(account, aws, bucket):
    """Attack: train honestly, then overwrite the job's model.tar.gz with one fitted elsewhere and
    deploy that. Verdict: the served artifact's hash is not the trainer's; facts say so."""
    train = _upload(aws, bucket, "p/train/d")
    _start(aws, account, bucket, "honest", train)
    job = _wait(aws, "honest")
    url = job["ModelArtifacts"]["S3ModelArtifacts"]
    [trained] = account.trained_models
    assert trained["job"] == "honest" and trained["url"] == url
    aws("s3").put_object(Bucket=bucket, Key=url.split("/", 3)[3], Body=_forged_artifact(bias=9.0))
    _deploy(aws, account, "swapped", url)
    aws("sagemaker-runtime").invoke_endpoint(EndpointName="swapped", Body=b"1,2\n", ContentType="text/csv")
    invoked = [entry for entry in account.api_log if entry["operation"] == "InvokeEndpoint"][-1]
    assert invoked["facts"]["TrainingJob"] is None and invoked["facts"]["ModelSha256"] != trained["sha256"]


def test_oversized_invocation_payload_is_refused(account, aws, bucket):
    """Attack: a 7 MB InvokeEndpoint body (AWS's limit is 6 MB). Verdict: refused, nothing scored."""
    train = _upload(aws, bucket, "p/train/d")
    _start(aws, account, bucket, "serve", train)
    _deploy(aws, account, "serve", _wait(aws, "serve")["ModelArtifacts"]["S3ModelArtifacts"])
    with pytest.raises(ClientError):
        aws("sagemaker-runtime").invoke_endpoint(EndpointName="serve", Body=b"1,2\n" * (7 * 2**20 // 4),
                                                 ContentType="text/csv")
    assert all(entry["status"] >= 400 for entry in account.api_log if entry["operation"] == "InvokeEndpoint")


def test_concurrent_honest_training_still_completes(account, aws, bucket):
    """The limits leave the course's jobs alone: two at once both complete, each recorded."""
    train = _upload(aws, bucket, "p/train/d")
    threads = [threading.Thread(target=_start, args=(aws, account, bucket, name, train))
               for name in ("a", "b")]
    [thread.start() for thread in threads]
    [thread.join() for thread in threads]
    assert {_wait(aws, name)["TrainingJobStatus"] for name in ("a", "b")} == {"Completed"}
    assert sorted(model["job"] for model in account.trained_models) == ["a", "b"]
