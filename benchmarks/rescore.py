"""Rescoring a class after a rubric change (`grader grade --rescore`, grader/batch/rescore.py) against
grading it again by running its notebooks.

    python benchmarks/rescore.py [--activity housing] [--students 30]

A course copy of the content (GRADER_PROJECT_DIR) is graded once: the activity's solution, its starter
and its faulty variants in fixtures/submissions/ are each graded by running them, and the other students
of the class of N submitted one of those (the same file, so their evidence is a copy of the graded one's). The
rubric's thresholds (`[thresholds]` in the copy's activity.toml) are then made stricter, and the class
rescored with `grader grade --rescore` in a fresh process: its wall time (the process's start, the
rescores and the class's reports) and CPU time are the figures. Target: 30 students rescored in under
30 s on 2 cores. The machine is shared: the load average is printed (1 minute).
"""

import argparse
import os
import re
import resource
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from grader.activities import load

PROJECT = Path(__file__).resolve().parents[1]


def grader(*args: str, env: dict) -> tuple[subprocess.CompletedProcess, float, float]:
    """(the finished command, its wall seconds, the CPU seconds of it and its children)."""
    started, before = time.perf_counter(), resource.getrusage(resource.RUSAGE_CHILDREN)
    done = subprocess.run([sys.executable, "-m", "grader.cli", *args], capture_output=True, text=True,
                          env=env, timeout=3600)
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    if done.returncode != 0:
        sys.exit(f"grader {' '.join(args)} failed:\n{done.stdout}\n{done.stderr}")
    cpu = after.ru_utime + after.ru_stime - before.ru_utime - before.ru_stime
    return done, time.perf_counter() - started, cpu


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--activity", default="housing")
    parser.add_argument("--students", type=int, default=30)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="rescore-") as scratch:
        scratch = Path(scratch)
        course = scratch / "course"
        for part in ("activities", "rubrics", "environments"):
            shutil.copytree(PROJECT / part, course / part)
        env = {**os.environ, "GRADER_PROJECT_DIR": str(course)}
        activity = load(args.activity)
        sources = [activity.notebook("solution"), activity.notebook("starter")]
        sources += sorted((PROJECT / "fixtures" / "submissions" / activity.id).glob("*.ipynb"))
        submissions, out = scratch / "class", scratch / "graded"
        submissions.mkdir()
        distinct = min(len(sources), args.students)
        name = activity.notebooks[0]   # a folder per student, the notebook under the activity's own name
        for number in range(distinct):
            (submissions / f"student{number:02d}").mkdir()
            shutil.copy(sources[number], submissions / f"student{number:02d}" / name)
        print(f"load average {os.getloadavg()[0]:.2f}; {args.students} students of {args.activity} "
              f"({distinct} distinct notebooks)")
        _, graded_s, _ = grader("grade", args.activity, str(submissions), "--out", str(out), "--workers", "2",
                             "--allow-unisolated", env=env)
        print(f"graded the {distinct} distinct notebooks by running them (2 workers): {graded_s:.1f} s")
        for number in range(distinct, args.students):   # the same file as a graded student: the same evidence
            twin = f"student{number % distinct:02d}"
            shutil.copytree(submissions / twin, submissions / f"student{number:02d}")
            shutil.copytree(out / twin, out / f"student{number:02d}")
        toml = course / "activities" / args.activity / "activity.toml"
        text = toml.read_text()
        changed = re.sub(r"^(r2_min|accuracy_min|rmse_max) = .*$", _stricter, text, count=2,
                         flags=re.MULTILINE)
        toml.write_text(changed)
        before = text.splitlines()
        print("threshold change: " + "; ".join(line for line in changed.splitlines() if line not in before))
        done, rescored_s, cpu_s = grader("grade", args.activity, str(submissions), "--out", str(out),
                                         "--rescore", "--allow-unisolated", env=env)
        said = [line for line in done.stdout.splitlines() if line.startswith(("rescored", "  ", "changed"))]
        print("\n".join(said[:12]))
        print(f"`grader grade --rescore`, one process: {rescored_s:.1f} s wall, {cpu_s:.1f} s CPU "
              f"(target < 30 s for 30 students on 2 cores); load average {os.getloadavg()[0]:.2f}")


def _stricter(setting: re.Match) -> str:
    return f"{setting[1]} = 7.0" if setting[1] == "rmse_max" else f"{setting[1]} = 0.3"


if __name__ == "__main__":
    main()
