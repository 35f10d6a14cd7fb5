"""How far the batch is: on a terminal, a live bar (done/total, elapsed, ETA, failures so far, the last
student finished); elsewhere (a CI log, a file, `nohup`) one plain line per finished submission. Either
way DIR/progress.jsonl gets one JSON object per event (start, each finished submission, end) for other
tools to follow; a line cut short by a kill is followed by a fresh one, so readers skip at most one."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path

from rich.console import Console
from rich.progress import (
    BarColumn,
    MofNCompleteColumn,
    Progress,
    TextColumn,
    TimeElapsedColumn,
    TimeRemainingColumn,
)

PROGRESS_FILE = "progress.jsonl"


def _now() -> str:
    return datetime.now(UTC).isoformat(timespec="seconds")


def describe(summary: dict) -> str:
    """`7/8 graded in 12.3 s`, or the status and why."""
    said = (f"{summary['score']:g}/{summary['max_score']:g} {summary['status']} "
            f"in {summary['duration_s']:.1f} s")
    reason = summary.get("error") or ""
    return f"{said}: {reason}" if reason else said


class BatchProgress:
    def __init__(self, out: Path, *, total: int, already: int, console: Console | None = None):
        self.console = console or Console()
        self.total, self.done, self.failures = total, already, 0
        path = Path(out) / PROGRESS_FILE
        cut_short = path.is_file() and path.stat().st_size and not path.read_bytes().endswith(b"\n")
        self.log = open(path, "a", encoding="utf-8")
        if cut_short:
            self.log.write("\n")
        self.bar = None
        if self.console.is_terminal:
            self.bar = Progress(TextColumn("grading"), BarColumn(), MofNCompleteColumn(), TimeElapsedColumn(),
                                TextColumn("ETA"), TimeRemainingColumn(),
                                TextColumn("[red]{task.fields[failures]} failed[/]"),
                                TextColumn("last: {task.fields[last]}"), console=self.console,
                                transient=False)
            self.task = self.bar.add_task("grading", total=total, completed=already, failures=0, last="-")

    def event(self, kind: str, **fields) -> None:
        self.log.write(json.dumps({"event": kind, "time": _now(), **fields}) + "\n")
        self.log.flush()

    def __enter__(self) -> BatchProgress:
        if self.bar is not None:
            self.bar.start()
        return self

    def finished(self, summary: dict) -> None:
        self.done += 1
        self.failures += summary["status"] != "graded"
        self.event("finished", **summary, done=self.done, total=self.total)
        if self.bar is not None:
            self.bar.update(self.task, advance=1, failures=self.failures, last=summary["student"])
        else:
            width = len(str(self.total))
            self.say(f"[{self.done:>{width}}/{self.total}] {summary['student']}: {describe(summary)}")

    def say(self, text: str) -> None:
        """A line of plain text (student names are not rich markup), above the bar when there is one."""
        self.console.print(text, markup=False, highlight=False, soft_wrap=True)

    def __exit__(self, *exc) -> None:
        if self.bar is not None:
            self.bar.stop()
        self.log.close()
