"""The graded result: one record per check and the score; the JSON format is in docs/results.md.

Points: one maximum per activity, the sum of every rubric check's points, the same for every
submission and every view (docs/results.md). A passed check earns its points, and so does one that
does not apply to the submission (`skip`: nothing in it to fault); a manual check earns 0 until a
person decides; a failed or errored check earns 0. Hidden checks keep only their title and points
in what students see. A check that could not be judged because a cell failed names that cell in
`blocked_by` (grading/attribution.py).

Staff's review (grader/review/) adds to a result without removing anything: a check whose points staff
set keeps its original points in `adjusted`; a change of the total (a staff adjustment of `*`, a late
penalty) is a line of `adjustments` that the score adds; `flags` and `notes` are for triage.
"""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass, field, replace
from datetime import UTC, datetime
from pathlib import Path

from ..files import write_atomic

SCHEMA = "grader.result/3"
READABLE_SCHEMAS = ("grader.result/1", "grader.result/2", SCHEMA)   # /2 and /3 added fields with defaults
EARNING_STATUSES = ("pass", "skip")   # since /3 a skipped check earns its points (before: out of max_score)
HIDDEN_MESSAGE = "hidden check: only its result is shown"
MAX_RESULT_BYTES = 50_000_000   # a result with every check's evidence is well under 1 MB
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
    # {"notebook", "cell", "error"} of the failed cell it could not get past
    blocked_by: dict | None = None
    adjusted: dict | None = None        # {"points" (as graded), "reason", "by"} when staff set its points

    @property
    def judged(self) -> bool:
        """The evidence decided it (pass, fail or error): not a check that did not apply, nor a manual one."""
        return self.status not in ("manual", "skip")

    @property
    def decided(self) -> bool:
        """Its points are settled: by the evidence, or by staff for a manual one."""
        return self.status != "manual" or self.adjusted is not None


def points_for(status: str, max_points: float) -> float:
    return max_points if status in EARNING_STATUSES else 0.0


@dataclass
class GradeResult:
    activity: str
    submission: list[str]               # the notebooks' own file names, never the grading machine's folders
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
    graded_at: str = field(default_factory=lambda: datetime.now(UTC).isoformat(timespec="seconds"))
    adjustments: list[dict] = field(default_factory=list)   # {"kind", "points", "reason", "by"}: in the score
    flags: list[str] = field(default_factory=list)    # triage words (grader/review/flags.py)
    notes: list[str] = field(default_factory=list)    # what staff should know of it (files set aside, ...)
    schema: str = SCHEMA

    @property
    def score(self) -> float:
        return sum(check.points for check in self.checks) + sum(line["points"] for line in self.adjustments)

    @property
    def max_score(self) -> float:
        return sum(check.max_points for check in self.checks)

    @property
    def manual_points(self) -> float:
        return sum(check.max_points for check in self.checks if not check.decided)

    def for_students(self) -> GradeResult:
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
    def read(cls, path: Path) -> GradeResult:
        """ValueError for a file that is not a result (`grader report` reads whatever folders it is given)."""
        if Path(path).stat().st_size > MAX_RESULT_BYTES:
            raise ValueError(f"{path} is larger than {MAX_RESULT_BYTES // 1_000_000} MB, more than a graded "
                             "result is")
        try:
            raw = json.loads(Path(path).read_text())
        except RecursionError:
            raise ValueError(f"{path} nests too deeply to be a graded result") from None
        if not isinstance(raw, dict) or raw.get("schema") not in READABLE_SCHEMAS:
            raise ValueError(f"{path} is not a graded result ({', '.join(READABLE_SCHEMAS)})")
        return cls.from_dict(raw)

    @classmethod
    def from_dict(cls, raw: dict) -> GradeResult:
        raw = dict(raw)
        checks = [CheckResult(**check) for check in raw.pop("checks")]
        # scored again by today's rule, so old and new results share one maximum
        if raw.get("schema") != SCHEMA:
            for check in checks:
                check.points = points_for(check.status, check.max_points)
        raw["schema"] = SCHEMA
        for derived in ("score", "max_score", "manual_points"):
            raw.pop(derived, None)
        return cls(**raw, checks=checks)
