"""A new activity from its solution notebook: `grader new-activity ID --from-solution NB`.

The solution runs on the emulator once, like a submission; what it did decides the rest. The expected
values are measured from its evidence (the training job's hyperparameters, the records uploaded), and
the rubric lists the grader's shared checks (those in the grader's own rubrics) whose needs the run met
and that pass on it with those values: the checks the solution's evidence supports, so the solution
grades to full marks. It writes activities/ID/ (activity.toml, README.md, solution/ and starter/) and
rubrics/ID/rubric.toml into the course folder, for a TA to review and edit (docs/authoring.md).
"""

from __future__ import annotations

import json
import re
import shutil
from dataclasses import dataclass, replace
from pathlib import Path

import nbformat

from .activities import Activity, course
from .checks.evidence import Evidence
from .checks.training_data import decode_train_and_test
from .errors import UsageError
from .grading.attribution import OPERATIONS
from .grading.gather import GradingOptions, gather
from .grading.rubric import RUBRIC_FILE, RubricCheck
from .grading.rubric import load as load_rubric
from .project import grader_content_dir

ACTIVITY_ID = re.compile(r"^[a-z][a-z0-9-]*$")
FAILED_CELL = ("error", "timeout")


@dataclass(frozen=True)
class Scaffolded:
    activity: Path
    rubric: Path
    checks: tuple[RubricCheck, ...]
    points: float


def new_activity(activity_id: str, solution: Path, course_folder: Path,
                 data_dir: Path | None = None) -> Scaffolded:
    """Write the activity and its rubric into `course_folder`; nothing is left behind if it fails."""
    from .execution import read_submission

    if not ACTIVITY_ID.match(activity_id):
        raise UsageError(f"activity id '{activity_id}' must be lower-case letters, digits and dashes, e.g. "
                         "churn-model")
    notebook = read_submission(Path(solution)).notebook   # a clear error for a missing or broken notebook
    folder = course_folder / "activities" / activity_id
    rubric_folder = course_folder / "rubrics" / activity_id
    for existing in (folder, rubric_folder):
        if existing.exists():
            raise UsageError(f"{existing} already exists; choose another id or remove it first")
    name = Path(solution).name
    made_activities = not (course_folder / "activities").exists()
    try:
        for variant in ("solution", "starter"):
            (folder / variant).mkdir(parents=True)
        shutil.copyfile(solution, folder / "solution" / name)   # the TA's file as it is
        nbformat.write(_starter(notebook), folder / "starter" / name)
        activity = Activity(id=activity_id, title=_title(notebook, activity_id), kind="notebook",
                            region=course().region, notebooks=(name,), folder=folder,
                            expected={"bucket_conventions": list(course().bucket_conventions)})
        evidence = _solution_evidence(activity, folder / "solution" / name, data_dir)
        expected = _measured(evidence)
        evidence = replace(evidence, activity=replace(activity, expected={**activity.expected, **expected}))
        checks = _supported(evidence)
        if not checks:
            raise UsageError(f"the solution {name} made nothing the grader's checks grade (no bucket, "
                             "upload, training job or endpoint); write the rubric by hand "
                             "(docs/authoring.md)")
        (folder / "activity.toml").write_text(_activity_toml(activity, expected, name))
        (folder / "README.md").write_text(f"# {activity.title}\n\nThe instructions are in the notebook "
                                          f"`{name}`.\n")
        rubric_folder.mkdir(parents=True)
        (rubric_folder / RUBRIC_FILE).write_text(_rubric_toml(activity_id, checks))
    except BaseException:
        shutil.rmtree(folder, ignore_errors=True)
        shutil.rmtree(rubric_folder, ignore_errors=True)
        if made_activities:
            shutil.rmtree(course_folder / "activities", ignore_errors=True)
        raise
    return Scaffolded(folder, rubric_folder / RUBRIC_FILE, tuple(checks),
                      sum(check.points for check in checks))


def _title(notebook, fallback: str) -> str:
    for cell in notebook.cells:
        if cell.cell_type == "markdown":
            headings = (line.lstrip("#").strip() for line in cell.source.splitlines() if line.startswith("#"))
            heading = next(headings, "")
            if heading:
                return heading
    return fallback


def _starter(notebook):
    """The solution with its code taken out: markdown kept, each code cell down to its comments."""
    starter = nbformat.reads(nbformat.writes(notebook), as_version=4)
    for cell in starter.cells:
        if cell.cell_type == "code":
            comments = [line for line in cell.source.splitlines() if line.lstrip().startswith("#")]
            cell.source = "\n".join([*comments, "# YOUR CODE HERE"])
            cell.outputs, cell.execution_count = [], None
    return starter


def _solution_evidence(activity: Activity, solution: Path, data_dir: Path | None) -> Evidence:
    evidence = gather(activity, GradingOptions(submissions=[solution], data_dir=data_dir)).evidence
    failed = [cell for run in evidence.runs for cell in run.cells if cell.status in FAILED_CELL]
    if failed:
        raise UsageError(f"the solution did not run clean: cell {failed[0].index} {failed[0].status}; fix it "
                         "(grader run ACTIVITY NOTEBOOK shows every cell) and scaffold again")
    return evidence


def _measured(ev: Evidence) -> dict:
    """The expected values the shared checks read, as the solution's run made them."""
    expected = {}
    job = ev.graded_job()
    asked = (job or {}).get("HyperParameters", {})
    if "predictor_type" in asked:
        expected["predictor_type"] = asked["predictor_type"]
    if str(asked.get("feature_dim", "")).isdigit():
        expected["feature_dim"] = int(asked["feature_dim"])
    if job:
        train, test, problem = decode_train_and_test(ev)
        if problem is None:
            expected["rows"] = train.count + test.count
            expected["test_size"] = round(test.count / expected["rows"], 2)
    hyperparameters = {key: asked[key] for key in ("feature_dim", "predictor_type") if key in asked}
    if hyperparameters:
        expected["hyperparameters"] = hyperparameters
    return expected


def _candidates() -> list[RubricCheck]:
    """The grader's own checks (its rubrics), each once, in their rubrics' order."""
    found = {}
    for path in sorted((grader_content_dir() / "rubrics").glob(f"*/{RUBRIC_FILE}")):
        for check in load_rubric(path).checks:
            found.setdefault(check.id, check)
    return list(found.values())


def _supported(ev: Evidence) -> list[RubricCheck]:
    """The checks whose needs the run met (so none passes on nothing) and that pass on its evidence."""
    kept = []
    for check in _candidates():
        met = check.needs and all(any(ev.calls(logged) for logged in OPERATIONS[need][1])
                                  for need in check.needs)
        if not met:
            continue
        try:
            passed = check.function(ev, *check.arguments, **check.keywords).status == "pass"
        except Exception:   # a check that needs values the solution cannot give (a course data table)
            passed = False
        if passed:
            kept.append(check)
    return kept


def _value(value) -> str:
    """A TOML value: text, a number, or a table of text."""
    if isinstance(value, dict):
        return "{" + ", ".join(f"{key} = {_value(item)}" for key, item in value.items()) + "}"
    return json.dumps(value)


def _activity_toml(activity: Activity, expected: dict, name: str) -> str:
    lines = [f"# Scaffolded by `grader new-activity {activity.id} --from-solution {name}`: review every",
             "# value (docs/authoring.md). The course's region and bucket naming: activities/course.toml.",
             f"id = {_value(activity.id)}", f"title = {_value(activity.title)}", 'kind = "notebook"',
             f"notebooks = [{_value(name)}]", 'environment = "current"', 'instructions = "README.md"', "",
             "[data]                    # file name a notebook opens -> where it comes from; none found", "",
             "[services]", "market_data = false", "",
             "[limits]                  # seconds", "cell_timeout = 60", "notebook_timeout = 300", "",
             "[expected]                # measured on the solution's run: what the rubric compares with"]
    lines += [f"{key} = {_value(value)}" for key, value in expected.items() if not isinstance(value, dict)]
    for key, table in expected.items():
        if isinstance(table, dict):
            lines += ["", f"[expected.{key}]"]
            lines += [f"{item} = {_value(value)}" for item, value in table.items()]
    return "\n".join(lines) + "\n"


def _rubric_toml(activity_id: str, checks: list[RubricCheck]) -> str:
    lines = [f"# Rubric of the {activity_id} activity, scaffolded from its solution: the grader's checks",
             "# its run supports. Change points, remove or add checks here (docs/authoring.md).", ""]
    for check in checks:
        module = check.function.__module__.removeprefix("grader.checks.")
        lines += ["[[check]]", f"id = {_value(check.id)}", f"title = {_value(check.title)}",
                  f"points = {check.points:g}"]
        if check.visibility != "visible":
            lines.append(f"visibility = {_value(check.visibility)}")
        lines.append("needs = [" + ", ".join(_value(need) for need in check.needs) + "]")
        lines.append(f"check = {_value(f'{module}.{check.function.__name__}')}")
        if check.arguments:
            lines.append("arguments = [" + ", ".join(_value(argument) for argument in check.arguments) + "]")
        lines.append("")
    return "\n".join(lines)
