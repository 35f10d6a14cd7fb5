"""AWS rules the emulator enforces and the checks grade against: names, and the S3 calls that store
an object."""

from __future__ import annotations

import re

_BUCKET_CHARS = re.compile(r"^[a-z0-9][a-z0-9.-]*[a-z0-9]$")
_IPV4 = re.compile(r"^\d{1,3}(\.\d{1,3}){3}$")
_BAD_PREFIXES = ("xn--", "sthree-", "amzn-s3-demo-")
_BAD_SUFFIXES = ("-s3alias", "--ol-s3", ".mrap", "--x-s3")
OBJECT_WRITES = ("PutObject", "CompleteMultipartUpload", "CopyObject")   # the S3 calls that store an object


def bucket_name_problem(name: str) -> str | None:
    """Why S3 would refuse this bucket name, or None if it is valid."""
    if not 3 <= len(name) <= 63:
        return f"is {len(name)} characters long; bucket names must be 3 to 63 characters"
    if not _BUCKET_CHARS.match(name):
        return ("may contain only lowercase letters, digits, '.' and '-', and must start and end with a "
                "letter or digit")
    if ".." in name:
        return "must not contain two adjacent periods"
    if _IPV4.match(name):
        return "must not be formatted as an IP address"
    for prefix in _BAD_PREFIXES:
        if name.startswith(prefix):
            return f"must not start with '{prefix}'"
    for suffix in _BAD_SUFFIXES:
        if name.endswith(suffix):
            return f"must not end with '{suffix}'"
    return None


def invalid_bucket_message(name: str) -> str | None:
    """S3's InvalidBucketName message for this name, with the rule it breaks; None if valid."""
    problem = bucket_name_problem(name)
    return f"The specified bucket is not valid: '{name}' {problem}." if problem else None
