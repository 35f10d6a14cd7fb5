"""Executing a notebook's cells in a fresh kernel with nbclient, one record per code cell.

Execution goes on past a failing cell so later evidence still exists. Each limit (cell timeout,
notebook timeout, memory, output) is recorded on the cell that hit it. A kernel that dies, or that
ignores the interrupt after a timeout, ends the run: its cell says why and the rest are `not_run`.

The cell and notebook timeouts count CPU time (grader/execution/limits.py): a watcher reads the
sandbox's CPU clock while a cell runs and interrupts it once it has used its share; nbclient's own
timeout is the wall-clock backstop, for cells that sleep or wait.
"""

from __future__ import annotations

import asyncio
import math
import subprocess
import time
from contextlib import asynccontextmanager
from dataclasses import dataclass

import nbformat
import psutil
from nbclient import NotebookClient
from nbclient.exceptions import DeadKernelError

from ..kernel_site.grader_ipython import FIGURE_MIME, NOTE_MIME
from ..text import clip, plain
from .kernel import KERNEL_ARGUMENTS, kernel_manager
from .limits import RunLimits
from .record import CellError, CellRecord, KernelFate

TIMEOUT_ENAME = "GraderCellTimeout"
MEMORY_ENAMES = {"MemoryError", "_ArrayMemoryError"}
RECORD_TEXT_LIMIT = 20_000          # characters of stdout/stderr kept per cell in the record
RICH_TEXT_LIMIT = 500
INTERRUPT_GRACE_S = 3.0           # seconds (of CPU after a CPU-time stop) a kernel has to take an interrupt
CPU_WATCH_S = 0.2                   # how often a running cell's CPU time is read


class _CappedClient(NotebookClient):
    """nbclient, keeping at most `output_bytes` of output per cell and noting what it dropped."""

    def __init__(self, nb, *, output_bytes: int, **kwargs):
        super().__init__(nb, **kwargs)
        self.output_bytes = output_bytes
        self.output_used: dict[int, int] = {}
        self.capped: set[int] = set()

    def output(self, outs, msg, display_id, cell_index):
        used = self.output_used.get(cell_index, 0)
        size = _size(msg)
        if used + size > self.output_bytes:
            room = max(self.output_bytes - used, 0)
            if cell_index not in self.capped:
                self.capped.add(cell_index)
                if msg["msg_type"] == "stream" and room:
                    content = msg["content"]
                    msg = {**msg, "content": {**content, "text": content["text"][:room]}}
                    super().output(outs, msg, display_id, cell_index)
                outs.append(nbformat.v4.new_output(
                    "stream", name="stderr",
                    text=f"\n[grader] output beyond {self.output_bytes:,} bytes was dropped\n"))
            self.output_used[cell_index] = used + size
            return None
        self.output_used[cell_index] = used + size
        return super().output(outs, msg, display_id, cell_index)

    def _update_display_id(self, display_id, msg):
        """Display updates replace earlier outputs in place; they count against the running cell's
        cap like any output, or a loop of updates would grow the notebook without bound."""
        if msg["header"]["msg_type"] != "update_display_data":   # a new display: counted by output()
            return super()._update_display_id(display_id, msg)
        cell_index = getattr(self, "_running_cell", None)
        used = self.output_used.get(cell_index, 0) + _size(msg)
        self.output_used[cell_index] = used
        if used > self.output_bytes:
            self.capped.add(cell_index)
            return None
        return super()._update_display_id(display_id, msg)

    async def async_execute_cell(self, cell, cell_index, *args, **kwargs):
        self._running_cell = cell_index
        return await super().async_execute_cell(cell, cell_index, *args, **kwargs)


def _size(msg) -> int:
    content = msg["content"]
    return len(content.get("text", "")) if msg["msg_type"] == "stream" else len(str(content.get("data", "")))


def _fill_from_outputs(record: CellRecord, outputs) -> None:
    stdout, stderr = [], []
    for output in outputs:
        kind = output.get("output_type")
        if kind == "stream":
            (stdout if output.get("name") == "stdout" else stderr).append(output.get("text", ""))
        elif kind in ("display_data", "execute_result"):
            data = output.get("data", {})
            if NOTE_MIME in data:
                record.notes.append(data[NOTE_MIME]["note"])
            elif FIGURE_MIME in data:
                record.figures.append(data[FIGURE_MIME])
            else:
                record.rich.append({"mime_types": sorted(data),
                                    "text": clip(str(data.get("text/plain", "")), RICH_TEXT_LIMIT)})
    record.stdout = clip("".join(stdout), RECORD_TEXT_LIMIT)
    record.stderr = clip("".join(stderr), RECORD_TEXT_LIMIT)


def _code_cells(nb) -> list[int]:
    return [i for i, cell in enumerate(nb.cells) if cell.cell_type == "code" and cell.source.strip()]


@asynccontextmanager
async def _kernel_of(client, **start):
    """nbclient's async_setup_kernel without what it adds for a command of its own: its SIGINT/SIGTERM
    handlers kill the kernel and let the run carry on as a failed notebook (while the kernel starts:
    "kernel did not start", then a grade). Here a signal is the command's (grader.interruption): it
    stops the grading, and the kernel is shut down on the way out."""
    try:
        await client.async_start_new_kernel(**start)
        await client.async_start_new_kernel_client()
        yield
    finally:
        if client.km is not None:   # nbclient already cleaned up after a client that could not connect
            await client._async_cleanup_kernel()


@dataclass
class _Budget:
    """What the notebook may still use: up to `cpu` on the run's CPU clock, until `wall` (monotonic)."""

    cpu: float
    wall: float


def _process_tree_cpu(pid: int | None) -> float:
    """CPU seconds of a process and its descendants (where no cgroup counts the run's)."""
    try:
        root = psutil.Process(pid)
        return sum(sum(process.cpu_times()[:2]) for process in (root, *root.children(recursive=True)))
    except (psutil.Error, ValueError, TypeError):
        return 0.0


class NotebookRun:
    """Runs one notebook; `cells` and `kernel` hold the outcome afterwards."""

    def __init__(self, nb, *, workdir: str, env: dict[str, str], limits: RunLimits, km=None,
                 explain_error=None, kernel_ready=None, cpu_clock=None):
        self.nb = nb
        # CPU seconds of the whole run (its sandbox's cgroup); None where the sandbox cannot count them,
        # and then the kernel's own process tree is counted instead
        self.cpu_clock = cpu_clock or (lambda: None)
        self.workdir = workdir
        self.km = km
        self.kernel_ready = kernel_ready or (lambda: None)   # called once the kernel answers, before any cell
        self.env = env
        self.limits = limits
        self.explain_error = explain_error or (lambda name, value: None)
        self.kernel = KernelFate()
        self.cells = [CellRecord(index=i, source=nb.cells[i].source) for i in _code_cells(nb)]
        self._replies: dict[int, dict] = {}
        self.stages: dict[str, float] = {}   # kernel_start_s, cells_s, shutdown_s

    def execute(self) -> None:
        for cell in self.nb.cells:
            if cell.cell_type == "code":
                cell.outputs, cell.execution_count = [], None
        asyncio.run(self._execute())

    async def _execute(self) -> None:
        client = _CappedClient(
            self.nb, km=self.km or kernel_manager(), output_bytes=self.limits.output_bytes,
            allow_errors=True, interrupt_on_timeout=True, shutdown_kernel="immediate",
            store_widget_state=False,
            error_on_timeout={"ename": TIMEOUT_ENAME, "evalue": "", "traceback": []},
            extra_arguments=list(KERNEL_ARGUMENTS), startup_timeout=60, iopub_timeout=4,
            resources={"metadata": {"path": self.workdir}},
        )
        client.on_cell_executed = self._remember_reply
        started = time.monotonic()
        try:
            async with _kernel_of(client, env=self.env, cwd=self.workdir, stdout=subprocess.DEVNULL,
                                  stderr=subprocess.DEVNULL):
                self.kernel_ready()
                first_cell = time.monotonic()
                budget = _Budget(cpu=self._cpu_seconds(client) + self.limits.notebook_timeout,   # from here
                                 wall=first_cell + self.limits.notebook_wall_seconds)
                for record in self.cells:
                    if self.kernel.status != "finished":
                        break
                    await self._execute_cell(client, record, budget)
                last_cell = time.monotonic()
                self.stages.update(kernel_start_s=round(first_cell - started, 3),
                                    cells_s=round(last_cell - first_cell, 3))
            self.stages["shutdown_s"] = round(time.monotonic() - last_cell, 3)
        except (DeadKernelError, RuntimeError) as error:   # while starting, or a kernel lost between cells
            ran = any(record.status != "not_run" for record in self.cells)
            self._kernel_ended("died" if ran else "failed_to_start",
                               f"the kernel {'stopped responding' if ran else 'did not start'}: {error}")
            if client.km is not None and client.km.has_kernel:
                await client.km.shutdown_kernel(now=True)

    def _cpu_seconds(self, client) -> float:
        counted = self.cpu_clock()
        if counted is None:
            counted = _process_tree_cpu(getattr(client.km.provisioner, "pid", None))
        return counted

    async def _execute_cell(self, client, record: CellRecord, budget: _Budget) -> None:
        cpu_at_start, started = self._cpu_seconds(client), time.monotonic()
        cpu_left, wall_left = budget.cpu - cpu_at_start, budget.wall - started
        if cpu_left <= 0 or wall_left <= 0:
            record.limits_hit.append("notebook_timeout")
            self._kernel_ended("killed", f"the notebook ran out of its {self._limit_text()}", record)
            return
        cpu_limit = min(self.limits.cell_timeout, cpu_left)
        client.timeout = max(1, math.ceil(min(self.limits.cell_wall_seconds, wall_left)))   # wall backstop
        cell = self.nb.cells[record.index]
        running = asyncio.ensure_future(client.async_execute_cell(cell, record.index))
        used_up = await self._watch_cpu(client, running, cpu_at_start, cpu_limit)
        try:
            await running
        except DeadKernelError:
            if used_up:   # the watcher stopped a kernel deaf to the interrupt
                _fill_from_outputs(record, cell.outputs)
                record.duration_s = round(time.monotonic() - started, 3)
                await self._after_timeout(client, record, cpu_left < self.limits.cell_timeout, "CPU")
            else:
                self._cell_ended_the_run(record, cell, started, "DeadKernelError",
                                         self._death_message(client), "died")
            return
        except (ValueError, KeyError, TypeError) as error:   # a message the kernel forged or garbled
            self._cell_ended_the_run(record, cell, started, "KernelProtocolError",
                                     f"the kernel sent a message that breaks the Jupyter protocol ({error}); "
                                     "the kernel was stopped and the remaining cells were not run", "killed")
            await client.km.shutdown_kernel(now=True)
            return
        finally:
            record.cpu_s = round(self._cpu_seconds(client) - cpu_at_start, 3)
        record.duration_s = round(time.monotonic() - started, 3)
        record.execution_count = cell.get("execution_count")
        _fill_from_outputs(record, cell.outputs)
        if record.index in client.capped:
            record.limits_hit.append("output")
        reply = self._replies.get(record.index, {})
        if used_up:
            await self._after_timeout(client, record, cpu_left < self.limits.cell_timeout, "CPU")
        elif reply.get("status") != "error":
            record.status = "ok"
        elif reply.get("ename") == TIMEOUT_ENAME:
            await self._after_timeout(client, record, wall_left < self.limits.cell_wall_seconds, "wall")
        else:
            record.status = "error"
            record.error = CellError(reply.get("ename", ""), reply.get("evalue", ""),
                                     [plain(line) for line in reply.get("traceback", [])])
            if record.error.name in MEMORY_ENAMES:
                record.limits_hit.append("memory")
                record.notes.append(
                    f"the kernel's memory limit ({self.limits.memory_mb:,} MB) stopped this cell")
            explanation = self.explain_error(record.error.name, record.error.value)
            if explanation:
                record.notes.append(explanation)

    def _cell_ended_the_run(self, record: CellRecord, cell, started: float, name: str, message: str,
                            fate: str) -> None:
        record.duration_s = round(time.monotonic() - started, 3)
        record.status = "error"
        _fill_from_outputs(record, cell.outputs)
        record.error = CellError(name, message)
        self._kernel_ended(fate, message, record)

    async def _watch_cpu(self, client, running: asyncio.Future, cpu_at_start: float,
                         cpu_limit: float) -> bool:
        """Wait for the cell; interrupt it once the run has used `cpu_limit` CPU seconds since it began.
        True when it did (the cell's end then says how it took the interrupt)."""
        while not running.done():
            await asyncio.wait({running}, timeout=CPU_WATCH_S)
            if not running.done() and self._cpu_seconds(client) - cpu_at_start > cpu_limit:
                await client.km.interrupt_kernel()
                await self._stop_if_deaf(client, running)
                return True
        return False

    async def _stop_if_deaf(self, client, running: asyncio.Future) -> None:
        """After the interrupt, a cell that goes on using CPU (it catches KeyboardInterrupt, or is stuck in
        C code) gets its kernel stopped; one that sleeps meets the wall-clock backstop instead."""
        interrupted_at = self._cpu_seconds(client)
        while not running.done():
            await asyncio.wait({running}, timeout=CPU_WATCH_S)
            if not running.done() and self._cpu_seconds(client) - interrupted_at > INTERRUPT_GRACE_S:
                await client.km.shutdown_kernel(now=True)
                return

    def _limit_text(self) -> str:
        return (f"{self.limits.notebook_timeout:g} s of CPU time "
                f"(or {self.limits.notebook_wall_seconds:g} s of wall-clock time)")

    async def _after_timeout(self, client, record: CellRecord, by_notebook: bool, clock: str) -> None:
        """`clock`: "CPU" (the cell used its CPU time) or "wall" (it slept or waited past the backstop)."""
        record.status = "timeout"
        limit = "notebook_timeout" if by_notebook else "cell_timeout"
        record.limits_hit.append(limit)
        cpu = self.limits.notebook_timeout if by_notebook else self.limits.cell_timeout
        wall = self.limits.notebook_wall_seconds if by_notebook else self.limits.cell_wall_seconds
        spent = (f"its {cpu:g} s of CPU time" if clock == "CPU" else f"{wall:g} s of wall-clock time, "
                 f"{cpu:g} s of CPU time not used up: it was sleeping or waiting")
        record.error = CellError("TimeoutError",
                                 f"stopped by the grader after the {limit.replace('_', ' ')}: {spent}")
        if by_notebook:
            self._kernel_ended("killed", f"the notebook ran out of its {self._limit_text()}", record)
            return
        if not await client.km.is_alive():
            self._kernel_ended("killed", "the cell ignored the interrupt after its timeout; the kernel was "
                                         "stopped and the remaining cells were not run", record)
            return
        try:   # the interrupt was sent; a kernel that still does not answer is stuck for good
            await client.kc.kernel_info(reply=True, timeout=INTERRUPT_GRACE_S)
        except TimeoutError:
            await client.km.shutdown_kernel(now=True)
            self._kernel_ended("killed", "the cell ignored the interrupt after its timeout; the kernel was "
                                         "stopped and the remaining cells were not run", record)

    def _remember_reply(self, cell, cell_index, execute_reply):
        self._replies[cell_index] = (execute_reply or {}).get("content", {})

    def _kernel_ended(self, status: str, message: str, record: CellRecord | None = None) -> None:
        if self.kernel.status == "finished":
            self.kernel = KernelFate(status, message, record.index if record else None)

    @staticmethod
    def _death_message(client) -> str:
        process = getattr(getattr(client.km, "provisioner", None), "process", None)
        code = process.poll() if process is not None else None
        if code is not None and code < 0:
            return f"the kernel process died (killed by signal {-code}) while this cell ran"
        if code is not None:
            return f"the kernel process exited with code {code} while this cell ran"
        return "the kernel process died while this cell ran"
