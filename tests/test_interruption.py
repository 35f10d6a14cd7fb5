"""Interruption is never a grade: SIGINT or SIGTERM sent to `grader check`'s process group (what a
terminal's Ctrl-C does) at any moment ends it with exit 130 or 143, one line on stderr, no score, no
file left in the output folder, and no process of the run left behind.

Each test waits for an observable event of the moment it interrupts (a process appearing, a file a
cell wrote, the snapshot stage starting), never for a length of time."""

import atexit
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import nbformat
import psutil
import pytest

PROJECT = Path(__file__).resolve().parents[1]
EVENT_TIMEOUT_S = 180   # the course environment's imports on a busy machine
SANDBOX_UIDS = 200_000  # sandboxed processes run as a fresh uid from here up

# `grader check` with the snapshot stage held open once it has started, and a file saying so: the
# test interrupts the command inside that stage.
HELD_SNAPSHOT = """
import sys, threading
from pathlib import Path
from grader.snapshots import snapshot
from grader.cli import main

collect = snapshot.collect_emulated

def held(*args, **kwargs):
    Path(sys.argv[1]).write_text("snapshot started")
    threading.Event().wait(300)
    return collect(*args, **kwargs)

snapshot.collect_emulated = held
sys.exit(main(sys.argv[2:]))
"""


def notebook(path: Path, *sources: str) -> Path:
    nb = nbformat.v4.new_notebook(metadata={"kernelspec": {"name": "python3", "display_name": "Python 3",
                                                           "language": "python"}})
    nb.cells = [nbformat.v4.new_code_cell(source) for source in sources]
    path.parent.mkdir(parents=True, exist_ok=True)
    nbformat.write(nb, path)
    return path


def _descendants(pid: int) -> list[psutil.Process]:
    try:
        return psutil.Process(pid).children(recursive=True)
    except psutil.Error:
        return []


def _wait_for(event, what: str, grader: subprocess.Popen):
    deadline = time.monotonic() + EVENT_TIMEOUT_S
    while time.monotonic() < deadline:
        found = event()
        if found:
            return found
        assert grader.poll() is None, f"grader ended before {what}: {grader.communicate()}"
        time.sleep(0.05)
    raise AssertionError(f"never saw {what}")


def _fork_server(grader):
    return [child for child in _descendants(grader.pid) if "zygote.py" in " ".join(_cmdline(child))]


def _cold_sandbox_monitor(grader):
    return [child for child in _descendants(grader.pid) if "enter.py" in " ".join(_cmdline(child))]


def _cell_marker(grader):
    """A kernel whose working folder holds the file the running cell wrote (seen through /proc)."""
    for child in _descendants(grader.pid):
        try:
            if (Path(f"/proc/{child.pid}/cwd") / "cell-started").exists():
                return [child]
        except OSError:
            pass
    return []


def _cmdline(process: psutil.Process) -> list[str]:
    try:
        return process.cmdline()
    except psutil.Error:
        return []


def _interrupt(grader: subprocess.Popen, signum: int) -> tuple[str, str, list[psutil.Process]]:
    """Signal the command's whole process group, as a terminal does; returns its output and the
    processes it had started."""
    started = _descendants(grader.pid)
    os.killpg(grader.pid, signum)
    out, err = grader.communicate(timeout=120)
    return out, err, started


def _check_nothing_left(grader, out: str, err: str, started, signum: int, folder: Path) -> None:
    assert grader.returncode == 128 + signum, (out, err)
    assert err.strip().splitlines() == [f"grader: interrupted by {signal.Signals(signum).name}; "
                                        "nothing was graded or written"], err
    assert "Score" not in out and "result:" not in out, out
    assert list(folder.rglob("*")) == [], "an interrupted check left files behind"
    _, alive = psutil.wait_procs(started, timeout=10)
    running = [process for process in alive if _status(process) != psutil.STATUS_ZOMBIE]   # dead, unreaped
    assert not running, f"processes outlived the interrupted check: {[_cmdline(p) for p in running]}"


def _status(process: psutil.Process) -> str:
    try:
        return process.status()
    except psutil.Error:
        return psutil.STATUS_DEAD


def _start(arguments: list[str], tmp_path: Path, *, script: str | None = None) -> subprocess.Popen:
    """The command in a process group of its own, with a temporary folder of its own (where a run's
    sandbox folder appears)."""
    command = [sys.executable, "-c", script] if script else [sys.executable, "-m", "grader.cli"]
    # short, as a user's is: a run's Unix sockets live under it, and a socket path holds at most 107
    # bytes (a test process's own temporary folder under pytest-xdist is too deep)
    short = Path(tempfile.mkdtemp(prefix="gi-", dir="/tmp"))
    atexit.register(shutil.rmtree, short, True)
    (tmp_path / "tmp").symlink_to(short)
    return subprocess.Popen(command + arguments, cwd=PROJECT, stdin=subprocess.DEVNULL,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, start_new_session=True,
                            env={**os.environ, "PYTHONUNBUFFERED": "1", "TMPDIR": str(short)})


@pytest.mark.slow
def test_interrupted_before_the_kernel_starts(tmp_path):
    """The warm-kernel server is importing the environment's libraries; no kernel exists yet."""
    submission = notebook(tmp_path / "create_admin_user.ipynb", "print('hello')")
    out = tmp_path / "out"
    grader = _start(["check", "iam-user", str(submission), "--out", str(out)], tmp_path)
    _wait_for(lambda: _fork_server(grader), "the warm-kernel server", grader)
    assert not _cold_sandbox_monitor(grader) and not _cell_marker(grader)
    _check_nothing_left(grader, *_interrupt(grader, signal.SIGINT), signal.SIGINT, tmp_path / "out")


@pytest.mark.slow
@pytest.mark.parametrize("kernels", [[], ["--cold-kernels"]], ids=["warm", "cold"])
def test_interrupted_while_the_kernel_starts(kernels, tmp_path):
    """The run's sandbox is specified and its kernel asked for: a warm one waits for the server's
    imports, a cold one imports ipykernel (seconds either way). This moment used to print "kernel did
    not start", a grade of 2/27, and exit 0."""
    submission = notebook(tmp_path / "create_admin_user.ipynb", "print('hello')")
    grader = _start(["check", "iam-user", str(submission), "--out", str(tmp_path / "out"), *kernels],
                    tmp_path)
    _wait_for(lambda: list((tmp_path / "tmp").glob("grader-sandbox-*/spec.json")), "the kernel's sandbox",
              grader)
    _check_nothing_left(grader, *_interrupt(grader, signal.SIGINT), signal.SIGINT, tmp_path / "out")


@pytest.mark.slow
@pytest.mark.parametrize("signum", [signal.SIGINT, signal.SIGTERM])
def test_interrupted_in_the_middle_of_a_cell(signum, tmp_path):
    submission = notebook(tmp_path / "create_admin_user.ipynb",
                          "import time\nopen('cell-started', 'w').close()\ntime.sleep(300)")
    grader = _start(["check", "iam-user", str(submission), "--out", str(tmp_path / "out")], tmp_path)
    _wait_for(lambda: _cell_marker(grader), "the running cell's file", grader)
    _check_nothing_left(grader, *_interrupt(grader, signum), signum, tmp_path / "out")


@pytest.mark.slow
def test_interrupted_during_the_snapshot(tmp_path):
    """The notebook has run (its run record would be written now) and the account is being read."""
    submission = notebook(tmp_path / "create_admin_user.ipynb", "print('hello')")
    marker = tmp_path / "snapshot-started"
    grader = _start([str(marker), "check", "iam-user", str(submission), "--out", str(tmp_path / "out")],
                    tmp_path, script=HELD_SNAPSHOT)
    _wait_for(marker.exists, "the snapshot stage", grader)
    _check_nothing_left(grader, *_interrupt(grader, signal.SIGTERM), signal.SIGTERM, tmp_path / "out")
