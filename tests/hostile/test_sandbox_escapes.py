"""Hostile notebooks against the sandbox: each test names an attack a dishonest (or careless) notebook
tried and the verdict the grader must reach. The attacks run inside one graded run (one cell each,
each printing what it achieved); the host checks what survived afterwards.

They need a machine that can isolate runs (Linux namespaces); CI runs as root on one.
"""

import json
import os
import textwrap
from pathlib import Path

import nbformat
import psutil
import pytest

from grader.activities import load
from grader.execution import read_submission, run_submission
from grader.execution.limits import RunLimits
from grader.sandbox import isolation_problem

pytestmark = [pytest.mark.slow,
              pytest.mark.skipif(isolation_problem() is not None,
                                 reason=f"no sandbox here: {isolation_problem()}")]

CANARY = "canary-7f3a9c1e-grader-secret"

SETUP = """
import ctypes, errno, json, os, signal, socket, subprocess, sys, time
def report(name, **facts):
    print("ATTACK", name, json.dumps(facts, default=str), flush=True)
def attempt(function):
    try:
        return f"succeeded: {function()!r}"[:300]
    except BaseException as error:
        return f"{type(error).__name__}: {error}"[:300]
"""

ATTACKS = {
    "write_the_grader": """
import importlib, importlib.util, sysconfig
targets = [p for p in sys.path if p and os.path.isdir(p)] + [sysconfig.get_path("purelib")]
spec = importlib.util.find_spec("grader")   # where the grader is installed, an empty hidden folder at most
grader_files = ([name for folder in (spec.submodule_search_locations or []) for name in os.listdir(folder)]
                if spec else [])
report("write_the_grader", grader_files=grader_files,
       import_grading=attempt(lambda: importlib.import_module("grader.grading")),
       writes={p: attempt(lambda p=p: open(os.path.join(p, "zz_evil.pth"), "w").write("import os"))
               for p in targets})
""",
    "read_secrets": f"""
found, environs = [], []
for top in ("/", ):
    for folder, dirs, files in os.walk(top):
        dirs[:] = [d for d in dirs if os.path.join(folder, d) not in ("/proc", "/sys", "/usr", "/dev")]
        for name in files + dirs:
            if "{CANARY}" in name or name in ("activity.toml", "result.json") or name.endswith(".run.json"):
                found.append(os.path.join(folder, name))
for pid in os.listdir("/proc"):
    if pid.isdigit():
        try:
            environs.append(open(f"/proc/{{pid}}/environ", "rb").read().decode(errors="replace"))
        except OSError:
            pass
report("read_secrets", found=found, canary_in_environ=any("{CANARY}" in text for text in environs),
       root_home=attempt(lambda: os.listdir("/root")),
       aws=attempt(lambda: open("/root/.aws/credentials").read()))
""",
    "see_and_signal_the_grader": """
pids = sorted(int(p) for p in os.listdir("/proc") if p.isdigit())
owners = {os.stat(f"/proc/{p}").st_uid for p in pids if os.path.exists(f"/proc/{p}")}
stopped_init = attempt(lambda: os.kill(1, signal.SIGSTOP))
report("see_and_signal_the_grader", pids=pids, owners=sorted(owners), my_uid=os.getuid(), ppid=os.getppid(),
       stopped_init=stopped_init,
       capabilities=open("/proc/self/status").read().split("CapEff:")[1].split()[0])
""",
    "reach_the_network": """
def tcp(host, port):
    with socket.create_connection((host, port), timeout=3):
        return "connected"
def udp():
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as s:
        return s.sendto(b"x" * 40, ("8.8.8.8", 53))
def raw_connect():
    libc = ctypes.CDLL(None, use_errno=True)
    fd = libc.socket(2, 1, 0)
    address = bytes([2, 0, 0, 80, 1, 1, 1, 1]) + bytes(8)
    return libc.connect(fd, address, 16) or "connected"
child = subprocess.run([sys.executable, "-I", "-c",
                        "import socket; socket.create_connection(('1.1.1.1', 80), timeout=3)"],
                       capture_output=True, text=True, timeout=30)
shell = subprocess.run(["bash", "-c", "exec 3<>/dev/tcp/1.1.1.1/80 && echo connected"],
                       capture_output=True, text=True, timeout=30)
report("reach_the_network", outside_tcp=attempt(lambda: tcp("1.1.1.1", 80)), outside_udp=attempt(udp),
       ctypes_connect=attempt(raw_connect), child_python=child.returncode, bash_dev_tcp=shell.stdout.strip(),
       host_emulator=attempt(lambda: tcp("127.0.0.1", HOST_EMULATOR_PORT)),
       own_emulator=attempt(lambda: tcp("127.0.0.1", int(os.environ["AWS_ENDPOINT_URL"].rsplit(":", 1)[1]))))
""",
    "outlive_the_run": """
survivor = subprocess.Popen(["sleep", "600"], start_new_session=True)
if os.fork() == 0:            # a double fork, orphaned and in its own session
    os.setsid()
    if os.fork() == 0:
        time.sleep(600)
    os._exit(0)
report("outlive_the_run", started=survivor.pid)
""",
    "fill_the_ipc_folder": """
ipc = [line.split()[4] for line in open("/proc/self/mountinfo") if line.split()[4].endswith("/ipc")]
report("fill_the_ipc_folder", folders=ipc,
       writes=[attempt(lambda f=f: open(os.path.join(f, "fill0"), "wb").write(b"x")) for f in ipc])
""",
    "fill_the_disk": """
def fill():
    with open("/tmp/filler", "wb") as stream:
        for _ in range(100_000):
            stream.write(b"x" * (1 << 20))
outcome = attempt(fill)
size = os.path.getsize("/tmp/filler")
os.remove("/tmp/filler")
report("fill_the_disk", outcome=outcome, megabytes=size >> 20)
""",
    "flood_display_updates": """
from IPython.display import display, update_display
display("start", display_id="flood")
for i in range(400):
    update_display("y" * 100_000, display_id="flood")
""",
    "fork_bomb": """
children = []
def spawn():
    while len(children) < 2000:
        children.append(subprocess.Popen(["sleep", "60"]))
outcome = attempt(spawn)
count = len(children)
for child in children:
    child.kill()
    child.wait()
report("fork_bomb", outcome=outcome, started=count)
""",
    "still_alive": """
report("still_alive", ok=True)
""",
    "inherited_descriptors": """
import stat
descriptors, readable = {}, {}
for name in os.listdir("/proc/self/fd"):
    fd = int(name)
    try:
        descriptors[fd] = os.readlink(f"/proc/self/fd/{fd}")
        if stat.S_ISREG(os.fstat(fd).st_mode):
            readable[fd] = os.pread(fd, 4096, 0).decode(errors="replace")
    except OSError:
        pass
report("inherited_descriptors", descriptors=descriptors, readable=readable)
""",
}


def attack_notebook(path: Path, host_emulator_port: int) -> Path:
    nb = nbformat.v4.new_notebook(metadata={"kernelspec": {"name": "python3", "display_name": "Python 3",
                                                           "language": "python"}})
    cells = [SETUP.replace("HOST_EMULATOR_PORT", str(host_emulator_port))]
    cells += [source.replace("HOST_EMULATOR_PORT", str(host_emulator_port)) for source in ATTACKS.values()]
    nb.cells = [nbformat.v4.new_code_cell(textwrap.dedent(source)) for source in cells]
    nbformat.write(nb, path)
    return path


@pytest.fixture(scope="module")
def attacked(emulator, tmp_path_factory):
    """One graded run of every attack, plus what the host sees after it."""
    folder = tmp_path_factory.mktemp("hostile")
    # beside the submission, outside the sandbox
    (folder / f"{CANARY}.txt").write_text("the grader's own file")
    (folder / "boto3.py").write_text("raise SystemExit('a stray module beside the notebook was imported')")
    submission = read_submission(attack_notebook(folder / "create_admin_user.ipynb", emulator.port))
    os.environ["GRADER_TEST_CANARY"] = CANARY   # in the grader's environment, never the kernel's
    try:
        limits = RunLimits(cell_timeout=60, notebook_timeout=240, disk_mb=64, processes=64,
                           output_bytes=200_000)
        outcome = run_submission(load("iam-user"), submission, emulator, limits=limits)
    finally:
        del os.environ["GRADER_TEST_CANARY"]
    uid = outcome.record.sandbox["uid"]
    left = [p for p in psutil.process_iter(["uids"]) if p.info["uids"] and p.info["uids"].real == uid]
    _, alive = psutil.wait_procs(left, timeout=10)   # killed ones may take a moment to be reaped
    survivors = [(p.pid, p.status(), p.cmdline()) for p in alive]
    reports = {}
    for cell in outcome.record.cells:
        for line in cell.stdout.splitlines():
            if line.startswith("ATTACK "):
                _, name, facts = line.split(" ", 2)
                reports[name] = json.loads(facts)
    return outcome, reports, survivors


def test_the_run_was_isolated_and_every_attack_ran(attacked):
    outcome, reports, _ = attacked
    assert outcome.record.sandbox["isolated"] and outcome.record.sandbox["uid"] >= 200_000
    silent = {"flood_display_updates"}   # its own output is what the cap drops
    assert set(reports) == set(ATTACKS) - silent, [(c.index, c.error)
                                                   for c in outcome.record.cells if c.error]


def test_the_kernel_cannot_write_or_even_import_the_grader(attacked):
    facts = attacked[1]["write_the_grader"]
    assert facts["grader_files"] == [] and facts["import_grading"].startswith("ModuleNotFoundError")
    assert facts["writes"] and all(not result.startswith("succeeded") for result in facts["writes"].values())


def test_the_kernel_sees_no_secret_solution_or_other_run(attacked):
    facts = attacked[1]["read_secrets"]
    assert facts["found"] == [] and facts["canary_in_environ"] is False
    assert not facts["aws"].startswith("succeeded")


def test_the_kernel_sees_only_its_own_processes_and_has_no_privilege(attacked):
    facts = attacked[1]["see_and_signal_the_grader"]
    assert facts["owners"] == [facts["my_uid"]] and facts["my_uid"] != 0
    assert len(facts["pids"]) < 10 and facts["capabilities"] == "0000000000000000"
    assert attacked[1]["still_alive"]["ok"]   # stopping PID 1 of its own namespace stopped nothing


def test_only_the_runs_own_emulator_is_reachable(attacked):
    facts = attacked[1]["reach_the_network"]
    for attack in ("outside_tcp", "outside_udp", "host_emulator"):
        assert not facts[attack].startswith("succeeded"), (attack, facts[attack])
    assert facts["ctypes_connect"] != "succeeded: 'connected'" and facts["child_python"] != 0
    assert facts["bash_dev_tcp"] != "connected"
    assert facts["own_emulator"] == "succeeded: 'connected'"


def test_no_process_outlives_the_run(attacked):
    _, reports, survivors = attacked
    assert reports["outlive_the_run"]["started"] and survivors == []


def test_a_fork_bomb_hits_the_process_limit(attacked):
    facts = attacked[1]["fork_bomb"]
    assert not facts["outcome"].startswith("succeeded") and facts["started"] < 64


def test_filling_the_disk_stops_at_the_sandbox_size(attacked):
    facts = attacked[1]["fill_the_disk"]
    assert "No space left" in facts["outcome"] and facts["megabytes"] <= 64


def test_the_ipc_folder_on_the_hosts_disk_takes_no_file_from_the_notebook(attacked):
    """Attack: the one writable folder on the host's disk, the IPC folder the grader reaches the
    kernel's sockets through, filled with files (3 GB written, past the 64 MB home, was shown).
    Verdict: once the kernel is up the folder is the grader's; the notebook's write is refused."""
    outcome, reports, _ = attacked
    if outcome.record.sandbox["user_namespace"]:
        pytest.skip("under a user namespace the kernel runs as the grader's own user (docs/security.md)")
    facts = reports["fill_the_ipc_folder"]
    assert facts["folders"] and all(result.startswith("PermissionError") for result in facts["writes"]), facts


def test_display_updates_count_against_the_output_cap(attacked):
    outcome = attacked[0]
    flood = next(cell for cell in outcome.record.cells if "update_display(" in cell.source)
    assert "output" in flood.limits_hit
    assert len(nbformat.writes(outcome.executed)) < 2_000_000


def test_a_module_beside_the_submission_is_not_copied_into_the_run(attacked):
    outcome = attacked[0]
    assert outcome.record.helpers == [] and all(cell.status == "ok" for cell in outcome.record.cells)


def test_the_kernel_holds_no_descriptor_of_the_grader(attacked):
    """Attack: read a descriptor the kernel inherited (a warm kernel once held the host's sandbox spec,
    with cgroup paths, bind sources and its uid, open as fd 3). Verdict: the kernel's descriptors are its
    standard streams and what the kernel itself opened (sockets, pipes, event fds); no file of the host."""
    facts = attacked[1]["inherited_descriptors"]
    assert facts["descriptors"], "the attack listed no descriptor at all"
    assert facts["readable"] == {}, facts
    assert all(not target.endswith(".json") for target in facts["descriptors"].values()), facts
