"""Kernel environments: the Python installation a graded kernel runs on.

The sandbox needs to know exactly which folders make up an environment, to mount them read-only and
nothing else; and the grader's own package, which holds rubrics, thresholds and solutions, must stay
out of sight even when it is installed inside the same environment.
"""

from __future__ import annotations

import site
import sys
import sysconfig
from dataclasses import dataclass
from pathlib import Path

from ..project import INSTALLED_CONTENT
from ..sandbox import Environment

GRADER_PACKAGE = Path(__file__).resolve().parents[1]
NEVER_SHOWN = (GRADER_PACKAGE, INSTALLED_CONTENT)   # the grader's code, and its rubrics, thresholds, solutions


@dataclass(frozen=True)
class KernelEnvironment(Environment):
    """An Environment (interpreter, folders to mount, folders to hide) with the name runs record."""

    name: str = "current"

    @property
    def bin_dir(self) -> Path:
        return self.python.parent

    def to_dict(self) -> dict:
        return {"name": self.name, "python": str(self.python)}


def _inside(path: Path, folders) -> bool:
    return any(path == folder or folder in path.parents for folder in folders)


def current() -> KernelEnvironment:
    """The grader's own interpreter and installed packages."""
    folders: list[Path] = []
    candidates = [sys.prefix, sys.base_prefix, *site.getsitepackages(), sysconfig.get_path("stdlib"),
                  sysconfig.get_path("platstdlib"), Path(sys.executable).resolve().parent.parent]
    for candidate in candidates:
        path = Path(candidate).resolve()
        if path.is_dir() and not _inside(path, folders):
            folders = [folder for folder in folders if not _inside(folder, [path])] + [path]
    hidden = tuple(folder for folder in NEVER_SHOWN if _inside(folder, folders))
    return KernelEnvironment(Path(sys.executable), tuple(folders), hidden, name="current")
