"""Kernel environments: the Python installation a graded kernel runs on.

"current" is the grader's own interpreter and packages (nothing to build). Every other one is
declared in `environments/<name>/requirements.txt` (for the course's notebooks: "course-era", the
libraries of 2019-2021) and built once per machine on first use (environment_build.py). `get(name)`
is the one way to obtain an environment, built or not.

The sandbox needs to know exactly which folders make up an environment, to mount them read-only and
nothing else; and the grader's own package, which holds rubrics, thresholds and solutions, must stay
out of sight even when it is installed inside the same environment.
"""

from __future__ import annotations

import functools
import sys
from dataclasses import dataclass, field
from pathlib import Path

from ..errors import UsageError
from ..project import INSTALLED_CONTENT, environments_dir
from ..sandbox import KernelPython
from . import interpreter
from .environment_build import Announce, BuildFailed, Declaration, ensure_built, say_on_stderr

CURRENT = "current"
GRADER_PACKAGE = Path(__file__).resolve().parents[1]
# the grader's code, and its rubrics, thresholds, solutions
NEVER_SHOWN = (GRADER_PACKAGE, INSTALLED_CONTENT)


@dataclass(frozen=True)
class KernelEnvironment(KernelPython):
    """A KernelPython (interpreter, folders to mount, folders to hide) with the name runs record and
    the versions of its packages (read inside it)."""

    name: str = CURRENT
    versions: dict = field(default_factory=dict, compare=False, hash=False)

    @property
    def bin_dir(self) -> Path:
        return self.python.parent

    @property
    def key(self) -> str:
        """Names this build of the environment (a cache of something made with it is only valid for it)."""
        return self.name if self.name == CURRENT else self.python.parents[1].name

    def to_dict(self) -> dict:
        return {"name": self.name, "python": str(self.python), "versions": dict(self.versions)}


def declarations() -> dict[str, Declaration]:
    folder = environments_dir()
    return {path.parent.name: Declaration(path.parent.name, path)
            for path in sorted(folder.glob("*/requirements.txt")) if path.parent.name != CURRENT}


def names() -> list[str]:
    return [CURRENT, *declarations()]


def require_known(name: str) -> None:
    if name not in names():
        raise UsageError(f"unknown kernel environment '{name}'; choose one of: {', '.join(names())}")


def get(name: str = CURRENT, announce: Announce = say_on_stderr) -> KernelEnvironment:
    """The environment called `name`, built first if this machine does not have it yet (`announce`
    receives the progress messages). UsageError when there is no such environment or it cannot be built."""
    if name == CURRENT:
        return current()
    require_known(name)
    try:
        folder, built = ensure_built(declarations()[name], announce)
    except (BuildFailed, OSError) as error:
        raise UsageError(f"cannot build the kernel environment '{name}': {error}") from None
    return _environment(name, folder / "bin" / "python", built)


@functools.cache
def current() -> KernelEnvironment:
    """The grader's own interpreter and installed packages (read once per process: reading the
    versions costs some 40 ms)."""
    return _environment(CURRENT, Path(sys.executable), interpreter.facts())


def _environment(name: str, python: Path, facts: dict) -> KernelEnvironment:
    candidates = [facts["prefix"], facts["base_prefix"], *facts["paths"], python.resolve().parent.parent]
    folders: list[Path] = []
    for candidate in candidates:
        path = Path(candidate).resolve()
        if path.is_dir() and not _inside(path, folders):
            folders = [folder for folder in folders if not _inside(folder, [path])] + [path]
    hidden = tuple(folder for folder in NEVER_SHOWN if _inside(folder, folders))
    return KernelEnvironment(python, tuple(folders), hidden, name=name, versions=facts["versions"])


def _inside(path: Path, folders) -> bool:
    return any(path == folder or folder in path.parents for folder in folders)
