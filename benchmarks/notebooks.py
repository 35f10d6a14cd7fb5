"""End-to-end wall time of each activity's solution notebooks, kernel start included, as
`grader run` does them (fresh account, workspace, kernel, cells, record). Then `grader check`
on the housing solution in a fresh process (CLI import, run, snapshot, rubric, scorecard).

    python benchmarks/notebooks.py [--repeat 3]

Targets: under 8 s per notebook for rainfall, housing and credit-risk; under 10 s
for `grader check housing`. Figures are from one run on this noisy 2-core machine.
"""

import argparse
import json
import statistics
import subprocess
import sys
import time
from pathlib import Path

from grader.activities import load
from grader.emulator import Emulator
from grader.execution import default_limits, read_submission, run_submission

ACTIVITIES = ["iam-user", "sagemaker-notebook", "rainfall", "housing", "credit-risk", "cleanup"]
PROJECT = Path(__file__).resolve().parents[1]


def time_solutions(repeat: int) -> None:
    print(f"{'activity':<20} {'notebook':<36} {'median s':>8} {'min s':>7} {'max s':>7}  cells ok")
    with Emulator() as emulator:
        for activity_id in ACTIVITIES:
            activity = load(activity_id)
            for name in activity.notebooks:
                submission = read_submission(activity.notebook("solution", name))
                times, summary = [], None
                for _ in range(repeat):
                    started = time.perf_counter()
                    outcome = run_submission(activity, submission, emulator, limits=default_limits(activity))
                    times.append(time.perf_counter() - started)
                    emulator.remove_account(outcome.account.account_id)
                    summary = outcome.record.summary()
                print(f"{activity_id:<20} {name:<36} {statistics.median(times):>8.2f} {min(times):>7.2f} "
                      f"{max(times):>7.2f}  {summary['ok']}/{summary['cells']}")


def time_check(repeat: int) -> None:
    notebook = PROJECT / "activities/housing/solution/boston-housing-regression.ipynb"
    times = []
    for _ in range(repeat):
        started = time.perf_counter()
        done = subprocess.run([sys.executable, "-m", "grader.cli", "check", "housing", str(notebook), "--out",
                               str(PROJECT / "reports"), "--json", str(PROJECT / "reports" / "housing.json")],
                              capture_output=True, text=True, cwd=PROJECT)
        times.append(time.perf_counter() - started)
        score = [line for line in done.stdout.splitlines() if line.startswith("Score:")]
        result = json.loads((PROJECT / "reports" / "housing.json").read_text())
        for check in result["checks"]:
            if check["status"] != "pass":
                print(f"  not passed: {check['id']} {check['status']}: {check['message']}")
    print(f"\ngrader check housing (solution), fresh process: median {statistics.median(times):.2f} s, "
          f"min {min(times):.2f} s, max {max(times):.2f} s; {score[-1] if score else done.stderr[-300:]}")


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()
    time_solutions(args.repeat)
    time_check(args.repeat)


if __name__ == "__main__":
    main()
