"""The course's activities, each described by `activities/<id>/activity.toml`, and the facts every
activity shares, in `activities/course.toml` (the course's region, its bucket naming conventions).

The TOML files are the single place for an activity's settings: which notebooks it has, which data
files they open, which local services and kernel environment they need, run limits, and the
expected values and thresholds that rubrics read. Code never hard-codes them. They are read strictly
(grader/strict_toml.py): an unknown key or a value of the wrong type is refused with its file and
line, so a typo stops the grading before it starts instead of crashing a check for every student.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path

from .errors import UsageError
from .project import course_file, project_dir
from .strict_toml import TomlFile, optional, required

KINDS = ("notebook", "console")
SNAPSHOT_SECTIONS = ("iam", "s3", "sagemaker")   # what an account snapshot can read (evidence/snapshot.py)
COURSE_FIELDS = {"region": required(str), "bucket_conventions": required(list, items=(dict,))}
CONVENTION_FIELDS = {"name": required(str), "pattern": required(str)}
ACTIVITY_FIELDS = {
    "id": required(str), "title": required(str), "kind": required(str),
    "notebooks": required(list, items=(str,)), "region": optional(str), "environment": optional(str),
    "instructions": optional(str), "starting_state": optional(str), "helpers": optional(list, items=(str,)),
    "data": optional(dict), "services": optional(dict), "limits": optional(dict), "expected": optional(dict),
    "thresholds": optional(dict), "snapshot": optional(list, items=(str,)),
}
SERVICE_FIELDS = {"market_data": optional(bool)}
LIMIT_FIELDS = {"cell_timeout": optional(float), "notebook_timeout": optional(float)}
# What the checks in grader/checks/ read. A course's own check takes its values as arguments in
# rubric.toml instead, so these stay the shared checks' contract.
EXPECTED_FIELDS = {
    # buckets (s3.py): the course's conventions (course.toml) unless an activity names its own
    "bucket_conventions": optional(list, items=(dict,)), "bucket_region": optional(str),
    # the linear-learner activities (training_data.py, hyperparameters.py, labels.py, metrics.py)
    "prefix": optional(str), "predictor_type": optional(str), "feature_dim": optional(int),
    "rows": optional(int), "test_size": optional(float), "course_table": optional(dict),
    "hyperparameters": optional(dict), "hyperparameters_not_asked": optional(dict),
    # iam-user (iam.py)
    "user": optional(str), "group": optional(str), "policy_arn": optional(str),
    "user_in_group": optional(bool), "console_access": optional(bool),
    "password_reset_required": optional(bool),
    "programmatic_access": optional(bool), "billing_access": optional(str, bool),
    # sagemaker-notebook (notebook_instance.py, monte_carlo.py)
    "notebook_instance": optional(str), "instance_type": optional(str), "accelerator_types": optional(list),
    "root_access": optional(str), "notebook_status": optional(str), "role_trusted_service": optional(str),
    "role_policy_arn": optional(str), "role_name_pattern": optional(str), "role_path": optional(str),
    "role_bucket_actions": optional(list, items=(str,)), "monte_carlo": optional(dict),
    # cleanup (cleanup.py)
    "gone": optional(list, items=(str,)), "billable": optional(list, items=(str,)),
    "bucket_pattern": optional(str), "may_remain": optional(list, items=(str,)),
}
COURSE_TABLE_FIELDS = {"features": required(str), "label_column": optional(str), "labels": optional(str),
                       "label_codes": optional(list, items=(dict,))}
MONTE_CARLO_FIELDS = {"notebook": required(str), "simulations": required(int), "trading_days": required(int)}
THRESHOLD_FIELDS = {"accuracy_min": optional(float), "r2_min": optional(float), "rmse_max": optional(float),
                    "labels_disagree_max": optional(float)}


@dataclass(frozen=True)
class Course:
    """What every activity of the course shares."""

    region: str                            # where the lesson creates everything
    bucket_conventions: tuple[dict, ...]   # bucket names the course used: {name, pattern}, the lesson's first


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
    environment: str = "current"        # kernel environment its notebooks run on first (docs/environments.md)
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


@lru_cache(maxsize=4)
def _course(path: Path) -> Course:
    document = TomlFile(path, "course file")
    raw = document.checked(document.data, COURSE_FIELDS)
    for convention in raw["bucket_conventions"]:
        document.checked(convention, CONVENTION_FIELDS, "bucket_conventions")
    return Course(region=raw["region"], bucket_conventions=tuple(raw["bucket_conventions"]))


def course() -> Course:
    """The course's shared facts (activities/course.toml; grader/project.py says which copy)."""
    return _course(course_file())


def load(activity_id: str) -> Activity:
    path = activities_dir() / activity_id / "activity.toml"
    if not path.is_file():
        known = ", ".join(activity_ids()) or "none"
        raise UsageError(f"unknown activity '{activity_id}'; known activities: {known}")
    document = TomlFile(path, "activity file")
    raw = document.checked(document.data, ACTIVITY_FIELDS)
    if raw["kind"] not in KINDS:
        raise document.refuse(f"must be one of {', '.join(KINDS)}", None, "kind")
    if raw["id"] != activity_id:
        raise document.refuse(f"must be '{activity_id}', the activity's folder name", None, "id")
    data = raw.get("data", {})
    document.checked(data, {name: required(str) for name in data}, "data")
    document.checked(raw.get("services", {}), SERVICE_FIELDS, "services")
    document.checked(raw.get("limits", {}), LIMIT_FIELDS, "limits")
    document.checked(raw.get("thresholds", {}), THRESHOLD_FIELDS, "thresholds")
    expected = document.checked(raw.get("expected", {}), EXPECTED_FIELDS, "expected")
    for name, fields in (("course_table", COURSE_TABLE_FIELDS), ("monte_carlo", MONTE_CARLO_FIELDS)):
        if name in expected:
            document.checked(expected[name], fields, f"expected.{name}")
    for name in ("hyperparameters", "hyperparameters_not_asked"):
        values = expected.get(name, {})
        document.checked(values, {key: required(str) for key in values}, f"expected.{name}")
    for convention in expected.get("bucket_conventions", ()):
        document.checked(convention, CONVENTION_FIELDS, "expected", 0)
    shared = course()
    snapshot = tuple(raw.get("snapshot", SNAPSHOT_SECTIONS))
    if not snapshot or not set(snapshot) <= set(SNAPSHOT_SECTIONS):
        raise document.refuse(f"must list some of {', '.join(SNAPSHOT_SECTIONS)}", None, "snapshot")
    return Activity(
        id=raw["id"], title=raw["title"], kind=raw["kind"], region=raw.get("region", shared.region),
        notebooks=tuple(raw["notebooks"]), folder=path.parent,
        data=dict(data), services=dict(raw.get("services", {})),
        limits=dict(raw.get("limits", {})),
        expected={"bucket_conventions": list(shared.bucket_conventions), **expected},
        thresholds=dict(raw.get("thresholds", {})), starting_state=raw.get("starting_state"),
        helpers=tuple(raw.get("helpers", ())), environment=raw.get("environment", "current"),
        snapshot=snapshot,
    )


def load_all() -> list[Activity]:
    return [load(activity_id) for activity_id in activity_ids()]
