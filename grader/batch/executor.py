"""Running the tasks on Dask distributed: an embedded LocalCluster by default (one single-threaded
worker process per core, no dashboard unless asked), or a running cluster given by its scheduler's
address, with no other change. The executor's interface is small: enter it, `run(function, jobs)`
yields each job as it finishes (its summary, or why the task was lost), leave it.

Tasks return their outputs, which the caller writes at once, and futures are released as they finish,
so nothing lives only in a worker's (or the scheduler's) memory. A worker that dies while grading is
restarted (by its nanny) and its task tried once more; a second death makes the task `lost` (Dask's
KilledWorker), which the caller records as that student's error.
"""

from __future__ import annotations

import logging
import os
import signal
import threading
from collections.abc import Callable, Iterator
from dataclasses import dataclass

from ..errors import UsageError
from .workshop import workshop

CLUSTER_CONFIG = {
    # one retry: a submission that kills workers stops at two
    "distributed.scheduler.allowed-failures": 1,
    "distributed.worker.memory.target": False,        # tasks hold no data: no spilling, no pausing
    "distributed.worker.memory.spill": False,
    "distributed.worker.memory.pause": False,
}
CONNECT_TIMEOUT_S = 15


@dataclass
class Finished:
    job: object
    summary: dict | None      # what the task returned; None when it was lost
    lost: str = ""            # why the task never finished (its worker died, the task itself failed)


def _worker_plugin(ignore_interrupts: bool):
    from distributed.diagnostics.plugin import WorkerPlugin

    class GradingWorker(WorkerPlugin):
        """Sets up each worker process as it starts (and again after a restart): its workshop, and for
        the embedded cluster, no Ctrl-C of its own (the terminal sends it to every process of the group;
        the command stops the workers itself)."""

        name = "grader-workshop"
        idempotent = True

        def setup(self, worker):
            if ignore_interrupts and threading.current_thread() is threading.main_thread():
                signal.signal(signal.SIGINT, signal.SIG_IGN)
            workshop()

        def teardown(self, worker):
            workshop().close()

    return GradingWorker()


class DaskExecutor:
    def __init__(self, *, workers: int | None = None, scheduler: str | None = None, dashboard: bool = False,
                 plugins: list | None = None):
        """`plugins`: Dask worker plugins to set up on every worker (and on each restarted one) besides
        ours."""
        self.workers = workers or os.cpu_count() or 1
        self.scheduler, self.dashboard, self.plugins = scheduler, dashboard, plugins or []
        self.cluster = self.client = None

    def __enter__(self) -> DaskExecutor:
        import dask
        from distributed import Client, LocalCluster

        self._config = dask.config.set(CLUSTER_CONFIG)
        self._config.__enter__()
        try:
            if self.scheduler:
                try:
                    self.client = Client(self.scheduler, timeout=CONNECT_TIMEOUT_S)
                except (OSError, TimeoutError) as error:
                    raise UsageError(f"cannot reach the Dask scheduler at {self.scheduler} ({error}); "
                                     "start it with `dask scheduler`, or drop --scheduler") from None
                try:
                    self.client.wait_for_workers(1, timeout=CONNECT_TIMEOUT_S)
                except TimeoutError:
                    raise UsageError(f"the Dask scheduler at {self.scheduler} has no workers; start some "
                                     f"with `dask worker {self.scheduler} --nthreads 1`") from None
            else:
                self.cluster = LocalCluster(n_workers=self.workers, threads_per_worker=1, processes=True,
                                            dashboard_address=":0" if self.dashboard else None,
                                            # failures reach us as task errors
                                            silence_logs=logging.CRITICAL)
                self.client = Client(self.cluster)
            for plugin in [_worker_plugin(ignore_interrupts=self.cluster is not None), *self.plugins]:
                self.client.register_plugin(plugin)
        except BaseException:
            self.__exit__(None, None, None)
            raise
        return self

    def describe(self) -> str:
        if self.cluster is None:
            count = len(self.client.scheduler_info(n_workers=-1)["workers"])
            where = f"{count} worker(s) of the Dask cluster at {self.scheduler}"
        else:
            where = f"{self.workers} local worker process(es)"
        link = (f"; dashboard {self.client.dashboard_link}" if self.dashboard and self.client.dashboard_link
                else "")
        return where + link

    def _threads(self) -> int:
        workers = self.client.scheduler_info(n_workers=-1)["workers"].values()
        return max(1, sum(worker["nthreads"] for worker in workers))

    def run(self, function: Callable, jobs: list) -> Iterator[Finished]:
        """Submits no more tasks than the cluster has threads: a worker never holds a task in waiting, so a
        worker's death is charged to the one task it was running, and a queued task goes to whichever
        worker frees up first."""
        from distributed import as_completed

        waiting, running = iter(jobs), {}
        finishing = as_completed()

        def top_up() -> None:
            while len(running) < self._threads():
                job = next(waiting, None)
                if job is None:
                    return
                future = self.client.submit(function, job, key=f"grade-{job.run}-{job.student}", pure=False)
                running[future] = job
                finishing.add(future)

        try:
            top_up()
            for future in finishing:
                job = running.pop(future)
                if future.status == "finished":
                    finished = Finished(job, future.result())
                else:
                    error = future.exception()
                    if type(error).__name__ == "KilledWorker":
                        lost = f"the worker grading it died each time it was tried ({error})"
                    else:
                        lost = f"its task failed: {type(error).__name__}: {error}"
                    finished = Finished(job, None, lost)
                future.release()
                top_up()
                yield finished
        finally:
            for future in running:   # stopped early: nothing more is wanted from the cluster
                future.cancel()

    def __exit__(self, *exc) -> None:
        # what goes wrong while stopping (closed comms, ...) is noise
        for name in ("distributed", "tornado"):
            logging.getLogger(name).setLevel(logging.CRITICAL)
        for part in (self.client, self.cluster):
            if part is not None:
                part.close()
        self._config.__exit__(None, None, None)
