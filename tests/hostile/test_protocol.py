"""Mixed-protocol requests: whatever a kernel sends, the operation the API log names, our handlers
see and moto executes is one and the same, or the request is refused with an AWS error."""

import gzip
import json

import pytest
from botocore.exceptions import ClientError

from .conftest import error_code, raw_request, sagemaker_json, training_job_request


def _jobs(aws):
    return aws("sagemaker").list_training_jobs()["TrainingJobSummaries"]


def _logged(account, operation):
    return [entry for entry in account.api_log if entry["operation"] == operation]


def test_target_naming_one_operation_and_query_action_another_is_refused(emulator, account, aws, bucket):
    """Attack: X-Amz-Target ListTrainingJobs, `?Action=CreateTrainingJob` (moto would create a
    Completed job our trainer never saw). Verdict: refused, no job, the log shows the refusal."""
    job = training_job_request(account, "forged", f"s3://{bucket}/p/train/", f"s3://{bucket}/out")
    status, _, body = sagemaker_json(emulator, account, "ListTrainingJobs", job,
                                     query="Action=CreateTrainingJob")
    assert status == 400 and error_code(body) == "UnknownOperationException"
    assert _jobs(aws) == []
    [entry] = _logged(account, "ListTrainingJobs")[:1]
    assert entry["status"] == 400 and entry["facts"] == {}


def test_action_hidden_in_a_json_body_is_refused(emulator, account, aws, bucket):
    """Attack: moto reads a JSON body as a query string too, so `&Action=CreateTrainingJob&` inside a
    hyperparameter value would make it create the job. Verdict: refused, no job."""
    job = training_job_request(account, "hidden", f"s3://{bucket}/p/train/", f"s3://{bucket}/out",
                               HyperParameters={"x": "&Action=CreateTrainingJob&"})
    status, _, body = sagemaker_json(emulator, account, "ListTrainingJobs", job)
    assert status == 400 and error_code(body) == "UnknownOperationException"
    assert _jobs(aws) == []


def test_action_header_is_refused(emulator, account, aws):
    """Attack: moto falls back to the request's headers for Action when there is no body or query."""
    status, _, body = raw_request(emulator, account, "POST", "/", service="iam",
                                  headers={"Action": "CreateUser", "UserName": "ghost"})
    assert status == 400 and error_code(body) == "InvalidRequest"
    assert aws("iam").list_users()["Users"] == []


def test_sagemaker_request_in_the_query_protocol_is_refused(emulator, account, aws, bucket):
    """Attack: a form-encoded `Action=CreateTrainingJob` to SageMaker (a JSON service) bypasses the
    trainer's handler, which reads JSON. Verdict: refused, no job."""
    status, _, body = raw_request(emulator, account, "POST", "/",
                                  b"Action=CreateTrainingJob&TrainingJobName=f",
                                  headers={"Content-Type": "application/x-www-form-urlencoded"})
    assert status == 400 and _jobs(aws) == []


def test_query_parameters_in_both_form_and_url_are_refused(emulator, account, aws):
    """Attack: DeleteGroup with GroupName=Administrators in the form and another name in the URL: our
    members check would read one, moto delete the other. Verdict: refused, the group stays."""
    iam = aws("iam")
    iam.create_group(GroupName="Administrators")
    iam.create_user(UserName="administrator")
    iam.add_user_to_group(GroupName="Administrators", UserName="administrator")
    status, _, _ = raw_request(emulator, account, "POST", "/?GroupName=nobody", service="iam",
                               body=b"Action=DeleteGroup&GroupName=Administrators&Version=2010-05-08",
                               headers={"Content-Type": "application/x-www-form-urlencoded"})
    assert status == 400
    assert [g["GroupName"] for g in iam.list_groups()["Groups"]] == ["Administrators"]


def test_repeated_action_is_refused(emulator, account, aws):
    """Attack: `Action=CreateUser&Action=DeleteUser`: moto takes the first, a dict the last."""
    status, _, _ = raw_request(emulator, account, "POST", "/", service="iam",
                               body=b"Action=CreateUser&Action=ListUsers&UserName=twice&Version=2010-05-08",
                               headers={"Content-Type": "application/x-www-form-urlencoded"})
    assert status == 400 and aws("iam").list_users()["Users"] == []


def test_operation_the_service_does_not_have_is_refused(emulator, account):
    """Attack: X-Amz-Target SageMaker.InvokeEndpoint with {"Records": 500}, so that the log would show
    an invocation no endpoint made. Verdict: refused; nothing the checks read was recorded."""
    status, _, body = sagemaker_json(emulator, account, "InvokeEndpoint",
                                     {"EndpointName": "ep", "Records": 500})
    assert status == 400 and error_code(body) == "UnknownOperationException"
    assert all(entry["status"] >= 400 and entry["facts"] == {}
               for entry in _logged(account, "InvokeEndpoint"))


def test_client_fields_never_become_facts(emulator, account):
    """Attack: extra fields a client adds to a real operation. Verdict: refused as AWS does (unknown
    parameter), so `params` never carries them either."""
    status, _, body = sagemaker_json(emulator, account, "ListEndpoints", {"Records": 500})
    assert status == 400 and error_code(body) == "ValidationException" and b"Records" in body


@pytest.mark.parametrize("where", ["query", "path", "user-agent"])
def test_a_second_region_in_the_request_is_refused(emulator, account, aws, bucket, where):
    """Attack: moto takes the region from `.<region>.amazonaws.com` anywhere in the URL, or from
    `region/...` in the User-Agent, before the signature's: a job made in us-east-1 while the log and
    the trainer say us-west-2. Verdict: refused."""
    job = training_job_request(account, "elsewhere", f"s3://{bucket}/p/train/", f"s3://{bucket}/out")
    if where == "query":
        answer = sagemaker_json(emulator, account, "CreateTrainingJob", job,
                                query="x=.us-east-1.amazonaws.com")
    elif where == "path":
        answer = raw_request(emulator, account, "PUT", "/sagemaker-20191007-2307/k.us-east-1.amazonaws.com",
                             b"data", service="s3")
    else:
        answer = sagemaker_json(emulator, account, "CreateTrainingJob", job,
                                headers={"User-Agent": "Boto3/1 region/us-east-1"})
    assert answer[0] == 400 and error_code(answer[2]) == "AuthorizationHeaderMalformed"
    assert _jobs(aws) == []


def test_a_host_other_than_loopback_is_refused(emulator, account, aws):
    """Attack: `Host: evil.s3.amazonaws.com` makes moto take the bucket from the host name, not the
    path our log and name checks read. Verdict: refused, no bucket."""
    status, _, _ = raw_request(emulator, account, "PUT", "/", service="s3",
                               headers={"Host": "Bad_Bucket.s3.us-west-2.amazonaws.com"})
    assert status == 400 and aws("s3").list_buckets()["Buckets"] == []


def test_compressed_query_request_is_refused(emulator, account, aws):
    """Attack: a gzip body moto would inflate (unbounded) and read as another request than we did."""
    status, _, _ = raw_request(emulator, account, "POST", "/", service="iam",
                               body=gzip.compress(b"Action=CreateUser&UserName=zipped&Version=2010-05-08"),
                               headers={"Content-Type": "application/x-www-form-urlencoded",
                                        "Content-Encoding": "gzip"})
    assert status == 400 and aws("iam").list_users()["Users"] == []


@pytest.mark.parametrize("path", ["/Bad_Name?location", "/Bad_Name?versionId=1", "/sagemaker-%1B%5B2j"])
def test_invalid_bucket_names_are_refused_whatever_the_request_shape(emulator, account, aws, path):
    """Attack: a PUT that moto treats as CreateBucket (it ignores ?location) while a simple operation
    mirror would call it something else and skip the name check. Verdict: InvalidBucketName."""
    body = (b"<CreateBucketConfiguration><LocationConstraint>us-west-2</LocationConstraint>"
            b"</CreateBucketConfiguration>")
    status, _, answer = raw_request(emulator, account, "PUT", path, body, service="s3")
    assert status == 400 and error_code(answer) == "InvalidBucketName"
    assert aws("s3").list_buckets()["Buckets"] == []


def test_moto_internal_paths_are_not_reachable(emulator, account):
    """Attack: paths moto routes to its own control and metadata apps whoever signs the request."""
    for path in ("/moto-api/reset", "/latest/meta-data/iam/security-credentials/", "/favicon.ico"):
        status, _, _ = raw_request(emulator, account, "GET", path, service="s3")
        assert status in (400, 403), path


@pytest.mark.parametrize("call", [
    lambda aws: aws("sagemaker").create_endpoint_config(
        EndpointConfigName="cfg\x1b[2J", ProductionVariants=[{"VariantName": "AllTraffic", "ModelName": "m",
                                                               "InitialInstanceCount": 1,
                                                               "InstanceType": "ml.m4.xlarge"}]),
    lambda aws: aws("sagemaker").create_model(ModelName="model\r26/26", PrimaryContainer={"Image": "x"},
                                              ExecutionRoleArn="arn:aws:iam::123456789012:role/r"),
    lambda aws: aws("sagemaker").create_notebook_instance(NotebookInstanceName="nb\x1b[31m",
                                                          InstanceType="ml.t2.medium",
                                                          RoleArn="arn:aws:iam::123456789012:role/r"),
    lambda aws: aws("iam").create_user(UserName="admin\x1b[0m"),
    lambda aws: aws("iam").create_group(GroupName="Admins\n"),
    lambda aws: aws("iam").create_role(RoleName="r" * 65, AssumeRolePolicyDocument="{}"),
])
def test_names_aws_would_refuse_are_refused(aws, call):
    """Attack: names carrying terminal escapes (or too long) stored by moto and shown to staff.
    Verdict: AWS's validation error, nothing stored."""
    with pytest.raises(ClientError) as raised:
        call(aws)
    assert raised.value.response["Error"]["Code"] in ("ValidationException", "ValidationError",
                                                      "InvalidBucketName")
    assert aws("iam").list_users()["Users"] == [] and aws("sagemaker").list_models()["Models"] == []


def test_honest_sdk_style_requests_still_work(aws, account, bucket):
    """The refusals above leave boto3's own requests alone (JSON, query and REST-XML)."""
    aws("s3").put_object(Bucket=bucket, Key="a/b.txt", Body=b"x")
    assert aws("s3").list_objects_v2(Bucket=bucket)["KeyCount"] == 1
    aws("iam").create_user(UserName="administrator")
    assert aws("sagemaker").list_training_jobs()["TrainingJobSummaries"] == []
    assert aws("sts").get_caller_identity()["Account"] == account.account_id
    assert json.loads(json.dumps(account.api_log[-1]))["status"] == 200
