"""The course data files of a batch, sent to every worker once: a worker may be on a machine that
shares no folder with the TA's (docs/batch.md), so the files the TA's machine would copy from a folder
(`--data-dir`, or the course's data folder) travel as bytes, by a Dask worker plugin that writes them
into a folder of the worker's own as it starts (and again after a restart). Files built from packages
or recipes are not sent: every worker builds them alike, and the grading version (store.py) checks it.
"""

from __future__ import annotations

import hashlib
import tempfile
from pathlib import Path

from ..activities import Activity
from ..datasets import DataFileMissing, source_file
from ..errors import UsageError


def course_data(activity: Activity, data_dir: Path | None) -> dict[str, bytes]:
    """{file name: bytes} of the activity's data files that come from a file on this machine."""
    files = {}
    for name in activity.data:
        try:
            path = source_file(name, data_dir)
        except DataFileMissing as error:
            raise UsageError(str(error)) from None
        if path is not None:
            files[name] = path.read_bytes()
    return files


def data_id(files: dict[str, bytes]) -> str | None:
    """The name a job gives its data set (None: it has none)."""
    if not files:
        return None
    digest = hashlib.sha256()
    for name in sorted(files):
        digest.update(name.encode() + b"\0" + hashlib.sha256(files[name]).digest())
    return digest.hexdigest()[:20]


def data_plugin(files: dict[str, bytes]):
    from distributed.diagnostics.plugin import WorkerPlugin

    from .workshop import workshop

    class CourseData(WorkerPlugin):
        """Writes the batch's data files into a folder of this worker's, named by their content."""

        name = f"grader-data-{data_id(files)}"
        idempotent = True

        def setup(self, worker):
            folder = Path(tempfile.mkdtemp(prefix="grader-data-"))
            for file_name, content in files.items():
                (folder / file_name).write_bytes(content)
            workshop().data_dirs[data_id(files)] = folder

    return CourseData()
