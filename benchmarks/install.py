"""How long does the README's first command take to install, and does pip backtrack?

Creates a fresh venv with python3.11, times `pip install -c constraints.txt ".[test]"` from this
checkout in it (pip's cache is whatever this machine has: say so when you quote the figure), counts the
resolver's backtracking notices and the packages it collected more than once, then times
`pytest --collect-only` there (the README's test command up to the first test: nothing is reinstalled).

    python benchmarks/install.py [--python python3.11] [--keep DIR]
"""

import argparse
import re
import shutil
import subprocess
import tempfile
import time
from collections import Counter
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def timed(command, **kwargs):
    started = time.perf_counter()
    done = subprocess.run(command, capture_output=True, text=True, **kwargs)
    return done, time.perf_counter() - started


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--python", default="python3.11")
    parser.add_argument("--keep", type=Path, help="build the venv here and keep it "
                                                  "(default: a temporary folder)")
    args = parser.parse_args()
    folder = args.keep or Path(tempfile.mkdtemp())
    venv = folder / "venv"
    try:
        subprocess.run([args.python, "-m", "venv", str(venv)], check=True)
        pip_version = subprocess.run([venv / "bin" / "pip", "--version"], capture_output=True,
                                     text=True).stdout.split()[1]
        install, install_s = timed([venv / "bin" / "pip", "install", "-c", "constraints.txt", ".[test]"],
                                   cwd=ROOT)
        log = install.stdout + install.stderr
        backtracking = len(re.findall(r"^INFO: pip is (?:still )?looking at multiple versions", log,
                                      re.MULTILINE))
        collected = Counter(re.sub(r"[<>=!~;\[ (].*", "", line.split()[1]).lower()
                            for line in log.splitlines() if line.startswith("Collecting "))
        again = sorted(name for name, count in collected.items() if count > 1)
        print(f"pip install '.[test]' (pip {pip_version}): {install_s:.0f} s, exit {install.returncode}, "
              f"{backtracking} backtracking notices, collected twice: {', '.join(again) or 'none'}")
        collect, collect_s = timed([venv / "bin" / "pytest", "--collect-only", "-q", "-p",
                                    "no:cacheprovider"], cwd=ROOT)
        summary = (collect.stdout.strip().splitlines() or ["no output"])[-1]
        print(f"pytest --collect-only: {collect_s:.0f} s ({summary})")
    finally:
        if not args.keep:
            shutil.rmtree(folder, ignore_errors=True)


if __name__ == "__main__":
    main()
