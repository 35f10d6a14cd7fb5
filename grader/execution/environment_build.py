"""Building a declared kernel environment once per machine, into the user's cache.

A declared environment is `environments/<name>/requirements.txt`: a complete lock (every
distribution pinned), installed with `--no-deps`, so pip resolves nothing and never backtracks. It is
built into `<cache>/environments/<name>-<digest>/`, the digest covering the lock and the interpreter
it is made from: a changed lock or another Python builds a new one; an unchanged one is reused, offline.

Nothing half-built is ever used: the build happens in a temporary folder beside the target and is
renamed into place only when complete (packages installed, compiled, versions recorded). A lock file
makes concurrent first uses (two `grader check`s, batch workers) wait for one build instead of racing,
and a build that was killed leaves only a temporary folder, which the next build removes.
"""

from __future__ import annotations

import fcntl
import hashlib
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

from ..cache import cache_root
from . import interpreter

# written last, inside the folder: a folder without it is not an environment
BUILD_INFO = "environment.json"
STEP_TIMEOUT_S = 1800   # one build step (pip with a cold cache downloads the whole lock)
SHOWN_PINS = ("pandas", "numpy", "scikit-learn")   # what the progress message names

Announce = Callable[[str], None]


def say_on_stderr(message: str) -> None:
    print(message, file=sys.stderr, flush=True)


class BuildFailed(RuntimeError):
    """pip or the interpreter could not build the environment; the message says where the log is."""


@dataclass(frozen=True)
class Declaration:
    name: str
    requirements: Path

    def digest(self) -> str:
        """Of what is installed (the lock's lines, not its comments) and the Python it is made from."""
        lines = [line.strip() for line in self.requirements.read_text().splitlines()]
        digest = hashlib.sha256(
            "\n".join(line for line in lines if line and not line.startswith("#")).encode())
        digest.update(f"{Path(sys.executable).resolve()} {sys.version}".encode())
        return digest.hexdigest()[:16]

    def folder(self) -> Path:
        return cache_root() / "environments" / f"{self.name}-{self.digest()}"

    def pins(self) -> dict[str, str]:
        found = re.findall(r"^([A-Za-z0-9][A-Za-z0-9._-]*)==(\S+)", self.requirements.read_text(),
                           re.MULTILINE)
        return {name.lower(): version for name, version in found}


def read_built(folder: Path) -> dict | None:
    """The build record of a complete environment, None when there is none (not built, or half-built)."""
    try:
        return json.loads((folder / BUILD_INFO).read_text())
    except (OSError, ValueError):
        return None


def ensure_built(declaration: Declaration, announce: Announce = say_on_stderr) -> tuple[Path, dict]:
    """The environment's folder and build record, building it first if this machine has none."""
    target = declaration.folder()
    built = read_built(target)
    if built:
        return target, built
    target.parent.mkdir(parents=True, exist_ok=True)
    with _exclusive(target.parent / f"{target.name}.lock", declaration.name, announce):
        built = read_built(target)     # another process may have built it while we waited
        if built is None:
            _remove_leftovers(target)
            _build(declaration, target, announce)
            built = read_built(target)
    return target, built


@contextmanager
def _exclusive(lock_path: Path, name: str, announce: Announce):
    with open(lock_path, "a") as lock:
        try:
            fcntl.flock(lock, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            announce(f"Waiting for another process that is building the kernel environment '{name}' ...")
            fcntl.flock(lock, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(lock, fcntl.LOCK_UN)


def _remove_leftovers(target: Path) -> None:
    """What an interrupted build left (we hold the lock, so no build is running): its temporary
    folder, or a folder at the target without a build record."""
    for stale in [*target.parent.glob(f".{target.name}.*"), target]:
        shutil.rmtree(stale, ignore_errors=True)


def _build(declaration: Declaration, target: Path, announce: Announce) -> None:
    log_path = target.parent / f"{target.name}.log"
    pins = declaration.pins()
    shown = ", ".join([*(f"{name} {pins[name]}" for name in SHOWN_PINS if name in pins),
                       f"{len(pins)} packages"])
    announce(f"Building the kernel environment '{declaration.name}' ({shown}) in {target}. This happens once "
             "per machine and takes a few minutes; later runs use it offline.")
    started = time.monotonic()
    temp = Path(tempfile.mkdtemp(prefix=f".{target.name}.", dir=target.parent))
    try:
        record = _install(declaration, temp, target, log_path, bool(pins))
    except BaseException:   # a failed or interrupted build leaves nothing behind but its log
        shutil.rmtree(temp, ignore_errors=True)
        raise
    record["build_seconds"] = round(time.monotonic() - started, 1)
    (temp / BUILD_INFO).write_text(json.dumps(record, indent=1))
    (temp / BUILD_INFO).chmod(0o644)   # like everything pip wrote (umask 022, _step)
    os.rename(temp, target)
    _remove_older_builds(declaration.name, target)
    announce(f"Built the kernel environment '{declaration.name}' in {record['build_seconds']:.0f} s.")


def _install(declaration: Declaration, temp: Path, target: Path, log_path: Path, any_packages: bool) -> dict:
    """Make the environment in `temp`, ready to be renamed to `target`; returns its build record."""
    temp.chmod(0o755)    # kernels run as users of their own: they read it, nobody writes it
    python = temp / "bin" / "python"
    with open(log_path, "w") as log:
        _step(log, log_path, "creating the virtual environment", [sys.executable, "-m", "venv", str(temp)])
        if any_packages:
            _step(log, log_path, "pip install", [
                str(python), "-m", "pip", "install", "--no-deps", "--no-compile", "--no-input",
                "--disable-pip-version-check", "--progress-bar", "off", "-r", str(declaration.requirements)])
        _relocate(temp, target)
        # Compiled here, with the final paths: inside a sandbox the folder is read-only, so Python could
        # not cache bytecode and every kernel would recompile pandas & co.
        _step(log, log_path, "compiling", [str(python), "-m", "compileall", "-q", "-j", "0", "-s", str(temp),
                                           "-p", str(target), str(temp / "lib")])
        facts = _step(log, log_path, "reading its versions", [str(python), "-I", interpreter.__file__])
    return {"name": declaration.name,
            "requirements_sha256": hashlib.sha256(declaration.requirements.read_bytes()).hexdigest(),
            "built_at": time.strftime("%Y-%m-%dT%H:%M:%S%z"),
            **json.loads(facts.splitlines()[-1].replace(str(temp), str(target)))}


def _remove_older_builds(name: str, kept: Path) -> None:
    """Builds of an earlier lock (or Python) of the same environment: some 700 MB each, never used again."""
    for folder in kept.parent.iterdir():
        if (folder != kept and re.fullmatch(rf"{re.escape(name)}-[0-9a-f]{{16}}", folder.name)
                and folder.is_dir()):
            shutil.rmtree(folder, ignore_errors=True)
            for leftover in (folder.with_name(f"{folder.name}.lock"), folder.with_name(f"{folder.name}.log")):
                leftover.unlink(missing_ok=True)


def _step(log, log_path: Path, what: str, command: list[str]) -> str:
    """Run one build step, its output appended to the log; BuildFailed says what failed and why."""
    log.write(f"$ {' '.join(command)}\n")
    log.flush()
    env = {name: value for name, value in os.environ.items() if name not in ("PYTHONPATH", "PYTHONHOME")}
    try:
        # umask 022: the kernels' users read what pip writes, whatever the user's own umask is
        done = subprocess.run(command, capture_output=True, text=True, timeout=STEP_TIMEOUT_S,
                              env={**env, "PIP_NO_INPUT": "1"}, umask=0o022)
    except subprocess.TimeoutExpired:
        raise BuildFailed(f"{what} took more than {STEP_TIMEOUT_S} s; the log is {log_path}") from None
    log.write(done.stdout + done.stderr)
    log.flush()
    if done.returncode != 0:
        said = [line for line in done.stderr.splitlines() if line.strip()] or ["no message"]
        reason = next((line for line in reversed(said) if line.startswith("ERROR")), said[-1])
        raise BuildFailed(f"{what} failed ({reason}); the whole log is {log_path}")
    return done.stdout


def _relocate(temp: Path, target: Path) -> None:
    """A virtual environment names its own folder in its scripts' first lines and in pyvenv.cfg: make
    them name the folder it is about to be renamed to."""
    old, new = str(temp).encode(), str(target).encode()
    for path in [*(temp / "bin").iterdir(), temp / "pyvenv.cfg"]:
        if path.is_file() and not path.is_symlink():
            content = path.read_bytes()
            if old in content:
                path.write_bytes(content.replace(old, new))
