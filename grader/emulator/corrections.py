"""Where moto differs from AWS in ways our checks would read, the emulator answers like AWS.

Each function handles one operation: it refuses what AWS refuses, or fills in what AWS fills in,
then forwards to moto. (Names are validated for every operation in validation.py; bucket names,
which S3's model does not describe, here first, as S3 checks them before anything else, and again
wherever moto creates a bucket: accounts.configure_moto.)
"""

from __future__ import annotations

import json

from moto.iam.models import iam_backends

from ..aws_rules import invalid_bucket_message
from .protocol import Response, error


def create_bucket(exchange) -> Response:
    bucket = exchange.call.fields.get("Bucket", "")
    message = invalid_bucket_message(bucket)
    if message:
        return error(exchange.call, 400, "InvalidBucketName", message, BucketName=bucket)
    return exchange.forward()


def create_notebook_instance(exchange) -> Response:
    """RootAccess defaults to Enabled on AWS (moto leaves it out)."""
    request = dict(exchange.call.fields)
    request.setdefault("RootAccess", "Enabled")
    return exchange.forward(json.dumps(request).encode())


def delete_group(exchange) -> Response:
    """AWS refuses to delete a group that still has members."""
    name = exchange.call.fields.get("GroupName", "")
    backend = iam_backends[exchange.account.account_id]["aws"]
    group = next((g for g in backend.groups.values() if g.name == name), None)
    if group is not None and group.users:
        return error(exchange.call, 409, "DeleteConflict",
                     "Cannot delete entity, must remove users from group first.")
    return exchange.forward()


def create_login_profile(exchange) -> Response:
    """moto ignores PasswordResetRequired (always false); AWS stores it and GetLoginProfile shows it."""
    backend = iam_backends[exchange.account.account_id]["aws"]
    user = backend.users.get(exchange.call.fields.get("UserName", ""))
    if user is not None and not user.password:   # the profile is about to be created
        user.password_reset_required = (
            str(exchange.call.fields.get("PasswordResetRequired", "")).lower() == "true")
    return exchange.forward()


HANDLERS = {
    ("s3", "CreateBucket"): create_bucket,
    ("sagemaker", "CreateNotebookInstance"): create_notebook_instance,
    ("iam", "DeleteGroup"): delete_group,
    ("iam", "CreateLoginProfile"): create_login_profile,
}
