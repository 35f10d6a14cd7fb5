"""The autograder zip Gradescope builds its image from: setup.sh and run_autograder at the top (they
come with the grader, so an installed grader makes the same zip as a checkout), ACTIVITY (the
activity's id), the grader's wheel, constraints.txt (the exact version of every package installed
beside the grader that builds the zip: the image gets the set that was tested, not whatever the
wheel's version ranges resolve to on the day), and with a data folder the course data files the
activity reads in data/."""

from __future__ import annotations

import importlib.metadata
import io
import stat
import zipfile
from pathlib import Path

from ..activities import load
from ..errors import UsageError, require_dir
from ..files import write_atomic
from .wheel import FIXED_TIME, grader_wheel

HERE = Path(__file__).resolve().parent
SCRIPTS = ("setup.sh", "run_autograder")
EXECUTABLE, READABLE = 0o755, 0o644


def _add(archive: zipfile.ZipFile, name: str, data: bytes, mode: int = READABLE) -> None:
    entry = zipfile.ZipInfo(name, date_time=FIXED_TIME)
    entry.external_attr = (stat.S_IFREG | mode) << 16
    archive.writestr(entry, data, zipfile.ZIP_DEFLATED)


def constraints() -> str:
    """`name==version` of every distribution installed beside this grader (itself left out)."""
    pins = {}
    for distribution in importlib.metadata.distributions():
        name = distribution.metadata["Name"]
        if name and name.lower() != "sagemaker-course-grader":
            pins[name.lower()] = f"{name}=={distribution.version}"
    return "".join(f"{pins[name]}\n" for name in sorted(pins))


def build_autograder(activity_id: str, out: Path, data_dir: Path | None = None) -> list[str]:
    """Write the zip to `out` (whole or not at all); returns notes for the person building it."""
    activity = load(activity_id)
    require_dir(data_dir, "--data-dir")
    missing = [name for name in activity.data if data_dir and not (data_dir / name).is_file()]
    if missing:
        raise UsageError(f"{', '.join(missing)} not in {data_dir}; give the folder that holds "
                         f"{activity.id}'s data files")
    if out.is_dir():
        raise UsageError(f"--out {out} is a folder; give the zip file to write, "
                         f"e.g. {out / activity.id}-autograder.zip")
    wheel_name, wheel = grader_wheel()
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        for script in SCRIPTS:
            _add(archive, script, (HERE / script).read_bytes(), EXECUTABLE)
        _add(archive, "ACTIVITY", f"{activity.id}\n".encode())
        _add(archive, wheel_name, wheel)
        _add(archive, "constraints.txt", constraints().encode())
        for name in activity.data if data_dir else ():
            _add(archive, f"data/{name}", (data_dir / name).read_bytes())
    write_atomic(out, buffer.getvalue())
    notes = [f"wheel: {wheel_name}"]
    if activity.data and not data_dir:
        notes.append(f"no --data-dir: {activity.id} will be graded on a SYNTHETIC stand-in for "
                     f"{', '.join(activity.data)}; pass --data-dir with the course's files")
    return notes
