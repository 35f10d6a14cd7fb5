"""Ctrl-C and SIGTERM end a grading, never turn into a grade.

The command installs the handlers as its first step, so from its first instruction to its last the
first of these signals raises KeyboardInterrupt, and pytest, asyncio and every context manager on the
way out unwind normally (kernels are shut down, temporary folders removed); later signals are ignored
so the clean-up finishes. The signal is remembered so the command can say which one stopped it, take
back what it wrote, and exit 130 (SIGINT) or 143 (SIGTERM). The processes a run starts (the warm-kernel
server, kernels, their sandboxes) live in sessions of their own: a terminal's Ctrl-C, sent to the
command's process group, reaches only the command, which stops them.
"""

from __future__ import annotations

import signal
import threading


class Interrupted(Exception):
    """The user (SIGINT) or the system (SIGTERM) stopped the command; nothing was graded."""

    def __init__(self, signum: int):
        super().__init__(signal.Signals(signum).name)
        self.signum = signum

    @property
    def exit_code(self) -> int:
        return 128 + self.signum


class interruptible:
    """Context manager: SIGINT and SIGTERM raise KeyboardInterrupt inside; `signum` says which came.
    Outside the main thread (e.g. a Dask worker thread) signals cannot be caught and it does nothing."""

    SIGNALS = (signal.SIGINT, signal.SIGTERM)

    def __init__(self):
        self.signum: int | None = None
        self._previous: dict = {}

    def _handle(self, signum, frame):
        if self.signum is not None:   # already stopping: a second Ctrl-C must not cut the clean-up short
            return
        self.signum = signum
        raise KeyboardInterrupt

    def __enter__(self) -> interruptible:
        if threading.current_thread() is threading.main_thread():
            self._previous = {signum: signal.signal(signum, self._handle) for signum in self.SIGNALS}
        return self

    def __exit__(self, kind, value, traceback) -> bool:
        for signum, handler in self._previous.items():
            signal.signal(signum, handler)
        if self.signum is None and kind is KeyboardInterrupt:
            self.signum = signal.SIGINT
        if self.signum is not None:
            raise Interrupted(self.signum) from None
        return False
