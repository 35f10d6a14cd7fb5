"""The graded result: one record per check and the score; the JSON format is in docs/results.md.

Points: a passed check earns its max points, anything else earns 0. Manual and skipped checks are
left out of max_score (a person decides manual ones), so a perfect submission scores full marks.
Hidden checks keep only their title and points in what students see. A check that could not be
judged because a cell failed names that cell in `blocked_by` (grading/attribution.py).
"""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass, field, replace
from datetime import datetime, timezone
from pathlib import Path

from ..files import write_atomic

SCHEMA = "grader.result/2"
READABLE_SCHEMAS = ("grader.result/1", SCHEMA)   # /2 added fields with defaults
HIDDEN_MESSAGE = "hidden check: only its result is shown"
# What students keep of a hidden check's evidence: the grader's own recomputation of their model, to
# draw (predicted against actual, or the confusion matrix), never the thresholds it was judged by.
MODEL_PICTURE = ("sample", "rmse", "r2", "confusion_matrix", "accuracy", "records")


@dataclass
class CheckResult:
    id: str
    title: str
    status: str
    points: float
    max_points: float
    message: str
    evidence: dict = field(default_factory=dict)
    visibility: str = "visible"
    blocked_by: dict | None = None      # {"notebook", "cell", "error"} of the failed cell it could not get past

    @property
    def counts(self) -> bool:
        return self.status not in ("manual", "skip")


@dataclass
class GradeResult:
    activity: str
    submission: list[str]
    source: str                         # emulator run, snapshot file or live account
    checks: list[CheckResult] = field(default_factory=list)
    runs: list[dict] = field(default_factory=list)   # summaries of the notebook runs
    missing_notebooks: list[str] = field(default_factory=list)   # activity notebooks not in the submission
    synthetic_data: bool = False
    unisolated: str = ""          # why the notebooks ran without a sandbox ("" when they were isolated)
    error: str = ""               # why the submission could not be graded (its checks are then all errors)
    duration_s: float = 0.0             # grading time, run and checks
    stages: dict = field(default_factory=dict)    # seconds per stage of the grading (docs/results.md)
    environment: dict = field(default_factory=dict)   # python and tool versions that did the work
    graded_at: str = field(default_factory=lambda: datetime.now(timezone.utc).isoformat(timespec="seconds"))
    schema: str = SCHEMA

    @property
    def score(self) -> float:
        return sum(check.points for check in self.checks if check.counts)

    @property
    def max_score(self) -> float:
        return sum(check.max_points for check in self.checks if check.counts)

    @property
    def manual_points(self) -> float:
        return sum(check.max_points for check in self.checks if check.status == "manual")

    def for_students(self) -> "GradeResult":
        """The copy students may see: hidden checks keep only their title, points and the picture of the
        student's model (MODEL_PICTURE). Reports derive the
        student view of a staff grading from this, so it is what a student-view grading writes."""
        return replace(self, checks=[replace(check, message=HIDDEN_MESSAGE, evidence={
            key: check.evidence[key] for key in MODEL_PICTURE if key in check.evidence})
            if check.visibility == "hidden" else check for check in self.checks])

    def to_dict(self, *, for_students: bool = True) -> dict:
        shown = self.for_students() if for_students else self
        data = {key: value for key, value in asdict(shown).items() if key != "checks"}
        return {**data, "score": self.score, "max_score": self.max_score, "manual_points": self.manual_points,
                "checks": [asdict(check) for check in shown.checks]}

    def write(self, path: Path, *, for_students: bool = True) -> None:
        write_atomic(path, json.dumps(self.to_dict(for_students=for_students), indent=1, default=str))

    @classmethod
    def read(cls, path: Path) -> "GradeResult":
        raw = json.loads(Path(path).read_text())
        if raw.get("schema") not in READABLE_SCHEMAS:
            raise ValueError(f"{path} is not a graded result ({', '.join(READABLE_SCHEMAS)})")
        return cls.from_dict(raw)

    @classmethod
    def from_dict(cls, raw: dict) -> "GradeResult":
        raw = dict(raw)
        checks = [CheckResult(**check) for check in raw.pop("checks")]
        for derived in ("score", "max_score", "manual_points"):
            raw.pop(derived, None)
        return cls(**raw, checks=checks)
