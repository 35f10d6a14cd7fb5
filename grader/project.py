"""Where the project's content folders are.

Activities and rubrics are course content kept beside the package in the checkout, so staff can
edit them without reinstalling. They are found from GRADER_PROJECT_DIR, else from the current
directory or one of its parents, else beside the installed package (an editable install).
"""

from __future__ import annotations

import os
from pathlib import Path

from .errors import UsageError

_PACKAGE_PARENT = Path(__file__).resolve().parent.parent


def _is_project(folder: Path) -> bool:
    return (folder / "activities").is_dir()


def project_dir() -> Path:
    configured = os.environ.get("GRADER_PROJECT_DIR")
    if configured:
        folder = Path(configured).expanduser().resolve()
        if not _is_project(folder):
            raise UsageError(f"GRADER_PROJECT_DIR={configured} has no activities/ folder; "
                             "point it at the grader's checkout")
        return folder
    here = Path.cwd().resolve()
    for folder in (here, *here.parents, _PACKAGE_PARENT):
        if _is_project(folder):
            return folder
    raise UsageError("cannot find the grader's activities/ folder; run grader from its "
                     "checkout or set GRADER_PROJECT_DIR to it")


def shared_data_dir() -> Path:
    """The course data folder that sits beside a checkout (`../shared/data`); may not exist."""
    try:
        return project_dir().parent / "shared" / "data"
    except UsageError:
        return _PACKAGE_PARENT.parent / "shared" / "data"
