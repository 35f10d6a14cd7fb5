"""Warm kernels (a fork server per kernel environment) isolate submissions as cold kernels do, and
grade the same: nothing one submission did is visible to the next, and each solution gets the same
cells, outcomes and score from a warm kernel as from a cold one (tests/test_activities.py, beside the
warm grading of each solution it checks)."""

import json
import textwrap

import nbformat
import pytest

from grader.activities import load
from grader.execution import environments, read_submission, run_submission
from grader.execution.limits import RunLimits
from grader.execution.run import fork_server_for
from grader.sandbox import isolation_problem
from grader.sandbox import warm as warm_kernels

pytestmark = [pytest.mark.slow,
              pytest.mark.skipif(isolation_problem() is not None or not warm_kernels.available(),
                                 reason=f"no sandbox or no pidfds here: {isolation_problem()}")]

LIMITS = RunLimits(cell_timeout=60, notebook_timeout=180)


def notebook(path, *cells):
    nb = nbformat.v4.new_notebook(metadata={"kernelspec": {"name": "python3", "display_name": "Python 3",
                                                           "language": "python"}})
    nb.cells = [nbformat.v4.new_code_cell(textwrap.dedent(cell)) for cell in cells]
    path.parent.mkdir(parents=True, exist_ok=True)
    nbformat.write(nb, path)
    return read_submission(path)


def facts(outcome) -> dict:
    """What the notebook printed as `FACTS {...}` lines, merged."""
    found = {}
    for cell in outcome.record.cells:
        for line in cell.stdout.splitlines():
            if line.startswith("FACTS "):
                found.update(json.loads(line[6:]))
    return found


SNOOP = """
import json, os, sys, numpy, pandas, random
print("FACTS " + json.dumps({
    "pid": os.getpid(), "cwd": os.getcwd(),
    "files": sorted(os.listdir(".")), "tmp": sorted(os.listdir("/tmp")),
    "home": sorted(os.listdir(os.path.expanduser("~"))), "secret_env": os.environ.get("LEFT_BY_A"),
    "account": os.environ["GRADER_ACCOUNT_ID"], "key": os.environ["AWS_ACCESS_KEY_ID"],
    "patched": hasattr(pandas.DataFrame, "left_by_a"), "module": "left_by_a" in sys.modules,
    "numpy_draw": numpy.random.rand(), "random_draw": random.random(),
    "pandas_loaded_before": "pandas" in sys.modules,
    "grader_paths": [path for path in sys.path
                     if path.startswith("/") and "grader" in path and "kernel_site" not in path]}))
"""

TAMPER = """
import os, sys, types, pandas, numpy
open("left_by_a.txt", "w").write("a's work")
open("/tmp/left_by_a.txt", "w").write("a's temp")
open(os.path.expanduser("~/left_by_a.txt"), "w").write("a's home")
os.environ["LEFT_BY_A"] = os.environ["AWS_SECRET_ACCESS_KEY"]
pandas.DataFrame.left_by_a = lambda self: "patched by a"
sys.modules["left_by_a"] = types.ModuleType("left_by_a")
numpy.random.seed(42)
"""


@pytest.fixture(scope="module")
def two_runs(emulator, tmp_path_factory):
    """Submission A snoops, then tampers with everything a fork could share; B, forked from the same
    server right after, snoops."""
    folder = tmp_path_factory.mktemp("warm")
    activity = load("iam-user")
    a = run_submission(activity, notebook(folder / "a" / "create_admin_user.ipynb", SNOOP, TAMPER, SNOOP),
                       emulator, limits=LIMITS)
    b = run_submission(activity, notebook(folder / "b" / "create_admin_user.ipynb", SNOOP), emulator,
                       limits=LIMITS)
    return a, b


def test_both_kernels_were_warm_and_had_the_stack_preloaded(two_runs):
    for outcome in two_runs:
        assert outcome.record.sandbox["warm_kernel"] is True, outcome.record.sandbox
        assert all(cell.status == "ok" for cell in outcome.record.cells), \
            [c.error for c in outcome.record.cells]
        assert facts(outcome)["pandas_loaded_before"] is True


def test_nothing_one_submission_left_is_visible_to_the_next(two_runs):
    a, b = two_runs
    seen = facts(b)
    assert "left_by_a.txt" not in seen["files"] + seen["tmp"] + seen["home"]
    assert seen["secret_env"] is None and seen["patched"] is False and seen["module"] is False


def test_each_kernel_has_its_own_account_credentials_and_process(two_runs):
    a, b = (facts(outcome) for outcome in two_runs)
    assert a["account"] != b["account"] and a["key"] != b["key"]
    assert b["account"] == two_runs[1].record.account["account_id"]
    assert a["cwd"] == b["cwd"] == "/home/student/work"


def test_random_state_is_not_shared_between_forks(two_runs):
    a, b = (facts(outcome) for outcome in two_runs)
    assert a["numpy_draw"] != b["numpy_draw"] and a["random_draw"] != b["random_draw"]


def test_a_kernel_that_kills_itself_does_not_harm_the_server(emulator, tmp_path):
    activity = load("iam-user")
    dead = run_submission(activity, notebook(tmp_path / "x" / "create_admin_user.ipynb",
                                             "import os, signal\nos.kill(os.getpid(), signal.SIGKILL)"),
                          emulator, limits=LIMITS)
    assert dead.record.kernel.status == "died" and "signal 9" in dead.record.kernel.message
    after = run_submission(activity, notebook(tmp_path / "y" / "create_admin_user.ipynb", "print('fine')"),
                           emulator, limits=LIMITS)
    assert after.record.sandbox["warm_kernel"] and after.record.cells[0].stdout == "fine\n"


def test_a_dead_server_falls_back_to_a_cold_kernel(emulator, tmp_path):
    fork_server_for(environments.current())._process.kill()
    outcome = run_submission(load("iam-user"),
                             notebook(tmp_path / "create_admin_user.ipynb", "print('cold')"),
                             emulator, limits=LIMITS)
    # a server found dead is replaced; one that dies under a run leaves that run to a cold kernel
    assert outcome.record.cells[0].stdout == "cold\n" and outcome.record.kernel.status == "finished"


def test_no_path_of_the_grader_outside_stays_on_a_warm_kernels_path(two_runs):
    assert facts(two_runs[1])["grader_paths"] == []
