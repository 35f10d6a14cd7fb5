"""`grader audit` on an emulated class: several accounts at once, reached through profiles (each with
its own credentials and the emulator as endpoint_url) and through an emulated Organization."""

import contextlib
import csv
import io
import json
import re
import time
from pathlib import Path

import boto3
import botocore.exceptions
import botocore.session
import html5lib
import pytest
from botocore.awsrequest import AWSResponse
from moto.sagemaker.models import sagemaker_backends

from grader.cli import main

HOURS_PER_MONTH = 730
ML_STORAGE_GB_HOUR = 0.14 / HOURS_PER_MONTH     # the list prices the expected costs below are written from
HOSTILE_NAME = "<img src=x onerror=alert(1)>"


def client(account, service, emulator, region="us-west-2"):
    return boto3.client(service, region_name=region, endpoint_url=emulator.url,
                        aws_access_key_id=account.access_key_id,
                        aws_secret_access_key=account.secret_access_key,
                        aws_session_token=account.session_token)


def deploy(sm, name, instance_type, count=1):
    """A model, its endpoint configuration and an InService endpoint."""
    sm.create_model(ModelName=name, ExecutionRoleArn="arn:aws:iam::123456789012:role/service-role/x",
                    PrimaryContainer={
                        "Image": "174872318107.dkr.ecr.us-west-2.amazonaws.com/linear-learner:1"})
    sm.create_endpoint_config(EndpointConfigName=name, ProductionVariants=[{
        "VariantName": "AllTraffic", "ModelName": name, "InitialInstanceCount": count,
        "InstanceType": instance_type}])
    sm.create_endpoint(EndpointName=name, EndpointConfigName=name)


def running_training_job(sm, account_id, name, role):
    """A training job the emulator reports InProgress (its own trainer finishes at once: wait, then
    rewind)."""
    sm.create_training_job(
        TrainingJobName=name, RoleArn=role, AlgorithmSpecification={
            "TrainingImage": "174872318107.dkr.ecr.us-west-2.amazonaws.com/linear-learner:1",
            "TrainingInputMode": "File"},
        HyperParameters={"feature_dim": "1", "predictor_type": "regressor"},
        InputDataConfig=[{"ChannelName": "train", "DataSource": {"S3DataSource": {
            "S3DataType": "S3Prefix", "S3Uri": "s3://missing-bucket/train"}}}],
        OutputDataConfig={"S3OutputPath": "s3://missing-bucket/out"},
        ResourceConfig={"InstanceType": "ml.m4.xlarge", "InstanceCount": 2, "VolumeSizeInGB": 10},
        StoppingCondition={"MaxRuntimeInSeconds": 3600})
    deadline = time.time() + 30
    while (sm.describe_training_job(TrainingJobName=name)["TrainingJobStatus"] == "InProgress"
           and time.time() < deadline):
        time.sleep(0.05)
    sagemaker_backends[account_id]["us-west-2"].training_jobs[name].training_job_status = "InProgress"


def profile_lines(name, account, url):
    return [f"[profile {name}]", "region = us-west-2", f"endpoint_url = {url}",
            f"aws_access_key_id = {account.access_key_id}",
            f"aws_secret_access_key = {account.secret_access_key}",
            f"aws_session_token = {account.session_token}", ""]


@pytest.fixture(scope="module")
def classroom(emulator, tmp_path_factory):
    """Accounts as a class leaves them: alice left an endpoint and a bucket, bob notebooks (one stopped, in
    us-east-1) and a running training job, carol deleted her endpoint (Deleting), frank cleaned up,
    mallory's keys are wrong, the profile "gone" points at an endpoint nobody answers, and an organization
    whose member dave left a 2-instance endpoint."""
    folder = tmp_path_factory.mktemp("classroom")
    made = {name: emulator.new_account() for name in ("alice", "bob", "carol", "frank", "instructor")}
    alice, bob, carol = (client(made[name], "sagemaker", emulator) for name in ("alice", "bob", "carol"))
    deploy(alice, "linear-learner-alice", "ml.m4.xlarge")
    s3 = client(made["alice"], "s3", emulator)
    s3.create_bucket(Bucket="sagemaker-20191007-2307",
                     CreateBucketConfiguration={"LocationConstraint": "us-west-2"})
    s3.put_object(Bucket="sagemaker-20191007-2307", Key="p/train/linear_train.data", Body=b"x" * 2000)
    s3.put_object(Bucket="sagemaker-20191007-2307", Key="p/test/linear_test.data", Body=b"x" * 1000)
    bob.create_notebook_instance(NotebookInstanceName="sm-test", InstanceType="ml.t2.medium",
                                 RoleArn=made["bob"].role_arn, VolumeSizeInGB=5)
    bob_east = client(made["bob"], "sagemaker", emulator, "us-east-1")
    bob_east.create_notebook_instance(NotebookInstanceName="sm-test-east", InstanceType="ml.t3.medium",
                                      RoleArn=made["bob"].role_arn, VolumeSizeInGB=10)
    bob_east.stop_notebook_instance(NotebookInstanceName="sm-test-east")
    running_training_job(bob, made["bob"].account_id, "linear-learner-bob", made["bob"].role_arn)
    deploy(carol, "linear-learner-carol", "ml.m4.xlarge")
    carols = sagemaker_backends[made["carol"].account_id]["us-west-2"].endpoints
    carols["linear-learner-carol"].endpoint_status = "Deleting"

    organizations = client(made["instructor"], "organizations", emulator)
    organizations.create_organization(FeatureSet="ALL")
    members = {name: organizations.create_account(AccountName=name, Email=f"{name}@example.edu")
               ["CreateAccountStatus"]["AccountId"] for name in ("dave", "erin")}
    assumed = client(made["instructor"], "sts", emulator).assume_role(
        RoleArn=f"arn:aws:iam::{members['dave']}:role/OrganizationAccountAccessRole", RoleSessionName="setup")
    credentials = assumed["Credentials"]
    boto3.client("sagemaker", region_name="us-west-2", endpoint_url=emulator.url,
                 aws_access_key_id=credentials["AccessKeyId"],
                 aws_secret_access_key=credentials["SecretAccessKey"],
                 aws_session_token=credentials["SessionToken"])
    deploy(boto3.client("sagemaker", region_name="us-west-2", endpoint_url=emulator.url,
                        aws_access_key_id=credentials["AccessKeyId"],
                        aws_secret_access_key=credentials["SecretAccessKey"],
                        aws_session_token=credentials["SessionToken"]),
           "linear-learner-dave", "ml.m5.large", count=2)

    config = []
    for name in ("alice", "bob", "carol", "frank", "instructor"):
        config += profile_lines(name, made[name], emulator.url)
    config += ["[profile mallory]", "region = us-west-2", f"endpoint_url = {emulator.url}",
               "aws_access_key_id = AKIAWRONGWRONGWRONG1", "aws_secret_access_key = wrong", "",
               "[profile gone]", "region = us-west-2",
               "endpoint_url = http://127.0.0.1:9",   # nothing listens
               f"aws_access_key_id = {made['frank'].access_key_id}", "aws_secret_access_key = x", ""]
    (folder / "config").write_text("\n".join(config))

    snapshots = folder / "snapshots"
    snapshots.mkdir()
    (snapshots / "hostile.json").write_text(json.dumps(hostile_snapshot()))
    roster = folder / "roster.csv"
    roster.write_text("account,student,email\n"
                      f"alice,Alice Ng,alice@example.edu\n{made['bob'].account_id},Bob Roy,bob@example.edu\n"
                      "carol,Carol Diaz,c@example.edu\nfrank,Frank Li,f@example.edu\n"
                      "dave,Dave Kim,d@example.edu\n"
                      f"mallory,Mallory,m@example.edu\nhostile,<script>alert(1)</script>,x@example.edu\n"
                      "zed,Zed Absent,z@example.edu\n")
    yield {"folder": folder, "accounts": made, "members": members, "roster": roster, "snapshots": snapshots}
    for account in made.values():
        emulator.remove_account(account.account_id)


def hostile_snapshot():
    """A recorded snapshot whose resource names are markup."""
    endpoint = {"EndpointName": HOSTILE_NAME, "EndpointConfigName": "c", "EndpointStatus": "InService",
                "CreationTime": "2026-11-30T08:00:00+00:00",
                "ProductionVariants": [{"VariantName": "AllTraffic", "CurrentInstanceCount": 1}]}
    config = {"EndpointConfigName": "c", "CreationTime": "2026-11-30T08:00:00+00:00",
              "ProductionVariants": [{"VariantName": "AllTraffic", "InstanceType": "ml.t2.medium",
                                      "InitialInstanceCount": 1}]}
    return {"schema": "grader.account-snapshot/1", "collected_at": "2026-12-01T08:00:00+00:00",
            "source": "fixture", "account_id": "999988887777", "regions": ["us-west-2", "us-east-1"],
            "iam": {}, "errors": [], "s3": {"buckets": []},
            "sagemaker": {"us-west-2": {"endpoints": [endpoint], "endpoint_configs": [config], "models": [],
                                        "notebook_instances": [], "training_jobs": []},
                          "us-east-1": {kind: [] for kind in ("endpoints", "endpoint_configs", "models",
                                                              "notebook_instances", "training_jobs")}}}


def instructor_environment(monkeypatch, classroom) -> None:
    """The environment an instructor would have: the class's AWS config, the instructor as default profile."""
    for name in ("AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", "AWS_SESSION_TOKEN", "AWS_ENDPOINT_URL",
                 "AWS_DEFAULT_REGION", "AWS_REGION"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("AWS_CONFIG_FILE", str(classroom["folder"] / "config"))
    monkeypatch.setenv("AWS_SHARED_CREDENTIALS_FILE", str(classroom["folder"] / "no-credentials"))
    monkeypatch.setenv("AWS_PROFILE", "instructor")
    monkeypatch.setenv("AWS_EC2_METADATA_DISABLED", "true")


@pytest.fixture
def aws_config(classroom, monkeypatch):
    instructor_environment(monkeypatch, classroom)
    return classroom


def audit(tmp_path, *options):
    out = tmp_path / "audit"
    code = main(["audit", *options, "--out", str(out)])
    return code, json.loads((out / "audit.json").read_text()), out


CLASS = ["--profile", "alice", "--profile", "bob", "--profile", "carol", "--profile", "frank",
         "--profile", "mallory", "--profile", "gone", "--org"]


@pytest.fixture(scope="module")
def class_audit(classroom, tmp_path_factory):
    """One audit of the whole class (profiles, organization, a snapshot, roster, cleanup plan), read by
    many tests."""
    folder = tmp_path_factory.mktemp("class-audit")
    printed = io.StringIO()
    with pytest.MonkeyPatch.context() as monkeypatch, contextlib.redirect_stdout(printed):
        instructor_environment(monkeypatch, classroom)
        code, result, out = audit(folder, *CLASS, "--snapshots", str(classroom["snapshots"]),
                                  "--roster", str(classroom["roster"]),
                                  "--plan-cleanup", str(folder / "plan.sh"))
    return {"code": code, "audit": result, "out": out, "printed": printed.getvalue(),
            "plan": (folder / "plan.sh").read_text(), **classroom}


def account_of(result, student):
    return next(account for account in result["accounts"] if account["student"] == student)


def leftover(account, kind, name):
    return next(item for item in account["leftovers"] if item["kind"] == kind and item["name"] == name)


@pytest.mark.slow
def test_every_kind_of_leftover_is_found_with_its_cost(class_audit):
    result = class_audit["audit"]
    alice, bob, dave = (account_of(result, name) for name in ("Alice Ng", "Bob Roy", "Dave Kim"))

    endpoint = leftover(alice, "endpoints", "linear-learner-alice")
    assert (endpoint["state"], endpoint["details"], endpoint["region"]) == (
        "InService", "1 x ml.m4.xlarge", "us-west-2")
    assert endpoint["cost_per_hour"] == pytest.approx(0.24)
    assert endpoint["cost_per_month"] == pytest.approx(0.24 * HOURS_PER_MONTH)
    assert endpoint["age"].endswith(" h") and endpoint["created"]
    assert "delete-endpoint" in endpoint["delete_commands"][0]
    for kind in ("endpoint_configs", "models"):
        free = leftover(alice, kind, "linear-learner-alice")
        assert (free["bills"], free["cost_per_hour"]) == (False, 0.0)
    bucket = leftover(alice, "buckets", "sagemaker-20191007-2307")
    assert bucket["cost_per_hour"] == pytest.approx(3000 / 1e9 * 0.023 / HOURS_PER_MONTH)
    assert bucket["details"] == "2 object(s), 3.0 KB" and bucket["bills"] is True

    running = leftover(bob, "notebook_instances", "sm-test")
    assert running["state"] == "InService"
    assert running["cost_per_hour"] == pytest.approx(0.0464 + 5 * ML_STORAGE_GB_HOUR)
    stopped = leftover(bob, "notebook_instances", "sm-test-east")
    assert (stopped["state"], stopped["region"]) == ("Stopped", "us-east-1")
    assert stopped["cost_per_hour"] == pytest.approx(10 * ML_STORAGE_GB_HOUR)   # the volume only
    job = leftover(bob, "training_jobs", "linear-learner-bob")
    assert job["state"] == "InProgress"
    assert job["cost_per_hour"] == pytest.approx(2 * 0.24 + 20 * ML_STORAGE_GB_HOUR)

    member = leftover(dave, "endpoints", "linear-learner-dave")
    assert member["details"] == "2 x ml.m5.large" and member["cost_per_hour"] == pytest.approx(0.23)
    assert dave["source"]["kind"] == "organization" and dave["account_id"] == class_audit["members"]["dave"]

    total = sum(account["cost_per_hour"] for account in result["accounts"])
    assert result["totals"]["cost_per_hour"] == pytest.approx(total)
    assert result["totals"]["cost_per_hour"] >= 0.24 + 0.0464 + 0.48 + 0.23
    costs = [account["cost_per_hour"] for account in result["accounts"] if not account["failure"]]
    assert costs == sorted(costs, reverse=True)                   # accounts sorted by cost


@pytest.mark.slow
def test_an_endpoint_being_deleted_is_not_counted(class_audit):
    carol = account_of(class_audit["audit"], "Carol Diaz")
    # free, listed
    assert sorted(item["kind"] for item in carol["leftovers"]) == ["endpoint_configs", "models"]
    assert carol["cost_per_hour"] == 0 and carol["status"] == "clean" and carol["billing"] == 0


@pytest.mark.slow
def test_an_unreadable_account_is_an_error_row_and_the_others_are_audited(class_audit):
    result = class_audit["audit"]
    mallory = account_of(result, "Mallory")
    assert mallory["status"] == "could not be read" and "InvalidClientTokenId" in mallory["failure"]
    assert mallory["leftovers"] == []
    gone = next(account for account in result["accounts"] if account["source"]["label"] == "gone")
    assert gone["status"] == "could not be read" and "could not be reached" in gone["failure"]
    assert result["totals"]["unreadable"] == 2
    readable = {account["student"] for account in result["accounts"] if not account["failure"]}
    assert {"Alice Ng", "Bob Roy", "Carol Diaz", "Frank Li", "Dave Kim"} <= readable
    assert "could not read Mallory" in class_audit["printed"]
    assert class_audit["code"] == 1


@pytest.mark.slow
def test_the_organization_is_read_through_its_member_role(class_audit):
    result = class_audit["audit"]
    organization = [account for account in result["accounts"] if account["source"]["kind"] == "organization"]
    assert {account["account_id"] for account in organization} == {
        class_audit["accounts"]["instructor"].account_id, *class_audit["members"].values()}
    instructor = next(a for a in organization
                      if a["account_id"] == class_audit["accounts"]["instructor"].account_id)
    assert instructor["also_reached_as"] == [] and instructor["status"] == "clean"
    erin = next(a for a in organization if a["account_id"] == class_audit["members"]["erin"])
    assert erin["status"] == "clean" and erin["student"] == "(not on the roster)"


@pytest.mark.slow
def test_the_roster_maps_accounts_to_students(class_audit):
    result = class_audit["audit"]
    by_id = {account["account_id"]: account["student"] for account in result["accounts"]}
    accounts = class_audit["accounts"]
    assert by_id[accounts["alice"].account_id] == "Alice Ng"            # by profile name
    assert by_id[accounts["bob"].account_id] == "Bob Roy"               # by account id
    assert by_id[class_audit["members"]["dave"]] == "Dave Kim"          # by organization account name
    assert result["not_audited"] == [{"student": "Zed Absent", "account": "zed"}]
    with open(class_audit["out"] / "leftovers.csv", newline="") as handle:
        rows = list(csv.DictReader(handle))
    assert {row["student"] for row in rows} >= {"Alice Ng", "Bob Roy", "Dave Kim"}
    row = next(row for row in rows if row["name"] == "linear-learner-alice" and row["type"] == "endpoint")
    assert (row["account"], row["region"], row["service"], row["state"], row["cost_per_hour"]) == (
        accounts["alice"].account_id, "us-west-2", "sagemaker", "InService", "0.24")
    assert list(rows[0])[:12] == ["student", "account", "region", "service", "type", "name", "state",
                                  "created", "age", "cost_per_hour", "cost_per_month", "how_to_delete"]


@pytest.mark.slow
def test_the_page_is_self_contained_strict_html_with_everything_escaped(class_audit):
    page = (class_audit["out"] / "audit.html").read_text()
    document = html5lib.HTMLParser(strict=True, namespaceHTMLElements=False).parse(page)
    markup = "".join(re.findall(r"<[^>]*>", page)) + document.find(".//style").text
    assert not re.search(r"(?i)(https?:|ftp:|url\(|@import|//)", markup), "no external URL of any kind"
    mentioned = re.findall(r"(?i)\b(?:https?|ftp)://[^\s\"]+", "".join(document.itertext()))
    assert set(mentioned) == {"http://127.0.0.1:9/"}   # only as text: the endpoint that could not be reached
    attributes = {name for element in document.iter() for name in element.attrib}
    assert attributes <= {"lang", "charset", "name", "content", "class", "id"}, \
        "nothing a browser would fetch"
    assert document.findall(".//script") == [] and document.findall(".//img") == []
    assert document.findall(".//link") == [] and len(document.findall(".//style")) == 1
    text = "".join(document.itertext())
    assert HOSTILE_NAME in text and "<script>alert(1)</script>" in text
    # accounts that could not be read
    assert "Mallory" in text and "InvalidClientTokenId" in text
    assert "linear-learner-alice" in text and "Zed Absent" in text
    total = class_audit["audit"]["totals"]["cost_per_hour"]
    assert document.find(".//meta[@name='grader-audit-cost-per-hour']").get("content") == f"{total:.6f}"


@pytest.mark.slow
def test_the_cleanup_plan_lists_exact_commands_and_nothing_was_deleted(class_audit, emulator):
    plan = class_audit["plan"]
    lines = [line.strip() for line in plan.splitlines()]
    assert ("aws sagemaker delete-endpoint --endpoint-name linear-learner-alice --region us-west-2 "
            "--profile alice" in lines)
    assert ("aws sagemaker stop-notebook-instance --notebook-instance-name sm-test --region us-west-2 "
            "--profile bob" in lines)
    assert "aws s3 rb s3://sagemaker-20191007-2307 --force --region us-west-2 --profile alice" in lines
    assert ("aws sagemaker delete-endpoint --endpoint-name '<img src=x onerror=alert(1)>' "
            "--region us-west-2" in plan)
    assert "# <script>alert(1)</script>: account 999988887777" in plan   # a comment line, nothing runs
    assert "set -euo pipefail" in lines   # sections and how they run: tests/test_cleanup_plan.py
    assert all("<script>" not in line for line in lines if not line.startswith("#"))
    alice = client(class_audit["accounts"]["alice"], "sagemaker", emulator)
    assert alice.describe_endpoint(EndpointName="linear-learner-alice")["EndpointStatus"] == "InService"


@pytest.mark.slow
def test_exit_status_follows_what_bills(aws_config, tmp_path, capsys):
    assert audit(tmp_path, "--profile", "frank")[0] == 0                       # clean
    assert "clean: every account was read" in capsys.readouterr().out
    assert audit(tmp_path, "--profile", "alice")[0] == 1                        # an endpoint bills
    assert audit(tmp_path, "--profile", "alice", "--fail-over", "1")[0] == 0    # $0.24/hour is under $1/hour
    assert audit(tmp_path, "--profile", "alice", "--fail-over", "0.2")[0] == 1
    code, result, _ = audit(tmp_path, "--profile", "frank", "--profile", "mallory", "--fail-over", "100")
    assert code == 1 and "could not be read" in result["exit"]["reasons"][0]   # unknown is never clean


@pytest.mark.parametrize("options, says", [
    ([], "give the accounts to audit"),
    (["--profile", "nobody"], "no such profile"),
    (["--profile", "alice", "--regions", "us-west-9"], "not a SageMaker region"),
    (["--profile", "alice", "--regions", "us-west-2", "--all-regions"], "either --regions"),
    (["--profile", "alice", "--role-name", "R"], "add --org"),
    (["--profile", "alice", "--roster", "missing.csv"], "no such file"),
    (["--snapshots", "missing-folder"], "is not a directory"),
    (["--profile", "alice", "--fail-over", "-1"], "0 or more"),
    (["--org"], "The config profile (nobody-here) could not be found"),
])
def test_bad_input_is_one_line_and_exit_2(tmp_path, monkeypatch, capsys, options, says):
    (tmp_path / "config").write_text("[profile alice]\nregion = us-west-2\n")
    monkeypatch.setenv("AWS_CONFIG_FILE", str(tmp_path / "config"))
    monkeypatch.setenv("AWS_PROFILE", "nobody-here")   # --org reads the organization through it
    assert main(["audit", *options, "--out", str(tmp_path / "out")]) == 2
    err = capsys.readouterr().err.strip()
    assert err.count("\n") == 0 and says in err, err


READ_PREFIXES = ("List", "Describe", "Get")
ENTRY = {("sts", "GetCallerIdentity"), ("sts", "AssumeRole")}
S3_ACTIONS = {"ListBuckets": "s3:ListAllMyBuckets", "ListObjectsV2": "s3:ListBucket",
              "ListObjects": "s3:ListBucket"}


@pytest.fixture
def botocore_watch(monkeypatch):
    """Every call any botocore client makes from now on (the audit's own, the credential providers' STS
    clients, all), seen by a before-call hook registered first on each client; anything but a read is
    recorded as a violation and answered here, so it never reaches the emulator."""
    seen, violations = [], []
    original = botocore.session.Session.create_client

    def watch(model, **_):
        call = (model.service_model.service_name, model.name)
        seen.append(call)
        if not (model.name.startswith(READ_PREFIXES) or call in ENTRY):
            violations.append(call)
            return AWSResponse("https://refused.invalid", 400, {}, None), {
                "Error": {"Code": "RefusedByTest", "Message": "not a read"},
                "ResponseMetadata": {"HTTPStatusCode": 400}}

    def create_client(self, *args, **kwargs):
        made = original(self, *args, **kwargs)
        made.meta.events.register_first("before-call", watch, unique_id="test-read-only-watch")
        return made

    monkeypatch.setattr(botocore.session.Session, "create_client", create_client)
    return seen, violations


def test_the_watch_catches_a_write(botocore_watch, emulator, account):
    """The guard below can fail: a write through any botocore client is caught and never arrives."""
    seen, violations = botocore_watch
    with pytest.raises(botocore.exceptions.ClientError, match="RefusedByTest"):
        client(account, "s3", emulator).create_bucket(
            Bucket="never-made", CreateBucketConfiguration={"LocationConstraint": "us-west-2"})
    assert violations == [("s3", "CreateBucket")]
    assert client(account, "s3", emulator).list_buckets()["Buckets"] == []


def test_the_audit_sessions_refuse_writes_before_they_leave(emulator, account):
    from grader.audit.sessions import WriteRefused, new_session

    session = new_session(credentials={"AccessKeyId": account.access_key_id,
                                       "SecretAccessKey": account.secret_access_key,
                                       "SessionToken": account.session_token})
    s3 = session.client("s3", region_name="us-west-2", endpoint_url=emulator.url)
    with pytest.raises(WriteRefused, match="s3:CreateBucket"):
        s3.create_bucket(Bucket="never-made", CreateBucketConfiguration={"LocationConstraint": "us-west-2"})
    assert s3.list_buckets()["Buckets"] == []
    assert "CreateBucket" not in {entry["operation"] for entry in account.api_log}   # it never arrived


def documented_policy() -> set[str]:
    page = (Path(__file__).resolve().parents[1] / "docs" / "audit.md").read_text()
    policy = json.loads(re.search(r"```json\n(.*?)\n```", page, re.S).group(1))
    actions = set()
    for statement in policy["Statement"]:
        assert statement["Effect"] == "Allow"
        listed = statement["Action"]
        actions.update([listed] if isinstance(listed, str) else listed)
    return actions


def iam_action(service: str, operation: str) -> str:
    return S3_ACTIONS.get(operation, f"s3:{operation}") if service == "s3" else f"{service}:{operation}"


@pytest.mark.slow
def test_the_audit_only_reads_and_the_documented_policy_covers_every_call(
        aws_config, botocore_watch, tmp_path):
    seen, violations = botocore_watch
    audit(tmp_path / "class", *CLASS, "--roster", str(aws_config["roster"]),
          "--plan-cleanup", str(tmp_path / "p.sh"))
    audit(tmp_path / "every-region", "--profile", "alice", "--all-regions")
    assert violations == []
    calls = set(seen)
    assert {("sts", "AssumeRole"), ("organizations", "ListAccounts"), ("ec2", "DescribeRegions"),
            ("sagemaker", "DescribeEndpoint"), ("s3", "ListObjectsV2")} <= calls    # every path was taken
    missing = {iam_action(*call) for call in calls} - documented_policy()
    assert not missing, f"docs/audit.md's policy does not allow {sorted(missing)}"
