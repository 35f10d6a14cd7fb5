"""Unpacking an LMS bulk download (a Canvas or Gradescope zip) so its notebooks can be graded like a
folder. The zip is the class's, but its file names and sizes are students': nothing is written outside
the target folder (no absolute paths, no `..`, no links), only notebooks and Gradescope's metadata at
the top of the download (where Gradescope puts it, never inside a student's folder) are extracted,
and sizes, entries and compression ratios are capped while reading, whatever the zip's header claims.
Each file keeps its time in the zip (the submission time in a Canvas download) as its modification time.
What is not extracted is listed with the reason: a student's oversized file is that student's problem."""

from __future__ import annotations

import calendar
import hashlib
import json
import os
import shutil
import stat
import tempfile
import zipfile
from dataclasses import dataclass, field
from pathlib import Path, PurePosixPath

from ..errors import UsageError

GRADESCOPE_METADATA = "submission_metadata.yml"
MAX_FILE_BYTES = 50_000_000          # a course notebook with its outputs is well under 10 MB
MAX_TOTAL_BYTES = 5_000_000_000
MAX_ENTRIES = 200_000                # a class of 1,000 with 100 files each is 100,000
MAX_RATIO = 200                      # notebooks deflate 3-20 times; a bomb deflates about 1,000 times
RATIO_FLOOR_BYTES = 1_000_000        # small files may compress well beyond the ratio: no bomb
IGNORED_PARTS = ("__MACOSX", ".ipynb_checkpoints")
LEFT_OUT = ".left-out.json"          # beside the extracted files: what the zip held that was not extracted
TOO_LARGE = f"larger than {MAX_FILE_BYTES // 1_000_000} MB: not extracted"
BOMB = f"expands more than {MAX_RATIO} times its compressed size (a zip bomb): not extracted"


@dataclass
class Unpacked:
    folder: Path
    # (name in the zip, why it was not extracted)
    left_out: list[tuple[str, str]] = field(default_factory=list)


def ignored(parts: tuple[str, ...]) -> bool:
    """Files no one submitted on purpose: hidden ones, macOS resource forks, Jupyter checkpoints."""
    return any(part.startswith(".") or part in IGNORED_PARTS for part in parts)


def _wanted(path: PurePosixPath) -> bool:
    """Notebooks, and Gradescope's metadata where an export has it: at the top, or in the one folder
    its download wraps everything in (discovery reads it only there)."""
    return path.suffix.lower() == ".ipynb" or path.name == GRADESCOPE_METADATA and len(path.parts) <= 2


def _is_link(member: zipfile.ZipInfo) -> bool:
    return stat.S_ISLNK(member.external_attr >> 16)


class _Bomb(Exception):
    """A member that expands far beyond its compressed size."""


def _copy_capped(source, target: Path, budget: int, compressed: int) -> int:
    written = 0
    with open(target, "wb") as out:
        while chunk := source.read(1 << 20):
            written += len(chunk)
            if written > min(MAX_FILE_BYTES, budget):
                raise OverflowError
            if written > max(RATIO_FLOOR_BYTES, MAX_RATIO * compressed):
                raise _Bomb
            out.write(chunk)
    return written


def _left_out_because(member: zipfile.ZipInfo) -> str | None:
    """Why a member is not extracted; "" for files no one submitted on purpose (left out silently)."""
    path = PurePosixPath(member.filename.replace("\\", "/"))
    if path.is_absolute() or ".." in path.parts or _is_link(member):
        return "a path outside the zip's folder, or a link: not extracted"
    if member.is_dir() or ignored(path.parts):
        return ""
    if not _wanted(path):
        return "not a notebook (.ipynb)"
    if member.file_size > MAX_FILE_BYTES:
        return TOO_LARGE
    return None


def _extract(archive: zipfile.ZipFile, into: Path) -> list[tuple[str, str]]:
    left_out, budget = [], MAX_TOTAL_BYTES
    for member in archive.infolist():
        why = _left_out_because(member)
        if why is not None:
            if why:
                left_out.append((member.filename, why))
            continue
        target = into.joinpath(*PurePosixPath(member.filename.replace("\\", "/")).parts)
        target.parent.mkdir(parents=True, exist_ok=True)
        try:
            with archive.open(member) as source:
                budget -= _copy_capped(source, target, budget, member.compress_size)
            when = calendar.timegm((*member.date_time, 0, 0, 0))   # the LMS's time of the file (zip: no zone)
            os.utime(target, (when, when))
        except _Bomb:
            target.unlink()
            left_out.append((member.filename, BOMB))
        except OverflowError:   # the header understated the size
            target.unlink()
            if budget < MAX_FILE_BYTES:
                raise UsageError(f"the zip unpacks to more than {MAX_TOTAL_BYTES // 1_000_000_000} GB; "
                                 "unpack it yourself and give the folder") from None
            left_out.append((member.filename, TOO_LARGE))
        except (OSError, zipfile.BadZipFile, EOFError) as error:   # a damaged member, a name clash
            left_out.append((member.filename, f"could not be extracted ({error})"))
    return left_out


def unpack(zip_path: Path, under: Path) -> Unpacked:
    """Extract into `under`/<zip name>-<hash of its content>/, once: a later run on the same zip reuses
    the folder (which appears whole or not at all) and what it left out."""
    digest = hashlib.sha256()
    try:
        with open(zip_path, "rb") as stream:
            while chunk := stream.read(1 << 20):
                digest.update(chunk)
        archive = zipfile.ZipFile(zip_path)
    except (OSError, zipfile.BadZipFile) as error:
        raise UsageError(f"{zip_path} is not a readable zip file ({error}); "
                         "give the LMS download or a folder") from None
    if len(archive.infolist()) > MAX_ENTRIES:
        archive.close()
        raise UsageError(f"{zip_path} holds more than {MAX_ENTRIES:,} files; unpack it yourself and give the "
                         "folder")
    folder = Path(under) / f"{zip_path.stem}-{digest.hexdigest()[:12]}"
    if not folder.is_dir():
        folder.parent.mkdir(parents=True, exist_ok=True)
        for stale in folder.parent.glob(".unpacking-*"):   # a run killed while unpacking
            shutil.rmtree(stale, ignore_errors=True)
        scratch = Path(tempfile.mkdtemp(prefix=".unpacking-", dir=folder.parent))
        try:
            with archive:
                left_out = _extract(archive, scratch)
            (scratch / LEFT_OUT).write_text(json.dumps(left_out))
            scratch.rename(folder)
        except BaseException:
            shutil.rmtree(scratch, ignore_errors=True)
            raise
    return Unpacked(folder, [tuple(item) for item in json.loads((folder / LEFT_OUT).read_text())])
