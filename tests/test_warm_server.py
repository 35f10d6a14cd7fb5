"""The warm grader that stays (grader/warm_server/): the first `grader check` starts it, later ones are
served by it with the same results, an upgrade replaces it, it exits when idle, its folder is private,
and Ctrl-C on the command stops the grading without writing anything.

Every server here lives in a runtime folder of its own (XDG_RUNTIME_DIR) and is stopped, with its
kernels, before its test or module ends."""

import json
import os
import re
import shutil
import signal
import socket
import stat
import subprocess
import sys
import tempfile
import textwrap
import time
from pathlib import Path

import nbformat
import psutil
import pytest

from grader.activities import load
from grader.grading.gather import GradingOptions
from grader.grading.grade import RESULT_FILE, submission_key
from grader.warm_server import runtime

PROJECT = Path(__file__).resolve().parents[1]
AFTER_CLASS = PROJECT / "activities" / "cleanup" / "after-class.json"
IAM_SOLUTION = load("iam-user").notebook("solution")
TIMING_KEYS = ("duration_s", "stages", "graded_at")


def _runtime_env(**extra: str) -> tuple[dict, Path]:
    base = Path(tempfile.mkdtemp(prefix="gw", dir="/tmp"))   # short: a socket path has at most 107 bytes
    env = {**os.environ, "XDG_RUNTIME_DIR": str(base), "GRADER_WARM_SERVER": "1", "PYTHONUNBUFFERED": "1",
           **extra}
    return env, base


def grader(env: dict, *args: str, timeout: float = 600, umask: int | None = None
           ) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "grader.cli", *args], env=env, cwd=PROJECT,
                          capture_output=True, text=True, timeout=timeout,
                          preexec_fn=None if umask is None else lambda: os.umask(umask))


def commands_version() -> str:
    """The grader version a `grader check` of these tests runs (from this checkout's folder, which an
    installed grader's tests need not import)."""
    code = "from grader.warm_server import runtime; print(runtime.version())"
    return subprocess.run([sys.executable, "-c", code], cwd=PROJECT, capture_output=True, text=True,
                          check=True).stdout.strip()


def hello(base: Path) -> dict | None:
    """What the server in `base` says about itself, or None when none answers."""
    try:
        with socket.socket(socket.AF_UNIX, socket.SOCK_STREAM) as connection:
            connection.settimeout(10)
            connection.connect(str(base / runtime.FOLDER_NAME / runtime.SOCKET))
            connection.sendall(b'{"op": "hello"}\n')
            return json.loads(connection.makefile("rb").readline())
    except OSError:
        return None


def stop_everything(env: dict, base: Path, pids: set[int]) -> None:
    """`grader warm stop`, then make sure the servers seen and all they started are gone."""
    grader(env, "warm", "stop", timeout=60)
    processes = []
    for pid in pids:
        try:
            server = psutil.Process(pid)
            processes += [server, *server.children(recursive=True)]
        except psutil.NoSuchProcess:
            pass
    _, alive = psutil.wait_procs(processes, timeout=30)
    for process in alive:
        process.kill()
    shutil.rmtree(base, ignore_errors=True)
    assert not alive, f"still running after `grader warm stop`: {alive}"


def comparable(result: dict) -> dict:
    """A result without what differs between any two gradings: times, and the fresh account's id,
    access keys and creation dates."""
    def without_timings(value):
        if isinstance(value, dict):
            return {key: without_timings(item) for key, item in value.items() if key not in TIMING_KEYS}
        if isinstance(value, list):
            return [without_timings(item) for item in value]
        return value
    text = json.dumps(without_timings(result))
    for pattern, placeholder in ((r"\b\d{12}\b", "ACCOUNT"), (r"\bAKIA[A-Z0-9]{16}\b", "KEY"),
                                 (r"\d{4}-\d\d-\d\d[ T][0-9:.]+(\+00:00)?", "TIME")):
        text = re.sub(pattern, placeholder, text)
    return json.loads(text)


def sleeping_notebook(path: Path) -> Path:
    nb = nbformat.v4.new_notebook(metadata={"kernelspec": {"name": "python3", "display_name": "Python 3",
                                                           "language": "python"}})
    nb.cells = [nbformat.v4.new_code_cell("import time\nprint('started', flush=True)"),
                nbformat.v4.new_code_cell("time.sleep(120)")]
    path.parent.mkdir(parents=True, exist_ok=True)
    nbformat.write(nb, path)
    return path


# -- the runtime folder ---------------------------------------------------------------------------

def test_the_folder_is_made_private(monkeypatch, tmp_path):
    monkeypatch.setenv("XDG_RUNTIME_DIR", str(tmp_path))
    folder = runtime.folder()
    assert folder == tmp_path / runtime.FOLDER_NAME and (folder.stat().st_mode & 0o777) == 0o700


def test_without_xdg_runtime_dir_it_is_under_the_cache(monkeypatch, tmp_path):
    monkeypatch.delenv("XDG_RUNTIME_DIR", raising=False)
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path))
    assert runtime.folder() == tmp_path / "sagemaker-course-grader" / "warm"


def test_a_folder_open_to_others_is_refused(monkeypatch, tmp_path):
    monkeypatch.setenv("XDG_RUNTIME_DIR", str(tmp_path))
    (tmp_path / runtime.FOLDER_NAME).mkdir(mode=0o755)
    os.chmod(tmp_path / runtime.FOLDER_NAME, 0o755)
    with pytest.raises(runtime.UnsafeFolder, match="open to others .*chmod 700"):
        runtime.folder()


@pytest.mark.skipif(os.getuid() != 0, reason="giving a folder to another user needs root")
def test_a_folder_of_another_user_is_refused_by_the_command(tmp_path):
    (tmp_path / runtime.FOLDER_NAME).mkdir(mode=0o700)
    os.chown(tmp_path / runtime.FOLDER_NAME, 12345, 12345)
    env = {**os.environ, "XDG_RUNTIME_DIR": str(tmp_path), "GRADER_WARM_SERVER": "1"}
    done = grader(env, "warm", "status")
    assert done.returncode == 2 and len(done.stderr.strip().splitlines()) == 1, done.stderr
    assert "belongs to user id 12345" in done.stderr and not list((tmp_path / runtime.FOLDER_NAME).iterdir())


def test_the_version_follows_the_code(monkeypatch, tmp_path):
    package = tmp_path / "grader"
    shutil.copytree(runtime.PACKAGE / "warm_server", package / "warm_server")
    monkeypatch.setattr(runtime, "PACKAGE", package)
    before = runtime.version()
    (package / "warm_server" / "client.py").write_text("# upgraded\n")
    assert runtime.version() != before


def test_the_command_starts_without_the_grading_stack():
    """A served `grader check` imports its option parser and the client, not pytest, moto or boto3."""
    code = ("import sys, grader.cli, grader.warm_server.client; "
            "print(sorted(m for m in ('pytest', 'moto', 'boto3', 'nbclient', 'jinja2') if m in sys.modules))")
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert done.stdout.strip() == "[]"


# -- a server, shared by the tests below --------------------------------------------------------

@pytest.fixture(scope="module")
def served():
    env, base = _runtime_env()
    pids: set[int] = set()
    yield env, base, pids
    stop_everything(env, base, pids)


@pytest.mark.slow
def test_the_first_check_starts_the_server_and_the_second_is_served_by_it(served, tmp_path):
    env, base, pids = served
    assert hello(base) is None
    first = grader(env, "check", "cleanup", "--snapshot", str(AFTER_CLASS), "--out", str(tmp_path / "1"))
    assert first.returncode == 0 and "Score:" in first.stdout, first.stderr
    started = hello(base)
    assert started and started["version"] == commands_version() and started["served"] == 1
    pids.add(started["pid"])
    second = grader(env, "check", "cleanup", "--snapshot", str(AFTER_CLASS), "--out", str(tmp_path / "2"))
    assert second.returncode == 0 and second.stdout.replace(str(tmp_path / "2"), "") == \
        first.stdout.replace(str(tmp_path / "1"), "")
    again = hello(base)
    assert again["pid"] == started["pid"] and again["served"] == 2
    assert again["kernel_servers"] == started["kernel_servers"] != {}   # the course stack imported once
    status = grader(env, "warm", "status")
    assert status.returncode == 0 and f"warm server pid {started['pid']}" in status.stdout
    assert "2 served" in status.stdout


@pytest.mark.slow
def test_bad_input_through_the_server_is_one_line_and_exit_2(served, tmp_path):
    env, base, pids = served
    done = grader(env, "check", "iam-user", str(tmp_path / "missing.ipynb"), "--out", str(tmp_path))
    assert done.returncode == 2 and len(done.stderr.strip().splitlines()) == 1, done.stderr
    assert done.stderr.startswith("grader: error:") and "missing.ipynb" in done.stderr
    pids.add(hello(base)["pid"])
    assert hello(base)["gradings"] == 0
    with socket.socket(socket.AF_UNIX, socket.SOCK_STREAM) as stranger:   # not the protocol: refused
        stranger.connect(str(base / runtime.FOLDER_NAME / runtime.SOCKET))
        stranger.sendall(b'not json\n{"op": "check"}\n')
        assert b"bad request" in stranger.makefile("rb").readline()
    assert hello(base)["pid"] in pids


@pytest.mark.slow
def test_a_served_check_grades_as_the_in_process_one(served, tmp_path):
    env, base, pids = served
    if hello(base) is None:   # a server started under umask 022, which the checks below do not share
        done = grader(env, "check", "cleanup", "--snapshot", str(AFTER_CLASS), "--out", str(tmp_path),
                      umask=0o022)
        assert done.returncode == 0, done.stderr
    results = {}
    for how, extra in (("served", []), ("in-process", ["--no-warm-server"])):
        out = tmp_path / how
        done = grader(env, "check", "iam-user", str(IAM_SOLUTION), "--out", str(out),
                      "--junit", str(out / "j.xml"), *extra, umask=0o002)
        assert done.returncode == 0, done.stderr
        folder = out / "iam-user" / submission_key(GradingOptions(submissions=[IAM_SOLUTION]))
        assert stat.S_IMODE(folder.stat().st_mode) == 0o775, how   # the command's umask, not the server's
        results[how] = json.loads((folder / RESULT_FILE).read_text())
        assert (folder / "report.html").is_file() and (out / "j.xml").is_file()
    pids.add(hello(base)["pid"])
    served_run = results["served"]["runs"][0]
    assert comparable(results["served"]) == comparable(results["in-process"])
    assert results["served"]["score"] == results["in-process"]["score"] > 0
    record = json.loads(next((tmp_path / "served").rglob("*.run.json")).read_text())
    assert record["sandbox"].get("warm_kernel") is True, served_run


@pytest.mark.slow
@pytest.mark.parametrize("signum, code", [(signal.SIGINT, 130), (signal.SIGTERM, 143)])
def test_interrupting_the_command_stops_its_grading_and_writes_nothing(served, tmp_path, signum, code):
    env, base, pids = served
    slow = sleeping_notebook(tmp_path / "create_admin_user.ipynb")
    out = tmp_path / "out"
    stale = out / "iam-user" / submission_key(GradingOptions(submissions=[slow])) / RESULT_FILE
    stale.parent.mkdir(parents=True)
    stale.write_text('{"score": 26}')   # an earlier grade must not survive an interrupted regrade
    command = subprocess.Popen([sys.executable, "-m", "grader.cli", "check", "iam-user", str(slow),
                                "--out", str(out), "--json", str(tmp_path / "copy.json")], cwd=PROJECT,
                               env=env, text=True, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    deadline = time.monotonic() + 300
    kernels = []
    while not kernels and time.monotonic() < deadline and command.poll() is None:
        server = hello(base)
        if server:
            pids.add(server["pid"])
            kernels = [process for process in psutil.Process(server["pid"]).children(recursive=True)
                       if _sandboxed(process)]
        time.sleep(0.2)
    assert kernels, f"no kernel started: {command.poll()}"
    time.sleep(3)   # the kernel is running the notebook's cells
    command.send_signal(signum)
    _, err = command.communicate(timeout=60)
    assert command.returncode == code, err
    assert err.strip().splitlines() == [err.strip()] and "nothing was graded" in err
    assert not stale.exists() and not (tmp_path / "copy.json").exists()
    _, alive = psutil.wait_procs(kernels, timeout=10)
    assert not alive, "a kernel outlived the interrupted check"
    assert hello(base)["gradings"] == 0 and hello(base)["pid"] in pids   # the server itself goes on


def _sandboxed(process: psutil.Process) -> bool:
    try:
        return process.uids().real >= 200_000
    except psutil.Error:
        return False


# -- servers of their own ---------------------------------------------------------------------

OLD_SERVER = textwrap.dedent('''
    import json, os, socket, sys
    path = sys.argv[1]
    listener = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    listener.bind(path)
    listener.listen(4)
    print("listening", flush=True)
    while True:
        connection, _ = listener.accept()
        for line in connection.makefile("rb"):
            request = json.loads(line)
            if request["op"] == "hello":
                reply = {"version": "an-older-grader", "pid": os.getpid(), "uptime_s": 1, "idle_s": 1,
                         "gradings": 0, "served": 0, "kernel_servers": {}}
                connection.sendall(json.dumps(reply).encode() + b"\\n")
            elif request["op"] == "stop":
                connection.sendall(b'{"stopping": true}\\n')
                os.unlink(path)
                print("stopped", flush=True)
                sys.exit(0)
''')


@pytest.mark.slow
def test_a_server_of_another_version_is_stopped_and_replaced(tmp_path):
    env, base = _runtime_env()
    folder = base / runtime.FOLDER_NAME
    folder.mkdir(mode=0o700)
    old = subprocess.Popen([sys.executable, "-c", OLD_SERVER, str(folder / runtime.SOCKET)],
                           stdout=subprocess.PIPE, text=True)
    pids: set[int] = set()
    try:
        assert old.stdout.readline().strip() == "listening"
        assert hello(base)["version"] == "an-older-grader"
        done = grader(env, "check", "cleanup", "--snapshot", str(AFTER_CLASS), "--out", str(tmp_path))
        assert done.returncode == 0, done.stderr
        assert old.wait(timeout=30) == 0 and old.stdout.read().strip() == "stopped"
        new = hello(base)
        pids.add(new["pid"])
        assert new["version"] == commands_version() and new["pid"] != old.pid and new["served"] == 1
    finally:
        old.kill()
        stop_everything(env, base, pids)


@pytest.mark.slow
def test_an_idle_server_exits_by_itself(tmp_path):
    env, base = _runtime_env(GRADER_WARM_SERVER_IDLE="1")
    pids: set[int] = set()
    try:
        done = grader(env, "check", "cleanup", "--snapshot", str(AFTER_CLASS), "--out", str(tmp_path))
        assert done.returncode == 0, done.stderr
        log = (base / runtime.FOLDER_NAME / runtime.LOG).read_text()
        server = [process for process in psutil.process_iter(["cmdline"])
                  if str(base) in " ".join(process.info["cmdline"] or []) and "grader.warm_server" in
                  " ".join(process.info["cmdline"] or [])]
        pids.update(process.pid for process in server)
        assert server, log
        family = [*server, *server[0].children(recursive=True)]
        _, alive = psutil.wait_procs(family, timeout=120)
        assert not alive, "the idle server (or its fork server) is still running"
        assert hello(base) is None and not (base / runtime.FOLDER_NAME / runtime.SOCKET).exists()
    finally:
        stop_everything(env, base, pids)
