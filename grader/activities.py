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
SNAPSHOT_SECTIONS = ("iam", "s3", "sagemaker")   # what an account snapshot can read (snapshots/snapshot.py)
COURSE_FIELDS = {"region": required(str), "bucket_conventions": required(list, items=(dict,))}
CONVENTION_FIELDS = {"name": required(str), "pattern": required(str)}
ACTIVITY_FIELDS = {
    "id": required(str), "title": required(str), "kind": required(str),
    "notebooks": required(list, items=(str,)), "region": optional(str), "environment": optional(str),
    "instructions": optional(str), "starting_state": optional(str), "helpers": optional(list, items=(str,)),
    "data": optional(dict), "services": optional(dict), "limits": optional(dict), "expected": optional(dict),
    "thresholds": optional(dict), "snapshot": optional(list, items=(str,)),
    "versions": optional(list, items=(dict,)),
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
MONTE_CARLO_FIELDS = {"notebook": required(str), "simulations": required(int), "trading_days": required(int),
                      "interval": optional(bool)}   # false: the notebook asks for no confidence interval
# A known version of one of the activity's notebooks (the course's terms); its `expected` values replace
# the activity's, table by table, for a submission of that version.
VERSION_FIELDS = {"notebook": required(str), "name": required(str), "title": required(str),
                  "folder": optional(str), "expected": optional(dict)}
THRESHOLD_FIELDS = {"accuracy_min": optional(float), "r2_min": optional(float), "rmse_max": optional(float),
                    "labels_disagree_max": optional(float)}


@dataclass(frozen=True)
class Course:
    """What every activity of the course shares."""

    region: str                            # where the lesson creates everything
    bucket_conventions: tuple[dict, ...]   # bucket names the course used: {name, pattern}, the lesson's first


@dataclass(frozen=True)
class NotebookVersion:
    """One version of an activity notebook that the course shipped in some term. A submission is
    graded as the version whose own code it has most of (execution/matching.py), against `expected`."""

    notebook: str
    name: str
    title: str
    folder: str | None   # its copies: starter/<folder>/ and solution/<folder>/; None: starter/ and solution/
    expected: dict       # the activity's expected values as this version asks them


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
    versions: tuple[NotebookVersion, ...] = ()      # known versions of its notebooks, if it declares any

    @property
    def instructions(self) -> Path:
        return self.folder / "README.md"

    def notebook(self, variant: str, name: str | None = None) -> Path:
        """The `starter` or `solution` copy of one of the activity's notebooks (default: the first)."""
        return self.folder / variant / (name or self.notebooks[0])

    def copies(self, name: str) -> list[tuple[NotebookVersion | None, Path]]:
        """The starter and solution copies of notebook `name` in every known version, with their
        version (None for an undeclared one)."""
        own = [version for version in self.versions if version.notebook == name]
        found = []
        for version in own or [None]:
            folder = version.folder if version and version.folder else ""
            for variant in ("solution", "starter"):
                path = self.folder / variant / folder / name
                if path.is_file():
                    found.append((version, path))
        if own and not any(version.folder is None for version in own):
            found += [(None, path) for variant in ("solution", "starter")
                      for path in [self.notebook(variant, name)] if path.is_file()]
        return found

    def version(self, notebook: str, name: str | None) -> NotebookVersion | None:
        return next((v for v in self.versions if v.notebook == notebook and v.name == name), None)

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
    expected = {"bucket_conventions": list(shared.bucket_conventions), **expected}
    versions = tuple(_version(document, index, item, raw["notebooks"], expected, path.parent)
                     for index, item in enumerate(raw.get("versions", ())))
    names = [(version.notebook, version.name) for version in versions]
    if len(set(names)) < len(names):
        raise document.refuse("two versions of one notebook have the same name", "versions")
    return Activity(
        id=raw["id"], title=raw["title"], kind=raw["kind"], region=raw.get("region", shared.region),
        notebooks=tuple(raw["notebooks"]), folder=path.parent,
        data=dict(data), services=dict(raw.get("services", {})),
        limits=dict(raw.get("limits", {})),
        expected=expected,
        thresholds=dict(raw.get("thresholds", {})), starting_state=raw.get("starting_state"),
        helpers=tuple(raw.get("helpers", ())), environment=raw.get("environment", "current"),
        snapshot=snapshot, versions=versions,
    )


def _version(document: TomlFile, index: int, item: dict, notebooks: list[str], expected: dict,
             folder: Path) -> NotebookVersion:
    """One `[[versions]]` entry, its expected values merged over the activity's and checked as they are."""
    document.checked(item, VERSION_FIELDS, "versions", index)
    if item["notebook"] not in notebooks:
        raise document.refuse(f"must be one of {', '.join(notebooks)}", "versions", "notebook", index)
    where = item.get("folder")
    if where is not None and (Path(where).is_absolute() or ".." in Path(where).parts or not any(
            (folder / variant / where / item["notebook"]).is_file() for variant in ("solution", "starter"))):
        raise document.refuse(f"must be a folder under solution/ or starter/ that holds {item['notebook']}",
                              "versions", "folder", index)
    merged = dict(expected)
    for key, value in item.get("expected", {}).items():
        merged[key] = {**expected.get(key, {}), **value} if isinstance(value, dict) else value
    document.checked(merged, EXPECTED_FIELDS, "versions", index)
    if "monte_carlo" in merged:
        document.checked(merged["monte_carlo"], MONTE_CARLO_FIELDS, "versions", index)
    return NotebookVersion(item["notebook"], item["name"], item["title"], where, merged)


def load_all() -> list[Activity]:
    return [load(activity_id) for activity_id in activity_ids()]
