"""Grading a course notebook vs merely running it, on the same solution notebooks, in one run:

- plain: nbclient runs the notebook in a fresh kernel against the emulator, nothing else (the
  nbgrader / Otter model: no sandbox, no snapshot, no rubric; plain_run.py), with the same data files
  and console bucket as a graded run, so it trains and deploys too (a plain run that fails stops this);
- check: `grader check` in a fresh process (command start, emulator, warm-kernel server, run,
  snapshot, rubric, reports): what a student's self-check costs;
- warm: grading in a grader process whose warm-kernel server is up (what every submission after the
  first costs in `grader grade`'s workers), with the per-stage split of where its time goes.

    python benchmarks/notebooks.py [--repeat 3] [--activities rainfall housing credit-risk]

Target (issue 13): grading takes at most 0.5x the plain run. Figures are from one run on this
noisy 2-core machine; runs are interleaved so load affects each column alike.
"""

import argparse
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from plain_run import plain_run

from grader.activities import load
from grader.emulator import Emulator
from grader.grading.gather import GradingOptions
from grader.grading.grade import grade_submission

PROJECT = Path(__file__).resolve().parents[1]
STAGES = ("emulator_start_s", "setup_s", "kernel_start_s", "cells_s", "shutdown_s", "snapshot_s", "rubric_s")


def fresh_check(activity_id: str, notebook: Path, out: Path) -> float:
    started = time.perf_counter()
    # --no-warm-server: a fresh process's cost (warm_check.py measures the warm server)
    done = subprocess.run([sys.executable, "-m", "grader.cli", "check", activity_id, str(notebook), "--out",
                           str(out), "--no-warm-server"], capture_output=True, text=True, cwd=PROJECT)
    elapsed = time.perf_counter() - started
    if done.returncode != 0:
        raise SystemExit(f"grader check {activity_id} failed: {done.stderr[-500:]}")
    return elapsed


def warm_grade(activity, notebook: Path, out: Path) -> tuple[float, dict]:
    started = time.perf_counter()
    graded = grade_submission(activity, GradingOptions(submissions=[notebook]), out=out)
    elapsed = time.perf_counter() - started
    run = graded.result.runs[0]
    return elapsed, {**graded.result.stages, **run.get("stages", {})}


def command_start() -> float:
    """What starting the `grader` command itself costs (imports), beyond a bare interpreter."""
    times = []
    for code in ("pass", "import grader.cli, grader.grading.grade, pytest"):
        started = time.perf_counter()
        subprocess.run([sys.executable, "-c", code], check=True)
        times.append(time.perf_counter() - started)
    return times[1] - times[0]


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--activities", nargs="+", default=["rainfall", "housing", "credit-risk"])
    args = parser.parse_args()
    out = Path(tempfile.mkdtemp(prefix="grader-bench-"))
    times = {activity_id: {"plain": [], "check": [], "warm": []} for activity_id in args.activities}
    stages = {activity_id: [] for activity_id in args.activities}
    with Emulator() as emulator:
        for activity_id in args.activities:   # the first grading starts the warm-kernel server: not counted
            activity = load(activity_id)
            warm_grade(activity, activity.notebook("solution"), out)
        for _ in range(args.repeat):
            for activity_id in args.activities:
                activity = load(activity_id)
                notebook = activity.notebook("solution")
                seconds, errors = plain_run(activity, notebook, emulator)
                if errors:
                    raise SystemExit(f"the plain run of {notebook.name} failed, "
                                     f"so it is no baseline: {errors[0]}")
                times[activity_id]["plain"].append(seconds)
                times[activity_id]["check"].append(fresh_check(activity_id, notebook, out))
                elapsed, split = warm_grade(activity, notebook, out)
                times[activity_id]["warm"].append(elapsed)
                stages[activity_id].append(split)
    print(f"{'activity':<12} {'plain s':>8} {'check s':>8} {'warm s':>7} {'check/plain':>12} "
          f"{'warm/plain':>11}  (medians of {args.repeat}; target warm/plain <= 0.5)")
    for activity_id, columns in times.items():
        plain, check, warm = (statistics.median(columns[name]) for name in ("plain", "check", "warm"))
        print(f"{activity_id:<12} {plain:>8.2f} {check:>8.2f} {warm:>7.2f} {check / plain:>12.2f} "
              f"{warm / plain:>11.2f}")
    print("\nwhere a warm grading's time goes (median s):")
    print(f"{'activity':<12} " + " ".join(f"{stage.removesuffix('_s'):>13}" for stage in STAGES))
    for activity_id, splits in stages.items():
        medians = (statistics.median(split.get(stage, 0.0) for split in splits) for stage in STAGES)
        print(f"{activity_id:<12} " + " ".join(f"{median:>13.3f}" for median in medians))
    print(f"\ncommand start (importing the grader, pytest and its plugin): {command_start():.2f} s")
    print("cells_s is the notebook's own work (its imports are already done in a warm kernel); the other "
          "stages are the grader's overhead")


if __name__ == "__main__":
    main()
