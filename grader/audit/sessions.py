"""boto3 sessions for the audit: each refuses any call that is not a read, and all share one loader
of service models (loading them costs about 0.4 s per session; a class has 40 accounts)."""

from __future__ import annotations

import threading

import boto3
import botocore.loaders
import botocore.session

from ..snapshots.snapshot import READ_ONLY_PREFIXES

# Getting into an account: who am I, and a role's temporary credentials. Everything else must read.
ENTRY_OPERATIONS = {"GetCallerIdentity", "AssumeRole"}

_loader = None
_loader_lock = threading.Lock()


class WriteRefused(Exception):
    """The audit tried an operation that could change an account: a bug, stopped before it left."""


def is_read_only(operation: str) -> bool:
    return operation.startswith(READ_ONLY_PREFIXES) or operation in ENTRY_OPERATIONS


def _refuse_writes(model, **_) -> None:
    if not is_read_only(model.name):
        raise WriteRefused(f"the audit only reads; it refused to call {model.service_model.service_name}:"
                           f"{model.name}")


def _shared_loader():
    global _loader
    with _loader_lock:
        _loader = _loader or botocore.loaders.create_loader()
    return _loader


def new_session(profile: str | None = None, credentials: dict | None = None) -> boto3.Session:
    """A session for `profile` (its region, endpoint_url, role and keys; None: the default chain),
    optionally with other credentials (an assumed role's) in place of the profile's."""
    core = botocore.session.Session(profile=profile)
    core.register_component("data_loader", _shared_loader())
    core.register("before-call", _refuse_writes, unique_id="grader-audit-read-only")
    if credentials:
        core.set_credentials(credentials["AccessKeyId"], credentials["SecretAccessKey"],
                             credentials.get("SessionToken"))
    return boto3.Session(botocore_session=core)
