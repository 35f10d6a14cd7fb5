"""Writing output files so that a reader never sees half of one: a crash or a kill leaves either
the old file or the new one, never a truncated mix (a half-written result must not pass as a grade)."""

from __future__ import annotations

import contextlib
import os
import tempfile
from pathlib import Path

_journals: list[list[Path]] = []   # open journals, each the files and folders written since it opened


def write_atomic(path: Path, data: str | bytes) -> Path:
    path = Path(path)
    new_folders = [folder for folder in (path.parent, *path.parent.parents) if not folder.exists()]
    path.parent.mkdir(parents=True, exist_ok=True)
    for journal in _journals:
        journal.extend(reversed(new_folders))
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
    for journal in _journals:
        journal.append(path)
    return path


@contextlib.contextmanager
def journal():
    """Yields the list of files (and the folders made for them) that write_atomic writes meanwhile, in
    order, so a command that is interrupted can take back everything it wrote (`take_back`)."""
    written: list[Path] = []
    _journals.append(written)
    try:
        yield written
    finally:
        _journals.remove(written)


def take_back(written: list[Path]) -> None:
    """Remove what a journal recorded, newest first: the files, then the folders made for them if empty."""
    for path in reversed(written):
        try:
            path.rmdir() if path.is_dir() else path.unlink(missing_ok=True)
        except OSError:   # a folder something else wrote into too: it stays
            pass


def remove_stale(path: Path | None) -> None:
    """Delete an earlier output before a new grading starts, so an interrupted or failed run cannot
    leave the previous grade looking current."""
    if path is not None:
        Path(path).unlink(missing_ok=True)
