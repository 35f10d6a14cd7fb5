"""The throw-away folder a notebook runs in: a home with the work folder in it, holding a copy of the
submission, the helper modules the activity declares, and the activity's data files wherever course
notebooks look for them (`Data/`, `Resources/`, beside). A sandboxed run copies the home into its
own space; nothing else of the submission's folder is ever read (a stray `boto3.py` beside a
classmate's notebook must not shadow a library)."""

from __future__ import annotations

import shutil
import tempfile
from dataclasses import dataclass, field
from pathlib import Path

from ..datasets import materialise

DATA_FOLDERS = ("Data", "Resources")
# declared helper modules (e.g. MCForecastTools.py) up to this size are copied
HELPER_MODULE_BYTES = 1_000_000


@dataclass
class Workspace:
    root: Path
    workdir: Path
    home: Path
    notebook: Path
    data_files: list[dict] = field(default_factory=list)
    helpers: list[dict] = field(default_factory=list)    # declared helper modules copied: name, source

    def remove(self) -> None:
        shutil.rmtree(self.root, ignore_errors=True)


def _helper_source(name: str, notebook: Path, activity_folder: Path) -> tuple[Path, str] | None:
    """The submission's own copy of a declared helper if it sent one, else the activity's."""
    for folder, source in ((notebook.parent, "submission"), (activity_folder / "helpers", "activity")):
        candidate = folder / name
        if (candidate.is_file() and not candidate.is_symlink()
                and candidate.stat().st_size <= HELPER_MODULE_BYTES):
            return candidate, source
    return None


def prepare_workspace(notebook: Path, data_names: list[str], data_dir: Path | None, *,
                      helpers: tuple[str, ...] = (), activity_folder: Path | None = None) -> Workspace:
    """Raises DataFileMissing (from grader.datasets) when a data file cannot be found or made."""
    root = Path(tempfile.mkdtemp(prefix="grader-run-"))
    workspace = Workspace(root=root, workdir=root / "home" / "work", home=root / "home",
                          notebook=root / "home" / "work" / notebook.name)
    try:
        workspace.workdir.mkdir(parents=True)
        shutil.copyfile(notebook, workspace.notebook)
        for name in helpers:
            found = _helper_source(name, notebook, activity_folder or notebook.parent)
            if found:
                shutil.copyfile(found[0], workspace.workdir / name)
                workspace.helpers.append({"name": name, "source": found[1]})
        for name in data_names:
            placed = materialise(name, workspace.workdir / DATA_FOLDERS[0], data_dir)
            for folder in DATA_FOLDERS[1:]:
                (workspace.workdir / folder).mkdir(exist_ok=True)
                shutil.copyfile(placed.path, workspace.workdir / folder / name)
            shutil.copyfile(placed.path, workspace.workdir / name)
            workspace.data_files.append(placed.to_dict())
    except BaseException:
        workspace.remove()
        raise
    return workspace
