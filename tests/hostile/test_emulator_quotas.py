"""Attack: a notebook floods its emulated account (thousands of buckets, objects with long keys,
SageMaker resources, requests) to make the grader, which serves the emulator outside the sandbox, run
out of memory or time. Verdict: each request over a quota gets the error a real AWS account gets over
the same kind of limit, and what the grader holds for an account stays bounded whatever it sends."""

import http.client
import json

import psutil
import pytest

from grader.emulator import quotas

from .conftest import error_code, raw_request, sagemaker_json

REGION = {"CreateBucketConfiguration": "<CreateBucketConfiguration><LocationConstraint>us-west-2"
                                        "</LocationConstraint></CreateBucketConfiguration>"}


def create_bucket(emulator, account, name: str) -> tuple[int, bytes]:
    status, _, body = raw_request(emulator, account, "PUT", f"/{name}",
                                  REGION["CreateBucketConfiguration"].encode(), service="s3")
    return status, body


class KeptAlive:
    """Many S3 requests of one account on one connection, as a notebook's client sends them."""

    def __init__(self, emulator, account):
        self.emulator, self.account = emulator, account
        self.connection = http.client.HTTPConnection("127.0.0.1", emulator.port, timeout=60)

    def send(self, method: str, path: str, body: bytes = b"") -> tuple[int, bytes]:
        account = self.account
        self.connection.request(method, path, body, headers={
            "Authorization": "AWS4-HMAC-SHA256 "
                             f"Credential={account.access_key_id}/20261201/us-west-2/s3/aws4_request, "
                             "SignedHeaders=host, Signature=0",
                             "X-Amz-Security-Token": account.session_token})
        answer = self.connection.getresponse()
        return answer.status, answer.read()


def test_each_quota_answers_with_the_error_aws_gives(emulator, account, monkeypatch):
    small = {key: quota.__class__(quota.name, 3, quota.count, quota.refuse)
             for key, quota in quotas.QUOTAS.items()}
    monkeypatch.setattr(quotas, "QUOTAS", small)
    codes = [error_code(create_bucket(emulator, account, f"quota-{i}")[1]) for i in range(4)]
    assert codes == ["", "", "", "TooManyBuckets"]
    s3 = KeptAlive(emulator, account)
    status, body = s3.send("PUT", "/quota-1/" + "k" * (quotas.MAX_KEY_BYTES + 1), b"x")
    assert (status, error_code(body)) == (400, "KeyTooLongError")
    # the limit itself is fine
    assert s3.send("PUT", "/quota-1/" + "k" * quotas.MAX_KEY_BYTES, b"x")[0] == 200
    puts = [s3.send("PUT", f"/quota-0/object-{i}", b"x") for i in range(3)]   # 3 objects in all
    assert [status for status, _ in puts] == [200, 200, 503] and error_code(puts[-1][1]) == "SlowDown"
    models = [sagemaker_json(emulator, account, "CreateModel", {
        "ModelName": f"m{i}", "ExecutionRoleArn": account.role_arn, "PrimaryContainer": {"Image": "x"}})
        for i in range(4)]
    assert [status for status, _, _ in models] == [200, 200, 200, 400]
    assert error_code(models[-1][2]) == "ResourceLimitExceeded"
    users = [raw_request(emulator, account, "POST", "/",
                         f"Action=CreateUser&Version=2010-05-08&UserName=u{i}".encode(),
                         service="iam", headers={"Content-Type": "application/x-www-form-urlencoded"})
             for i in range(4)]
    assert [status for status, _, _ in users] == [200, 200, 200, 409]
    assert error_code(users[-1][2]) == "LimitExceeded"


def test_after_its_request_quota_an_account_is_throttled_and_its_log_stops_growing(
        emulator, account, monkeypatch):
    monkeypatch.setattr(quotas, "MAX_REQUESTS", 50)
    s3 = KeptAlive(emulator, account)
    answers = [s3.send("GET", "/") for _ in range(60)]
    assert [status for status, _ in answers].count(200) == 50
    assert {error_code(body) for status, body in answers if status != 200} == {"SlowDown"}
    assert len(account.api_log) == 50
    status, _, body = sagemaker_json(emulator, account, "ListEndpoints", {})
    assert (status, error_code(body)) == (400, "ThrottlingException")


@pytest.mark.slow
def test_a_flood_at_the_real_quotas_leaves_the_grader_small(emulator, account):
    """The flood a notebook once sent (1,498 buckets, 9,763 objects with 600-character keys, thousands of
    requests), at the real quotas: the grader's memory grows by little, the account holds what AWS allows."""
    grader = psutil.Process()
    before = grader.memory_info().rss
    made = [create_bucket(emulator, account, f"flood-{i:05d}")[0]
            for i in range(quotas.QUOTAS[("s3", "CreateBucket")].limit + 5)]
    assert made.count(200) == quotas.QUOTAS[("s3", "CreateBucket")].limit
    s3 = KeptAlive(emulator, account)
    long_key = "k" * 600
    stored = [s3.send("PUT", f"/flood-{i % 100:05d}/{long_key}{i}", b"x" * 100)[0]
              for i in range(quotas.MAX_OBJECTS + 50)]
    assert stored.count(200) == quotas.MAX_OBJECTS
    for _ in range(quotas.MAX_REQUESTS):   # bounded: stops at the first throttled request
        if s3.send("GET", "/flood-00000?list-type=2&max-keys=1")[0] != 200:
            break
    assert account.requests == quotas.MAX_REQUESTS + 1 and len(account.api_log) == quotas.MAX_REQUESTS
    grown_mb = (grader.memory_info().rss - before) / 2**20
    print(json.dumps({"grader_rss_growth_mb": round(grown_mb, 1)}))
    assert grown_mb < 150, f"the grader grew by {grown_mb:.0f} MB serving one account's flood"
