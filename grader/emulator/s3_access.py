"""Reading and writing objects in an emulated account's S3, in-process (no HTTP round trip).

Reads take a byte limit: an object's size is known before its body is read, so a student's huge
object is refused without being loaded into the grader's memory.
"""

from __future__ import annotations

import json
from urllib.parse import urlparse

from moto.s3.exceptions import MissingBucket
from moto.s3.models import s3_backends


class TooLarge(ValueError):
    """The objects asked for hold more bytes than the caller's limit."""


def split_url(url: str) -> tuple[str, str]:
    parsed = urlparse(url)
    if parsed.scheme != "s3" or not parsed.netloc:
        raise ValueError(f"'{url}' is not an s3://bucket/key URL")
    return parsed.netloc, parsed.path.lstrip("/")


def _backend(account_id: str):
    return s3_backends[account_id]["aws"]


def _bucket(account_id: str, bucket: str):
    try:
        return _backend(account_id).get_bucket(bucket)
    except MissingBucket:
        raise KeyError(bucket) from None


def _read(items: list, max_bytes: int, what: str) -> list[tuple[str, bytes, str]]:
    total = sum(value.size for _, value in items)
    if total > max_bytes:
        raise TooLarge(f"{what} holds {total:,} bytes; the emulator reads at most {max_bytes:,}")
    return [(key, value.value, value.etag) for key, value in items]


def list_objects(account_id: str, bucket: str, prefix: str, max_bytes: int) -> list[tuple[str, bytes, str]]:
    """(key, body, etag) of every object under a prefix; KeyError when the bucket is missing,
    TooLarge when they hold more than `max_bytes`."""
    items = [(key, value) for key, value in sorted(_bucket(account_id, bucket).keys.items())
             if key.startswith(prefix) and not key.endswith("/") and hasattr(value, "value")]
    return _read(items, max_bytes, f"s3://{bucket}/{prefix}")


def bucket_region(account_id: str, bucket: str) -> str:
    """Raises KeyError when the bucket is missing."""
    return _bucket(account_id, bucket).region_name


def get_object(account_id: str, url: str, max_bytes: int) -> tuple[bytes, str]:
    """(body, etag); KeyError when the bucket or key is missing, TooLarge above `max_bytes`."""
    bucket, key = split_url(url)
    value = _bucket(account_id, bucket).keys.get(key)
    if value is None or not hasattr(value, "value"):
        raise KeyError(url)
    [(_, body, etag)] = _read([(key, value)], max_bytes, url)
    return body, etag


def put_object(account_id: str, url: str, body: bytes) -> str:
    """Write an object; returns its ETag."""
    bucket, key = split_url(url)
    try:
        return _backend(account_id).put_object(bucket, key, body).etag
    except MissingBucket:
        raise KeyError(bucket) from None


def manifest_objects(account_id: str, manifest_url: str, max_bytes: int) -> list[tuple[str, bytes]]:
    """Objects a ManifestFile lists: [{"prefix": "s3://b/p/"}, "relative/key", ...]; TooLarge when
    the manifest and its objects hold more than `max_bytes` together."""
    body, _ = get_object(account_id, manifest_url, max_bytes)
    try:
        entries = json.loads(body)
    except (ValueError, RecursionError):
        entries = None
    if (not isinstance(entries, list) or not entries or not isinstance(entries[0], dict)
            or "prefix" not in entries[0]):
        raise ValueError('a manifest must be a JSON list starting with {"prefix": "s3://bucket/prefix/"}')
    base, budget, objects = entries[0]["prefix"], max_bytes - len(body), []
    for name in entries[1:]:
        found, _ = get_object(account_id, f"{base}{name}", budget)
        budget -= len(found)
        objects.append((f"{base}{name}", found))
    return objects


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
