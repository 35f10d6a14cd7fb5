"""Where moto differs from AWS in ways our checks would read, the emulator answers like AWS.

Each function handles one operation: it refuses what AWS refuses, or fills in what AWS fills in,
then forwards to moto.
"""

from __future__ import annotations

import json
import re

from moto.iam.models import iam_backends

from ..aws_rules import bucket_name_problem
from .protocol import Response, error

_NOTEBOOK_NAME = re.compile(r"^[a-zA-Z0-9](-*[a-zA-Z0-9])*$")


def create_bucket(exchange) -> Response:
    bucket = exchange.call.params.get("Bucket", "")
    problem = bucket_name_problem(bucket)
    if problem:
        return error(exchange.call, 400, "InvalidBucketName", f"The specified bucket is not valid: '{bucket}' {problem}.",
                     BucketName=bucket)
    return exchange.forward()


def create_notebook_instance(exchange) -> Response:
    """RootAccess defaults to Enabled on AWS (moto leaves it out); names are validated."""
    request = exchange.call.json()
    name = str(request.get("NotebookInstanceName", ""))
    if not (len(name) <= 63 and _NOTEBOOK_NAME.match(name)):
        return error(exchange.call, 400, "ValidationException",
                     f"1 validation error detected: Value '{name}' at 'notebookInstanceName' failed to satisfy "
                     "constraint: Member must have length less than or equal to 63 and satisfy regular expression "
                     "pattern: ^[a-zA-Z0-9](-*[a-zA-Z0-9])*")
    request.setdefault("RootAccess", "Enabled")
    return exchange.forward(json.dumps(request).encode())


def delete_group(exchange) -> Response:
    """AWS refuses to delete a group that still has members."""
    name = exchange.call.params.get("GroupName", "")
    backend = iam_backends[exchange.account.account_id]["aws"]
    group = next((g for g in backend.groups.values() if g.name == name), None)
    if group is not None and group.users:
        return error(exchange.call, 409, "DeleteConflict", "Cannot delete entity, must remove users from group first.")
    return exchange.forward()


def create_login_profile(exchange) -> Response:
    """moto ignores PasswordResetRequired (always false); AWS stores it and GetLoginProfile shows it."""
    backend = iam_backends[exchange.account.account_id]["aws"]
    user = backend.users.get(exchange.call.params.get("UserName", ""))
    if user is not None and not user.password:   # the profile is about to be created
        user.password_reset_required = str(exchange.call.params.get("PasswordResetRequired", "")).lower() == "true"
    return exchange.forward()


HANDLERS = {
    ("s3", "CreateBucket"): create_bucket,
    ("sagemaker", "CreateNotebookInstance"): create_notebook_instance,
    ("iam", "DeleteGroup"): delete_group,
    ("iam", "CreateLoginProfile"): create_login_profile,
}
