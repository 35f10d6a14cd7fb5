"""The era signatures: each is an error only code written for another library era raises, and a run
that fails on one is sent to that era's environment. The slow tests run every signature's example in
both environments, so a signature that stops matching what the libraries really raise is caught."""

import dataclasses
import json
import subprocess
import textwrap

import pytest

from grader.errors import UsageError
from grader.execution import environments, eras
from grader.execution.record import CellError, CellRecord, RunRecord


def record(*cells: CellRecord, notebook="n.ipynb") -> RunRecord:
    return RunRecord(activity="a", submission={}, account={}, limits={}, cells=list(cells), notebook=notebook)


def failed(index, name, value, traceback=()) -> CellRecord:
    return CellRecord(index=index, source="", status="error", error=CellError(name, value, list(traceback)))


def ok(index) -> CellRecord:
    return CellRecord(index=index, source="", status="ok")


def test_every_signature_names_a_declared_environment_and_an_example():
    assert {signature.written_for for signature in eras.SIGNATURES} == set(environments.names())
    assert all(signature.example.strip() and signature.api for signature in eras.SIGNATURES)


@pytest.mark.parametrize("name, value, traceback, ran_on, expected", [
    ("KeyError", "-1", ["File .../pandas/core/series.py in __getitem__"], "current", "course-era"),
    ("AttributeError", "'Series' object has no attribute 'append'", [], "current", "course-era"),
    ("AttributeError", "'DataFrame' object has no attribute 'append'", [], "current", "course-era"),
    ("TypeError", "OneHotEncoder.__init__() got an unexpected keyword argument 'sparse'", [], "current",
     "course-era"),
    ("AttributeError", "'OneHotEncoder' object has no attribute 'get_feature_names'", [], "current",
     "course-era"),
    ("AttributeError", "`np.NaN` was removed in the NumPy 2.0 release. Use `np.nan` instead.", [], "current",
     "course-era"),
    ("TypeError", "got an unexpected keyword argument 'squared'", [], "current", "course-era"),
    ("TypeError", "OneHotEncoder.__init__() got an unexpected keyword argument 'sparse_output'", [],
     "course-era", "current"),
    ("ImportError", "cannot import name 'root_mean_squared_error' from 'sklearn.metrics' (/x.py)", [],
     "course-era", "current"),
])
def test_a_failure_on_an_api_of_the_other_era_names_that_era(name, value, traceback, ran_on, expected):
    diagnosis = eras.diagnose([record(ok(0), failed(1, name, value, traceback))], ran_on)
    assert diagnosis is not None and diagnosis.environment == expected
    assert diagnosis.reason.startswith(f"cell 1 failed on '{ran_on}' with {name}: ")


@pytest.mark.parametrize("name, value, traceback, ran_on", [
    ("KeyError", "-1", ["File <ipython>, in <module>: d = {}; d[-1]"], "current"),   # a dict's KeyError
    ("KeyError", "'close'", ["pandas/core/frame.py"], "current"),
    ("TypeError", "OneHotEncoder.__init__() got an unexpected keyword argument 'sparse'", [], "course-era"),
    ("AttributeError", "'OneHotEncoder' object has no attribute 'get_feature_names_out'", [], "current"),
    ("ValueError", "could not convert string to float: 'male'", [], "current"),
    ("NameError", "name 'X_train' is not defined", [], "course-era"),
])
def test_other_failures_name_no_era(name, value, traceback, ran_on):
    assert eras.diagnose([record(failed(3, name, value, traceback))], ran_on) is None


def test_the_first_matching_cell_decides_and_later_notebooks_are_named():
    records = [record(ok(0), notebook="create_infrastructure.ipynb"),
               record(failed(2, "ValueError", "bad"), failed(5, "KeyError", "-1", ["pandas"]),
                      failed(6, "TypeError", "got an unexpected keyword argument 'sparse_output'"),
                      notebook="monte_carlo.ipynb")]
    diagnosis = eras.diagnose(records, "current")
    assert diagnosis.environment == "course-era"
    assert diagnosis.reason.startswith("monte_carlo.ipynb cell 5 failed on 'current' with KeyError: -1")
    assert "pandas < 3" in diagnosis.reason


def test_the_better_run_has_fewer_cells_not_ok():
    worse = [record(ok(0), failed(1, "KeyError", "-1"), CellRecord(index=2, source="", status="not_run"))]
    better = [record(ok(0), ok(1), failed(2, "ValueError", "x"))]
    assert eras.failed_cells(better) < eras.failed_cells(worse)
    assert eras.shortfall(worse) == {"environment": None, "cells_not_ok": 2,
                                     "errors": ["n.ipynb cell 1: KeyError: -1"]}


# Runs each example with the environment's bare libraries (no kernel patches) and reports what it raised.
PROBE = """
import json, sys, traceback, warnings
warnings.simplefilter("ignore")
results = []
for code in json.loads(sys.stdin.read()):
    try:
        exec(code, {})
        results.append(None)
    except Exception as error:
        results.append({"name": type(error).__name__, "value": str(error),
                        "traceback": traceback.format_exc()})
print(json.dumps(results))
"""


def raised_in(environment, examples: list[str]) -> list:
    done = subprocess.run([str(environment.python), "-I", "-c", PROBE], input=json.dumps(examples),
                          capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stderr[-2000:]
    return json.loads(done.stdout.splitlines()[-1])


@pytest.mark.slow
@pytest.mark.parametrize("environment_name", ["current", "course-era"])
def test_every_example_runs_in_its_era_and_raises_its_signature_in_the_other(environment_name):
    environment = environments.get(environment_name)
    examples = [textwrap.dedent(signature.example) for signature in eras.SIGNATURES]
    for signature, raised in zip(eras.SIGNATURES, raised_in(environment, examples)):
        if signature.written_for == environment_name:
            assert raised is None, (signature.api, raised)
        else:
            assert raised is not None, f"{signature.api}: the example ran on {environment_name}"
            assert signature.matches(raised["name"], raised["value"], raised["traceback"]), \
                (signature.api, raised)
            run = record(failed(4, raised["name"], raised["value"], raised["traceback"].splitlines()))
            assert eras.diagnose([run], environment_name).environment == signature.written_for



class FakeEmulator:
    def __init__(self):
        self.removed = []

    def remove_account(self, account_id):
        self.removed.append(account_id)


@pytest.fixture
def runs(monkeypatch):
    """run_notebooks with the runs faked: `plan[environment]` is the list of cells each run gets."""
    from types import SimpleNamespace

    from grader.grading import gather

    plan, saved, built = {}, [], []

    def run_in(activity, options, emulator, matched, environment, why, on_run):
        record = RunRecord(activity=activity.id, submission={}, account={}, limits={}, notebook="n.ipynb",
                           cells=list(plan[environment.name]), environment={"name": environment.name})
        record.environment["chosen"] = why
        outcome = SimpleNamespace(record=record,
                                  account=SimpleNamespace(account_id=f"account-{environment.name}"))
        if on_run:
            on_run(outcome)
        return [outcome]

    def get(name, announce=None):
        if name == "broken":
            raise UsageError("cannot build the kernel environment 'broken': pip exited with 1")
        built.append(name)
        return SimpleNamespace(name=name)

    monkeypatch.setattr(gather, "_run_in", run_in)
    monkeypatch.setattr(gather, "read_submissions", lambda activity, options: None)
    monkeypatch.setattr(environments, "get", get)

    def run(environment=None, default="current"):
        activity = SimpleNamespace(id="credit-risk", environment=default)
        emulator = FakeEmulator()
        outcomes = gather.run_notebooks(
            activity, gather.GradingOptions(environment=environment), emulator,
            on_run=lambda outcome: saved.append(outcome.record.environment.copy()))
        return outcomes[0].record.environment, emulator.removed, saved
    run.plan, run.built = plan, built
    return run


SPARSE = failed(1, "TypeError", "OneHotEncoder.__init__() got an unexpected keyword argument 'sparse'")


def test_a_run_failing_on_the_other_era_is_rerun_there_and_kept_when_better(runs):
    runs.plan.update({"current": [ok(0), SPARSE, failed(2, "NameError", "X")],
                      "course-era": [ok(0), ok(1), ok(2)]})
    environment, removed, saved = runs()
    assert environment["name"] == "course-era" and environment["chosen"] == "a re-run in another library era"
    assert environment["note"].startswith("re-run on 'course-era' because cell 1 failed "
                                          "on 'current' with TypeError")
    assert environment["note"].endswith("kept: 0 cell(s) not ok there against 2 on 'current'")
    assert environment["other_run"]["environment"] == "current"
    assert environment["other_run"]["cells_not_ok"] == 2
    assert removed == ["account-current"]
    assert [entry["name"] for entry in saved] == ["current", "course-era"] and "note" in saved[-1]


def test_a_rerun_that_is_not_better_keeps_the_first_run(runs):
    runs.plan.update({"current": [ok(0), SPARSE, ok(2)],
                      "course-era": [failed(0, "ImportError", "x"), ok(1), ok(2)]})
    environment, removed, saved = runs()
    assert environment["name"] == "current"
    assert environment["chosen"] == "the credit-risk activity's environment"
    assert "the re-run on 'course-era' was not better (1 cell(s) not ok against 1)" in environment["note"]
    assert environment["other_run"]["environment"] == "course-era" and removed == ["account-course-era"]


def test_a_named_environment_is_never_left(runs):
    runs.plan.update({"current": [SPARSE]})
    environment, removed, saved = runs(environment="current")
    assert environment == {"name": "current", "chosen": "named by --environment"} and removed == []
    assert runs.built == ["current"]


def test_a_failure_that_names_no_era_is_not_rerun(runs):
    runs.plan.update({"current": [ok(0), failed(1, "ValueError", "bad")]})
    environment, removed, saved = runs()
    assert "note" not in environment and runs.built == ["current"] and len(saved) == 1


def test_an_environment_that_cannot_be_built_leaves_the_first_run_with_a_note(runs, monkeypatch):
    monkeypatch.setattr(eras, "SIGNATURES", tuple(dataclasses.replace(signature, written_for="broken")
                                                  if signature.written_for == "course-era" else signature
                                                  for signature in eras.SIGNATURES))
    runs.plan.update({"current": [SPARSE]})
    environment, removed, saved = runs()
    assert environment["name"] == "current"
    assert "not re-run there: cannot build the kernel environment 'broken'" in environment["note"]
    assert "other_run" not in environment and removed == []
