"""Where the grader keeps what it makes once per machine (kernel environments, font caches, the warm
server's folder when there is no XDG_RUNTIME_DIR). Standard library only: the command's start reads it."""

from __future__ import annotations

import os
from pathlib import Path


def cache_root() -> Path:
    """The grader's cache folder (XDG_CACHE_HOME, else ~/.cache): built environments, font caches."""
    return Path(os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache") / "sagemaker-course-grader"
