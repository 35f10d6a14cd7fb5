"""Emulated AWS accounts: one per run, each a separate world inside the one moto process.

moto keeps every service's state per account id, so a fresh account id is a clean account.
Each account gets the SageMaker execution role a console user would have, and temporary
credentials for that role (so ``get_execution_role()`` finds it, as on a notebook instance).
Wiping an account deletes its state from every moto backend.

An account may create an AWS Organization with member accounts (moto's organizations backend);
credentials for a member (from AssumeRole into it) are served as that member account, which is
wiped together with the account that manages it.
"""

from __future__ import annotations

import json
import secrets
import threading
import time
from dataclasses import dataclass, field
from datetime import UTC, datetime

from moto.core.base_backend import BackendDict
from moto.core.config import default_user_config
from moto.iam import models as iam_models
from moto.organizations.models import organizations_backends
from moto.s3.exceptions import S3ClientError
from moto.s3.models import S3Backend, s3_backends
from moto.sts.models import sts_backends

from ..aws_rules import invalid_bucket_message

EXECUTION_ROLE_POLICY = "arn:aws:iam::aws:policy/AmazonSageMakerFullAccess"
_TRUST_SAGEMAKER = json.dumps({"Version": "2012-10-17", "Statement": [
    {"Effect": "Allow", "Principal": {"Service": "sagemaker.amazonaws.com"}, "Action": "sts:AssumeRole"}]})
_SESSION_SECONDS = 12 * 3600

_current = threading.local()


def current_account() -> str | None:
    """The account whose request this thread is serving."""
    return getattr(_current, "account_id", None)


class serving_account:
    """Context manager: this thread now serves `account_id`."""

    def __init__(self, account_id: str):
        self.account_id = account_id

    def __enter__(self):
        self.previous = current_account()
        _current.account_id = self.account_id

    def __exit__(self, *exc):
        _current.account_id = self.previous


class _BucketNamesPerAccount:
    """Replaces moto's global bucket-name table so that each account has its own namespace:
    two runs that both hard-code ``sagemaker-20191007-2307`` must not collide."""

    def __init__(self):
        self._owners: dict[tuple[str | None, str], tuple[str, str]] = {}

    def __setitem__(self, name, owner):
        self._owners[(owner[1], name)] = owner

    def __contains__(self, name):
        return (current_account(), name) in self._owners

    def __getitem__(self, name):
        return self._owners[(current_account(), name)]

    def keys(self):
        account = current_account()
        return {name for owner, name in self._owners if owner == account}

    def pop(self, name, default=None):
        return self._owners.pop((current_account(), name), default)

    def forget_account(self, account_id: str) -> None:
        for key in [k for k in self._owners if k[0] == account_id]:
            del self._owners[key]


_configured = False


def _validated_bucket_names(create_bucket):
    """moto checks only a bucket name's length; S3 refuses the rest too (aws_rules.py). Checked
    where moto creates the bucket, so no request shape can store a name AWS would refuse."""
    def create(self, bucket_name, region_name, *args, **kwargs):
        message = invalid_bucket_message(bucket_name)
        if message:
            raise S3ClientError("InvalidBucketName", message)
        return create_bucket(self, bucket_name, region_name, *args, **kwargs)
    return create


def configure_moto() -> None:
    """Once per process: AWS managed policies in every account (parsed once, not per account),
    per-account bucket names, and S3's bucket naming rules."""
    global _configured
    if _configured:
        return
    default_user_config["iam"]["load_aws_managed_policies"] = True
    parsed = json.loads(iam_models.aws_managed_policies_data)
    # AWSManagedPolicy.from_data's arguments, serialised once: its json.dumps of ~1,600 documents
    # per account was most of an account's creation (2 s of every grading on a busy machine).
    arguments = {name: {"default_version_id": data.get("DefaultVersionId"), "path": data.get("Path"),
                        "document": json.dumps(data.get("Document")),
                        "create_date": datetime.fromisoformat(data["CreateDate"]),
                        "update_date": datetime.fromisoformat(data["UpdateDate"])}
                 for name, data in parsed.items()}

    def managed_policies(backend):
        return [iam_models.AWSManagedPolicy(name, account_id=backend.account_id, region=backend.region_name,
                                            **kwargs)
                for name, kwargs in arguments.items()]

    iam_models.IAMBackend._init_aws_policies = managed_policies
    s3_backends.bucket_accounts = _BucketNamesPerAccount()
    S3Backend.create_bucket = _validated_bucket_names(S3Backend.create_bucket)
    _configured = True


@dataclass
class Account:
    account_id: str
    region: str
    role_arn: str
    access_key_id: str
    secret_access_key: str
    session_token: str
    api_log: list[dict] = field(default_factory=list)
    trained_models: list[dict] = field(default_factory=list)   # what the emulator's trainer wrote
    created_at: float = field(default_factory=time.time)
    management_account_id: str | None = None   # set for a member account of an emulated Organization
    bytes_received: int = 0
    requests: int = 0          # every request the account sent, throttled ones too
    _lock: threading.Lock = field(default_factory=threading.Lock, repr=False)

    def record(self, entry: dict) -> None:
        self.api_log.append(entry)

    def receive(self, size: int, limit: int) -> bool:
        """Count a request body against the account's budget; False when it would exceed `limit`."""
        with self._lock:
            if self.bytes_received + size > limit:
                return False
            self.bytes_received += size
            return True

    def count_request(self, limit: int) -> bool:
        """Count one request; False once the account has sent more than `limit` (it is then throttled)."""
        with self._lock:
            self.requests += 1
            return self.requests <= limit

    def trained_model(self, sha256: str) -> dict | None:
        """The trainer's record of the artifact with this content, if the trainer wrote it."""
        return next((model for model in self.trained_models if model["sha256"] == sha256), None)


class AccountRegistry:
    def __init__(self):
        configure_moto()
        self._accounts: dict[str, Account] = {}
        self._by_key: dict[str, Account] = {}
        self._lock = threading.Lock()

    def create(self, region: str = "us-west-2") -> Account:
        with self._lock:
            account_id = self._new_id()
            self._accounts[account_id] = None  # reserve
        iam = iam_models.iam_backends[account_id]["aws"]
        stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%S")
        role = iam.create_role(f"AmazonSageMaker-ExecutionRole-{stamp}", _TRUST_SAGEMAKER, "/service-role/",
                               None, "SageMaker execution role", [], None)
        iam.attach_role_policy(EXECUTION_ROLE_POLICY, role.name)
        session = sts_backends[account_id]["aws"].assume_role(region, "SageMaker", role.arn, None,
                                                              _SESSION_SECONDS, None)
        account = Account(account_id, region, role.arn, session.access_key_id, session.secret_access_key,
                          session.session_token)
        with self._lock:
            self._accounts[account_id] = account
            self._by_key[account.access_key_id] = account
        return account

    def _new_id(self) -> str:
        while True:
            candidate = str(secrets.randbelow(9 * 10**11) + 10**11)
            if candidate not in self._accounts and candidate != "123456789012":
                return candidate

    def get(self, account_id: str) -> Account | None:
        return self._accounts.get(account_id)

    def for_access_key(self, access_key: str | None) -> Account | None:
        """The account an access key belongs to: ours, or one the student created with IAM."""
        if not access_key:
            return None
        account = self._by_key.get(access_key)
        if account is None:
            account_id = iam_models.get_account_id_from(access_key)
            account = self._accounts.get(account_id) or self._organization_member(account_id, access_key)
        return account

    def _organization_member(self, account_id: str, access_key: str) -> Account | None:
        """A member account of an Organization that one of our accounts manages, reached with a key
        that moto issued in it (AssumeRole into the member's role); None for any other account."""
        management_id, _ = organizations_backends.master_accounts.get(account_id, (None, None))
        management = self._accounts.get(management_id) if management_id else None
        if management is None or management.management_account_id:   # only accounts we made manage members
            return None
        key = iam_models.iam_backends[account_id]["aws"].access_keys.get(access_key)
        with self._lock:
            member = self._accounts.get(account_id)
            if member is None:
                member = Account(account_id, management.region, getattr(key, "role_arn", None) or "",
                                 access_key, "", "", management_account_id=management_id)
                self._accounts[account_id] = member
            self._by_key[access_key] = member
        return member

    def remove(self, account_id: str) -> None:
        """Forget an account and delete its state from every moto service, with its Organization's members."""
        with self._lock:
            account = self._accounts.pop(account_id, None)
            for key in [key for key, owner in self._by_key.items() if owner is account]:
                del self._by_key[key]
            members = [member for member, (manager, _) in list(organizations_backends.master_accounts.items())
                       if manager == account_id]
        for member in members:
            organizations_backends.master_accounts.pop(member, None)
            self.remove(member)
        for backend in list(BackendDict._instances):
            if account_id in backend.keys():
                del backend[account_id]
        s3_backends.bucket_accounts.forget_account(account_id)
