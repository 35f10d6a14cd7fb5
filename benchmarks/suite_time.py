"""How long the README's test command takes on this machine: it runs the command of README.md's
quickstart (`pytest -n 2 --dist loadscope`) in the checkout, adding only `-p no:cacheprovider` (no
cache written into the checkout, no failed-first reordering) and `--durations=10`, and prints

- the wall time of the whole command and pytest's summary line (passed, failed, its own time);
- the machine's core count and load averages (1, 5, 15 minutes) before and after: on a shared
  machine the wall time moves with the load, so read the two together;
- the 10 slowest setups, calls and teardowns.

    python benchmarks/suite_time.py [--durations 10] [-- EXTRA PYTEST ARGUMENTS]

Target (issue 24): at most 8 minutes on a 2-core machine, which includes, on a fresh machine, the
one-time build of the course-era kernel environment (about 45 s). The exit code is pytest's.
"""

import argparse
import os
import re
import shlex
import subprocess
import sys
import time
from pathlib import Path

PROJECT = Path(__file__).resolve().parents[1]
TARGET_S = 8 * 60


def readme_command() -> list[str]:
    """The test command of README.md's quickstart (the line that starts with `pytest`)."""
    for line in (PROJECT / "README.md").read_text().splitlines():
        if line.startswith("pytest -n "):
            return shlex.split(line.split("#", 1)[0])
    raise SystemExit("README.md's quickstart has no `pytest -n ...` line")


def load() -> str:
    return " ".join(f"{value:.2f}" for value in os.getloadavg())


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--durations", type=int, default=10, help="how many of the slowest to list")
    parser.add_argument("extra", nargs="*", help="more pytest arguments (after --)")
    options = parser.parse_args()
    command = [sys.executable, "-m", *readme_command(), "-p", "no:cacheprovider",
               f"--durations={options.durations}", *options.extra]
    print(f"cores: {os.cpu_count()}   load before: {load()}")
    print("running:", shlex.join(command[2:]), flush=True)
    started = time.perf_counter()
    done = subprocess.run(command, cwd=PROJECT, capture_output=True, text=True)
    wall = time.perf_counter() - started
    after = load()
    lines = done.stdout.splitlines()
    summary = next((line.strip("= ") for line in reversed(lines)
                    if re.search(r"\d+ (passed|failed|error)", line)), "(no summary line)")
    slowest = [line for line in lines if re.match(r"[\d.]+s (setup|call|teardown) ", line)]
    print(f"wall: {wall:.0f} s ({wall / 60:.1f} min; target {TARGET_S / 60:.0f} min)   load after: {after}")
    print(f"pytest: {summary}")
    print(f"slowest {len(slowest)}:")
    for line in slowest:
        print("  " + line)
    if done.returncode != 0:
        failed = [line for line in lines if line.startswith(("FAILED ", "ERROR "))]
        print("\n".join(failed) or done.stdout[-3000:] + done.stderr[-3000:])
    return done.returncode


if __name__ == "__main__":
    sys.exit(main())
