"""Writing output files so that a reader never sees half of one: a crash or a kill leaves either
the old file or the new one, never a truncated mix (a half-written result must not pass as a grade)."""

from __future__ import annotations

import os
import tempfile
from pathlib import Path


def write_atomic(path: Path, data: str | bytes) -> Path:
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    handle, temporary = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".part", dir=path.parent)
    try:
        with os.fdopen(handle, "wb") as stream:
            stream.write(data.encode() if isinstance(data, str) else data)
            stream.flush()
            os.fsync(stream.fileno())
        os.replace(temporary, path)
    except BaseException:
        Path(temporary).unlink(missing_ok=True)
        raise
    return path


def remove_stale(path: Path | None) -> None:
    """Delete an earlier output before a new grading starts, so an interrupted or failed run cannot
    leave the previous grade looking current."""
    if path is not None:
        Path(path).unlink(missing_ok=True)
