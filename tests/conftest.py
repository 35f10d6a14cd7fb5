import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import boto3
import pytest

from grader.emulator import Emulator, client_environment, read_env_file, write_env_file

# Every `grader check` in the tests grades in its own process unless a test asks for the warm server
# (tests/test_warm_server.py, in a runtime folder of its own): none may outlive the session.
os.environ["GRADER_WARM_SERVER"] = "0"

SHARED_DATA = Path(__file__).resolve().parents[2] / "shared" / "data"
FLOWS = Path(__file__).resolve().parent / "flows"

# The modules that keep a worker longest (`pytest --durations=0`, summed by module; the first two take
# minutes), longest first. Under `-n 2 --dist loadscope` a module is one unit of work: started first,
# they leave the many short modules to even out both workers' ends, where one started last would keep
# one worker busy alone (xdist's own order is by number of tests, which says little about time).
LONGEST_MODULES = ["test_batch_grading.py", "test_gradescope_autograder.py", "test_activities.py",
                   "test_library_eras.py", "test_monte_carlo_notebooks.py", "test_submission_variants.py",
                   "test_warm_server.py", "test_interruption.py", "test_emulator_flows.py", "test_runner.py"]


def pytest_configure(config):
    if getattr(config.option, "dist", "no") == "loadscope":
        config.option.loadscopereorder = False   # keep the order below


def pytest_collection_modifyitems(items):
    rank = {name: place for place, name in enumerate(LONGEST_MODULES)}
    items.sort(key=lambda item: rank.get(item.path.name, len(rank)))   # stable: the rest keep their order


@pytest.fixture(scope="session")
def emulator():
    with Emulator() as running:
        yield running


@pytest.fixture
def account(emulator):
    made = emulator.new_account()
    yield made
    emulator.remove_account(made.account_id)


@pytest.fixture
def aws(emulator, account):
    """boto3 clients for the test's own fresh account: aws('s3')."""
    session = boto3.Session(aws_access_key_id=account.access_key_id,
                            aws_secret_access_key=account.secret_access_key,
                            aws_session_token=account.session_token, region_name=account.region)
    return lambda service: session.client(service, endpoint_url=emulator.url)


@pytest.fixture
def course_data():
    if not (SHARED_DATA / "x_austin_final.csv").exists():
        pytest.skip(f"course data not found in {SHARED_DATA}")
    return SHARED_DATA


def env_from_file(emulator, account, tmp_path) -> dict:
    """What a client process gets: the env file's lines, plus PATH and HOME, nothing else."""
    env_file = tmp_path / "emulator.env"
    write_env_file(env_file, client_environment(emulator.url, account))
    home = tmp_path / "home"
    home.mkdir(exist_ok=True)
    return {**read_env_file(env_file), "PATH": os.path.dirname(sys.executable) + ":/usr/bin:/bin",
            "HOME": str(home)}


def run_flow(env: dict, cwd: Path, *args: str, prelude: str = "") -> dict:
    """Run a client script in a fresh process and return the JSON it prints after SUMMARY."""
    code = (f"{prelude}\nimport runpy, sys\nsys.argv = {list(args)!r}\n"
            "runpy.run_path(sys.argv[0], run_name='__main__')")
    done = subprocess.run([sys.executable, "-c", code], env=env, cwd=cwd, capture_output=True, text=True,
                          timeout=300)
    # The SDK prints progress dots without a newline, so the summary may share a line with them.
    lines = [line.split("SUMMARY ", 1)[1] for line in done.stdout.splitlines() if "SUMMARY " in line]
    assert done.returncode == 0 and lines, f"flow failed:\n{done.stdout[-3000:]}\n{done.stderr[-5000:]}"
    return json.loads(lines[-1])


def course_workdir(tmp_path: Path) -> Path:
    work = tmp_path / "work"
    (work / "Data").mkdir(parents=True)
    for name in ("x_austin_final.csv", "y_austin_final.csv", "german_credit_data.csv"):
        shutil.copy(SHARED_DATA / name, work / "Data" / name)
    return work

