"""`grader grade` end to end on real runs: a class of mixed submissions (solutions, a starter, an
infinite loop, a memory bomb, a malformed notebook, a kernel killer) graded by two Dask workers; every
student gets a result (the broken ones with the reason), the same as `grader check` gives each alone;
a run killed with SIGKILL resumes without regrading; `dask scheduler` + `dask worker` processes that
cannot see the TA's folders give the same results; Ctrl-C and SIGTERM stop it keeping what finished; a
worker that dies or a grading that overruns becomes that student's error."""

import contextlib
import json
import os
import shlex
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

from grader.activities import load
from grader.batch import store
from grader.batch.executor import DaskExecutor
from grader.batch.progress import PROGRESS_FILE
from grader.batch.task import Job, deliver, grade_job, record_failure
from grader.cli import main
from grader.grading.grade import RESULT_FILE
from grader.grading.result import GradeResult

pytestmark = pytest.mark.slow
PROJECT = Path(__file__).resolve().parents[1]
IAM = load("iam-user")
HOUSING = load("housing")
OPTIONS = ["--cell-timeout", "4", "--memory-mb", "1024"]   # the same for the batch and for `grader check`
BROKEN = {"dave": ("timeout", "1 cell(s) hit the time limit"),
          "erin": ("error", "memory limit (1,024 MB) killed the kernel"),
          "frank": ("error", "is not valid notebook JSON"),
          "grace": ("error", "the kernel died")}


def iam_variant(path: Path, *, insert: str | None = None, at: int = 0, blank: int | None = None) -> Path:
    nb = nbformat.read(IAM.notebook("solution"), as_version=4)
    if blank is not None:
        nb.cells[blank].source = "pass"
    if insert is not None:
        nb.cells.insert(at, nbformat.v4.new_code_cell(insert))
    path.parent.mkdir(parents=True, exist_ok=True)
    nbformat.write(nb, path)
    return path


def make_class(root: Path) -> Path:
    """Eight students of iam-user as a TA would have them, in both folder layouts, plus a stray file."""
    root.mkdir(parents=True)
    shutil.copy(IAM.notebook("solution"), root / "alice.ipynb")
    shutil.copy(IAM.notebook("starter"), root / "bob.ipynb")
    iam_variant(root / "carol_create_admin_user.ipynb", blank=10)          # never adds the user to the group
    iam_variant(root / "dave.ipynb", insert="while True:\n    pass", at=8)
    iam_variant(root / "erin.ipynb", insert="chunks = []\nwhile True:\n"
                                            "    chunks.append(bytearray(50_000_000))", at=6)
    (root / "frank.ipynb").write_text('{"cells": [{"cell_type": "code", "source": "print(1)"')
    iam_variant(root / "grace.ipynb", insert="import os, signal\nos.kill(os.getpid(), signal.SIGKILL)", at=8)
    iam_variant(root / "heidi" / "create_admin_user.ipynb")
    (root / "notes.txt").write_text("not a notebook")
    return root


def grader(*args: str, **kwargs) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "grader.cli", *args], capture_output=True, text=True,
                          cwd=PROJECT, timeout=900, **kwargs)


def start_grading(*args: str) -> subprocess.Popen:
    return subprocess.Popen([sys.executable, "-m", "grader.cli", "grade", *args], cwd=PROJECT, text=True,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, start_new_session=True)


def verdicts(out: Path, students) -> dict:
    """student -> (score, status, every check's status), read from DIR/<student>/result.json."""
    from grader.grading.result import GradeResult
    from grader.reporting.view import status

    found = {}
    for student in students:
        result = GradeResult.read(out / student / RESULT_FILE)
        found[student] = (result.score, status(result), [(check.id, check.status) for check in result.checks])
    return found


def checked_alone(activity_id: str, notebook: Path, tmp_path: Path, *options: str) -> tuple:
    """(score, every check's (id, status)) of `grader check` on the one notebook, as verdicts() reads
    a batch's. The command runs in this process (its imports and warm kernels are already here); its
    process as a user starts it is tested in test_check_submission.py."""
    json_file = tmp_path / f"{notebook.stem}.json"
    assert main(["check", activity_id, str(notebook), "--out", str(tmp_path / "checks"), "--json",
                 str(json_file), *options]) == 0
    result = json.loads(json_file.read_text())
    return result["score"], [(check["id"], check["status"]) for check in result["checks"]]


def events(out: Path) -> list[dict]:
    path = out / PROGRESS_FILE
    if not path.exists():
        return []
    parsed = []
    for line in path.read_text().splitlines():
        try:
            parsed.append(json.loads(line))
        except ValueError:   # a line a kill cut short
            pass
    return parsed


def wait_for(condition, timeout: float, what: str) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        assert time.monotonic() < deadline, f"timed out waiting for {what}"
        time.sleep(0.5)


def gone(pids: list[int], timeout: float = 20) -> list[int]:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        alive = [pid for pid in pids
                 if psutil.pid_exists(pid) and psutil.Process(pid).status() != psutil.STATUS_ZOMBIE]
        if not alive:
            return []
        time.sleep(0.5)
    return alive


def session_processes(session: int) -> list[int]:
    """The live processes of a session (a command started with start_new_session=True: its pid)."""
    found = []
    for process in psutil.process_iter(["status"]):
        try:
            if os.getsid(process.pid) == session and process.info["status"] != psutil.STATUS_ZOMBIE:
                found.append(process.pid)
        except OSError:   # gone meanwhile
            pass
    return found


STUDENTS = ["alice", "bob", "carol", "dave", "erin", "frank", "grace", "heidi"]


@pytest.fixture(scope="module")
def iam_class(tmp_path_factory):
    return make_class(tmp_path_factory.mktemp("iam") / "class")


@pytest.fixture(scope="module")
def embedded(iam_class):
    out = iam_class.parent / "graded"
    done = grader("grade", "iam-user", str(iam_class), "--out", str(out), "--workers", "2", *OPTIONS)
    assert done.returncode == 0, done.stdout + done.stderr
    return out, done


def test_every_student_of_a_mixed_class_has_a_result_and_the_broken_ones_say_why(embedded):
    out, done = embedded
    found = verdicts(out, STUDENTS)
    assert sorted(path.name for path in out.iterdir() if path.is_dir()) == STUDENTS
    for student in ("alice", "heidi"):
        assert found[student][:2] == (8.0, "graded")
    assert found["bob"][:2] == (0.0, "graded") and found["carol"][:2] == (6.0, "graded")
    for student, (status, reason) in BROKEN.items():
        assert found[student][1] == status, student
        said = (out / student / "report.html").read_text()
        assert reason in said, (student, reason)
    for student in STUDENTS:
        folder = out / student
        assert {RESULT_FILE, "report.html", "gradescope.json", store.STAMP} <= {
            p.name for p in folder.iterdir()}
        assert json.loads((folder / "gradescope.json").read_text())["score"] == found[student][0]
    assert not list(out.rglob("*.part"))
    grades = (out / "grades.csv").read_text().splitlines()
    assert len(grades) == 1 + len(STUDENTS) and grades[6].startswith("frank,0,")
    index = (out / "index.html").read_text()
    assert all(f'href="{student}/report.html"' in index for student in STUDENTS)
    assert "is not valid notebook JSON" in index
    assert "notes.txt" in (out / "unassigned.csv").read_text()
    progress = events(out)
    assert progress[0]["event"] == "start" and progress[0]["to_grade"] == 8
    assert progress[-1]["outcome"] == "complete"
    assert sorted(event["student"] for event in progress if event["event"] == "finished") == STUDENTS
    printed = done.stdout
    assert "[8/8]" in printed and "8 student(s), 8 with a result (4 graded, 1 timeout, 3 error)" in printed
    slowest = next(line for line in printed.splitlines() if line.startswith("slowest: "))
    assert "dave" in slowest   # its time limit; the others are quick once a worker's kernel server is warm
    assert "frank: error - " in printed and f"grades: {out / 'grades.csv'}" in printed


def test_scores_equal_grader_check_on_each_submission_alone(embedded, iam_class, tmp_path):
    out, _ = embedded
    batch = verdicts(out, STUDENTS)
    # one of each kind: full marks, partial marks with the student id in the file name, a timeout,
    # the memory limit, a per-student folder (bob and grace repeat kinds these cover)
    files = {"alice": "alice.ipynb", "carol": "carol_create_admin_user.ipynb", "dave": "dave.ipynb",
             "erin": "erin.ipynb", "heidi": "heidi/create_admin_user.ipynb"}
    for student, name in files.items():
        alone = checked_alone("iam-user", iam_class / name, tmp_path, *OPTIONS)
        assert alone == (batch[student][0], batch[student][2]), student
    frank = grader("check", "iam-user", str(iam_class / "frank.ipynb"), "--out", str(tmp_path / "checks"),
                   *OPTIONS)
    from grader.grading.result import GradeResult
    assert frank.returncode == 2
    assert frank.stderr.strip() == f"grader: error: {GradeResult.read(out / 'frank' / RESULT_FILE).error}"


@contextlib.contextmanager
def cluster_sharing_nothing(hidden: Path, workers: int):
    """A `dask scheduler` and `dask worker` processes on this machine that cannot see `hidden` (the TA's
    folders: submissions, data, output): the workers run in a mount namespace of their own with an empty
    tmpfs over it, as workers on other machines would share nothing with the TA's. Yields the address."""
    dask = Path(sys.executable).with_name("dask")
    scheduler_file = Path(tempfile.mkdtemp(prefix="grader-scheduler-")) / "scheduler.json"
    scheduler = subprocess.Popen([dask, "scheduler", "--host", "127.0.0.1", "--port", "0", "--no-dashboard",
                                  "--scheduler-file", scheduler_file], stdout=subprocess.DEVNULL,
                                 stderr=subprocess.DEVNULL)
    started = None
    try:
        wait_for(lambda: scheduler_file.exists() and scheduler_file.stat().st_size, 60, "the scheduler")
        address = json.loads(scheduler_file.read_text())["address"]
        assert address.startswith("tcp://127.0.0.1:")
        worker = shlex.join([str(dask), "worker", address, "--nworkers", str(workers), "--nthreads", "1",
                             "--no-dashboard", "--memory-limit", "0"])
        started = subprocess.Popen(["unshare", "--mount", "--propagation", "private", "sh", "-c",
                                    f"mount -t tmpfs -o size=1m hidden {shlex.quote(str(hidden))} "
                                    f"&& exec {worker}"],
                                   stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                                   start_new_session=True)
        from distributed import Client

        with Client(address, timeout=60) as client:
            client.wait_for_workers(workers, timeout=120)
            seen = client.run(lambda: sorted(os.listdir(hidden)))
        assert len(seen) == workers and all(listing == [] for listing in seen.values()), seen
        yield address
    finally:
        if started is not None:
            os.killpg(started.pid, signal.SIGTERM)
            started.wait(timeout=60)
        scheduler.terminate()
        scheduler.wait(timeout=60)
        shutil.rmtree(scheduler_file.parent, ignore_errors=True)


needs_mount_namespaces = pytest.mark.skipif(os.geteuid() != 0 or not shutil.which("unshare"),
                                            reason="workers in their own mount namespace "
                                                   "need root and unshare")


@pytest.fixture(scope="module")
def sharing_nothing(tmp_path_factory):
    """The address of one such cluster of two workers, started once for the tests that grade on it (a
    TA's cluster serves one grading after another)."""
    with cluster_sharing_nothing(tmp_path_factory.getbasetemp(), workers=2) as address:
        yield address


@needs_mount_namespaces
def test_workers_that_share_no_folder_with_the_ta_grade_the_class_identically(embedded, iam_class, tmp_path,
                                                                                sharing_nothing):
    address = sharing_nothing
    out = tmp_path / "graded"
    done = grader("grade", "iam-user", str(iam_class), "--out", str(out), "--scheduler", address, *OPTIONS)
    assert done.returncode == 0, done.stdout + done.stderr
    assert f"worker(s) of the Dask cluster at {address}" in done.stdout
    assert verdicts(out, STUDENTS) == verdicts(embedded[0], STUDENTS)
    for student in STUDENTS:   # the TA's machine wrote every output
        assert {RESULT_FILE, "report.html", store.STAMP} <= {path.name for path in (out / student).iterdir()}


@needs_mount_namespaces
def test_course_data_reaches_workers_that_cannot_see_the_data_folder(tmp_path, sharing_nothing):
    from grader.project import shared_data_dir

    rainfall = load("rainfall")
    course = shared_data_dir()
    if not all((course / name).is_file() for name in ("x_austin_final.csv", "y_austin_final.csv")):
        pytest.skip("the course's Austin weather files are not on this machine")
    data = tmp_path / "data"
    data.mkdir()
    for name in ("x_austin_final.csv", "y_austin_final.csv"):
        shutil.copy(course / name, data / name)
    submissions = tmp_path / "class"
    submissions.mkdir()
    shutil.copy(rainfall.notebook("solution"), submissions / "rita.ipynb")
    done = grader("grade", "rainfall", str(submissions), "--out", str(tmp_path / "graded"),
                  "--scheduler", sharing_nothing, "--data-dir", str(data))
    assert done.returncode == 0, done.stdout + done.stderr
    batch = verdicts(tmp_path / "graded", ["rita"])["rita"]
    assert batch[1] == "graded"
    assert GradeResult.read(tmp_path / "graded" / "rita" / RESULT_FILE).synthetic_data is False
    assert checked_alone("rainfall", submissions / "rita.ipynb", tmp_path, "--data-dir", str(data)) == \
        (batch[0], batch[2])


def _verdicts(result: dict) -> list:
    return [(check["id"], check["status"], check["points"], check["message"]) for check in result["checks"]]


def test_a_batch_killed_half_way_resumes_without_duplicates_or_regrading(iam_class, tmp_path):
    out = tmp_path / "graded"
    first = start_grading("iam-user", str(iam_class), "--out", str(out), "--workers", "2", *OPTIONS)
    try:
        wait_for(lambda: sum(event["event"] == "finished" for event in events(out)) >= 3, 300,
                 "three results")
        family = [first.pid] + [child.pid for child in psutil.Process(first.pid).children(recursive=True)]
        os.killpg(first.pid, signal.SIGKILL)
    finally:
        first.kill()
        first.communicate()
    assert not gone(family), "processes of the killed batch (workers, sandboxes, kernels) were left running"
    before = {}
    for student in STUDENTS:
        stamp = store.read_stamp(out / student)
        if stamp:   # whatever a stamp vouches for is whole
            result = json.loads((out / student / RESULT_FILE).read_text())
            before[student] = (stamp["run"], result["graded_at"], _verdicts(result))
        for path in (out / student).glob("*.json") if (out / student).exists() else ():
            if not path.name.startswith("."):
                json.loads(path.read_text())   # no half-written file under its real name
    assert 3 <= len(before) < len(STUDENTS)

    again = grader("grade", "iam-user", str(iam_class), "--out", str(out), "--workers", "2", "--resume",
                   *OPTIONS)
    assert again.returncode == 0, again.stdout + again.stderr
    assert not list(out.rglob("*.part"))
    starts = [event for event in events(out) if event["event"] == "start"]
    assert starts[-1]["to_grade"] == len(STUDENTS) - len(before)
    assert starts[-1]["already_graded"] == len(before)
    second_run = [event["student"] for event in events(out)[events(out).index(starts[-1]):]
                  if event["event"] == "finished"]
    assert sorted(second_run) == sorted(set(STUDENTS) - set(before))
    for student, (run, graded_at, checks) in before.items():   # not graded again (the review adds flags)
        assert store.read_stamp(out / student)["run"] == run
        result = json.loads((out / student / RESULT_FILE).read_text())
        assert result["graded_at"] == graded_at and _verdicts(result) == checks
    assert sorted(path.name for path in out.iterdir()
                  if path.is_dir() and not path.name.startswith(".")) == STUDENTS
    assert len((out / "grades.csv").read_text().splitlines()) == 1 + len(STUDENTS)
    assert f"{len(STUDENTS) - len(before)} graded in this run, {len(before)} already graded" in again.stdout


@pytest.mark.parametrize("signum, to_group", [(signal.SIGINT, True), (signal.SIGTERM, False)])
def test_ctrl_c_or_sigterm_stops_the_batch_keeping_what_finished(iam_class, tmp_path, signum, to_group):
    out = tmp_path / "graded"
    running = start_grading("iam-user", str(iam_class), "--out", str(out), "--workers", "2", *OPTIONS)
    try:
        wait_for(lambda: any(event["event"] == "finished" for event in events(out)), 300, "a first result")
        family = [child.pid for child in psutil.Process(running.pid).children(recursive=True)]
        # a terminal's Ctrl-C reaches the whole group
        (os.killpg if to_group else os.kill)(running.pid, signum)
        stdout, stderr = running.communicate(timeout=120)
    finally:
        running.kill()
    assert running.returncode == 128 + signum, stderr
    assert (f"grader: interrupted by {signal.Signals(signum).name}; "
            "the submissions graded before it are kept" in stderr)
    assert "Traceback" not in stderr
    assert "stopped: the " in stdout
    assert not gone(family)
    finished = [event["student"] for event in events(out) if event["event"] == "finished"]
    assert finished and events(out)[-1]["outcome"] == "interrupted"
    for student in finished:
        assert store.read_stamp(out / student) and (out / student / RESULT_FILE).is_file()
    # a worker stopped under a grading must not stamp it with a broken kernel: none of the batch's
    # processes is left to write (those seen above are gone, and nothing of its session started since)
    assert not gone(session_processes(running.pid))
    stamped = [student for student in STUDENTS if store.read_stamp(out / student)]
    assert {student: verdicts(out, [student])[student][1] for student in stamped} == \
           {student: BROKEN.get(student, ("graded",))[0] for student in stamped}


def test_a_worker_that_dies_or_a_grading_that_overruns_becomes_that_students_error(tmp_path):
    solution = IAM.notebook("solution")
    version = store.grading_version(IAM, limits={}, data_dir=None, staff=False, isolate="required")

    def job(student: str, deadline_s: float) -> Job:
        return Job(activity="iam-user", student=student, files=((solution.name, solution.read_bytes()),),
                   key=store.Key(store.submission_sha256([solution]), version), run="run-1",
                   deadline_s=deadline_s, limits={})

    def killer_or_grade(job):
        if job.student == "killer":
            os._exit(1)   # what a crash of the grader itself looks like to Dask
        return grade_job(job)

    with DaskExecutor(workers=1) as executor:
        finished = {done.job.student: done
                    for done in executor.run(killer_or_grade, [job("killer", 600), job("slow", 2)])}
    assert finished["killer"].summary is None
    assert "the worker grading it died each time it was tried" in finished["killer"].lost
    # as the batch records it
    said = record_failure(tmp_path, finished["killer"].job, finished["killer"].lost)
    assert said["status"] == "error" and "died each time it was tried" in said["error"]
    # its retry reported the overrun
    slow = deliver(tmp_path, finished["slow"].job, finished["slow"].summary)
    assert slow["status"] == "error"
    assert "grading did not finish within 2 s; its worker was restarted" in slow["error"]
    for student in ("killer", "slow"):   # written like any result; a later run tries them again
        assert (tmp_path / student / "report.html").is_file()
        assert not store.is_current(tmp_path / student, job(student, 1).key)


def test_model_notebooks_in_a_batch_score_as_grader_check_scores_each(tmp_path):
    submissions = tmp_path / "class"
    submissions.mkdir()
    fixtures = PROJECT / "fixtures" / "submissions" / "housing"
    shutil.copy(HOUSING.notebook("solution"), submissions / "sol.ipynb")
    shutil.copy(fixtures / "shuffled_labels.ipynb", submissions / "shuf.ipynb")
    shutil.copy(fixtures / "train_test_swapped.ipynb", submissions / "swap.ipynb")
    done = grader("grade", "housing", str(submissions), "--out", str(tmp_path / "graded"), "--workers", "2")
    assert done.returncode == 0, done.stdout + done.stderr
    batch = verdicts(tmp_path / "graded", ["shuf", "sol", "swap"])
    assert batch["sol"][0] > batch["shuf"][0] and batch["sol"][0] > batch["swap"][0]
    for student in ("shuf", "sol", "swap"):
        alone = checked_alone("housing", submissions / f"{student}.ipynb", tmp_path)
        assert alone == (batch[student][0], batch[student][2]), student
