"""Account snapshots: complete, read-only, honest about failed calls, and a faithful starting state."""

import json

import boto3
import pytest
from botocore.awsrequest import AWSResponse

from grader.cli import main
from grader.errors import UsageError
from grader.execution.seeding import seed_from_snapshot
from grader.snapshots import snapshot as snapshots
from grader.snapshots.snapshot import collect_emulated, decode_body, incomplete

BUCKET = "sagemaker-20191007-2307"
ADMIN = "arn:aws:iam::aws:policy/AdministratorAccess"


@pytest.fixture
def course_account(aws):
    """The console work of the course, done with boto3: admin user, bucket with data, notebook."""
    iam, s3, sm = aws("iam"), aws("s3"), aws("sagemaker")
    iam.create_user(UserName="administrator")
    iam.create_group(GroupName="Administrators")
    iam.attach_group_policy(GroupName="Administrators", PolicyArn=ADMIN)
    iam.add_user_to_group(GroupName="Administrators", UserName="administrator")
    iam.create_login_profile(UserName="administrator", Password="Course-Passw0rd!",
                             PasswordResetRequired=False)
    iam.create_access_key(UserName="administrator")
    iam.put_user_policy(UserName="administrator", PolicyName="inline",
                        PolicyDocument=json.dumps({"Version": "2012-10-17", "Statement": [
                            {"Effect": "Allow", "Action": "s3:ListBucket", "Resource": "*"}]}))
    s3.create_bucket(Bucket=BUCKET, CreateBucketConfiguration={"LocationConstraint": "us-west-2"})
    s3.put_object(Bucket=BUCKET, Key="austin-rainfall-regression/train/linear_train.data",
                  Body=b"\x0a\xd7\x23\xce")
    role = iam.create_role(RoleName="AmazonSageMaker-ExecutionRole-20191007T230000", Path="/service-role/",
                           AssumeRolePolicyDocument=json.dumps({"Version": "2012-10-17", "Statement": [
                               {"Effect": "Allow", "Principal": {"Service": "sagemaker.amazonaws.com"},
                                "Action": "sts:AssumeRole"}]}))["Role"]["Arn"]
    sm.create_notebook_instance(NotebookInstanceName="sm-test", InstanceType="ml.m4.xlarge", RoleArn=role,
                                RootAccess="Enabled")
    return aws


def by_name(items, field, name):
    return next(item for item in items if item[field] == name)


def test_a_snapshot_holds_iam_s3_and_sagemaker_state(emulator, account, course_account):
    snapshot = collect_emulated(emulator, account)
    assert snapshot["schema"] == "grader.account-snapshot/1" and snapshot["errors"] == []
    assert snapshot["account_id"] == account.account_id and snapshot["source"] == "emulator"
    user = by_name(snapshot["iam"]["users"], "UserName", "administrator")
    assert user["groups"] == ["Administrators"] and user["login_profile"]["UserName"] == "administrator"
    assert [key["Status"] for key in user["access_keys"]] == ["Active"]
    assert user["inline_policies"]["inline"]["Statement"][0]["Action"] == "s3:ListBucket"
    group = by_name(snapshot["iam"]["groups"], "GroupName", "Administrators")
    assert group["members"] == ["administrator"] and group["attached_policies"][0]["PolicyArn"] == ADMIN
    assert snapshot["iam"]["policies"][ADMIN]["Document"]["Statement"][0]["Action"] == "*"
    assert snapshot["iam"]["account_summary"]["Users"] == 1
    bucket = by_name(snapshot["s3"]["buckets"], "Name", BUCKET)
    assert bucket["Region"] == "us-west-2" and bucket["objects"][0]["Size"] == 4
    notebook = snapshot["sagemaker"]["us-west-2"]["notebook_instances"][0]
    assert notebook["NotebookInstanceName"] == "sm-test" and notebook["RootAccess"] == "Enabled"
    json.loads(snapshots.to_json(snapshot))


def on_every_call(monkeypatch, handler):
    """Register a botocore before-call handler on every client the collector makes."""
    original = snapshots.Collector.client

    def hooked(self, service, region=None):
        made = original(self, service, region)
        made.meta.events.register("before-call", handler, unique_id=f"test-{handler.__name__}")
        return made

    monkeypatch.setattr(snapshots.Collector, "client", hooked)


def test_collection_makes_only_read_only_calls(emulator, account, course_account, monkeypatch):
    """A botocore hook fails the collection on any operation that is not List/Get/Describe/Head."""
    seen = []

    def only_reads(model, **_):
        seen.append(model.name)
        assert model.name.startswith(snapshots.READ_ONLY_PREFIXES), f"{model.name} is not read-only"

    on_every_call(monkeypatch, only_reads)
    snapshot = collect_emulated(emulator, account)
    assert snapshot["errors"] == []
    assert {"ListUsers", "GetLoginProfile", "ListBuckets", "GetBucketLocation", "DescribeNotebookInstance",
            "GetPolicyVersion", "GetCallerIdentity"} <= set(seen)


def test_failed_calls_are_recorded_as_errors_not_as_absence(emulator, account, course_account, monkeypatch):
    def deny(model, **_):
        if model.name in ("GetBucketLocation", "ListNotebookInstances"):
            return (AWSResponse("https://denied", 403, {}, None),
                    {"Error": {"Code": "AccessDenied", "Message": "not allowed"},
                     "ResponseMetadata": {"HTTPStatusCode": 403}})

    on_every_call(monkeypatch, deny)
    snapshot = collect_emulated(emulator, account)
    assert snapshot["sagemaker"]["us-west-2"]["notebook_instances"] is None
    assert by_name(snapshot["s3"]["buckets"], "Name", BUCKET)["Region"] is None
    assert {error["code"] for error in snapshot["errors"]} == {"AccessDenied"}, snapshot["errors"]
    assert incomplete(snapshot, "sagemaker.us-west-2.notebook_instances")
    assert incomplete(snapshot, f"s3.bucket:{BUCKET}") and not incomplete(snapshot, "iam")


def test_training_inputs_are_kept_for_offline_protobuf_checks(emulator, account, aws):
    aws("s3").create_bucket(Bucket=BUCKET, CreateBucketConfiguration={"LocationConstraint": "us-west-2"})
    aws("s3").put_object(Bucket=BUCKET, Key="p/train/linear_train.data", Body=b"train-bytes")
    aws("s3").put_object(Bucket=BUCKET, Key="p/other.csv", Body=b"not needed")
    snapshot = {"sagemaker": {"us-west-2": {"training_jobs": [{"InputDataConfig": [
        {"ChannelName": "train", "DataSource": {"S3DataSource": {"S3Uri": f"s3://{BUCKET}/p/train"}}}]}]}}}
    urls = snapshots.content_urls(snapshot["sagemaker"])
    collector = snapshots.Collector(boto3.Session(), ["us-west-2"], emulator.url, {
        "aws_access_key_id": account.access_key_id, "aws_secret_access_key": account.secret_access_key,
        "aws_session_token": account.session_token})
    from grader.snapshots.collect_s3 import collect_s3
    try:
        objects = by_name(collect_s3(collector, urls)["buckets"], "Name", BUCKET)["objects"]
    finally:
        collector.close()
    assert decode_body(by_name(objects, "Key", "p/train/linear_train.data")) == b"train-bytes"
    assert decode_body(by_name(objects, "Key", "p/other.csv")) is None


def test_seeding_a_fresh_account_reproduces_the_snapshot(emulator, account, course_account):
    original = collect_emulated(emulator, account)
    fresh = emulator.new_account()
    try:
        provided = seed_from_snapshot(emulator, fresh, original)
        copy = collect_emulated(emulator, fresh)
    finally:
        emulator.remove_account(fresh.account_id)
    assert all(item["created"] for item in provided if item["kind"] != "iam_access_key"), provided
    user = by_name(copy["iam"]["users"], "UserName", "administrator")
    assert user["groups"] == ["Administrators"] and user["login_profile"] and len(user["access_keys"]) == 1
    group = by_name(copy["iam"]["groups"], "GroupName", "Administrators")
    assert group["attached_policies"][0]["PolicyArn"] == ADMIN
    assert by_name(copy["s3"]["buckets"], "Name", BUCKET)["Region"] == "us-west-2"
    notebook = copy["sagemaker"]["us-west-2"]["notebook_instances"][0]
    assert notebook["NotebookInstanceName"] == "sm-test" and notebook["InstanceType"] == "ml.m4.xlarge"
    assert notebook["RoleArn"].endswith("role/service-role/AmazonSageMaker-ExecutionRole-20191007T230000")


@pytest.mark.parametrize("content, problem", [
    ("", "not valid JSON"),
    ("[1, 2]", "is not a grader.account-snapshot/1 snapshot"),
    ('{"schema": "other/1"}', "schema: 'other/1'"),
    ('{"schema": "grader.account-snapshot/1", "iam": {}, "s3": {}}', "no 'sagemaker' section"),
])
def test_a_malformed_snapshot_is_refused_in_one_line(tmp_path, content, problem):
    path = tmp_path / "snapshot.json"
    path.write_text(content)
    with pytest.raises(UsageError, match=problem):
        snapshots.read(path)


def test_grader_snapshot_of_the_emulator_writes_a_file(emulator, account, course_account, tmp_path, capsys):
    from grader.emulator import client_environment, write_env_file

    write_env_file(tmp_path / "env", client_environment(emulator.url, account))
    assert main(["snapshot", "--env-file", str(tmp_path / "env"), "--out", str(tmp_path / "snap.json")]) == 0
    assert f"snapshot of account {account.account_id}" in capsys.readouterr().out
    assert snapshots.read(tmp_path / "snap.json")["iam"]["users"][0]["UserName"] == "administrator"


def test_grader_snapshot_without_a_target_says_what_to_give(tmp_path, capsys):
    assert main(["snapshot", "--out", str(tmp_path / "snap.json")]) == 2
    err = capsys.readouterr().err.strip()
    assert err.count("\n") == 0 and "--env-file" in err and "--live" in err


@pytest.fixture
def live_environment(emulator, account, monkeypatch):
    """The default credential chain and AWS_ENDPOINT_URL point at the emulator: the --live code path
    (no profile) runs for real, without reaching AWS."""
    from grader.emulator import client_environment

    for key, value in client_environment(emulator.url, account).items():
        if key.startswith("AWS_"):
            monkeypatch.setenv(key, value)
    return account


@pytest.mark.slow   # reads every region (about 30) of the emulated account
def test_grader_snapshot_live_reads_the_default_credential_chain(
        live_environment, course_account, tmp_path, capsys):
    assert main(["snapshot", "--live", "--out", str(tmp_path / "live.json")]) == 0
    snapshot = snapshots.read(tmp_path / "live.json")
    assert snapshot["source"] == "live" and snapshot["account_id"] == live_environment.account_id
    assert {"us-west-2", "us-east-1", "us-east-2", "eu-west-1"} <= set(snapshot["regions"])
    assert snapshot["errors"] == []
    assert by_name(snapshot["iam"]["users"], "UserName", "administrator")["groups"] == ["Administrators"]


@pytest.mark.slow   # reads every region (about 30) of the emulated account
def test_a_live_snapshot_reads_every_enabled_region_and_says_which(live_environment, aws, tmp_path):
    """Notebook instances left in us-east-2 and eu-west-1 are found (issue 10: they scored 10/10)."""
    role = f"arn:aws:iam::{live_environment.account_id}:role/service-role/AmazonSageMaker-ExecutionRole-1"
    credentials = {key: getattr(live_environment, attr) for key, attr in (
        ("aws_access_key_id", "access_key_id"), ("aws_secret_access_key", "secret_access_key"),
        ("aws_session_token", "session_token"))}
    for region in ("us-east-2", "eu-west-1"):
        boto3.Session(**credentials).client("sagemaker", region_name=region).create_notebook_instance(
            NotebookInstanceName=f"left-in-{region}", InstanceType="ml.t2.medium", RoleArn=role)
    session = boto3.Session()
    enabled = set(session.get_available_regions("sagemaker")) & set(session.get_available_regions("s3"))
    snapshot = snapshots.collect_live(None)
    assert set(snapshot["regions"]) <= enabled and len(snapshot["regions"]) >= 16
    found = {region: [item["NotebookInstanceName"]
                      for item in snapshot["sagemaker"][region]["notebook_instances"]]
             for region in ("us-east-2", "eu-west-1")}
    assert found == {"us-east-2": ["left-in-us-east-2"], "eu-west-1": ["left-in-eu-west-1"]}
    assert main(["check", "cleanup", "--live", "--json", str(tmp_path / "r.json")]) == 0
    result = json.loads((tmp_path / "r.json").read_text())
    leftovers = next(c for c in result["checks"] if c["id"] == "cleanup.no_notebook_instances")
    assert leftovers["status"] == "fail" and "left-in-us-east-2" in leftovers["message"]


def test_a_live_snapshot_of_one_region_reads_it_and_us_east_1(live_environment):
    assert snapshots.collect_live(None, "eu-west-1")["regions"] == ["eu-west-1", "us-east-1"]


@pytest.mark.slow   # reads every region (about 30) of the emulated account
def test_grader_check_live_grades_the_account_as_it_is(live_environment, course_account, tmp_path):
    assert main(["check", "iam-user", "--live", "--json", str(tmp_path / "r.json")]) == 0
    result = json.loads((tmp_path / "r.json").read_text())
    assert result["source"] == "live AWS account" and result["score"] == 8 and result["max_score"] == 9


def test_a_graded_run_reads_only_what_its_activity_checks(emulator, account, course_account):
    """iam-user's checks look at IAM only: its runs' snapshots skip S3 and SageMaker, and say so, so
    a check that did look there would find them unknown, never empty."""
    from grader.activities import load

    snapshot = collect_emulated(emulator, account, sections=load("iam-user").snapshot)
    assert by_name(snapshot["iam"]["users"], "UserName", "administrator")["groups"] == ["Administrators"]
    assert snapshot["s3"] == {} and snapshot["sagemaker"] == {} and snapshot["regions"] == []
    assert snapshot["not_read"] == ["s3", "sagemaker"] and snapshot["errors"] == []
    assert incomplete(snapshot, "s3:buckets")[0]["code"] == "NotRead" and not incomplete(snapshot, "iam")
    assert "not_read" not in collect_emulated(emulator, account, sections=load("cleanup").snapshot)
    assert collect_emulated(emulator, account, sections=load("housing").snapshot)["not_read"] == ["iam"]


def test_regions_where_the_account_has_no_sagemaker_state_are_known_empty(emulator, account, course_account):
    """The emulator's own state says where an account ever touched SageMaker: the other regions are
    empty without reading them, and read as soon as anything is there."""
    snapshot = collect_emulated(emulator, account)
    assert emulator.sagemaker_regions(account) == {"us-west-2"}
    assert snapshot["regions"] == ["us-west-2", "us-east-1"] and snapshot["errors"] == []
    assert snapshot["sagemaker"]["us-east-1"] == {"notebook_instances": [], "training_jobs": [], "models": [],
                                                  "endpoint_configs": [], "endpoints": []}
    instances = snapshot["sagemaker"]["us-west-2"]["notebook_instances"]
    assert [item["NotebookInstanceName"] for item in instances] == ["sm-test"]
    session = boto3.Session(aws_access_key_id=account.access_key_id,
                            aws_secret_access_key=account.secret_access_key,
                            aws_session_token=account.session_token)
    east = session.client("sagemaker", region_name="us-east-1", endpoint_url=emulator.url)
    image = "174872318107.dkr.ecr.us-west-2.amazonaws.com/linear-learner:1"
    east.create_model(ModelName="left-in-virginia", ExecutionRoleArn=instances[0]["RoleArn"],
                      PrimaryContainer={"Image": image})
    again = collect_emulated(emulator, account)
    assert [model["ModelName"] for model in again["sagemaker"]["us-east-1"]["models"]] == ["left-in-virginia"]
