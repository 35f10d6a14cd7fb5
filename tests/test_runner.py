"""The runner against small hostile notebooks: every limit is enforced and recorded, nothing of the
host leaks into the kernel, and the run record says what happened cell by cell."""

import json
import os
import textwrap

import nbformat
import pytest

from grader.activities import load
from grader.execution import RunLimits, read_submission, run_submission
from grader.execution.prerequisites import bucket_names_used

HOST_SECRET = "HOST-SECRET-do-not-leak-7f3a"


def write_notebook(path, *cells, kernel="conda_python3"):
    nb = nbformat.v4.new_notebook(metadata={"kernelspec": {"name": kernel, "display_name": kernel,
                                                           "language": "python"}})
    nb.cells = [nbformat.v4.new_code_cell(textwrap.dedent(cell)) for cell in cells]
    nbformat.write(nb, path)
    return path


@pytest.fixture(scope="module")
def sandbox(tmp_path_factory):
    """A project with one activity that needs no data, so tests pick their own limits."""
    root = tmp_path_factory.mktemp("project")
    folder = root / "activities" / "sandbox"
    folder.mkdir(parents=True)
    (folder / "activity.toml").write_text(textwrap.dedent("""
        id = "sandbox"
        title = "Runner test sandbox"
        kind = "notebook"
        region = "us-west-2"
        notebooks = ["hostile.ipynb"]
    """))
    previous = os.environ.get("GRADER_PROJECT_DIR")
    os.environ["GRADER_PROJECT_DIR"] = str(root)
    yield load("sandbox")
    if previous is None:
        del os.environ["GRADER_PROJECT_DIR"]
    else:
        os.environ["GRADER_PROJECT_DIR"] = previous


def run(sandbox, emulator, path, **limits):
    outcome = run_submission(sandbox, read_submission(path), emulator,
                             limits=RunLimits(cell_timeout=5, notebook_timeout=120).with_overrides(**limits))
    emulator.remove_account(outcome.account.account_id)
    return outcome


@pytest.fixture(scope="module")
def hostile(sandbox, emulator, tmp_path_factory):
    """One run through every hostile cell (a kernel start per behaviour would cost seconds each)."""
    folder = tmp_path_factory.mktemp("hostile")
    home = folder / "host-home"
    (home / ".aws").mkdir(parents=True)
    (home / ".aws" / "credentials").write_text(f"[default]\naws_secret_access_key = {HOST_SECRET}\n")
    path = write_notebook(
        folder / "hostile.ipynb",
        "print('start')",                                                        # 0
        "while True:\n    pass",                                                 # 1 cell timeout
        "print('still running')",                                                # 2
        "blob = bytearray(512 * 1024**2)\ndel blob",                             # 3 within the memory limit
        "print('x' * 100_000_000)",                                              # 4 output cap
        """
        import os, pathlib
        found = [str(p) for p in pathlib.Path(os.path.expanduser('~')).rglob('*') if p.is_file()]
        print(found)
        print(dict(os.environ))
        """,                                                                     # 5 host secrets
        "import socket\nsocket.create_connection(('93.184.216.34', 443), timeout=3)",   # 6 network
        "!pip install definitely-not-a-package-xyz",                             # 7 pip absent
        "%pip install -q numpy pandas",                                          # 8 pip present
        "1 / 0",                                                                 # 9 plain error
        "import os, signal\nos.kill(os.getpid(), signal.SIGKILL)",               # 10 suicide
        "print('never')",                                                        # 11
    )
    saved = {key: os.environ.get(key) for key in ("HOME", "AWS_SECRET_ACCESS_KEY", "AWS_ACCESS_KEY_ID")}
    os.environ.update(HOME=str(home), AWS_SECRET_ACCESS_KEY=HOST_SECRET, AWS_ACCESS_KEY_ID="AKIAHOSTKEY")
    try:
        outcome = run(sandbox, emulator, path, output_bytes=100_000, memory_mb=2000)
    finally:
        for key, value in saved.items():
            if value is None:
                os.environ.pop(key, None)
            else:
                os.environ[key] = value
    return outcome


def cell(outcome, index):
    return next(c for c in outcome.record.cells if c.index == index)


@pytest.mark.slow
def test_infinite_loop_is_stopped_by_the_cell_timeout_and_the_run_goes_on(hostile):
    looped = cell(hostile, 1)
    assert looped.status == "timeout" and looped.limits_hit == ["cell_timeout"]
    assert 5 <= looped.cpu_s < 5 + 3, \
        "stopped once it had used its 5 s of CPU time (and an interrupt's grace)"
    assert "its 5 s of CPU time" in looped.error.value
    assert cell(hostile, 2).status == "ok" and cell(hostile, 2).stdout == "still running\n"


@pytest.mark.slow
def test_memory_within_the_limit_is_fine(hostile):
    assert cell(hostile, 3).status == "ok"   # a memory bomb: tests/hostile/test_sandbox_limits.py


@pytest.mark.slow
def test_100_mb_of_output_is_capped(hostile):
    loud = cell(hostile, 4)
    assert loud.status == "ok" and loud.limits_hit == ["output"]
    assert len(loud.stdout) < 25_000 and "output beyond 100,000 bytes was dropped" in loud.stderr
    stored = hostile.executed.cells[4].outputs
    assert sum(len(output.get("text", "")) for output in stored) < 100_200


@pytest.mark.slow
def test_no_host_secret_reaches_the_kernel(hostile):
    snoop = cell(hostile, 5)
    assert snoop.status == "ok"
    assert HOST_SECRET not in snoop.stdout and "AKIAHOSTKEY" not in snoop.stdout
    assert "/.aws/credentials" not in snoop.stdout
    assert "'AWS_SHARED_CREDENTIALS_FILE': '/dev/null'" in snoop.stdout


@pytest.mark.slow
def test_connecting_to_a_non_loopback_address_fails(hostile):
    net = cell(hostile, 6)
    if hostile.record.sandbox["isolated"]:   # the sandbox has no network but its loopback
        assert net.status == "error" and "Network is unreachable" in net.error.value
    else:                                    # without one, the kernel's own guard refuses
        assert net.status == "error" and net.error.name == "ConnectionRefusedError"
        assert "blocked while grading" in net.error.value


@pytest.mark.slow
def test_pip_install_of_an_absent_package_fails_saying_which(hostile):
    absent = cell(hostile, 7)
    assert absent.status == "error" and absent.error.name == "PackageNotAvailable"
    assert "does not have definitely-not-a-package-xyz" in absent.error.value


@pytest.mark.slow
def test_pip_install_of_installed_packages_is_a_noted_no_op(hostile):
    present = cell(hostile, 8)
    assert present.status == "ok"
    assert present.notes and present.notes[0].startswith("pip install skipped: already installed (numpy ")


@pytest.mark.slow
def test_a_failing_cell_records_its_error_and_traceback(hostile):
    failed = cell(hostile, 9)
    assert failed.status == "error" and failed.error.name == "ZeroDivisionError"
    assert any("ZeroDivisionError" in line for line in failed.error.traceback)
    assert not any("\x1b[" in line for line in failed.error.traceback)


@pytest.mark.slow
def test_a_kernel_that_kills_itself_is_recorded_as_dead(hostile):
    assert cell(hostile, 10).status == "error" and cell(hostile, 10).error.name == "DeadKernelError"
    assert hostile.record.kernel.status == "died" and hostile.record.kernel.cell == 10
    assert "signal 9" in hostile.record.kernel.message
    assert cell(hostile, 11).status == "not_run"


@pytest.mark.slow
def test_no_kernel_outlives_its_run(sandbox, emulator, tmp_path):
    import psutil

    run(sandbox, emulator, write_notebook(tmp_path / "short.ipynb", "print(1)"))
    kernels = [p for p in psutil.Process().children(recursive=True)
               if "ipykernel_launcher" in " ".join(p.cmdline())]
    assert kernels == []


@pytest.mark.slow
def test_a_kernel_that_cannot_start_is_recorded(sandbox, emulator, tmp_path, capfd):
    outcome = run(sandbox, emulator, write_notebook(tmp_path / "tiny.ipynb", "print(1)"), memory_mb=8)
    assert outcome.record.kernel.status == "failed_to_start"
    assert "did not start" in outcome.record.kernel.message
    assert [cell.status for cell in outcome.record.cells] == ["not_run"]


@pytest.mark.slow
def test_the_record_is_plain_json_and_reads_back(hostile, tmp_path):
    hostile.record.write(tmp_path / "run.json")
    raw = json.loads((tmp_path / "run.json").read_text())
    assert raw["schema"] == "grader.run-record/1" and raw["summary"]["not_run"] == 1
    assert raw["submission"]["sha256"] and raw["tools"]["sagemaker"] == "2.257.7"
    again = type(hostile.record).read(tmp_path / "run.json")
    assert again.cells[9].error.name == "ZeroDivisionError" and again.kernel.status == "died"


@pytest.mark.slow
def test_a_cell_that_ignores_the_interrupt_gets_its_kernel_stopped(sandbox, emulator, tmp_path):
    path = write_notebook(tmp_path / "stubborn.ipynb", """
        import time
        while True:
            try:
                time.sleep(0.1)
            except KeyboardInterrupt:
                pass
        """, "print('unreachable')")
    outcome = run(sandbox, emulator, path, cell_timeout=1, wall_factor=2)   # it sleeps: the backstop, 2 s
    assert outcome.record.cells[0].status == "timeout"
    assert outcome.record.kernel.status == "killed"
    assert "ignored the interrupt" in outcome.record.kernel.message
    assert outcome.record.cells[1].status == "not_run"


@pytest.mark.slow
def test_a_failing_cell_after_importing_the_sdk_still_shows_a_normal_error(sandbox, emulator, tmp_path):
    """sagemaker_core would install rich's excepthook, which hides the error output."""
    path = write_notebook(tmp_path / "sdk.ipynb", "import sagemaker", "1 / 0")
    outcome = run(sandbox, emulator, path)
    assert [output.output_type for output in outcome.executed.cells[1].outputs] == ["error"]


@pytest.mark.slow
def test_the_notebook_timeout_stops_the_run_and_names_the_cell(sandbox, emulator, tmp_path):
    path = write_notebook(tmp_path / "slow.ipynb", BUSY + "busy(1)", "busy(1)", "busy(5)", "print('late')")
    outcome = run(sandbox, emulator, path, cell_timeout=10, notebook_timeout=3)
    statuses = [c.status for c in outcome.record.cells]
    assert statuses[:2] == ["ok", "ok"] and statuses[2] == "timeout" and statuses[3] == "not_run"
    assert outcome.record.cells[2].limits_hit == ["notebook_timeout"]
    assert outcome.record.kernel.status == "killed" and outcome.record.kernel.cell == 2


@pytest.mark.slow
def test_a_cell_that_sleeps_is_stopped_by_the_wall_clock_backstop(sandbox, emulator, tmp_path):
    """A sleeping cell uses no CPU: the backstop (wall_factor times the CPU limit) stops it, and says so."""
    path = write_notebook(tmp_path / "sleepy.ipynb", "import time\ntime.sleep(600)", "print('after')")
    outcome = run(sandbox, emulator, path, cell_timeout=1, wall_factor=4)
    slept, after = outcome.record.cells
    assert slept.status == "timeout" and slept.limits_hit == ["cell_timeout"] and slept.cpu_s < 1
    assert "4 s of wall-clock time" in slept.error.value and "sleeping or waiting" in slept.error.value
    assert after.status == "ok"


BUSY = """
import time
def busy(seconds):
    start = time.process_time()
    while time.process_time() - start < seconds:
        pass
"""


@pytest.mark.slow
def test_a_hard_coded_bucket_is_provided_and_listed_as_such(sandbox, emulator, tmp_path):
    path = write_notebook(tmp_path / "bucket.ipynb", """
        import boto3
        bucket = "sagemaker-20191007-2307"
        print(boto3.client("s3").get_bucket_location(Bucket=bucket)["LocationConstraint"])
        """)
    outcome = run(sandbox, emulator, path)
    assert outcome.record.cells[0].stdout == "us-west-2\n"
    buckets = [item for item in outcome.record.provided if item["kind"] == "bucket"]
    assert buckets == [{"kind": "bucket", "name": "sagemaker-20191007-2307", "region": "us-west-2",
                        "created": True, "reason": buckets[0]["reason"]}]
    assert [entry["operation"] for entry in outcome.record.api_log] == ["GetBucketLocation"]


@pytest.mark.parametrize("code, expected", [
    ('bucket = "sagemaker-20191007-2307"', ["sagemaker-20191007-2307"]),
    ("bucket_name = 'my-bucket'\nbucket_region = 'us-west-2'", ["my-bucket"]),
    ('s3.Bucket("data-bucket").Object(key)', ["data-bucket"]),
    ('url = "s3://other-bucket/prefix/train"', ["other-bucket"]),
    ('bucket = f"sagemaker-{stamp}"\nbucket = sess.default_bucket()', []),
])
def test_bucket_names_are_inferred_from_code(code, expected):
    assert bucket_names_used(code) == expected


@pytest.mark.slow
def test_a_method_the_installed_alpaca_client_lacks_is_named_in_the_record(sandbox, emulator, tmp_path):
    """get_barset is served again in graded kernels (grader/kernel_site/alpaca_v1.py); the other removed
    market-data v1 methods still fail, with a note that says why and what replaces them."""
    path = write_notebook(tmp_path / "old_alpaca.ipynb", """
        import alpaca_trade_api as tradeapi
        api = tradeapi.REST("key", "secret", base_url="http://127.0.0.1:9", api_version="v2")
        api.get_last_trade("SPY")
        """)
    failed = run(sandbox, emulator, path).record.cells[0]
    assert failed.status == "error" and failed.error.name == "AttributeError"
    assert any("get_last_trade" in note and "3.2.0" in note and "get_latest_trade" in note
               for note in failed.notes), \
        failed.notes
