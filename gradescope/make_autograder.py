"""Assemble the Gradescope autograder zip of one activity (docs/gradescope.md):

    python gradescope/make_autograder.py housing --out housing-autograder.zip [--data-dir DIR]

The zip holds setup.sh and run_autograder at its top, ACTIVITY (the activity's id), the grader's
source in grader-project/ (installed by setup.sh) and, with --data-dir, the course data files the
activity reads in data/.
"""

from __future__ import annotations

import argparse
import stat
import sys
import zipfile
from pathlib import Path

HERE = Path(__file__).resolve().parent
PROJECT = HERE.parent
SOURCE_FOLDERS = ("grader", "activities", "rubrics")
SOURCE_FILES = ("*.toml", "*.md", "*.py", "*.cfg", "*.in")   # pyproject.toml, README.md, setup.py ...
SKIPPED = ("__pycache__", ".pyc", ".egg-info")
EXECUTABLE = 0o755


def _source_files() -> list[Path]:
    files = [path for pattern in SOURCE_FILES for path in PROJECT.glob(pattern)]
    for folder in SOURCE_FOLDERS:
        files += [path for path in (PROJECT / folder).rglob("*") if path.is_file()]
    return sorted(path for path in files if not any(part in str(path) for part in SKIPPED))


def _add(archive: zipfile.ZipFile, name: str, data: bytes, mode: int = 0o644) -> None:
    entry = zipfile.ZipInfo(name, date_time=(2020, 1, 1, 0, 0, 0))
    entry.external_attr = (stat.S_IFREG | mode) << 16
    entry.compress_type = zipfile.ZIP_DEFLATED
    archive.writestr(entry, data)


def build(activity_id: str, out: Path, data_dir: Path | None = None) -> Path:
    sys.path.insert(0, str(PROJECT))
    from grader.activities import load
    from grader.errors import UsageError

    try:
        activity = load(activity_id)
    except UsageError as error:
        raise SystemExit(f"make_autograder: {error}") from None
    missing = [name for name in activity.data if data_dir and not (data_dir / name).is_file()]
    if missing:
        raise SystemExit(f"make_autograder: {', '.join(missing)} not in {data_dir}")
    with zipfile.ZipFile(out, "w") as archive:
        for script in ("setup.sh", "run_autograder"):
            _add(archive, script, (HERE / script).read_bytes(), EXECUTABLE)
        _add(archive, "ACTIVITY", f"{activity.id}\n".encode())
        for path in _source_files():
            _add(archive, f"grader-project/{path.relative_to(PROJECT).as_posix()}", path.read_bytes())
        for name in activity.data if data_dir else ():
            _add(archive, f"data/{name}", (data_dir / name).read_bytes())
    return out


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("activity", help="activity id (see `grader activities`)")
    parser.add_argument("--out", type=Path, required=True, help="the zip to write")
    parser.add_argument("--data-dir", type=Path, help="folder with the course data files the activity reads")
    args = parser.parse_args(argv)
    print(f"autograder for {args.activity}: {build(args.activity, args.out, args.data_dir)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
