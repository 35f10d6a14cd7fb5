"""A wheel of the grader that is running, built from what it runs: its code, the course content it
reads (activities/, rubrics/, environments/) and its installed metadata (the exact dependency pins
and the `grader` and pytest entry points). It works the same from an editable checkout and from a
normal install, which has no source tree to build from; pip installs it without building anything.
"""

from __future__ import annotations

import base64
import csv
import hashlib
import importlib.metadata
import io
import zipfile
from pathlib import Path

from .. import project
from ..errors import UsageError

DISTRIBUTION = "sagemaker-course-grader"
CONTENT = ("activities", "rubrics", "environments")   # setup.py: CONTENT, in INSTALLED_CONTENT
SKIPPED = ("__pycache__",)
SKIPPED_SUFFIXES = (".pyc", ".pyo")
WHEEL = "Wheel-Version: 1.0\nGenerator: grader gradescope\nRoot-Is-Purelib: true\nTag: py3-none-any\n"
FIXED_TIME = (2020, 1, 1, 0, 0, 0)   # the same grader gives the same bytes


def _distribution() -> importlib.metadata.Distribution:
    try:
        return importlib.metadata.distribution(DISTRIBUTION)
    except importlib.metadata.PackageNotFoundError:
        raise UsageError(f"the grader is not installed as {DISTRIBUTION}; install it (pip install .) "
                         "to build an autograder") from None


def _files(folder: Path) -> list[Path]:
    return sorted(path for path in folder.rglob("*") if path.is_file() and path.suffix not in SKIPPED_SUFFIXES
                  and not any(part in SKIPPED for part in path.relative_to(folder).parts))


def _content_folders() -> dict[str, Path]:
    """Where the running grader reads each content folder (a course's GRADER_PROJECT_DIR included)."""
    folders = {name: project.project_dir() / name for name in CONTENT}
    folders["environments"] = project.environments_dir()
    return {name: folder for name, folder in folders.items() if folder.is_dir()}


def _record_line(name: str, data: bytes) -> list[str]:
    digest = base64.urlsafe_b64encode(hashlib.sha256(data).digest()).rstrip(b"=").decode()
    return [name, f"sha256={digest}", str(len(data))]


def grader_wheel() -> tuple[str, bytes]:
    """(file name, bytes) of a wheel of the running grader."""
    distribution = _distribution()
    metadata = distribution.read_text("METADATA") or distribution.read_text("PKG-INFO")
    entry_points = distribution.read_text("entry_points.txt")
    if not metadata or not entry_points:
        raise UsageError(f"the installed {DISTRIBUTION} has no metadata; "
                         "reinstall the grader (pip install .)")
    name, version = distribution.metadata["Name"].replace("-", "_"), distribution.version
    dist_info = f"{name}-{version}.dist-info"
    package = Path(__file__).resolve().parents[1]
    members = [(f"grader/{path.relative_to(package).as_posix()}", path.read_bytes())
               for path in _files(package)]
    for folder_name, folder in _content_folders().items():
        members += [(f"{project.INSTALLED_CONTENT.name}/{folder_name}/{path.relative_to(folder).as_posix()}",
                     path.read_bytes()) for path in _files(folder)]
    members += [(f"{dist_info}/METADATA", metadata.encode()), (f"{dist_info}/WHEEL", WHEEL.encode()),
                (f"{dist_info}/entry_points.txt", entry_points.encode())]
    record = io.StringIO()
    writer = csv.writer(record, lineterminator="\n")
    writer.writerows(_record_line(member, data) for member, data in members)
    writer.writerow([f"{dist_info}/RECORD", "", ""])
    members.append((f"{dist_info}/RECORD", record.getvalue().encode()))
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as wheel:
        for member, data in members:
            wheel.writestr(zipfile.ZipInfo(member, date_time=FIXED_TIME), data, zipfile.ZIP_DEFLATED)
    return f"{name}-{version}-py3-none-any.whl", buffer.getvalue()
