"""How long does a declared kernel environment's first build take, and how much disk does it use?

Builds `environments/<name>/` (default course-era) the way a first `grader check` does, but into a
temporary cache (XDG_CACHE_HOME), so the machine's own build is left alone; with --cold-pip-cache,
pip also starts from an empty cache of its own (every wheel is downloaded). Prints the build time,
the size on disk, where pip found the packages and the time a second use takes (no build).

    python benchmarks/environment_build.py [--name course-era] [--cold-pip-cache]
"""

import argparse
import os
import shutil
import tempfile
import time
from pathlib import Path

from grader.execution import environments


def size_mb(folder: Path) -> float:
    return sum(path.stat().st_size for path in folder.rglob("*") if path.is_file()
               and not path.is_symlink()) / 2**20


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--name", default="course-era")
    parser.add_argument("--cold-pip-cache", action="store_true", help="pip starts from an empty cache")
    args = parser.parse_args()
    scratch = Path(tempfile.mkdtemp(prefix="grader-env-bench-"))
    os.environ["XDG_CACHE_HOME"] = str(scratch / "cache")
    if args.cold_pip_cache:
        os.environ["PIP_CACHE_DIR"] = str(scratch / "pip")
    try:
        started = time.perf_counter()
        environment = environments.get(args.name, announce=lambda message: print(f"  {message}"))
        built_s = time.perf_counter() - started
        started = time.perf_counter()
        environments.get(args.name)
        again_s = time.perf_counter() - started
        folder = environment.python.parents[1]
        log = folder.with_name(f"{folder.name}.log").read_text()
        print(f"{args.name}: first build {built_s:.0f} s, {size_mb(folder):.0f} MB on disk; "
              f"a later use {again_s:.2f} s")
        print(f"  pip: {log.count('Downloading ')} downloaded, {log.count('Using cached ')} from its cache, "
              f"{log.count('Processing /')} from local files (pip's cache: "
              f"{'empty at the start' if args.cold_pip_cache else 'as this machine has it'})")
        print("  versions: "
              f"{', '.join(f'{name} {version}' for name, version in environment.versions.items())}")
    finally:
        shutil.rmtree(scratch, ignore_errors=True)


if __name__ == "__main__":
    main()
