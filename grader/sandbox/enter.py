"""Entering a run's sandbox: the steps between "a process the grader started" and "the student's
kernel, alone in its own world".

Standard library only, because it runs as a script in a bare interpreter (`python -I -S enter.py
SPEC`) for a cold kernel, and is imported by the warm-kernel server, which forks and continues here.
The process that calls `enter()` becomes the *monitor*: it stays in the grader's PID namespace,
forwards signals and exits as the kernel exits. Below it:

    monitor (grader's namespaces)          joins the run's cgroups, then unshares:
      └─ init, PID 1 of the run's namespaces: mount namespace (a fresh tmpfs root holding only
         │  read-only binds of what the kernel needs), network namespace (loopback only, with bridges
         │  from fixed loopback ports to the run's Unix sockets), IPC and UTS namespaces; drops to an
         │  unprivileged user with no capabilities and no_new_privs; reaps orphans; dies with the monitor
         └─ the kernel (PID 2), and whatever it starts: all end when PID 1 ends.

The spec is a plain JSON object built by grader.sandbox.supervisor (see `build_spec` there).
"""

import ctypes
import ctypes.util
import fcntl
import json
import os
import platform
import resource
import signal
import socket
import struct
import sys
import threading

CLONE_NEWNS, CLONE_NEWUTS, CLONE_NEWIPC = 0x00020000, 0x04000000, 0x08000000
CLONE_NEWUSER, CLONE_NEWPID, CLONE_NEWNET = 0x10000000, 0x20000000, 0x40000000
MS_RDONLY, MS_NOSUID, MS_NODEV, MS_NOEXEC = 0x1, 0x2, 0x4, 0x8
MS_REMOUNT, MS_BIND, MS_REC, MS_PRIVATE = 0x20, 0x1000, 0x4000, 0x40000
MNT_DETACH = 2
PR_SET_PDEATHSIG, PR_CAPBSET_DROP, PR_SET_NO_NEW_PRIVS = 1, 24, 38
SYS_PIVOT_ROOT = {"x86_64": 155, "aarch64": 41}
FORWARDED_SIGNALS = (signal.SIGINT, signal.SIGTERM, signal.SIGHUP, signal.SIGQUIT, signal.SIGUSR1,
                     signal.SIGUSR2)
DEVICES = ("null", "zero", "full", "random", "urandom")
OLD_ROOT = ".old-root"
SIOCGIFFLAGS, SIOCSIFFLAGS, IFF_UP = 0x8913, 0x8914, 0x1
_LINUX_CAPABILITY_VERSION_3 = 0x20080522
SETUP_FAILED = 125   # exit code of a sandbox that could not be built (the reason is on stderr)

_libc = ctypes.CDLL(ctypes.util.find_library("c"), use_errno=True)


class SandboxError(OSError):
    """A step of building the sandbox failed; the message names the step."""


def _check(result: int, step: str) -> int:
    if result == -1:
        errno = ctypes.get_errno()
        raise SandboxError(errno, f"{step}: {os.strerror(errno)}")
    return result


def _mount(source, target, fstype, flags, data=None):
    _check(_libc.mount(source and source.encode(), target.encode(), fstype and fstype.encode(),
                       ctypes.c_ulong(flags), data and data.encode()),
           f"mount {source or fstype} on {target}")


def _prctl(option: int, value: int) -> None:
    _check(_libc.prctl(option, ctypes.c_ulong(value), 0, 0, 0), f"prctl {option}")


# --- namespaces ---------------------------------------------------------------------------------

def _unshare(spec: dict) -> None:
    flags = CLONE_NEWNS | CLONE_NEWPID | CLONE_NEWNET | CLONE_NEWIPC | CLONE_NEWUTS
    outer_uid, outer_gid = os.getuid(), os.getgid()
    if spec["userns"]:
        flags |= CLONE_NEWUSER
    _check(_libc.unshare(flags), "unshare namespaces")
    if spec["userns"]:   # be root inside our own user namespace, mapped to the caller outside
        with open("/proc/self/setgroups", "w") as stream:
            stream.write("deny")
        with open("/proc/self/uid_map", "w") as stream:
            stream.write(f"0 {outer_uid} 1")
        with open("/proc/self/gid_map", "w") as stream:
            stream.write(f"0 {outer_gid} 1")


def _loopback_up() -> None:
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as probe:
        request = struct.pack("16sH14x", b"lo", 0)
        flags = struct.unpack("16sH14x", fcntl.ioctl(probe, SIOCGIFFLAGS, request))[1]
        fcntl.ioctl(probe, SIOCSIFFLAGS, struct.pack("16sH14x", b"lo", flags | IFF_UP))


# --- the file system ----------------------------------------------------------------------------

def _makedirs(path: str, mode: int = 0o755) -> None:
    os.makedirs(path, mode=mode, exist_ok=True)


def _bind(source: str, target: str, writable: bool = False) -> None:
    if os.path.isdir(source):
        _makedirs(target)
    elif not os.path.exists(target):
        _makedirs(os.path.dirname(target))
        open(target, "a").close()
    _mount(source, target, None, MS_BIND | MS_REC)
    if not writable:
        _mount(None, target, None, MS_BIND | MS_REMOUNT | MS_RDONLY | MS_NOSUID | MS_NODEV)


def _tmpfs(target: str, size_mb: int, mode: int = 0o755, read_only: bool = False) -> None:
    _makedirs(target)
    flags = MS_NOSUID | MS_NODEV | (MS_RDONLY if read_only else 0)
    _mount("tmpfs", target, "tmpfs", flags, f"size={size_mb}m,mode={mode:o}")


def _copy_tree(source: str, target: str, uid: int, gid: int) -> None:
    """Copy the staged workspace into the sandbox's own tmpfs, owned by the sandbox user."""
    for folder, _dirs, files in os.walk(source):
        inside = os.path.join(target, os.path.relpath(folder, source))
        _makedirs(inside)
        os.chown(inside, uid, gid)
        for name in files:
            with open(os.path.join(folder, name), "rb") as src, open(os.path.join(inside, name), "wb") as dst:
                while chunk := src.read(1 << 20):
                    dst.write(chunk)
            os.chown(os.path.join(inside, name), uid, gid)


def _build_root(spec: dict) -> None:
    """A new root: a tmpfs holding the kernel's writable home (size-limited; /tmp lives in it),
    read-only binds of what the kernel needs, its own /proc and a handful of devices; then pivot."""
    _mount(None, "/", None, MS_REC | MS_PRIVATE)
    root = spec["root"]
    _tmpfs(root, 16)
    new = lambda path: root + path   # noqa: E731  (a path inside the new root, seen from the old one)
    home = spec["home"]
    _tmpfs(new(home["path"]), home["size_mb"], mode=0o700)
    _copy_tree(home["copy_from"], new(home["path"]), spec["uid"], spec["gid"])
    _makedirs(new(home["path"] + "/tmp"), 0o700)
    os.chown(new(home["path"] + "/tmp"), spec["uid"], spec["gid"])
    _bind(new(home["path"] + "/tmp"), new("/tmp"), writable=True)
    # after /tmp, so a bind below /tmp (the kernel's IPC folder) stays on top
    for bind in spec["binds"]:
        _bind(bind["source"], new(bind["target"]), bind.get("writable", False))
    for masked in spec["masks"]:      # e.g. the grader's own package inside a bound site-packages
        if os.path.isdir(new(masked)):
            _tmpfs(new(masked), 1, read_only=True)
    _tmpfs(new("/dev"), 1)
    for device in DEVICES:
        _bind("/dev/" + device, new("/dev/" + device), writable=True)
    for name, target in (("fd", "/proc/self/fd"), ("stdin", "/proc/self/fd/0"), ("stdout", "/proc/self/fd/1"),
                         ("stderr", "/proc/self/fd/2")):
        os.symlink(target, new("/dev/" + name))
    _tmpfs(new("/dev/shm"), spec["shm_mb"], mode=0o1777)
    _makedirs(new("/proc"))
    _makedirs(new("/" + OLD_ROOT))
    os.chdir(root)
    _check(_libc.syscall(SYS_PIVOT_ROOT[platform.machine()], b".", OLD_ROOT.encode()), "pivot_root")
    os.chdir("/")
    _mount("proc", "/proc", "proc", MS_NOSUID | MS_NODEV | MS_NOEXEC)
    _check(_libc.umount2(("/" + OLD_ROOT).encode(), MNT_DETACH), "detach the old root")
    os.rmdir("/" + OLD_ROOT)
    _mount(None, "/", None, MS_BIND | MS_REMOUNT | MS_RDONLY | MS_NOSUID | MS_NODEV)


# --- privileges and limits ----------------------------------------------------------------------

def _apply_limits(limits: dict) -> None:
    for name, value in limits.items():
        kind = getattr(resource, f"RLIMIT_{name}")
        resource.setrlimit(kind, (value, value))


def _drop_privileges(spec: dict) -> None:
    """No way back: an unprivileged uid (or, in a user namespace, root without any capability),
    an empty bounding set, and no_new_privs so no setuid binary or file capability can raise it."""
    for capability in range(64):
        if (_libc.prctl(PR_CAPBSET_DROP, ctypes.c_ulong(capability), 0, 0, 0) == -1
                and ctypes.get_errno() == 22):
            break   # EINVAL: past the last capability this kernel knows
    if spec["userns"]:
        header = struct.pack("II", _LINUX_CAPABILITY_VERSION_3, 0)
        _check(_libc.capset(ctypes.c_char_p(header), ctypes.c_char_p(bytes(24))), "capset")
    else:
        os.setgroups([])
        os.setresgid(spec["gid"], spec["gid"], spec["gid"])
        os.setresuid(spec["uid"], spec["uid"], spec["uid"])
    _prctl(PR_SET_NO_NEW_PRIVS, 1)


# --- bridges ------------------------------------------------------------------------------------

def _pump(source: socket.socket, target: socket.socket) -> None:
    try:
        while data := source.recv(65536):
            target.sendall(data)
    except OSError:
        pass
    finally:
        for end in (target, source):
            try:
                end.shutdown(socket.SHUT_RDWR)
            except OSError:
                pass


def _serve_bridge(listener: socket.socket, path: str) -> None:
    """Each connection to a loopback port inside is carried to the run's Unix socket outside."""
    while True:
        client, _ = listener.accept()
        upstream = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        try:
            upstream.connect(path)
        except OSError:
            client.close()
            upstream.close()
            continue
        for a, b in ((client, upstream), (upstream, client)):
            threading.Thread(target=_pump, args=(a, b), daemon=True).start()


def _open_bridges(bridges: list[dict]) -> list[tuple[socket.socket, str]]:
    opened = []
    for bridge in bridges:
        listener = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        listener.bind(("127.0.0.1", bridge["port"]))
        listener.listen(64)
        opened.append((listener, bridge["socket"]))
    return opened


# --- processes ----------------------------------------------------------------------------------

def _forward_signals_to(pid: int, group: bool = False) -> None:
    """Pass interrupts and terminations on; to the kernel's whole process group, as Jupyter does."""
    def forward(signum, frame):
        try:
            (os.killpg if group else os.kill)(pid, signum)
        except ProcessLookupError:
            pass
    for signum in FORWARDED_SIGNALS:
        signal.signal(signum, forward)


def _exit_code(status: int) -> int:
    """The kernel's end as an exit code, signals as 128 + N (a shell's convention): PID 1 of a
    namespace cannot kill itself with a signal, so it passes the signal on this way."""
    return 128 + os.WTERMSIG(status) if os.WIFSIGNALED(status) else os.waitstatus_to_exitcode(status)


def _exit_like(code: int) -> None:
    """The monitor ends as the kernel ended: killed by the same signal, else with the same code, so
    the grader sees the kernel's own fate."""
    if 128 < code <= 128 + 64:
        signum = code - 128
        if signum not in (signal.SIGKILL, signal.SIGSTOP):
            signal.signal(signum, signal.SIG_DFL)
        os.kill(os.getpid(), signum)
    os._exit(code)


def _init(spec: dict, run_kernel) -> None:
    """PID 1 of the run: build the world, drop privileges, start the kernel, serve the bridges, reap."""
    _build_root(spec)
    socket.sethostname(spec["hostname"])
    _loopback_up()
    bridges = _open_bridges(spec["bridges"])
    _drop_privileges(spec)
    _prctl(PR_SET_PDEATHSIG, signal.SIGKILL)   # cleared by the uid change: set again
    _apply_limits(spec["rlimits"])
    kernel = os.fork()
    if kernel == 0:
        for listener, _ in bridges:
            listener.close()
        quiet = os.open("/dev/null", os.O_RDWR)   # the kernel talks over ZMQ; its own prints go nowhere
        for fd in (0, 1, 2):
            os.dup2(quiet, fd)
        # a warm kernel does not exec: nothing of ours stays open
        os.closerange(3, os.sysconf("SC_OPEN_MAX"))
        os.setsid()
        os.chdir(spec["cwd"])
        run_kernel(spec)
        os._exit(0)
    _forward_signals_to(kernel, group=True)
    for listener, path in bridges:
        threading.Thread(target=_serve_bridge, args=(listener, path), daemon=True).start()
    while True:   # reap everything; the run ends with the kernel
        pid, status = os.waitpid(-1, 0)
        if pid == kernel:
            os._exit(_exit_code(status))


def exec_kernel(spec: dict) -> None:
    os.execve(spec["argv"][0], spec["argv"], spec["env"])


def enter(spec: dict, run_kernel=exec_kernel) -> None:
    """Become the monitor of a new sandbox built from `spec`; never returns."""
    _prctl(PR_SET_PDEATHSIG, signal.SIGKILL)   # the grader (or warm-kernel server) gone: so are we
    # the same sandbox whatever the user's umask: with 027 the folders made for the new root would
    # shut the run's user out of /usr and the kernel would not start (and a kernel starts with 022)
    os.umask(0o022)
    log = os.open(spec["setup_log"], os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o600)
    os.dup2(log, 2)   # why a sandbox could not be built, for the grader to read
    os.close(log)
    for procs in spec["cgroup_procs"]:
        with open(procs, "w") as stream:
            stream.write(str(os.getpid()))
    _unshare(spec)
    init = os.fork()
    if init == 0:
        try:
            _prctl(PR_SET_PDEATHSIG, signal.SIGKILL)
            _init(spec, run_kernel)
        except BaseException as error:   # anything: the run cannot start, say why
            print(f"grader sandbox: {error}", file=sys.stderr, flush=True)
            os._exit(SETUP_FAILED)
    _forward_signals_to(init)
    _, status = os.waitpid(init, 0)
    _exit_like(_exit_code(status))


if __name__ == "__main__":
    with open(sys.argv[1]) as spec_file:
        enter(json.load(spec_file))
