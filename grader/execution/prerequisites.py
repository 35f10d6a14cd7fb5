"""What the course made in the web console before a notebook ran, made here so the notebook can run.

Course notebooks assume the student's bucket (often a hard-coded name) and the notebook
instance's execution role. The account already has the role; buckets the notebook names but never
creates are inferred from its code and created in the activity's region. Each item is listed in
the run record as grader-provided, so checks can tell it from the student's own work.
"""

from __future__ import annotations

import re

from ..aws_rules import bucket_name_problem
from ..emulator import s3_access

_QUOTED = r"""(?P<q>['"])(?P<name>[^'"\s{}]+)(?P=q)"""
BUCKET_PATTERNS = (
    re.compile(r"(?<![\w.])\w*bucket(?:_?name)?\s*=\s*" + _QUOTED, re.IGNORECASE),  # bucket = "sagemaker-..."
    re.compile(r"\bBucket\s*(?:\(\s*|=\s*)" + _QUOTED),                       # .Bucket("x"), Bucket="x"
    re.compile(r"""(?<![\w{])['"]s3://(?P<name>[^/'"\s{}]+)"""),              # "s3://x/..."
)
CREATES_BUCKET = re.compile(r"\bcreate_bucket\s*\(|\bBucket\([^)]*\)\.create\s*\(|\bmb\s+s3://")


def code_of(nb) -> str:
    return "\n".join(cell.source for cell in nb.cells if cell.cell_type == "code")


def bucket_names_used(code: str) -> list[str]:
    names = []
    for pattern in BUCKET_PATTERNS:
        for match in pattern.finditer(code):
            if match.group("name") not in names:
                names.append(match.group("name"))
    return names


def provide_console_resources(nb, account, region: str) -> list[dict]:
    """Create what the notebook needs from the console; return what was (or was not) provided."""
    provided = [{"kind": "execution_role", "name": account.role_arn, "created": True,
                 "reason": "a SageMaker notebook instance runs with an execution role"}]
    code = code_of(nb)
    if CREATES_BUCKET.search(code):
        return provided
    for name in bucket_names_used(code):
        problem = bucket_name_problem(name)
        if problem:
            provided.append({"kind": "bucket", "name": name, "created": False,
                             "reason": "the notebook names this bucket but it is not a "
                                       f"valid bucket name: {problem}"})
            continue
        if not s3_access.create_bucket(account.account_id, name, region):
            continue   # an earlier notebook of the activity made it
        provided.append({"kind": "bucket", "name": name, "region": region, "created": True,
                         "reason": "the notebook uses this bucket without creating it (the course makes it "
                                   "in the S3 console)"})
    return provided
