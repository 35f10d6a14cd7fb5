"""What is already graded, so a stopped or repeated run grades only what is missing or changed.

A student's grade is current when DIR/<student>/graded.json (the stamp, written last and atomically,
after the result and reports) names the same submission (sha256 of its files and their names) and the
same grading version (the grader's code, the activity's files and rubric, the tool versions, the data
and the options that change a grade). A `kill -9` at any moment leaves either a stamp over complete
outputs or no stamp (the student is graded again); temporary files it leaves are removed at the next
start. A stamp that records a failure of the grading itself (a worker that died, grading that overran)
is not current for a later run, which tries again.
"""

from __future__ import annotations

import hashlib
import json
import shutil
from dataclasses import dataclass
from pathlib import Path

from ..activities import Activity
from ..datasets import DataFileMissing, content
from ..errors import UsageError
from ..execution.record import tool_versions
from ..files import write_atomic
from ..grading.grade import RESULT_FILE
from ..project import course_file, environments_dir, project_dir
from ..review.history import HISTORY

STAMP = "graded.json"
MANIFEST = "batch.json"
SCHEMA = "grader.batch/1"
PACKAGE = Path(__file__).resolve().parents[1]
SKIPPED_PARTS = ("__pycache__",)


@dataclass(frozen=True)
class Key:
    submission: str      # sha256 of the submitted files (names and contents)
    grading: str         # the grading version
    evidence: str = ""   # the evidence version: what a run of the same submission would produce


def submission_sha256(files: list[Path]) -> str:
    digest = hashlib.sha256()
    for path in sorted(files, key=lambda path: path.name):   # streamed: a student's file may be any size
        with open(path, "rb") as stream:
            digest.update(path.name.encode() + b"\0" + hashlib.file_digest(stream, "sha256").digest())
    return digest.hexdigest()


def _feed_folder(digest, folder: Path, leave_out: tuple[str, ...] = ()) -> None:
    for path in sorted(folder.rglob("*")):
        skipped = path.name in leave_out or any(part in SKIPPED_PARTS for part in path.parts)
        if path.is_file() and not skipped:
            digest.update(
                f"{path.relative_to(folder)}\0".encode() + hashlib.sha256(path.read_bytes()).digest())


def _feed_data(digest, activity: Activity, data_dir: Path | None) -> None:
    """The data files a run would use, by content (UsageError when one cannot be had)."""
    for name in activity.data:
        try:
            digest.update(hashlib.sha256(content(name, data_dir)[0]).digest())
        except DataFileMissing as error:
            raise UsageError(str(error)) from None


def grading_version(activity: Activity, *, limits: dict, data_dir: Path | None, staff: bool, isolate: str,
                    environment: str | None = None) -> str:
    """Everything besides the submission that can change a grade: the grader's own files, the
    activity's folder and rubric, the kernel environments' locks, the versions of the tools, the data
    files a run would use and the options. UsageError when a data file cannot be had (so nothing starts)."""
    digest = hashlib.sha256(json.dumps({"tools": tool_versions(), "limits": limits, "staff": staff,
                                        "isolate": isolate, "environment": environment},
                                       sort_keys=True).encode())
    for folder in (PACKAGE, activity.folder, project_dir() / "rubrics" / activity.id, environments_dir()):
        if folder.is_dir():
            _feed_folder(digest, folder)
    if course_file().is_file():   # the course's region and bucket conventions
        digest.update(course_file().read_bytes())
    _feed_data(digest, activity, data_dir)
    return digest.hexdigest()[:20]


# The grader's code that runs notebooks and records what they did, and activity.toml's settings for runs.
EVIDENCE_PARTS = ("execution", "sandbox", "emulator", "snapshots", "linear_learner", "kernel_site",
                  "market_data", "recordio.py", "datasets.py")
RUN_SETTINGS = ("limits", "data", "services", "environment", "starting_state", "helpers")


def evidence_version(activity: Activity, *, limits: dict, data_dir: Path | None, isolate: str,
                     environment: str | None = None) -> str:
    """What a run's evidence depends on, a part of the grading version: the code that runs and records
    notebooks, the activity's files and run settings (not its thresholds or expected values), the
    kernel environments, the tool versions, the data and the run options. While it is unchanged, stored
    evidence is what a new run would record, and a rubric change can be rescored over it."""
    settings = {name: getattr(activity, name) for name in RUN_SETTINGS}
    digest = hashlib.sha256(json.dumps({"tools": tool_versions(), "limits": limits, "isolate": isolate,
                                        "environment": environment, "activity": settings},
                                       sort_keys=True, default=str).encode())
    for part in EVIDENCE_PARTS:
        path = PACKAGE / part
        if path.is_dir():
            _feed_folder(digest, path)
        elif path.is_file():
            digest.update(part.encode() + hashlib.sha256(path.read_bytes()).digest())
    _feed_folder(digest, activity.folder, leave_out=("activity.toml",))
    if environments_dir().is_dir():
        _feed_folder(digest, environments_dir())
    _feed_data(digest, activity, data_dir)
    return digest.hexdigest()[:20]


def read_stamp(folder: Path) -> dict | None:
    try:
        stamp = json.loads((Path(folder) / STAMP).read_text())
    except (OSError, ValueError):
        return None
    return stamp if isinstance(stamp, dict) else None


def _stamp_for(folder: Path, key: Key) -> dict | None:
    stamp = read_stamp(folder)
    if not stamp or stamp.get("submission") != key.submission or stamp.get("grading") != key.grading:
        return None
    return stamp if (Path(folder) / RESULT_FILE).is_file() else None


def is_current(folder: Path, key: Key) -> bool:
    """Graded with these inputs, and the grading itself did not fail."""
    stamp = _stamp_for(folder, key)
    return bool(stamp) and not stamp.get("failure")


def stamped_by(folder: Path, key: Key, run: str) -> bool:
    """Graded with these inputs by the run `run` (even if that grading failed)."""
    stamp = _stamp_for(folder, key)
    return bool(stamp) and stamp.get("run") == run


def write_stamp(folder: Path, key: Key, run: str, summary: dict) -> None:
    stamp = {"submission": key.submission, "grading": key.grading, "evidence": key.evidence, "run": run,
             **summary}
    write_atomic(Path(folder) / STAMP, json.dumps(stamp, indent=1))


def clear(folder: Path) -> None:
    """Before a student is graded again: the stamp first (so a kill from here on means 'not graded'),
    then every earlier output in their folder (a run record of a notebook no longer submitted, too),
    except the history of their earlier results (grader/review/history.py)."""
    folder = Path(folder)
    (folder / STAMP).unlink(missing_ok=True)
    if folder.is_dir():
        for path in folder.iterdir():
            if path.name == HISTORY and path.is_dir() and not path.is_symlink():
                continue
            shutil.rmtree(path) if path.is_dir() and not path.is_symlink() else path.unlink()


def remove_partial_files(out: Path) -> int:
    """Temporary files of atomic writes that a killed run left (files.write_atomic's `.NAME.*.part`)."""
    removed = 0
    for path in Path(out).rglob(".*.part"):
        path.unlink(missing_ok=True)
        removed += 1
    return removed


def claim(out: Path, activity: Activity, *, resume: bool) -> None:
    """DIR holds one activity's batch: refuse another activity's folder, and with --resume, a folder
    that holds no batch (a mistyped --out would otherwise start from nothing)."""
    manifest = Path(out) / MANIFEST
    try:
        held = json.loads(manifest.read_text()).get("activity")
    except FileNotFoundError:
        held = None
    except (OSError, ValueError, AttributeError):
        raise UsageError(f"{manifest} is not a batch manifest; choose another --out folder") from None
    if held is None and resume:
        raise UsageError(
            f"--resume: {out} holds no batch to resume; check --out, or drop --resume to start one")
    if held not in (None, activity.id):
        raise UsageError(f"{out} holds a batch of {held}; grade {activity.id} into another --out folder")
    if held is None:
        manifest.parent.mkdir(parents=True, exist_ok=True)
        write_atomic(manifest, json.dumps({"schema": SCHEMA, "activity": activity.id}))
