"""The course's activities, each described by `activities/<id>/activity.toml`.

The TOML file is the single place for an activity's settings: which notebooks it has, which data
files they open, which local services and kernel environment they need, run limits, and the
expected values and thresholds that rubrics read. Code never hard-codes them.
"""

from __future__ import annotations

import tomllib
from dataclasses import dataclass, field
from pathlib import Path

from .errors import UsageError
from .project import project_dir

KINDS = ("notebook", "console")
SNAPSHOT_SECTIONS = ("iam", "s3", "sagemaker")   # what an account snapshot can read (evidence/snapshot.py)


@dataclass(frozen=True)
class Activity:
    id: str
    title: str
    kind: str
    region: str
    notebooks: tuple[str, ...]
    folder: Path
    data: dict[str, str] = field(default_factory=dict)
    services: dict[str, bool] = field(default_factory=dict)
    limits: dict[str, float] = field(default_factory=dict)
    expected: dict = field(default_factory=dict)
    thresholds: dict = field(default_factory=dict)
    starting_state: str | None = None   # snapshot file (in the folder) a run starts from, when none is given
    helpers: tuple[str, ...] = ()       # modules notebooks import from beside them (e.g. MCForecastTools.py)
    environment: str = "current"        # the kernel environment its notebooks run on first (docs/environments.md)
    snapshot: tuple[str, ...] = SNAPSHOT_SECTIONS   # what a graded run's snapshot reads: what its checks use

    @property
    def instructions(self) -> Path:
        return self.folder / "README.md"

    def notebook(self, variant: str, name: str | None = None) -> Path:
        """The `starter` or `solution` copy of one of the activity's notebooks (default: the first)."""
        return self.folder / variant / (name or self.notebooks[0])

    def needs(self, service: str) -> bool:
        return bool(self.services.get(service))


def activities_dir() -> Path:
    return project_dir() / "activities"


def activity_ids() -> list[str]:
    return sorted(p.parent.name for p in activities_dir().glob("*/activity.toml"))


def load(activity_id: str) -> Activity:
    path = activities_dir() / activity_id / "activity.toml"
    if not path.is_file():
        known = ", ".join(activity_ids()) or "none"
        raise UsageError(f"unknown activity '{activity_id}'; known activities: {known}")
    try:
        raw = tomllib.loads(path.read_text())
    except tomllib.TOMLDecodeError as error:
        raise UsageError(f"{path} is not valid TOML ({error}); fix the activity file") from None
    missing = [key for key in ("id", "title", "kind", "region", "notebooks") if key not in raw]
    if missing or raw.get("kind") not in KINDS or raw.get("id") != activity_id:
        problem = f"missing {', '.join(missing)}" if missing else f"kind must be one of {KINDS} and id '{activity_id}'"
        raise UsageError(f"{path}: {problem}; fix the activity file")
    snapshot = tuple(raw.get("snapshot", SNAPSHOT_SECTIONS))
    if not snapshot or not set(snapshot) <= set(SNAPSHOT_SECTIONS):
        raise UsageError(f"{path}: snapshot must list some of {', '.join(SNAPSHOT_SECTIONS)}; "
                         "fix the activity file")
    return Activity(
        id=raw["id"], title=raw["title"], kind=raw["kind"], region=raw["region"],
        notebooks=tuple(raw["notebooks"]), folder=path.parent,
        data=dict(raw.get("data", {})), services=dict(raw.get("services", {})),
        limits=dict(raw.get("limits", {})), expected=dict(raw.get("expected", {})),
        thresholds=dict(raw.get("thresholds", {})), starting_state=raw.get("starting_state"),
        helpers=tuple(raw.get("helpers", ())), environment=raw.get("environment", "current"),
        snapshot=snapshot,
    )


def load_all() -> list[Activity]:
    return [load(activity_id) for activity_id in activity_ids()]
