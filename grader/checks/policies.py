"""Reading IAM policy documents: which statements grant S3 object access, and on which buckets."""

from __future__ import annotations

from fnmatch import fnmatchcase

OBJECT_ACTIONS = ("s3:GetObject", "s3:PutObject")
EVERY_BUCKET = ("*", "arn:aws:s3:::*", "arn:aws:s3:::*/*")


def statements(document) -> list[dict]:
    found = (document or {}).get("Statement", []) if isinstance(document, dict) else []
    return [found] if isinstance(found, dict) else found


def as_list(value) -> list[str]:
    return [value] if isinstance(value, str) else list(value or [])


def _matches(action: str, wanted: str) -> bool:
    return fnmatchcase(wanted.lower(), action.lower())


def grants_objects(statement: dict) -> bool:
    """An Allow whose Action covers reading or writing objects, or whose NotAction leaves them in."""
    if statement.get("Effect") != "Allow":
        return False
    if "NotAction" in statement:
        excluded = as_list(statement["NotAction"])
        return any(not any(_matches(action, wanted) for action in excluded) for wanted in OBJECT_ACTIONS)
    return any(_matches(action, wanted) for action in as_list(statement.get("Action"))
               for wanted in OBJECT_ACTIONS)


def bucket_of(resource: str) -> str | None:
    """'arn:aws:s3:::name' or 'arn:aws:s3:::name/*' -> name (None for wildcards and other services)."""
    if not resource.startswith("arn:aws:s3:::") or resource in EVERY_BUCKET:
        return None
    name = resource.removeprefix("arn:aws:s3:::").split("/", 1)[0]
    return None if "*" in name or "?" in name else name
