"""Quotas: what one run's account may hold and send, so that no notebook can make the grader (which
serves the emulator outside the sandbox) grow without bound. Over a quota a request gets the error a
real account gets over the same kind of limit: S3's TooManyBuckets and KeyTooLongError, IAM's
LimitExceeded, SageMaker's ResourceLimitExceeded, and throttling once an account has sent too many
requests. A course run needs one bucket, a handful of objects and a few of each SageMaker resource.

The limits are AWS's default quotas where AWS has one and it is small enough to keep the grader's
memory bounded (key length, IAM's per-account entities, 100 buckets: S3's default until 2024);
otherwise the emulator's own (objects, SageMaker resources, requests), said in the message.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from urllib.parse import unquote

from moto.iam.models import iam_backends
from moto.s3.models import s3_backends
from moto.sagemaker.models import sagemaker_backends

from .protocol import Call, Response, error

MAX_KEY_BYTES = 1024          # S3: an object key is at most 1,024 bytes of UTF-8
MAX_REQUESTS = 5_000          # per account (one run; a course run sends about 20); then throttled, not logged
MAX_OBJECTS = 2_000           # per account, all buckets together


@dataclass(frozen=True)
class Quota:
    name: str                                  # as AWS's Service Quotas (or the emulator) names it
    limit: int
    count: Callable[[str, str], int]           # (account id, region) -> how many the account holds now
    refuse: Callable[[Call, Quota], Response]


def _buckets(account_id: str, region: str) -> int:
    return len(s3_backends[account_id]["aws"].buckets)


def _objects(account_id: str, region: str) -> int:
    return sum(len(bucket.keys) for bucket in s3_backends[account_id]["aws"].buckets.values())


def _iam(attribute: str) -> Callable[[str, str], int]:
    return lambda account_id, region: len(getattr(iam_backends[account_id]["aws"], attribute))


def _customer_policies(account_id: str, region: str) -> int:
    return sum(1 for arn in iam_backends[account_id]["aws"].managed_policies if f":{account_id}:" in arn)


def _sagemaker(attribute: str) -> Callable[[str, str], int]:
    return lambda account_id, region: len(getattr(sagemaker_backends[account_id][region], attribute))


def _too_many_buckets(call: Call, quota: Quota) -> Response:
    return error(call, 400, "TooManyBuckets", "You have attempted to create more buckets than allowed "
                 f"({quota.limit} per account here); delete buckets you no longer use.")


def _too_many_objects(call: Call, quota: Quota) -> Response:
    return error(call, 503, "SlowDown", "Please reduce your request rate. The emulator holds at most "
                 f"{quota.limit:,} objects per account (a course run needs a handful); delete objects you "
                 "no longer use.")


def _iam_limit(call: Call, quota: Quota) -> Response:
    return error(call, 409, "LimitExceeded", f"Cannot exceed quota for {quota.name}: {quota.limit}")


def _sagemaker_limit(call: Call, quota: Quota) -> Response:
    return error(call, 400, "ResourceLimitExceeded",
                 f"The account-level service limit '{quota.name}' is {quota.limit}, with current utilization "
                 f"of {quota.limit} and a request delta of 1. Delete what you no longer use (the course "
                 "needs one).")


QUOTAS: dict[tuple[str, str], Quota] = {
    ("s3", "CreateBucket"): Quota("Buckets", 100, _buckets, _too_many_buckets),
    **{("s3", operation): Quota("Objects", MAX_OBJECTS, _objects, _too_many_objects)
       for operation in ("PutObject", "PostObject", "CopyObject", "CreateMultipartUpload")},
    ("iam", "CreateUser"): Quota("UsersPerAccount", 5000, _iam("users"), _iam_limit),
    ("iam", "CreateGroup"): Quota("GroupsPerAccount", 300, _iam("groups"), _iam_limit),
    ("iam", "CreateRole"): Quota("RolesPerAccount", 1000, _iam("roles"), _iam_limit),
    ("iam", "CreatePolicy"): Quota("PoliciesPerAccount", 1500, _customer_policies, _iam_limit),
    ("sagemaker", "CreateTrainingJob"): Quota("Number of training jobs", 100, _sagemaker("training_jobs"),
                                              _sagemaker_limit),
    ("sagemaker", "CreateModel"): Quota("Number of models", 100, _sagemaker("_models"), _sagemaker_limit),
    ("sagemaker", "CreateEndpointConfig"): Quota("Number of endpoint configurations", 100,
                                                 _sagemaker("endpoint_configs"), _sagemaker_limit),
    ("sagemaker", "CreateEndpoint"): Quota("Number of endpoints", 20, _sagemaker("endpoints"),
                                           _sagemaker_limit),
    ("sagemaker", "CreateNotebookInstance"): Quota("Number of notebook instances", 20,
                                                   _sagemaker("notebook_instances"), _sagemaker_limit),
}

_KEYED = {"PutObject", "CopyObject", "CreateMultipartUpload", "UploadPart", "CompleteMultipartUpload"}


def refusal(call: Call, account_id: str) -> Response | None:
    """The error for a request over one of the account's quotas, else None."""
    if call.service == "s3" and call.operation in _KEYED:
        if len(unquote(call.fields.get("Key", "")).encode("utf-8")) > MAX_KEY_BYTES:
            return error(call, 400, "KeyTooLongError",
                         f"Your key is too long: at most {MAX_KEY_BYTES} bytes.")
    quota = QUOTAS.get((call.service, call.operation))
    if quota is not None and quota.count(account_id, call.region) >= quota.limit:
        return quota.refuse(call, quota)
    return None


def throttled(call: Call) -> Response:
    """An account past MAX_REQUESTS: throttled as each protocol throttles."""
    message = f"Rate exceeded: the emulator serves at most {MAX_REQUESTS:,} requests per run."
    if call.service == "s3":
        return error(call, 503, "SlowDown", f"Please reduce your request rate. {message}")
    if call.protocol == "query":
        return error(call, 400, "Throttling", message)
    return error(call, 400, "ThrottlingException", message)

