"""Grading a class: `grader grade --workers 2` against a TA's shell loop of `grader check` (with the
warm server, as `grader check` runs by default, and with --no-warm-server, each command its own cold
process, as issue 24 measured the loop), and against plain sequential nbclient execution of the same
notebooks without any grading (nbgrader's model: no sandbox, no snapshot, no rubric), in one run.

    python benchmarks/batch.py [--activity housing] [--workers 2]

The class is the activity's solution, its starter and every faulty variant in fixtures/submissions/
(12 notebooks for housing), one student each. Seconds per submission are wall time over the whole
class: the batch's includes starting its Dask cluster, the warm loop's the server's start by its first
check (the server runs in a runtime folder of its own and is stopped at the end). Target (issue 24):
the batch at least 3x the loop of `grader check` on 2 cores, with the same scores. The machine is
shared and noisy: the load average is printed at the start and after each way (1 minute).
"""

import argparse
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from plain_run import plain_run

from grader.activities import load
from grader.emulator import Emulator

PROJECT = Path(__file__).resolve().parents[1]


def make_class(activity, folder: Path) -> list[Path]:
    sources = [activity.notebook("solution"), activity.notebook("starter")]
    sources += sorted((PROJECT / "fixtures" / "submissions" / activity.id).glob("*.ipynb"))
    folder.mkdir(parents=True)
    return [Path(shutil.copy(source, folder / f"student{number:02d}.ipynb"))
            for number, source in enumerate(sources, 1)]


def load_average() -> str:
    return ", ".join(f"{value:.2f}" for value in os.getloadavg())


def plain_nbclient(activity, notebooks: list[Path]) -> float:
    """Each notebook run plainly (plain_run.py), one after another, against one emulator: what running a
    class costs before any grading."""
    started = time.perf_counter()
    with Emulator() as emulator:
        for notebook in notebooks:   # the class's faulty variants fail on purpose; its solution must not
            errors = plain_run(activity, notebook, emulator)[1]
            if errors and notebook == notebooks[0]:
                raise SystemExit(f"the plain run of the solution failed, so it is no baseline: {errors[0]}")
    return time.perf_counter() - started


def check_loop(activity, notebooks: list[Path], scratch: Path, *, warm: bool) -> tuple[float, dict]:
    """for f in class/*.ipynb; do grader check ACTIVITY $f [--no-warm-server]; done"""
    runtime = Path(tempfile.mkdtemp(prefix="gwb", dir="/tmp"))   # a warm server of its own, stopped after
    env = {**os.environ, "XDG_RUNTIME_DIR": str(runtime), "GRADER_WARM_SERVER": "1"}
    flags = [] if warm else ["--no-warm-server"]
    scores, started = {}, time.perf_counter()
    try:
        for notebook in notebooks:
            result = scratch / f"{notebook.stem}-{'warm' if warm else 'cold'}.json"
            subprocess.run([sys.executable, "-m", "grader.cli", "check", activity.id, str(notebook), "--out",
                            str(scratch / "checks"), "--json", str(result), *flags], capture_output=True,
                           cwd=PROJECT, env=env)
            scores[notebook.stem] = json.loads(result.read_text())["score"] if result.exists() else None
        seconds = time.perf_counter() - started
    finally:
        subprocess.run([sys.executable, "-m", "grader.cli", "warm", "stop"], env=env, capture_output=True)
        shutil.rmtree(runtime, ignore_errors=True)
    return seconds, scores


def batch(activity, folder: Path, scratch: Path, workers: int) -> tuple[float, dict]:
    out = scratch / "graded"
    started = time.perf_counter()
    done = subprocess.run([sys.executable, "-m", "grader.cli", "grade", activity.id, str(folder),
                           "--out", str(out), "--workers", str(workers)],
                          capture_output=True, text=True, cwd=PROJECT)
    seconds = time.perf_counter() - started
    if done.returncode:
        sys.exit(f"grader grade failed:\n{done.stdout}\n{done.stderr}")
    scores = {path.parent.name: json.loads(path.read_text())["score"] for path in out.glob("*/result.json")}
    return seconds, scores


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--activity", default="housing")
    parser.add_argument("--workers", type=int, default=2)
    args = parser.parse_args()
    activity = load(args.activity)
    with tempfile.TemporaryDirectory(prefix="grader-batch-bench-") as scratch:
        scratch = Path(scratch)
        notebooks = make_class(activity, scratch / "class")
        count = len(notebooks)
        print(f"{count} {activity.id} submissions on {os.cpu_count()} cores; load average {load_average()}")
        plain = plain_nbclient(activity, notebooks)
        load_plain = os.getloadavg()[0]
        cold, cold_scores = check_loop(activity, notebooks, scratch, warm=False)
        load_cold = os.getloadavg()[0]
        warm, warm_scores = check_loop(activity, notebooks, scratch, warm=True)
        load_warm = os.getloadavg()[0]
        graded, batch_scores = batch(activity, scratch / "class", scratch, args.workers)
        load_graded = os.getloadavg()[0]
        print(f"{'':<52}{'s/submission':>13}{'total s':>9}{'load after':>12}")
        for label, seconds, load_after in (
                (f"grader grade --workers {args.workers}", graded, load_graded),
                ("sequential loop of grader check (warm server)", warm, load_warm),
                ("sequential loop of grader check --no-warm-server", cold, load_cold),
                ("sequential nbclient, no grading (nbgrader)", plain, load_plain)):
            print(f"{label:<52}{seconds / count:>13.2f}{seconds:>9.1f}{load_after:>12.2f}")
        print(f"throughput of grader grade: {cold / graded:.2f}x the loop of cold grader check commands "
              f"(issue 24's loop; target 3x), {warm / graded:.2f}x the loop served by the warm server, "
              f"{plain / graded:.2f}x plain sequential nbclient")
        same = batch_scores == warm_scores == cold_scores
        print(f"scores: {'the same' if same else 'DIFFERENT'} in the batch and both loops"
              + ("" if same else f" (batch {batch_scores}, warm {warm_scores}, cold {cold_scores})"))


if __name__ == "__main__":
    main()
