"""Warm kernels: a fork server that imports a kernel environment's heavy libraries once, then forks
one child per run; the child enters that run's sandbox exactly as a cold kernel does (enter.py) and
becomes its kernel, with pandas, scikit-learn, boto3 and the SageMaker SDK already in memory.

Run as `python zygote.py SOCKET` with the environment's own Python and the environment a graded
kernel has at start-up (grader/execution/kernel.py: `fork_server_environment`); it prints `ready`
once its imports are done. No student code ever runs in it: a child resets what a fork shares
(environment, random state, paths) before the kernel starts, and a kernel is never reused.

Protocol, one JSON object per line on the Unix socket: the grader sends {"spec": PATH}; the server
answers {"pid": N} once the child (the sandbox's monitor) exists, then {"exit": CODE} when it ends
(negative: killed by that signal), or {"error": TEXT} if it could not fork.
Standard library only at import: the heavy modules are imported by `preload`.
"""

import gc
import importlib
import json
import os
import random
import selectors
import signal
import socket
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import enter  # the same sandbox a cold kernel enters

# What course notebooks import, heaviest first. A module an environment lacks is skipped.
PRELOAD = ("numpy", "pandas", "scipy", "sklearn", "sklearn.linear_model", "sklearn.model_selection",
           "sklearn.preprocessing", "sklearn.metrics", "matplotlib", "matplotlib.pyplot", "boto3", "botocore",
           "sagemaker", "sagemaker.amazon.amazon_estimator", "sagemaker.predictor", "sagemaker.serializers",
           "sagemaker.deserializers", "IPython", "ipykernel.kernelapp", "alpaca_trade_api", "dotenv", "path",
           # what the kernel app itself imports while it starts (the debugger's debugpy most of all)
           "ipykernel.ipkernel", "ipykernel.zmqshell", "ipykernel.debugger", "sqlite3", "pdb",
           "tornado.queues", "grader_ipython")
KERNEL_MODULE_ARGS = 3   # argv = [python, "-m", "ipykernel_launcher", ...kernel options]


def preload() -> list[str]:
    loaded = []
    for name in PRELOAD:
        try:
            importlib.import_module(name)
            loaded.append(name)
        except Exception:   # an environment may lack it; a kernel imports what it needs
            pass
    return loaded


def run_warm_kernel(spec: dict) -> None:
    """In the sandbox, as the run's user: forget everything the fork inherited that belongs to a
    process rather than to the libraries, then run the kernel in this process."""
    os.environ.clear()
    os.environ.update(spec["env"])
    inside = [path for path in os.environ.get("PYTHONPATH", "").split(os.pathsep) if path]
    sys.path[:] = inside + [path for path in sys.path if path not in OUTSIDE_ONLY]
    random.seed()
    numpy = sys.modules.get("numpy")
    if numpy is not None:
        numpy.random.seed()
    from ipykernel import kernelapp

    kernelapp.launch_new_instance(argv=spec["argv"][KERNEL_MODULE_ARGS:])


def _child(spec_path: str) -> None:
    """The fork's child: nothing of the server's (its socket, its clients) stays open."""
    signal.set_wakeup_fd(-1)
    for signum in (signal.SIGCHLD, signal.SIGTERM, signal.SIGINT):
        signal.signal(signum, signal.SIG_DFL)
    os.closerange(3, os.sysconf("SC_OPEN_MAX"))
    try:
        with open(spec_path) as stream:   # closed before the sandbox: the spec names host paths
            spec = json.load(stream)
        enter.enter(spec, run_kernel=run_warm_kernel)
    finally:
        os._exit(enter.SETUP_FAILED)


def _send(connection: socket.socket, message: dict) -> None:
    try:
        connection.sendall(json.dumps(message).encode() + b"\n")
    except OSError:
        pass


def serve(path: str) -> None:
    listener = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    listener.bind(path)
    listener.listen(16)
    selector = selectors.DefaultSelector()
    selector.register(listener, selectors.EVENT_READ)
    wakeup, woken = socket.socketpair()   # a child's exit wakes the loop: its status is sent at once
    wakeup.setblocking(False)
    woken.setblocking(False)
    signal.set_wakeup_fd(woken.fileno())
    signal.signal(signal.SIGCHLD, lambda *_: None)
    selector.register(wakeup, selectors.EVENT_READ)
    children: dict[int, socket.socket] = {}
    buffers: dict[socket.socket, bytes] = {}
    parent = os.getppid()
    print("ready", flush=True)
    # the grader gone (this server reparented): so is the server, and its kernels
    while os.getppid() == parent:
        for key, _ in selector.select(timeout=0.5):
            if key.fileobj is wakeup:
                wakeup.recv(4096)
                continue
            if key.fileobj is listener:
                connection, _ = listener.accept()
                selector.register(connection, selectors.EVENT_READ)
                buffers[connection] = b""
                continue
            connection = key.fileobj
            data = connection.recv(65536)
            if not data:   # the grader let go of this kernel: it must not outlive that
                selector.unregister(connection)
                for pid in [pid for pid, owner in children.items() if owner is connection]:
                    _kill(pid)
                connection.close()
                continue
            buffers[connection] += data
            while b"\n" in buffers[connection]:
                line, buffers[connection] = buffers[connection].split(b"\n", 1)
                spec_path = json.loads(line)["spec"]
                try:
                    pid = os.fork()
                except OSError as error:
                    _send(connection, {"error": f"fork failed: {error}"})
                    continue
                if pid == 0:
                    _child(spec_path)
                children[pid] = connection
                _send(connection, {"pid": pid})
        while children:
            pid, status = os.waitpid(-1, os.WNOHANG)
            if pid == 0:
                break
            owner = children.pop(pid, None)
            if owner is not None:
                _send(owner, {"exit": os.waitstatus_to_exitcode(status)})


def _kill(pid: int) -> None:
    try:
        os.kill(pid, signal.SIGKILL)
    except ProcessLookupError:
        pass


OUTSIDE_ONLY = {os.path.dirname(os.path.abspath(__file__))}   # paths of the grader, gone inside a sandbox

if __name__ == "__main__":
    # Not PR_SET_PDEATHSIG: it follows the thread that started the server, and a batch worker's
    # task threads come and go; the serving loop watches the parent process instead.
    OUTSIDE_ONLY.update(path for path in os.environ.get("PYTHONPATH", "").split(os.pathsep) if path)
    preload()
    # What it imported stays for good: a kernel's garbage collections skip those objects (a full
    # collection over pandas, scikit-learn and the SageMaker SDK costs 0.2 s, which a cell would pay)
    # and leave their memory pages shared with the server.
    gc.collect()
    gc.freeze()
    serve(sys.argv[1])
