"""pytest plugin (registered as `grader`): an activity's rubric is `rubrics/<activity>/rubric.toml`.

    pytest rubrics/housing --submission path/to/notebook.ipynb [--result-json FILE]

The plugin collects each `[[check]]` of rubric.toml (grading/rubric.py) as one test: it gathers the
activity's evidence once, calls the check's function with its arguments, and turns the Outcome into
pytest's: a pass passes, a check that does not apply (or is for a person to decide) is a skip, anything
else fails with the check's message. Expected values and thresholds come from the activity's
activity.toml. A course may also add ordinary pytest files beside rubric.toml: a test taking the
`check` fixture, with markers for points (`@pytest.mark.points(3)`), visibility
(`@pytest.mark.visibility("hidden")`) and needs (`@pytest.mark.needs("CreateTrainingJob")`), the
docstring's first line as its title.

`grade_submission()` (grading/grade.py) runs the same rubric in the same process with a `Grading` object as a
plugin: the options go in as objects and the result (or the bad input refused) comes back as objects,
never through pytest's command line, a file or its printed output. Plain pytest builds that object
from its command-line options, so both paths grade alike.
"""

from __future__ import annotations

import contextlib
import sys
import time
from pathlib import Path

import pytest

from ..activities import load
from ..checks.outcome import Outcome
from ..errors import UsageError
from ..execution.record import tool_versions
from ..execution.run import write_run
from ..files import remove_stale, write_atomic
from ..sandbox import IsolationUnavailable
from ..snapshots import snapshot as snapshots
from ..terminal import inert
from . import attribution, rubric
from .gather import EVIDENCE_SNAPSHOT, GradingOptions, gather, limit_options
from .result import CheckResult, GradeResult, points_for

OUTCOME = pytest.StashKey[Outcome]()


class Grading:
    """One grading: its options in, its result (or the bad input it refused) out. A pytest plugin
    object, so the rubric's fixtures reach it through `config.stash[GRADING]`."""

    def __init__(self, options: GradingOptions, *, out: Path | None = None, staff: bool = False,
                 result_json: Path | None = None):
        self.options, self.out, self.staff, self.result_json = options, out, staff, result_json
        self.gathered: dict = {}        # per activity: Gathered, or the exception that stopped gathering
        self.checks: dict = {}          # per activity: CheckResult of each rubric test, in order
        self.started = time.monotonic()
        self.result: GradeResult | None = None
        self.refused: Exception | None = None   # bad input (UsageError) or a sandbox that could not be had

    @classmethod
    def from_command_line(cls, config) -> Grading:
        option = config.option
        options = GradingOptions(submissions=list(option.submission), snapshot=option.snapshot,
                                 start_from=option.start_from, live=option.live, profile=option.profile,
                                 region=option.aws_region, data_dir=option.data_dir,
                                 limits=limit_options(option), warm=not option.cold_kernels,
                                 environment=option.environment, evidence_from=option.evidence_from)
        return cls(options, out=option.grader_out, staff=option.staff, result_json=option.result_json)

    def pytest_configure(self, config):
        config.stash[GRADING] = self

    @property
    def source(self) -> str:
        options = self.options
        return ("notebook run on the emulator, rescored from its stored evidence"
                if options.evidence_from else
                "notebook run on the emulator" if options.submissions else
                f"snapshot {options.snapshot}" if options.snapshot else "live AWS account")


GRADING = pytest.StashKey[Grading]()


class CheckNotPassed(AssertionError):
    """A check that failed or errored: pytest shows it as a failed test with the check's message."""

    def __init__(self, outcome: Outcome):
        super().__init__(inert(outcome.message))
        self.outcome = outcome


def pytest_addoption(parser):
    group = parser.getgroup("grader", "SageMaker course grader")
    group.addoption("--submission", action="append", default=[], type=Path, metavar="NOTEBOOK",
                    help="notebook to run and grade (repeat for activities with several notebooks, in order)")
    group.addoption("--snapshot", type=Path, metavar="FILE", help="grade this recorded account snapshot")
    group.addoption("--start-from", type=Path, metavar="FILE",
                    help="with --submission: run the notebooks from this account "
                         "snapshot (the student's account)")
    group.addoption("--live", action="store_true", help="grade a live AWS account (read-only calls)")
    group.addoption("--profile", help="AWS profile for --live")
    group.addoption("--aws-region", dest="aws_region",
                    help="region to read for --live (default: the activity's)")
    group.addoption("--data-dir", type=Path, help="folder with the course data files")
    group.addoption("--cell-timeout", type=float, help="CPU seconds one cell may use")
    group.addoption("--notebook-timeout", type=float, help="CPU seconds a notebook's cells may use")
    group.addoption("--memory-mb", type=int, help="kernel memory limit in MB")
    group.addoption("--output-limit", type=int, help="bytes of output kept per cell")
    group.addoption("--cold-kernels", action="store_true",
                    help="start every kernel from scratch (no warm server)")
    group.addoption("--environment", metavar="NAME",
                    help="kernel environment of the runs (default: the activity's)")
    group.addoption("--result-json", type=Path, metavar="FILE", help="write the graded result here")
    group.addoption("--grader-out", type=Path, metavar="DIR",
                    help="also save run records and executed notebooks")
    group.addoption("--staff", action="store_true", help="keep hidden checks' messages in --result-json")
    group.addoption("--evidence-from", type=Path, metavar="DIR",
                    help="with --submission: grade the evidence a run of it left in DIR (run records, "
                         "account snapshot) instead of running it again (a rescore after a rubric change)")


@pytest.hookimpl(trylast=True)   # after a Grading object handed in by grade_submission() has stashed itself
def pytest_configure(config):
    config.addinivalue_line("markers", "points(n): points the check is worth (default 1)")
    config.addinivalue_line("markers",
                            "visibility(v): 'visible' (default) or 'hidden' (students see title and score)")
    config.addinivalue_line("markers", "needs(*operations, calls=regex): what the check needs from the run, "
                                       "to name the failed cell that blocked it")
    if GRADING not in config.stash:   # plain pytest: the grading is what its command line says
        config.stash[GRADING] = Grading.from_command_line(config)


def _activity_id(path) -> str:
    return Path(str(path)).resolve().parent.name


@pytest.fixture(scope="module")
def activity(request):
    return load(_activity_id(request.module.__file__))


@pytest.fixture(scope="module")
def expected(activity):
    return activity.expected


@pytest.fixture(scope="module")
def thresholds(activity):
    return activity.thresholds


def _evidence(config, activity_id: str):
    """Gathered once per activity and session; a crash is kept and shown by every check. Bad input, or a
    sandbox required and not to be had, stops the session: nothing is graded."""
    grading = config.stash[GRADING]
    gathered = grading.gathered
    if activity_id not in gathered:
        try:
            gathered[activity_id] = gather(load(activity_id), grading.options, on_run=_run_saver(grading),
                                           announce=_announcer(config))
            _save_snapshot(grading, gathered[activity_id])
        except (UsageError, IsolationUnavailable) as error:
            grading.refused = error
            pytest.exit(f"grader: error: {error}", returncode=2)
        except Exception as error:   # the run itself crashed: every check reports it, none passes
            gathered[activity_id] = error
    found = gathered[activity_id]
    if isinstance(found, Exception):
        raise RuntimeError(f"the grader could not gather evidence: {type(found).__name__}: {found}")
    return found.evidence


def _save_snapshot(grading: Grading, gathered) -> None:
    """The account as the runs left it, beside their records, so a rubric change can be rescored."""
    out = grading.out
    if out and gathered.runs:
        write_atomic(Path(out) / EVIDENCE_SNAPSHOT, snapshots.to_json(gathered.evidence.snapshot))


def _judge(node, function, evidence, arguments=(), keywords=None, fix: str = "") -> Outcome:
    """Run one check over the evidence; anything but a pass fails the test (a check that does not
    apply is a skip; manual ones are skipped too, to be decided by a person)."""
    try:
        outcome = function(evidence, *arguments, **(keywords or {}))
    except Exception as error:   # one check's crash is that check's error, never the rubric's
        outcome = Outcome("error", f"the check crashed: {type(error).__name__}: {error}", {})
    if outcome.status == "fail" and fix:
        outcome = Outcome(outcome.status, f"{outcome.message.rstrip('. ')}. Fix: {fix}", outcome.evidence)
    node.stash[OUTCOME] = outcome
    if outcome.status == "manual":
        pytest.skip(f"MANUAL: {inert(outcome.message)}")
    if outcome.status == "skip":   # the check does not apply to this submission: not a failure
        pytest.skip(inert(outcome.message))
    if outcome.status != "pass":
        raise CheckNotPassed(outcome)
    return outcome


@pytest.fixture(scope="module")
def evidence(request, activity):
    return _evidence(request.config, activity.id)


@pytest.fixture
def check(request, evidence):
    """check(function, *args): run one check over the evidence (a Python rubric test's way)."""
    return lambda function, *args: _judge(request.node, function, evidence, args)


def pytest_collect_file(file_path, parent):
    if file_path.name == rubric.RUBRIC_FILE:
        return RubricFile.from_parent(parent, path=file_path)
    return None


class RubricFile(pytest.File):
    """rubric.toml: one test per [[check]], in the file's order."""

    def collect(self):
        for entry in rubric.load(self.path).checks:
            yield RubricCheckItem.from_parent(self, name=entry.id, entry=entry)


class RubricCheckItem(pytest.Item):
    """One [[check]] of a rubric.toml, marked like a Python rubric test (points, visibility, needs), so
    `-m` selects it and the result reads it the same way."""

    def __init__(self, *, entry: rubric.RubricCheck, **kwargs):
        super().__init__(**kwargs)
        self.entry = entry
        self.add_marker(pytest.mark.points(entry.points))
        self.add_marker(pytest.mark.visibility(entry.visibility))
        if entry.needs or entry.needs_call:
            calls = {"calls": entry.needs_call} if entry.needs_call else {}
            self.add_marker(pytest.mark.needs(*entry.needs, **calls))

    def runtest(self):
        entry = self.entry
        _judge(self, entry.function, _evidence(self.config, _activity_id(self.path)), entry.arguments,
               entry.keywords, entry.fix)

    def repr_failure(self, excinfo, style=None):
        if isinstance(excinfo.value, CheckNotPassed):
            return str(excinfo.value)
        return super().repr_failure(excinfo, style=style)

    def reportinfo(self):
        return self.path, self.entry.line - 1, f"{_activity_id(self.path)}.{self.name}: {self.entry.title}"


def _announcer(config):
    """Progress of a kernel environment's first build, shown on the terminal although pytest captures
    output (a build takes minutes: the person waiting must see why)."""
    capture = config.pluginmanager.getplugin("capturemanager")

    def announce(message: str) -> None:
        with capture.global_and_fixture_disabled() if capture else contextlib.nullcontext():
            print(message, file=sys.__stderr__, flush=True)
    return announce


def _run_saver(grading: Grading):
    """Saves each run record and executed notebook as soon as the run ends: they are facts about
    what ran, kept even if grading is interrupted later (unlike the result, which is a grade)."""
    out = grading.out
    return (lambda outcome: write_run(outcome, out)) if out else None


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_makereport(item, call):
    report = (yield).get_result()
    if report.when == "call" or (report.when == "setup" and not report.passed):
        checks = item.config.stash[GRADING].checks
        checks.setdefault(_activity_id(item.path), []).append(_result(item, call, report))


def check_identity(item) -> dict:
    """What a rubric test says about its check before it runs: id, title, max_points, visibility."""
    points = item.get_closest_marker("points")
    visibility = item.get_closest_marker("visibility")
    entry = getattr(item, "entry", None)   # a rubric.toml check, else a Python rubric test
    name = entry.id if entry else item.name.removeprefix("test_")
    title = entry.title if entry else (item.function.__doc__ or item.name).strip().splitlines()[0]
    return {"id": f"{_activity_id(item.path)}.{name}", "title": title,
            "max_points": float(points.args[0]) if points else 1.0,
            "visibility": visibility.args[0] if visibility else "visible"}


def _result(item, call, report) -> CheckResult:
    outcome = item.stash.get(OUTCOME, None)
    if outcome is None:   # the test body did not reach check(): setup failed, or the rubric itself raised
        if report.passed:
            outcome = Outcome("pass", "")
        elif report.skipped:
            outcome = Outcome("skip", str(call.excinfo.value) if call.excinfo else "")
        else:
            error = call.excinfo.value if call.excinfo else None
            outcome = Outcome("error",
                              f"{type(error).__name__}: {error}" if error else report.longreprtext[-300:])
    identity = check_identity(item)
    run_evidence = getattr(item.config.stash[GRADING].gathered.get(_activity_id(item.path)), "evidence", None)
    blocked = (attribution.blocked_by(run_evidence.runs,
                                      attribution.needs_of(item.get_closest_marker("needs")))
               if run_evidence and outcome.status in ("fail", "error") else None)
    return CheckResult(**identity, status=outcome.status,
                       points=points_for(outcome.status, identity["max_points"]),
                       message=outcome.message, evidence=outcome.evidence, blocked_by=blocked)


def _stage_timings(gathered, total_s: float) -> dict:
    """Where the grading's time went: the evidence's stages, and the rubric (the rest: collection and
    checks)."""
    stages = dict(getattr(gathered, "timings", {}) or {})
    stages["rubric_s"] = round(max(total_s - sum(stages.values()), 0.0), 3)
    return stages


def _version_summary(activity, run) -> dict:
    """The known version of the notebook the run was graded as ({} when the activity declares none)."""
    version = activity.version(run.notebook, run.submission.get("version"))
    return {"version": version.name, "version_title": version.title} if version else {}


def _environment_summary(run) -> dict:
    """Which kernel environment ran the notebook and why (a re-run in another era says so)."""
    return {key: run.environment[key] for key in ("name", "chosen", "note", "other_run")
            if key in run.environment}


def _condensed(run) -> dict:
    """The run's facts for reports; a decision about its kernel environment is the first note."""
    condensed = attribution.condensed(run)
    if run.environment.get("note"):
        condensed["notes"] = [f"kernel environment '{run.environment['name']}': {run.environment['note']}",
                              *condensed["notes"]]
    return condensed


def pytest_sessionstart(session):
    grading = session.config.stash[GRADING]
    remove_stale(grading.result_json)
    grading.started = time.monotonic()


def pytest_sessionfinish(session, exitstatus):
    grading = session.config.stash[GRADING]
    if exitstatus == pytest.ExitCode.INTERRUPTED or grading.refused or not grading.checks:
        return   # an interrupted or refused session grades nothing
    if len(grading.checks) != 1:   # e.g. `pytest rubrics`: tests ran, but no single grade to give
        if grading.result_json:
            raise UsageError(
                "--result-json grades one activity at a time; run pytest on one rubrics/<activity> folder")
        return
    (activity_id, checks), = grading.checks.items()
    gathered = grading.gathered.get(activity_id)
    evidence = getattr(gathered, "evidence", None)
    runs = evidence.runs if evidence else []
    ran = {run.notebook for run in runs}
    elapsed = time.monotonic() - grading.started
    grading.result = GradeResult(
        activity=activity_id, submission=[Path(path).name for path in grading.options.submissions],
        source=grading.source,
        checks=checks, runs=[{"notebook": run.notebook, "file": run.submission["name"],
                              **_version_summary(load(activity_id), run),
                              "sha256": run.submission["sha256"], **run.summary(),
                              "duration_s": run.duration_s, "stages": run.stages, **_condensed(run),
                              "environment": _environment_summary(run)}
                             for run in runs],
        missing_notebooks=[name for name in load(activity_id).notebooks if name not in ran] if runs else [],
        synthetic_data=any(run.synthetic_data for run in runs),
        unisolated=next((run.sandbox.get("reason", "no sandbox") for run in runs
                         if not run.sandbox.get("isolated")), ""),
        duration_s=round(elapsed, 3), stages=_stage_timings(gathered, elapsed),
        environment=({"kernel environment": runs[0].environment.get("name"), **runs[0].tools} if runs
                     else tool_versions()))
    if grading.result_json:
        grading.result.write(grading.result_json, for_students=not grading.staff)
