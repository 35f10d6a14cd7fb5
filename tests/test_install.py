"""Where the grader finds its activities and rubrics: GRADER_PROJECT_DIR, the checkout, or the copy
a normal (non-editable) install carries in its own folder, so `grader` works from any folder."""

import io
import os
import shutil
import subprocess
import sys
import sysconfig
import zipfile
from pathlib import Path

import pytest

from grader import project
from grader.activities import activity_ids
from grader.errors import UsageError

ROOT = Path(__file__).resolve().parents[1]
ACTIVITIES = ["cleanup", "credit-risk", "housing", "iam-user", "rainfall", "sagemaker-notebook"]
# What a wheel is built from (pyproject.toml, setup.py, MANIFEST.in and what they name).
SOURCES = ("pyproject.toml", "setup.py", "MANIFEST.in", "README.md", "grader", "activities", "rubrics",
           "environments")


def test_grader_project_dir_names_a_course_copy(tmp_path, monkeypatch):
    (tmp_path / "activities" / "own").mkdir(parents=True)
    (tmp_path / "activities" / "own" / "activity.toml").write_text("")
    monkeypatch.setenv("GRADER_PROJECT_DIR", str(tmp_path))
    assert project.project_dir() == tmp_path.resolve() and activity_ids() == ["own"]
    monkeypatch.setenv("GRADER_PROJECT_DIR", str(tmp_path / "activities"))
    with pytest.raises(UsageError, match="has no activities/ folder"):
        project.project_dir()


def test_the_current_folder_is_never_taken_for_the_project(tmp_path, monkeypatch):
    """A submission's folder with its own activities/ and rubrics/ must not replace the course's."""
    monkeypatch.delenv("GRADER_PROJECT_DIR", raising=False)
    shutil.copytree(ROOT / "activities" / "housing", tmp_path / "activities" / "housing")
    (tmp_path / "rubrics" / "housing").mkdir(parents=True)
    monkeypatch.chdir(tmp_path)
    assert project.project_dir() in (ROOT, project.INSTALLED_CONTENT)


def test_an_installed_grader_run_inside_a_checkout_reads_the_course_data_beside_it(tmp_path, monkeypatch):
    monkeypatch.delenv("GRADER_PROJECT_DIR", raising=False)
    site_packages = tmp_path / "site-packages"
    (site_packages / "grader_content" / "activities").mkdir(parents=True)
    monkeypatch.setattr(project, "_PACKAGE_PARENT", site_packages)
    monkeypatch.setattr(project, "INSTALLED_CONTENT", site_packages / "grader_content")
    (tmp_path / "course" / "checkout" / "activities").mkdir(parents=True)
    (tmp_path / "course" / "checkout" / "tests").mkdir()
    monkeypatch.chdir(tmp_path / "course" / "checkout" / "tests")
    assert project.project_dir() == site_packages / "grader_content"   # the rubrics stay the installed ones
    assert project.shared_data_dir() == tmp_path / "course" / "shared" / "data"
    monkeypatch.chdir(tmp_path)
    assert project.shared_data_dir() == site_packages / "shared" / "data"   # none: --data-dir or synthetic


@pytest.fixture(scope="module")
def installed(tmp_path_factory):
    """A fresh venv holding a non-editable install of a wheel of this checkout, built offline with
    the environment's own setuptools (the test extra pins it) from a copy (no build/ in the checkout).
    The dependencies come from the running environment's site-packages (a path line): nothing is
    downloaded."""
    setuptools = pytest.importorskip("setuptools")
    if int(setuptools.__version__.split(".")[0]) < 77:
        pytest.skip(f"setuptools {setuptools.__version__} cannot build this project; "
                    "pip install -e '.[test]'")
    build = tmp_path_factory.mktemp("wheel")
    source = build / "source"
    source.mkdir()
    for name in SOURCES:
        if (ROOT / name).is_dir():
            shutil.copytree(ROOT / name, source / name, ignore=shutil.ignore_patterns("__pycache__"))
        else:
            shutil.copy(ROOT / name, source / name)
    env = {key: value for key, value in os.environ.items() if key not in ("PYTHONPATH", "GRADER_PROJECT_DIR")}
    pip = [sys.executable, "-m", "pip", "--disable-pip-version-check"]
    subprocess.run([*pip, "wheel", "--quiet", "--no-deps", "--no-build-isolation", "--no-index",
                    "--wheel-dir", str(build / "dist"), str(source)], env=env, check=True, timeout=300)
    venv = build / "venv"
    subprocess.run([sys.executable, "-m", "venv", "--without-pip", str(venv)], env=env, check=True,
                   timeout=120)
    python = venv / "bin" / "python"
    site_packages = Path(subprocess.run([python, "-c",
                                         "import sysconfig; print(sysconfig.get_paths()['purelib'])"],
                                        env=env, capture_output=True, text=True, check=True).stdout.strip())
    subprocess.run([*pip, "--python", str(python), "install", "--quiet", "--no-deps", "--no-index",
                    *map(str, (build / "dist").glob("*.whl"))], env=env, check=True, timeout=300)
    # Only now, or pip would see the running environment's own install of the grader and skip ours.
    (site_packages / "dependencies.pth").write_text(sysconfig.get_paths()["purelib"] + "\n")
    return venv, site_packages, env


@pytest.mark.slow
def test_a_normal_install_lists_the_activities_from_an_empty_folder(installed, tmp_path):
    venv, site_packages, env = installed
    empty = tmp_path / "empty"
    empty.mkdir()
    done = subprocess.run([venv / "bin" / "grader", "activities"], cwd=empty, env=env, capture_output=True,
                          text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    assert [line.split()[0] for line in done.stdout.splitlines() if not line.startswith(" ")] == ACTIVITIES
    where = subprocess.run([venv / "bin" / "python", "-c", "import grader, grader.project as p; "
                            "print(grader.__file__); print(p.project_dir())"],
                           cwd=empty, env=env, capture_output=True, text=True, timeout=120).stdout.split()
    assert where == [str(site_packages / "grader" / "__init__.py"), str(site_packages / "grader_content")]


@pytest.mark.slow
def test_the_installed_content_is_one_folder_apart_from_the_code(installed):
    _, site_packages, _ = installed
    content = site_packages / "grader_content"
    assert sorted(path.name for path in content.iterdir()) == ["activities", "environments", "rubrics"]
    assert (content / "environments" / "course-era" / "requirements.txt").is_file()
    for activity in ACTIVITIES:
        assert (content / "activities" / activity / "activity.toml").is_file()
        assert (content / "activities" / activity / "solution").is_dir()
        assert (content / "rubrics" / activity / "rubric.toml").is_file()
    assert (content / "activities" / "course.toml").is_file()
    assert not list((site_packages / "grader").rglob("activity.toml"))


@pytest.mark.slow
def test_a_normal_install_grades_with_its_installed_rubric(installed, tmp_path):
    venv, _, env = installed
    done = subprocess.run([venv / "bin" / "grader", "check", "cleanup", "--snapshot",
                           str(ROOT / "activities" / "cleanup" / "after-class.json"), "--out", str(tmp_path)],
                          cwd=tmp_path, env=env, capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stderr
    assert "Score:" in done.stdout


@pytest.mark.slow
def test_a_normal_install_builds_the_same_gradescope_autograder_as_the_checkout(installed, tmp_path):
    """`grader gradescope` needs no checkout: the installed grader carries the scripts, its content and
    its pins, and packs the same wheel as the grader running these tests (editable or not)."""
    venv, _, env = installed
    empty = tmp_path / "empty"
    empty.mkdir()
    for grader, zip_name, grader_env in ((venv / "bin" / "grader", "installed.zip", env),
                                         (Path(sys.executable).parent / "grader", "checkout.zip", None)):
        done = subprocess.run([grader, "gradescope", "housing", "--out", str(tmp_path / zip_name)], cwd=empty,
                              env=grader_env, capture_output=True, text=True, timeout=120)
        assert done.returncode == 0, done.stderr

    def wheel_files(archive: Path) -> dict[str, bytes]:
        with zipfile.ZipFile(archive) as outer:
            (name,) = [item for item in outer.namelist() if item.endswith(".whl")]
            assert {"setup.sh", "run_autograder", "ACTIVITY"} <= set(outer.namelist())
            with zipfile.ZipFile(io.BytesIO(outer.read(name))) as wheel:
                return {item: wheel.read(item) for item in wheel.namelist()}

    installed_wheel = wheel_files(tmp_path / "installed.zip")
    checkout_wheel = wheel_files(tmp_path / "checkout.zip")
    assert "grader_content/environments/course-era/requirements.txt" in installed_wheel
    assert "grader/autograder/run_autograder" in installed_wheel
    assert sorted(installed_wheel) == sorted(checkout_wheel)
    different = [name for name in installed_wheel if installed_wheel[name] != checkout_wheel[name]
                 and not name.endswith((".dist-info/RECORD", ".dist-info/METADATA"))]
    assert different == []
