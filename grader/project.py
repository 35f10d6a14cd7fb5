"""Where the course content (the activities/ and rubrics/ folders, and the declared kernel
environments/) is.

The first of these that holds an activities/ folder wins:
1. GRADER_PROJECT_DIR: a course's own copy of the content;
2. the checkout the grader runs from (a source checkout or an editable install), where the
   content sits beside the package so staff can edit it without reinstalling;
3. the copy installed with the package (setup.py puts it in `grader_content/`, a folder of its
   own beside the code, so a sandbox can hide it from graded kernels: it holds the solutions
   and the thresholds).
The current folder is never searched: a submission's folder could bring its own rubrics/.
"""

from __future__ import annotations

import os
from pathlib import Path

from .errors import UsageError

_PACKAGE_PARENT = Path(__file__).resolve().parent.parent
INSTALLED_CONTENT = _PACKAGE_PARENT / "grader_content"


def _is_project(folder: Path) -> bool:
    return (folder / "activities").is_dir()


def project_dir() -> Path:
    configured = os.environ.get("GRADER_PROJECT_DIR")
    if configured:
        folder = Path(configured).expanduser().resolve()
        if not _is_project(folder):
            raise UsageError(f"GRADER_PROJECT_DIR={configured} has no activities/ folder; "
                             "point it at a folder holding the course's activities/ and rubrics/")
        return folder
    for folder in (_PACKAGE_PARENT, INSTALLED_CONTENT):
        if _is_project(folder):
            return folder
    raise UsageError(f"the grader's activities/ folder is missing (looked in {_PACKAGE_PARENT} and "
                     f"{INSTALLED_CONTENT}); reinstall the grader or set GRADER_PROJECT_DIR")


def environments_dir() -> Path:
    """The declared kernel environments (`environments/<name>/requirements.txt`): the course's own
    copy when GRADER_PROJECT_DIR has one, else the grader's."""
    for folder in (project_dir(), _PACKAGE_PARENT, INSTALLED_CONTENT):
        if (folder / "environments").is_dir():
            return folder / "environments"
    return project_dir() / "environments"


def grader_content_dir() -> Path:
    """The grader's own content (its checkout, or the copy installed with it), whatever
    GRADER_PROJECT_DIR says: what a course's copy falls back on and new activities start from."""
    found = (folder for folder in (_PACKAGE_PARENT, INSTALLED_CONTENT) if _is_project(folder))
    return next(found, INSTALLED_CONTENT)


def authoring_dir() -> Path:
    """Where `grader new-activity` writes: GRADER_PROJECT_DIR (which may not hold activities/ yet),
    else the current folder."""
    configured = os.environ.get("GRADER_PROJECT_DIR")
    return Path(configured).expanduser().resolve() if configured else Path.cwd().resolve()


def course_file() -> Path:
    """The facts every activity shares (`activities/course.toml`): the course's own copy when
    GRADER_PROJECT_DIR has one, else the grader's."""
    own = project_dir() / "activities" / "course.toml"
    return own if own.is_file() else grader_content_dir() / "activities" / "course.toml"


def shared_data_dir() -> Path:
    """The course data folder that sits beside a checkout (`../shared/data`); may not exist.

    An installed grader run from inside a checkout (as CI does) uses that checkout's: data, unlike
    rubrics, may come from where the user stands."""
    try:
        content = project_dir()
    except UsageError:
        content = _PACKAGE_PARENT
    if content == INSTALLED_CONTENT:
        here = Path.cwd().resolve()
        content = next((folder for folder in (here, *here.parents) if _is_project(folder)), content)
    return content.parent / "shared" / "data"
