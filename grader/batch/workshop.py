"""What a worker process keeps from one task to the next: one object per process, made by the first
task (or by the Dask worker plugin as the worker starts), and the one place for per-worker resources.

It knows the grading version this worker would grade with, so a worker whose grader, rubric, tools
or data differ from those of the machine that started the batch refuses to grade (its grades would
be filed under the wrong version), and it clears what one grading leaves behind before the next.
"""

from __future__ import annotations

import functools
import json
from pathlib import Path

from ..activities import load
from ..errors import UsageError
from . import store


class Workshop:
    def __init__(self):
        self._versions: dict[str, str] = {}
        self.closing = False   # set when the worker is being stopped: a grading running then is not kept
        self.data_dirs: dict[str, Path] = {}   # the batches' course data files on this worker (data.py)

    def data_dir(self, data: str | None) -> Path | None:
        """This worker's copy of a batch's data files (None when the batch sent none)."""
        if data is None:
            return None
        if data not in self.data_dirs:
            raise UsageError(
                "this worker has not received the batch's course data files; restart it and grade again")
        return self.data_dirs[data]

    def grading_version(self, activity_id: str, *, limits: dict, data_dir: str | None, staff: bool,
                        isolate: str, environment: str | None) -> str:
        wanted = json.dumps([activity_id, limits, data_dir, staff, isolate, environment], sort_keys=True)
        if wanted not in self._versions:
            self._versions[wanted] = store.grading_version(load(activity_id), limits=limits, staff=staff,
                                                           data_dir=Path(data_dir) if data_dir else None,
                                                           isolate=isolate, environment=environment)
        return self._versions[wanted]

    def mismatch(self, job) -> str:
        """Why this worker must not grade `job` ("" when it may)."""
        try:
            data_dir = self.data_dir(job.data)
            mine = self.grading_version(job.activity, limits=job.limits,
                                        data_dir=str(data_dir) if data_dir else None, staff=job.staff,
                                        isolate=job.isolate, environment=job.environment)
        except UsageError as error:
            return f"this worker cannot grade {job.activity}: {error}"
        if mine != job.key.grading:
            return ("this worker's grader, rubric, tools or data differ from those of the machine that "
                    f"started the batch (grading version {mine}, not {job.key.grading}); install "
                    "the same grader everywhere")
        return ""

    def settle(self) -> None:
        """After each grading: drop what it leaves in the process. moto keeps every model object it ever
        made (IAM's ~1,300 managed policies per account, about 3.5 MB per submission) in class-level
        lists for its dashboard, which the grader never reads; they are emptied between tasks."""
        from moto.core.model_instances import reset_model_data

        reset_model_data()

    def close(self) -> None:
        """Release what the worker holds: its warm-kernel servers (a worker stopped by its cluster may
        not reach the interpreter's exit handlers, which would stop them too). A grading still running
        loses its kernels with them, so from here on none is kept (grade_job)."""
        from ..sandbox.warm import stop_all

        self.closing = True
        stop_all()


@functools.cache
def workshop() -> Workshop:
    return Workshop()
