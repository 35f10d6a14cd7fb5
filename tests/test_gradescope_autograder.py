"""The Gradescope autograder as staff upload it and Gradescope runs it (docs/gradescope.md): the zip from
`grader gradescope`, unpacked into a fresh AUTOGRADER_ROOT, installed by its own setup.sh into a fresh
venv with nothing of this checkout on PATH or PYTHONPATH (only a minimal PATH, as on Gradescope's base
image; pip may use the machine's pip cache), then run_autograder on submissions, its results.json
validated against Gradescope's format (score, tests adding up to it, the activity's points), also with
every capability dropped, as in Gradescope's container, where the grader's sandbox cannot be made."""

import importlib.metadata
import json
import os
import shutil
import stat
import subprocess
import sys
import tomllib
import zipfile
from pathlib import Path

import nbformat
import pytest
from packaging.requirements import Requirement

from grader.activities import load
from grader.grading.rubric import activity_points

PROJECT = Path(__file__).resolve().parents[1]
ACTIVITY = "housing"
MINIMAL_PATH = "/usr/local/bin:/usr/bin:/bin"
VISIBILITIES = {"hidden", "after_due_date", "after_published", "visible"}
TOP_KEYS = {"score", "execution_time", "output", "output_format", "visibility", "stdout_visibility", "tests"}
TEST_KEYS = {"name", "number", "score", "max_score", "status", "output", "output_format", "tags",
             "visibility"}


def _python_dir() -> str:
    """Where a python3.11 with venv is, for setup.sh to find it without apt (as after its apt step)."""
    for folder in (*MINIMAL_PATH.split(":"), str(Path(sys._base_executable).parent)):
        python = Path(folder) / "python3.11"
        if python.is_file() and subprocess.run([python, "-c", "import ensurepip, venv"]).returncode == 0:
            return folder
    pytest.skip("no python3.11 with venv on this machine; setup.sh would apt-get it")


def _pip_cache() -> str:
    return subprocess.run([sys.executable, "-m", "pip", "cache", "dir"], capture_output=True, text=True,
                          check=True).stdout.strip()


def _bare_env(root: Path) -> dict:
    """What Gradescope's image has: a minimal PATH, a HOME of its own, nothing of this checkout."""
    python_dir = _python_dir()
    path = MINIMAL_PATH if python_dir in MINIMAL_PATH.split(":") else f"{MINIMAL_PATH}:{python_dir}"
    return {"PATH": path, "HOME": str(root / "home"), "LANG": "C.UTF-8", "AUTOGRADER_ROOT": str(root),
            "PIP_CACHE_DIR": _pip_cache()}


@pytest.fixture(scope="module")
def autograder(tmp_path_factory):
    """The zip built with the real command, unpacked and installed by its setup.sh."""
    work = tmp_path_factory.mktemp("gradescope")
    archive, root = work / f"{ACTIVITY}-autograder.zip", work / "autograder"
    built = subprocess.run([Path(sys.executable).parent / "grader", "gradescope", ACTIVITY, "--out", archive],
                           cwd=work, capture_output=True, text=True, timeout=300)
    assert built.returncode == 0, built.stderr
    with zipfile.ZipFile(archive) as opened:
        for entry in opened.infolist():
            opened.extract(entry, root / "source")
            mode = entry.external_attr >> 16 & 0o777
            if mode:
                (root / "source" / entry.filename).chmod(mode)
        names = opened.namelist()
    (root / "home").mkdir()
    env = _bare_env(root)
    setup = subprocess.run(["bash", root / "source" / "setup.sh"], env=env, capture_output=True, text=True,
                           timeout=1800)
    assert setup.returncode == 0, (setup.stdout[-3000:], setup.stderr[-3000:])
    return {"root": root, "env": env, "names": names, "setup": setup.stdout}


def _grade(autograder, *notebooks: Path, run_as: tuple = ()) -> dict:
    root = autograder["root"]
    shutil.rmtree(root / "submission", ignore_errors=True)
    (root / "submission").mkdir()
    for notebook in notebooks:
        shutil.copy(notebook, root / "submission" / notebook.name)
    (root / "submission_metadata.json").write_text(json.dumps({"id": 1, "users": [{"name": "Student"}]}))
    done = subprocess.run([*run_as, root / "source" / "run_autograder"], env=autograder["env"],
                          capture_output=True, text=True, timeout=900)
    assert done.returncode == 0, done.stderr[-3000:]
    results = json.loads((root / "results" / "results.json").read_text())
    _validate(results)
    return results


def _validate(results: dict) -> None:
    """Gradescope's results.json (DESIGN facts, docs/gradescope.md) and the one maximum."""
    assert set(results) <= TOP_KEYS and {"score", "output", "tests"} <= set(results)
    assert results["visibility"] in VISIBILITIES and results["output_format"] == "text"
    for test in results["tests"]:
        assert set(test) <= TEST_KEYS and {"name", "score", "max_score", "output"} <= set(test)
        assert test["visibility"] in VISIBILITIES and test.get("status", "passed") in ("passed", "failed")
        assert 0 <= test["score"] <= test["max_score"]
    assert results["score"] == sum(test["score"] for test in results["tests"])
    assert sum(test["max_score"] for test in results["tests"]) == activity_points(ACTIVITY)


def _broken(folder: Path) -> Path:
    """The solution with a blank left where the estimator is made (a cell that cannot run)."""
    solution = load(ACTIVITY).notebook("solution")
    notebook = nbformat.read(solution, as_version=4)
    notebook.cells[22].source = "# Create the estimator that runs the linear learner algorithm\nlinear = \n"
    folder.mkdir(parents=True, exist_ok=True)
    nbformat.write(notebook, folder / "homework.ipynb")
    return folder / "homework.ipynb"


@pytest.mark.slow
def test_the_zip_holds_what_gradescope_needs_and_installs_the_exact_pins(autograder):
    names = set(autograder["names"])
    assert {"setup.sh", "run_autograder", "ACTIVITY"} <= names
    (wheel,) = [name for name in names if name.endswith(".whl")]
    for script in ("setup.sh", "run_autograder"):
        assert (autograder["root"] / "source" / script).stat().st_mode & stat.S_IXUSR
    python = autograder["root"] / "venv" / "bin" / "python"
    listed = subprocess.run([python, "-m", "pip", "list", "--format", "json"], env=autograder["env"],
                            capture_output=True, text=True, check=True).stdout
    installed = {item["name"].lower().replace("_", "-"): item["version"] for item in json.loads(listed)}
    requirements = tomllib.loads((PROJECT / "pyproject.toml").read_text())["project"]["dependencies"]
    for requirement in map(Requirement, requirements):   # the versions this test's own grader runs on
        assert installed.get(requirement.name.lower()) == importlib.metadata.version(requirement.name), \
            requirement
    where = subprocess.run([python, "-c", "import grader; print(grader.__file__)"], env=autograder["env"],
                           capture_output=True, text=True, check=True, cwd=autograder["root"]).stdout
    assert where.startswith(str(autograder["root"] / "venv")) and wheel.startswith("sagemaker_course_grader-")
    environments = autograder["root"] / "cache" / "sagemaker-course-grader" / "environments"
    built = [path.parent.name for path in environments.glob("*/environment.json")]
    assert len(built) == 1 and built[0].startswith("course-era-")   # built once, into the image
    # setup.sh ends with `grader activities`: the points staff give the assignment, from the installed grader
    line = next(line for line in autograder["setup"].splitlines() if line.startswith(ACTIVITY + " "))
    assert f" {activity_points(ACTIVITY):g} points " in line


@pytest.mark.slow
def test_a_solution_scores_the_activitys_points(autograder):
    results = _grade(autograder, load(ACTIVITY).notebook("solution"))
    assert results["score"] == activity_points(ACTIVITY) > 0
    points = activity_points(ACTIVITY)
    assert results["output"].startswith(f"Score {points:g}/{points:g} (100%)")
    tests = {test["tags"][0]: test for test in results["tests"]}
    region = tests[f"{ACTIVITY}.bucket_region"]   # the grader made the bucket: does not apply, full points
    assert region["status"] == "passed" and region["score"] == region["max_score"]
    assert "DOES NOT APPLY" in region["output"]
    assert tests[f"{ACTIVITY}.model_quality"]["visibility"] == "after_published"


@pytest.mark.slow
def test_where_namespaces_are_forbidden_it_grades_and_says_the_container_isolates(autograder):
    """Gradescope's container runs run_autograder as root without CAP_SYS_ADMIN (Docker's default): with
    every capability dropped the grader's sandbox cannot be made, and the grade still comes, saying so."""
    setpriv = shutil.which("setpriv")
    if os.geteuid() != 0 or not setpriv:
        pytest.skip("needs root and util-linux's setpriv to drop capabilities as Gradescope's container does")
    no_capabilities = (setpriv, "--bounding-set=-all", "--inh-caps=-all", "--ambient-caps=-all")
    results = _grade(autograder, load(ACTIVITY).notebook("solution"), run_as=no_capabilities)
    assert results["score"] == activity_points(ACTIVITY)
    assert "The notebooks ran in Gradescope's container without the grader's sandbox (" in results["output"]
    assert "the container, made for this submission alone, is the isolation here" in results["output"]


@pytest.mark.slow
def test_a_broken_notebook_names_its_root_cause_out_of_the_same_points(autograder, tmp_path):
    results = _grade(autograder, _broken(tmp_path / "jdoe"))
    assert 0 < results["score"] < activity_points(ACTIVITY)
    cell = "boston-housing-regression.ipynb cell 22"
    assert f"ROOT CAUSE: {cell} failed: SyntaxError: invalid syntax" in results["output"]
    assert "line 2: linear =" in results["output"]
    tests = {test["tags"][0]: test for test in results["tests"]}
    training = tests[f"{ACTIVITY}.training_job_completed"]
    assert training["status"] == "failed" and training["output"].startswith(f"blocked by {cell}")


@pytest.mark.slow
def test_nothing_to_grade_is_said_with_every_check_at_zero(autograder, tmp_path):
    results = _grade(autograder)
    assert results["score"] == 0 and results["tests"] and all(test["score"] == 0 for test in results["tests"])
    assert "Could not be graded: give the notebook" in results["output"]


def test_run_autograder_without_setup_says_the_autograder_is_not_installed(tmp_path):
    """A failed image build must not fall back to some other grader: it says what to do."""
    root = tmp_path / "autograder"
    (root / "source").mkdir(parents=True)
    (root / "submission").mkdir()
    shutil.copy(PROJECT / "grader" / "autograder" / "run_autograder", root / "source" / "run_autograder")
    (root / "source" / "ACTIVITY").write_text(f"{ACTIVITY}\n")
    env = {"PATH": f"{Path(sys.executable).parent}:{os.environ['PATH']}", "AUTOGRADER_ROOT": str(root)}
    subprocess.run(["bash", root / "source" / "run_autograder"], env=env, check=True, timeout=60)
    results = json.loads((root / "results" / "results.json").read_text())
    assert results["score"] == 0 and results["tests"] == [] and "setup.sh did not finish" in results["output"]
