"""Reading and writing objects in an emulated account's S3, in-process (no HTTP round trip)."""

from __future__ import annotations

import json
from urllib.parse import urlparse

from moto.s3.exceptions import MissingBucket
from moto.s3.models import s3_backends


def split_url(url: str) -> tuple[str, str]:
    parsed = urlparse(url)
    if parsed.scheme != "s3" or not parsed.netloc:
        raise ValueError(f"'{url}' is not an s3://bucket/key URL")
    return parsed.netloc, parsed.path.lstrip("/")


def _backend(account_id: str):
    return s3_backends[account_id]["aws"]


def list_objects(account_id: str, bucket: str, prefix: str) -> list[tuple[str, bytes, str]]:
    """(key, body, etag) of every object under a prefix; raises KeyError when the bucket is missing."""
    try:
        found = _backend(account_id).get_bucket(bucket)
    except MissingBucket:
        raise KeyError(bucket) from None
    out = []
    for key, value in sorted(found.keys.items()):
        if key.startswith(prefix) and not key.endswith("/") and hasattr(value, "value"):
            out.append((key, value.value, value.etag))
    return out


def bucket_region(account_id: str, bucket: str) -> str:
    """Raises KeyError when the bucket is missing."""
    try:
        return _backend(account_id).get_bucket(bucket).region_name
    except MissingBucket:
        raise KeyError(bucket) from None


def get_object(account_id: str, url: str) -> tuple[bytes, str]:
    """(body, etag); raises KeyError when the bucket or key is missing."""
    bucket, key = split_url(url)
    for found_key, body, etag in list_objects(account_id, bucket, key):
        if found_key == key:
            return body, etag
    raise KeyError(url)


def put_object(account_id: str, url: str, body: bytes) -> None:
    bucket, key = split_url(url)
    try:
        _backend(account_id).put_object(bucket, key, body)
    except MissingBucket:
        raise KeyError(bucket) from None


def manifest_objects(account_id: str, manifest_url: str) -> list[tuple[str, bytes]]:
    """Objects a ManifestFile lists: [{"prefix": "s3://b/p/"}, "relative/key", ...]."""
    body, _ = get_object(account_id, manifest_url)
    entries = json.loads(body)
    if not isinstance(entries, list) or not entries or "prefix" not in entries[0]:
        raise ValueError('a manifest must be a JSON list starting with {"prefix": "s3://bucket/prefix/"}')
    base = entries[0]["prefix"]
    return [(f"{base}{name}", get_object(account_id, f"{base}{name}")[0]) for name in entries[1:]]


def create_bucket(account_id: str, name: str, region: str) -> bool:
    """Create a bucket the way the S3 console would, without an API call in the account's log.
    False when the account already has it."""
    from .accounts import serving_account

    with serving_account(account_id):
        try:
            _backend(account_id).get_bucket(name)
            return False
        except MissingBucket:
            _backend(account_id).create_bucket(name, region)
            return True
