"""What the sandbox adds to a graded run: `grader run` of a one-cell notebook, sandboxed and not,
both with cold kernels (an unsandboxed run cannot fork a warm one, so only cold runs compare the
sandbox alone), interleaved on the same emulator with the default sandboxed warm run beside them;
then the sandbox alone (namespaces, cgroup, new root, bridges) with a trivial program instead of a
kernel.

    python benchmarks/sandbox.py [--repeat 10]

Target (issue 8): the sandbox adds under 0.3 s per run. Figures are from one run on this noisy
2-core machine; the medians of interleaved runs are what to compare.
"""

import argparse
import json
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import nbformat

from grader.activities import load
from grader.emulator import Emulator
from grader.execution import default_limits, environments, read_submission, run_submission
from grader.execution.run import sandbox_limits
from grader.sandbox import isolation_problem, open_run
from grader.sandbox.provisioner import ENTER


def one_cell_notebook(folder: Path) -> Path:
    nb = nbformat.v4.new_notebook(metadata={"kernelspec": {"name": "python3", "display_name": "Python 3",
                                                           "language": "python"}})
    nb.cells = [nbformat.v4.new_code_cell("print('hello')")]
    nbformat.write(nb, folder / "create_admin_user.ipynb")
    return folder / "create_admin_user.ipynb"


def graded_runs(repeat: int, folder: Path) -> None:
    activity = load("iam-user")
    submission = read_submission(one_cell_notebook(folder))
    ways = {"sandboxed": ("auto", False), "unsandboxed": ("off", False), "sandboxed warm": ("auto", True)}
    times = {way: [] for way in ways}
    with Emulator() as emulator:
        for _ in range(repeat):
            for way, (isolate, warm) in ways.items():
                started = time.perf_counter()
                outcome = run_submission(activity, submission, emulator, limits=default_limits(activity),
                                         isolate=isolate, warm=warm)
                times[way].append(time.perf_counter() - started)
                assert outcome.record.sandbox["isolated"] == (isolate == "auto"), outcome.record.sandbox
                emulator.remove_account(outcome.account.account_id)
    median = {way: statistics.median(taken) for way, taken in times.items()}
    print(f"grader run, one-cell notebook, {repeat} interleaved rounds, cold kernels: sandboxed median "
          f"{median['sandboxed']:.3f} s, unsandboxed median {median['unsandboxed']:.3f} s, added "
          f"{median['sandboxed'] - median['unsandboxed']:+.3f} s (target < 0.3 s); "
          f"sandboxed with a warm kernel (the default): {median['sandboxed warm']:.3f} s")


def sandbox_alone(repeat: int, folder: Path) -> None:
    times = []
    for _ in range(repeat):
        home = Path(tempfile.mkdtemp(dir=folder))
        (home / "work").mkdir()
        with open_run(home, sandbox_limits(default_limits(load("iam-user"))), environments.current()) as run:
            (run.folder / "spec.json").write_text(json.dumps(run.spec(argv=["/bin/true"], env={})))
            started = time.perf_counter()
            subprocess.run([sys.executable, "-I", "-S", str(ENTER), str(run.folder / "spec.json")],
                           check=True)
            times.append(time.perf_counter() - started)
    print(f"sandbox alone (enter, namespaces, cgroup, new root, bridges, /bin/true): median "
          f"{statistics.median(times) * 1000:.0f} ms, min {min(times) * 1000:.0f} ms over {repeat}")


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--repeat", type=int, default=10)
    args = parser.parse_args()
    problem = isolation_problem()
    if problem:
        sys.exit(f"this machine cannot build the sandbox: {problem}")
    with tempfile.TemporaryDirectory() as scratch:
        sandbox_alone(args.repeat, Path(scratch))
        graded_runs(args.repeat, Path(scratch))


if __name__ == "__main__":
    main()
