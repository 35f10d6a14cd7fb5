"""`grader check` with the warm server (grader/warm_server/) vs a plain nbclient run, in one run:

- the first check, which starts the server (once per 20 idle minutes and grader version): shown, not
  counted;
- three consecutive `grader check` commands on the same course solution, each a fresh command
  served by that server: what a student's self-check costs from the second on;
- the plain run: nbclient runs the notebook in a fresh kernel against the emulator, nothing else
  (plain_run.py), three times;
- where a served check's time goes: the command's own start and its talk with the server, the
  grading's stages (from its result.json), and the rest (pytest's start, reports) as `outside`;
  the grader's overhead is everything but the notebook's own cells.

    python benchmarks/warm_check.py [--activity housing] [--repeat 3]

Targets (issue 24): median check / median plain <= 0.5; overhead per warm grading <= 0.5 s (what the
grading adds to the notebook's own cells), printed beside what the command around it adds. The
machine's load (1-minute average, before and after) is printed beside the figures: on a shared
2-core machine they move with it. The server runs in a runtime folder of its own and is stopped.
"""

import argparse
import json
import os
import shutil
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
from grader.grading.grade import RESULT_FILE, submission_key

PROJECT = Path(__file__).resolve().parents[1]
STAGES = ("emulator_start_s", "setup_s", "kernel_start_s", "cells_s", "shutdown_s", "snapshot_s", "rubric_s")


def timed_check(env: dict, activity_id: str, notebook: Path, out: Path) -> tuple[float, dict]:
    """Wall time of one `grader check` command, and its result."""
    started = time.perf_counter()
    done = subprocess.run([sys.executable, "-m", "grader.cli", "check", activity_id, str(notebook), "--out",
                           str(out)], capture_output=True, text=True, cwd=PROJECT, env=env)
    elapsed = time.perf_counter() - started
    if done.returncode != 0:
        raise SystemExit(f"grader check {activity_id} failed: {done.stderr[-800:]}")
    result = out / activity_id / submission_key(GradingOptions(submissions=[notebook])) / RESULT_FILE
    return elapsed, json.loads(result.read_text())


def split(wall: float, result: dict) -> dict:
    """A served check's seconds by stage; `outside` is what no stage of the grading covers."""
    run = result["runs"][0].get("stages", {})
    stages = {**{name: value for name, value in result["stages"].items() if name != "runs_s"}, **run}
    stages["outside_s"] = max(wall - sum(stages.values()), 0.0)
    return stages


def command_start(env: dict) -> float:
    """The thin client's own start: `grader warm status` against the running server."""
    started = time.perf_counter()
    subprocess.run([sys.executable, "-m", "grader.cli", "warm", "status"], env=env, check=True,
                   capture_output=True)
    return time.perf_counter() - started


def load_average() -> str:
    return f"{os.getloadavg()[0]:.1f}"


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--activity", default="housing")
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()
    activity = load(args.activity)
    notebook = activity.notebook("solution")
    runtime = Path(tempfile.mkdtemp(prefix="gwb", dir="/tmp"))
    out = Path(tempfile.mkdtemp(prefix="grader-bench-"))
    env = {**os.environ, "XDG_RUNTIME_DIR": str(runtime), "GRADER_WARM_SERVER": "1"}
    load_before = load_average()
    try:
        first, _ = timed_check(env, args.activity, notebook, out)
        checks = [timed_check(env, args.activity, notebook, out) for _ in range(args.repeat)]
        starts = [command_start(env) for _ in range(3)]
        plains = []
        with Emulator() as emulator:
            for _ in range(args.repeat):
                seconds, errors = plain_run(activity, notebook, emulator)
                if errors:
                    raise SystemExit(f"the plain run of {notebook.name} failed, so it is no baseline: "
                                     f"{errors[0]}")
                plains.append(seconds)
    finally:
        subprocess.run([sys.executable, "-m", "grader.cli", "warm", "stop"], env=env, capture_output=True)
        shutil.rmtree(runtime, ignore_errors=True)
        shutil.rmtree(out, ignore_errors=True)
    walls = [wall for wall, _ in checks]
    check, plain = statistics.median(walls), statistics.median(plains)
    print(f"{args.activity}: {notebook.name}; load average (1 min) {load_before} before, "
          f"{load_average()} after, on {os.cpu_count()} cores")
    print(f"first check (starts the warm server, not counted): {first:.2f} s")
    print(f"checks served warm: {', '.join(f'{wall:.2f}' for wall in walls)} s; median {check:.2f} s")
    print(f"plain nbclient runs: {', '.join(f'{seconds:.2f}' for seconds in plains)} s; median {plain:.2f} s")
    print(f"check / plain: {check / plain:.2f}  (target <= 0.5)")
    splits = [split(wall, result) for wall, result in checks]
    print("\nwhere a served check's time goes (median s):")
    names = [*STAGES, "outside_s"]
    medians = {name: statistics.median(s.get(name, 0.0) for s in splits) for name in names}
    print("  " + " ".join(f"{name.removesuffix('_s'):>14}" for name in names))
    print("  " + " ".join(f"{medians[name]:>14.3f}" for name in names))
    results = [result for _, result in checks]
    gradings = [result["duration_s"] - s.get("cells_s", 0.0) for result, s in zip(results, splits)]
    around = [wall - result["duration_s"] for wall, result in zip(walls, results)]
    overheads = [wall - s.get("cells_s", 0.0) for wall, s in zip(walls, splits)]
    print(f"grader overhead per warm grading (the grading's own time - the notebook's cells: emulator "
          f"account, sandbox, kernel start and stop, snapshot, rubric): median "
          f"{statistics.median(gradings):.2f} s (target <= 0.5)")
    print(f"around the grading (the command's start and its talk with the server, the fork, checking the "
          f"input, reports): median {statistics.median(around):.2f} s, of it the command's own start "
          f"{statistics.median(starts):.2f} s")
    print(f"a served check's total overhead (wall - the notebook's cells): median "
          f"{statistics.median(overheads):.2f} s")


if __name__ == "__main__":
    main()
