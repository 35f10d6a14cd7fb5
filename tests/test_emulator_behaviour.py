"""What a student sees from the emulator: AWS-shaped failures, AWS defaults where moto differs,
isolated accounts, and the API log."""

import json
import re
import threading
import time
import urllib.request

import numpy as np
import pytest
from botocore.exceptions import ClientError

from grader import recordio

IMAGE = "174872318107.dkr.ecr.us-west-2.amazonaws.com/linear-learner:1"
REGRESSOR = {"predictor_type": "regressor", "feature_dim": 2, "mini_batch_size": 24}


def upload(aws, bucket, key, features, labels=None):
    aws("s3").put_object(Bucket=bucket, Key=key, Body=recordio.write_dense(features, labels))
    return f"s3://{bucket}/{key}"


def make_bucket(aws, name="sagemaker-20191007-2307"):
    aws("s3").create_bucket(Bucket=name, CreateBucketConfiguration={"LocationConstraint": "us-west-2"})
    return name


def start_job(aws, account, name, channels, hyperparameters, image=IMAGE, bucket="sagemaker-20191007-2307"):
    create_job(aws, account, name, channels, hyperparameters, image, bucket)
    return wait_for_job(aws, name)


def create_job(aws, account, name, channels, hyperparameters, image=IMAGE, bucket="sagemaker-20191007-2307"):
    aws("sagemaker").create_training_job(
        TrainingJobName=name, AlgorithmSpecification={"TrainingImage": image, "TrainingInputMode": "File"},
        RoleArn=account.role_arn, HyperParameters={k: str(v) for k, v in hyperparameters.items()},
        InputDataConfig=[{"ChannelName": channel, "DataSource": {"S3DataSource": {
            "S3DataType": "S3Prefix", "S3Uri": uri, "S3DataDistributionType": "FullyReplicated"}}}
            for channel, uri in channels.items()],
        OutputDataConfig={"S3OutputPath": f"s3://{bucket}/out"},
        ResourceConfig={"InstanceType": "ml.m4.xlarge", "InstanceCount": 1, "VolumeSizeInGB": 10},
        StoppingCondition={"MaxRuntimeInSeconds": 3600})


def wait_for_job(aws, name):
    for _ in range(400):
        job = aws("sagemaker").describe_training_job(TrainingJobName=name)
        if job["TrainingJobStatus"] != "InProgress":
            return job
        time.sleep(0.02)
    raise AssertionError(f"{name} never finished")


@pytest.fixture
def regression_data(aws):
    bucket = make_bucket(aws)
    rng = np.random.default_rng(0)
    x = rng.normal(size=(300, 2)).astype(np.float32)
    y = (x @ np.array([1.0, -2.0]) + 0.5).astype(np.float32)
    return {"train": upload(aws, bucket, "p/train/train.data", x[:240], y[:240]),
            "test": upload(aws, bucket, "p/test/test.data", x[240:], y[240:])}


def deploy(aws, account, job, name="ep"):
    sagemaker = aws("sagemaker")
    sagemaker.create_model(ModelName=name, ExecutionRoleArn=account.role_arn, PrimaryContainer={
        "Image": IMAGE, "ModelDataUrl": job["ModelArtifacts"]["S3ModelArtifacts"]})
    sagemaker.create_endpoint_config(EndpointConfigName=name, ProductionVariants=[{
        "VariantName": "AllTraffic", "ModelName": name, "InitialInstanceCount": 1,
        "InstanceType": "ml.m4.xlarge"}])
    sagemaker.create_endpoint(EndpointName=name, EndpointConfigName=name)
    return name


# --- training ------------------------------------------------------------------------------


def test_completed_job_is_consistent_in_describe_list_and_search(aws, account, regression_data):
    job = start_job(aws, account, "good", regression_data, REGRESSOR)
    assert job["TrainingJobStatus"] == "Completed" and job["SecondaryStatus"] == "Completed"
    assert [t["Status"] for t in job["SecondaryStatusTransitions"]] == [
        "Starting", "Downloading", "Training", "Uploading", "Completed"]
    metrics = {m["MetricName"]: m["Value"] for m in job["FinalMetricDataList"]}
    assert metrics["test:rmse"] < 0.2 and "test:mse" in metrics
    assert job["TrainingTimeInSeconds"] >= 1 and job["ModelArtifacts"]["S3ModelArtifacts"].endswith(
        "out/good/output/model.tar.gz")
    head = aws("s3").head_object(Bucket="sagemaker-20191007-2307", Key="out/good/output/model.tar.gz")
    assert head["ContentLength"] > 0
    listed = aws("sagemaker").list_training_jobs()["TrainingJobSummaries"]
    assert [(j["TrainingJobName"], j["TrainingJobStatus"]) for j in listed] == [("good", "Completed")]
    found = aws("sagemaker").search(Resource="TrainingJob")["Results"]
    assert found[0]["TrainingJob"]["TrainingJobStatus"] == "Completed"


def test_training_adds_no_field_to_a_job_a_reply_may_be_reading(aws, account, regression_data):
    """DescribeTrainingJob reads the job's fields while the training thread fills them in: a field
    added then failed the reply ("dictionary changed size during iteration", seen polling every
    10 ms). Every field exists from the start; the reply still leaves out those not set yet."""
    from moto.sagemaker.models import sagemaker_backends

    jobs = sagemaker_backends[account.account_id][account.region].training_jobs
    wrong = {**REGRESSOR, "feature_dim": 7}
    for name, hyperparameters in (("fields-ok", REGRESSOR), ("fields-failed", wrong)):
        create_job(aws, account, name, regression_data, hyperparameters)
        at_start = set(vars(jobs[name]))
        job = wait_for_job(aws, name)
        assert set(vars(jobs[name])) == at_start, set(vars(jobs[name])) ^ at_start
        assert ("FailureReason" in job) == (name == "fields-failed"), job.get("FailureReason")


def test_training_log_reaches_cloudwatch(aws, account, regression_data):
    start_job(aws, account, "logged", regression_data, {"predictor_type": "regressor", "feature_dim": 2})
    messages = _job_log(aws, "logged")
    assert any("#test_score (algo-1) : ('mse'" in m for m in messages)


def test_training_log_lines_are_named_as_real_linear_learner_names_them(aws, account, regression_data):
    """Lines as in the course's executed notebooks: `epoch=3, train absolute_loss_objective <loss>=0.2712`,
    `#test_score (algo-1) : ('mse', 0.13)`, `test mse <loss>=0.1310` (docs/emulator.md lists what differs)."""
    start_job(aws, account, "named", regression_data,
              {"predictor_type": "regressor", "feature_dim": 2, "loss": "absolute_loss", "epochs": 3})
    text = "\n".join(_job_log(aws, "named"))
    assert re.search(r"#quality_metric: host=algo-1, epoch=\d+, train absolute_loss_objective <loss>=\d",
                     text)
    assert re.search(r"#test_score \(algo-1\) : \('absolute_loss_objective', \d", text)
    assert re.search(r"#quality_metric: host=algo-1, test mse <loss>=\d", text)
    assert text.index("#test_score") < text.index("#quality_metric: host=algo-1, test ")


@pytest.mark.parametrize("hyperparameters,reason", [
    ({"predictor_type": "regressor", "feature_dim": 3},
     "feature_dim (3) does not match the number of features in the 'train' channel (2). Set feature_dim=2"),
    ({"feature_dim": 2}, "Missing required hyperparameter: predictor_type"),
    ({"predictor_type": "regressor", "epoch": 3}, "Additional hyperparameters are not allowed ('epoch'"),
    ({"predictor_type": "binary_classifier", "feature_dim": 2}, "labels other than 0 and 1"),
])
def test_bad_hyperparameters_fail_the_job_everywhere(aws, account, regression_data, hyperparameters, reason):
    job = start_job(aws, account, "bad", regression_data, hyperparameters)
    assert job["TrainingJobStatus"] == "Failed" and job["SecondaryStatus"] == "Failed"
    assert job["FailureReason"].startswith("ClientError") and reason in job["FailureReason"]
    assert "ModelArtifacts" not in job
    listed = aws("sagemaker").list_training_jobs(StatusEquals="Failed")["TrainingJobSummaries"]
    assert [j["TrainingJobName"] for j in listed] == ["bad"]
    assert aws("sagemaker").search(Resource="TrainingJob")["Results"][0]["TrainingJob"]["FailureReason"] == \
        job["FailureReason"]


def test_missing_train_prefix_fails_like_aws(aws, account, regression_data):
    job = start_job(aws, account, "empty", {"train": "s3://sagemaker-20191007-2307/nothing/here"},
                    {"predictor_type": "regressor"})
    assert ('No S3 objects found under S3 URL "s3://sagemaker-20191007-2307/nothing/here"'
            in job["FailureReason"])


def test_unsupported_image_names_the_supported_algorithms(aws, account, regression_data):
    job = start_job(aws, account, "xgb", regression_data, {"predictor_type": "regressor"},
                    image="246618743249.dkr.ecr.us-west-2.amazonaws.com/sagemaker-xgboost:1.7-1")
    assert job["TrainingJobStatus"] == "Failed" and "linear-learner" in job["FailureReason"]
    assert "sagemaker-xgboost" in job["FailureReason"]


def test_csv_data_where_protobuf_is_declared_fails_with_a_hint(aws, account):
    bucket = make_bucket(aws)
    aws("s3").put_object(Bucket=bucket, Key="csv/train/train.csv", Body=b"1.0,2.0\n0.0,1.0\n")
    job = start_job(aws, account, "csvjob", {"train": f"s3://{bucket}/csv/train/"},
                    {"predictor_type": "regressor"})
    assert "application/x-recordio-protobuf" in job["FailureReason"] and "byte 0" in job["FailureReason"]


def test_training_does_not_block_other_requests(aws, account):
    bucket = make_bucket(aws)
    rng = np.random.default_rng(1)
    x = rng.normal(size=(60000, 10)).astype(np.float32)
    train = upload(aws, bucket, "big/train/d", x, x.sum(1))
    aws("sagemaker").create_training_job(
        TrainingJobName="big", AlgorithmSpecification={"TrainingImage": IMAGE, "TrainingInputMode": "File"},
        RoleArn=account.role_arn, HyperParameters={"predictor_type": "regressor", "epochs": "5"},
        InputDataConfig=[{"ChannelName": "train", "DataSource": {"S3DataSource": {"S3DataType": "S3Prefix",
                                                                                   "S3Uri": train}}}],
        OutputDataConfig={"S3OutputPath": f"s3://{bucket}/out"},
        ResourceConfig={"InstanceType": "ml.m4.xlarge", "InstanceCount": 1, "VolumeSizeInGB": 10},
        StoppingCondition={"MaxRuntimeInSeconds": 3600})
    started = time.perf_counter()
    status = aws("sagemaker").describe_training_job(TrainingJobName="big")["TrainingJobStatus"]
    aws("s3").list_buckets()
    assert status == "InProgress" and time.perf_counter() - started < 2.0
    assert wait_for_job(aws, "big")["TrainingJobStatus"] == "Completed"


# --- serving -------------------------------------------------------------------------------


def test_invoke_endpoint_in_every_format(aws, account, regression_data):
    job = start_job(aws, account, "serve", regression_data, REGRESSOR)
    endpoint = deploy(aws, account, job)
    runtime = aws("sagemaker-runtime")
    rows = np.array([[1.0, 0.0], [0.0, 1.0]], np.float32)
    expected = rows @ np.array([1.0, -2.0]) + 0.5

    def scores(body, content_type, accept="application/json"):
        answer = runtime.invoke_endpoint(EndpointName=endpoint, Body=body, ContentType=content_type,
                                         Accept=accept)
        return answer["Body"].read(), answer["ContentType"]

    for body, content_type in [(b"1,0\n0,1\n", "text/csv"),
                               (json.dumps({"instances": [{"features": [1, 0]}, {"features": [0, 1]}]}),
                                "application/json"),
                               (b'{"features": [1, 0]}\n{"features": [0, 1]}\n', "application/jsonlines"),
                               (recordio.write_dense(rows), "application/x-recordio-protobuf")]:
        answer, answered_type = scores(body, content_type)
        assert answered_type == "application/json"
        np.testing.assert_allclose([p["score"] for p in json.loads(answer)["predictions"]], expected,
                                   atol=0.1)
    lines, answered_type = scores(b"1,0\n", "text/csv", "application/jsonlines")
    assert answered_type == "application/jsonlines" and "score" in json.loads(lines)
    protobuf, answered_type = scores(b"1,0\n", "text/csv", "application/x-recordio-protobuf")
    assert answered_type == "application/x-recordio-protobuf" and recordio.looks_like_recordio(protobuf)


def test_wrong_feature_count_is_a_model_error(aws, account, regression_data):
    endpoint = deploy(aws, account, start_job(aws, account, "wf", regression_data,
                                              {"predictor_type": "regressor", "feature_dim": 2}))
    with pytest.raises(ClientError) as raised:
        aws("sagemaker-runtime").invoke_endpoint(EndpointName=endpoint, Body=b"1,2,3\n",
                                                 ContentType="text/csv")
    assert raised.value.response["Error"]["Code"] == "ModelError"
    assert "must have 2 features" in raised.value.response["Error"]["Message"]


def test_invoking_a_deleted_or_missing_endpoint(aws, account, regression_data):
    endpoint = deploy(aws, account, start_job(aws, account, "del", regression_data,
                                              {"predictor_type": "regressor", "feature_dim": 2}))
    aws("sagemaker").delete_endpoint(EndpointName=endpoint)
    for name in (endpoint, "never-made"):
        with pytest.raises(ClientError) as raised:
            aws("sagemaker-runtime").invoke_endpoint(EndpointName=name, Body=b"1,2\n", ContentType="text/csv")
        assert raised.value.response["Error"]["Code"] == "ValidationError"
        assert raised.value.response["Error"]["Message"] == \
            f"Endpoint {name} of account {account.account_id} not found."


# --- faithful where moto is not ------------------------------------------------------------


def test_root_access_defaults_to_enabled(aws, account):
    sagemaker = aws("sagemaker")
    sagemaker.create_notebook_instance(NotebookInstanceName="sm-test", InstanceType="ml.m4.xlarge",
                                       RoleArn=account.role_arn)
    sagemaker.create_notebook_instance(NotebookInstanceName="sm-locked", InstanceType="ml.t2.medium",
                                       RoleArn=account.role_arn, RootAccess="Disabled")
    assert sagemaker.describe_notebook_instance(NotebookInstanceName="sm-test")["RootAccess"] == "Enabled"
    assert sagemaker.describe_notebook_instance(NotebookInstanceName="sm-locked")["RootAccess"] == "Disabled"
    with pytest.raises(ClientError, match="notebookInstanceName"):
        sagemaker.create_notebook_instance(NotebookInstanceName="sm_test!", InstanceType="ml.m4.xlarge",
                                           RoleArn=account.role_arn)


@pytest.mark.parametrize("name", ["Sagemaker-20191007-2307", "sagemaker_bucket", "ab", "192.168.1.1",
                                  "xn--bucket", "bucket-s3alias", "my..bucket", "-bucket"])
def test_invalid_bucket_names_are_refused(aws, name):
    with pytest.raises(ClientError) as raised:
        aws("s3").create_bucket(Bucket=name, CreateBucketConfiguration={"LocationConstraint": "us-west-2"})
    assert raised.value.response["Error"]["Code"] == "InvalidBucketName"


def test_aws_managed_policies_exist_by_arn(aws):
    policy = aws("iam").get_policy(PolicyArn="arn:aws:iam::aws:policy/AdministratorAccess")["Policy"]
    assert policy["PolicyName"] == "AdministratorAccess"


def test_group_with_members_cannot_be_deleted(aws):
    iam = aws("iam")
    iam.create_group(GroupName="Administrators")
    iam.create_user(UserName="administrator")
    iam.add_user_to_group(GroupName="Administrators", UserName="administrator")
    with pytest.raises(ClientError) as raised:
        iam.delete_group(GroupName="Administrators")
    assert raised.value.response["Error"]["Code"] == "DeleteConflict"
    iam.remove_user_from_group(GroupName="Administrators", UserName="administrator")
    iam.delete_group(GroupName="Administrators")


# --- robustness, isolation, API log ---------------------------------------------------------


def _raw(emulator, path, body, headers):
    request = urllib.request.Request(emulator.url + path, data=body, headers=headers, method="POST")
    try:
        with urllib.request.urlopen(request, timeout=10) as answer:
            return answer.status, answer.read()
    except urllib.error.HTTPError as failure:
        return failure.code, failure.read()


def test_malformed_requests_get_aws_errors_and_the_server_keeps_serving(emulator, account, aws):
    signed = {"Authorization": "AWS4-HMAC-SHA256 "
                               f"Credential={account.access_key_id}/20261129/us-west-2/sagemaker/"
                               "aws4_request, SignedHeaders=host, Signature=x",
              "X-Amz-Target": "SageMaker.CreateTrainingJob", "Content-Type": "application/x-amz-json-1.1"}
    for body in (b"{not json", b"[]", b'{"TrainingJobName": 5}', b"\xff\xfe"):
        status, answer = _raw(emulator, "/", body, signed)
        assert 400 <= status < 500, (body, status, answer)
        assert b"__type" in answer
    status, answer = _raw(emulator, "/", b"Action=ListUsers",
                          {"Content-Type": "application/x-www-form-urlencoded"})
    assert status == 403 and b"InvalidClientTokenId" in answer
    status, answer = _raw(emulator, "/moto-api/reset", b"", signed)
    assert status == 403
    bad_endpoint = dict(signed, **{"Content-Type": "text/csv"})
    del bad_endpoint["X-Amz-Target"]
    assert _raw(emulator, "/endpoints/none/invocations", b"\x00\x01", bad_endpoint)[0] == 400
    assert aws("s3").list_buckets()["Buckets"] == []


def test_two_accounts_at_once_never_see_each_other(emulator):
    import boto3

    def client(account, service):
        return boto3.client(service, endpoint_url=emulator.url, region_name="us-west-2",
                            aws_access_key_id=account.access_key_id,
                            aws_secret_access_key=account.secret_access_key,
                            aws_session_token=account.session_token)

    first, second = emulator.new_account(), emulator.new_account()
    try:
        outcomes = {}

        def work(account, tag):
            s3 = client(account, "s3")
            s3.create_bucket(Bucket="sagemaker-20191007-2307",
                             CreateBucketConfiguration={"LocationConstraint": "us-west-2"})
            s3.put_object(Bucket="sagemaker-20191007-2307", Key=f"{tag}.txt", Body=tag.encode())
            client(account, "sagemaker").create_notebook_instance(
                NotebookInstanceName=f"nb-{tag}", InstanceType="ml.t2.medium", RoleArn=account.role_arn)
            keys = [o["Key"] for o in s3.list_objects_v2(Bucket="sagemaker-20191007-2307")["Contents"]]
            notebooks = client(account, "sagemaker").list_notebook_instances()["NotebookInstances"]
            outcomes[tag] = (keys, [n["NotebookInstanceName"] for n in notebooks],
                             client(account, "sts").get_caller_identity()["Account"])

        threads = [threading.Thread(target=work, args=(a, t)) for a, t in ((first, "one"), (second, "two"))]
        [t.start() for t in threads]
        [t.join() for t in threads]
        assert outcomes["one"] == (["one.txt"], ["nb-one"], first.account_id)
        assert outcomes["two"] == (["two.txt"], ["nb-two"], second.account_id)
    finally:
        emulator.remove_account(first.account_id)
        emulator.remove_account(second.account_id)
    assert emulator.accounts.for_access_key(first.access_key_id) is None


def test_api_log_records_what_the_client_did(aws, account, regression_data):
    aws("iam").create_user(UserName="administrator")
    aws("iam").create_login_profile(UserName="administrator", Password="Sup3r-secret!",
                                    PasswordResetRequired=False)
    job = start_job(aws, account, "logjob", regression_data,
                    {"predictor_type": "regressor", "feature_dim": 2})
    endpoint = deploy(aws, account, job)
    aws("sagemaker-runtime").invoke_endpoint(EndpointName=endpoint, Body=b"1,2\n3,4\n",
                                             ContentType="text/csv")
    with pytest.raises(ClientError):
        aws("s3").create_bucket(Bucket="Bad_Name")
    by_operation = {(e["service"], e["operation"]): e for e in account.api_log}
    assert by_operation[("s3", "PutObject")]["params"]["Key"] in ("p/train/train.data", "p/test/test.data")
    assert by_operation[("sagemaker", "CreateTrainingJob")]["params"]["TrainingJobName"] == "logjob"
    invoke = by_operation[("sagemaker-runtime", "InvokeEndpoint")]
    assert invoke["params"] == {"EndpointName": endpoint, "ContentType": "text/csv", "Accept": ""}
    assert invoke["status"] == 200 and invoke["facts"]["Records"] == 2 and invoke["facts"]["Features"] == 2
    assert invoke["facts"]["TrainingJob"] == "logjob"   # served the model the trainer wrote
    refused = by_operation[("s3", "CreateBucket")]
    assert refused["error"] == "InvalidBucketName" and refused["status"] == 400
    assert by_operation[("iam", "CreateLoginProfile")]["params"]["Password"] == "<redacted>"
    assert "Sup3r-secret!" not in json.dumps(account.api_log)
    assert all({"time", "duration_ms", "region"} <= set(e) for e in account.api_log)


def test_manifest_file_channel_trains_on_the_listed_objects(aws, account):
    bucket = make_bucket(aws)
    rng = np.random.default_rng(5)
    x = rng.normal(size=(200, 2)).astype(np.float32)
    y = (x @ np.array([1.0, -2.0]) + 0.5).astype(np.float32)
    upload(aws, bucket, "m/part-1", x[:100], y[:100])
    upload(aws, bucket, "m/part-2", x[100:], y[100:])
    aws("s3").put_object(Bucket=bucket, Key="m/train.manifest",
                         Body=json.dumps([{"prefix": f"s3://{bucket}/m/"}, "part-1", "part-2"]).encode())
    aws("sagemaker").create_training_job(
        TrainingJobName="manifest", AlgorithmSpecification={"TrainingImage": IMAGE,
                                                            "TrainingInputMode": "File"},
        RoleArn=account.role_arn, HyperParameters={k: str(v) for k, v in REGRESSOR.items()},
        InputDataConfig=[{"ChannelName": "train", "DataSource": {"S3DataSource": {
            "S3DataType": "ManifestFile", "S3Uri": f"s3://{bucket}/m/train.manifest"}}}],
        OutputDataConfig={"S3OutputPath": f"s3://{bucket}/out"},
        ResourceConfig={"InstanceType": "ml.m4.xlarge", "InstanceCount": 1, "VolumeSizeInGB": 10},
        StoppingCondition={"MaxRuntimeInSeconds": 3600})
    job = wait_for_job(aws, "manifest")
    assert job["TrainingJobStatus"] == "Completed", job.get("FailureReason")
    assert any("on 200 records" in line for line in _job_log(aws, "manifest"))


def _job_log(aws, name):
    logs = aws("logs")
    stream = logs.describe_log_streams(logGroupName="/aws/sagemaker/TrainingJobs",
                                       logStreamNamePrefix=name)["logStreams"][0]["logStreamName"]
    return [e["message"] for e in logs.get_log_events(logGroupName="/aws/sagemaker/TrainingJobs",
                                                      logStreamName=stream)["events"]]


def test_password_reset_required_is_kept_as_aws_does(aws):
    iam = aws("iam")
    iam.create_user(UserName="student")
    made = iam.create_login_profile(UserName="student", Password="Pa55word!x", PasswordResetRequired=True)
    assert made["LoginProfile"]["PasswordResetRequired"] is True
    assert iam.get_login_profile(UserName="student")["LoginProfile"]["PasswordResetRequired"] is True
    iam.create_user(UserName="other")
    iam.create_login_profile(UserName="other", Password="Pa55word!x", PasswordResetRequired=False)
    assert iam.get_login_profile(UserName="other")["LoginProfile"]["PasswordResetRequired"] is False


def test_float64_recordio_features_fail_the_job_as_on_aws(aws, account):
    bucket = make_bucket(aws)
    train = upload(aws, bucket, "p/train/train.data", np.arange(20.0).reshape(10, 2), np.arange(10.0))
    job = start_job(aws, account, "float64", {"train": train},
                    {"predictor_type": "regressor", "feature_dim": 2})
    assert job["TrainingJobStatus"] == "Failed" and "Float32" in job["FailureReason"]
