"""The throw-away folder a notebook runs in: a copy of the submission, its helper modules, and the
activity's data files wherever course notebooks look for them (`Data/`, `Resources/`, beside)."""

from __future__ import annotations

import shutil
import tempfile
from dataclasses import dataclass, field
from pathlib import Path

from ..datasets import materialise

DATA_FOLDERS = ("Data", "Resources")
HELPER_MODULE_BYTES = 1_000_000   # sibling .py files (e.g. MCForecastTools.py) up to this size are copied


@dataclass
class Workspace:
    root: Path
    workdir: Path
    home: Path
    notebook: Path
    data_files: list[dict] = field(default_factory=list)

    def remove(self) -> None:
        shutil.rmtree(self.root, ignore_errors=True)


def prepare_workspace(notebook: Path, data_names: list[str], data_dir: Path | None) -> Workspace:
    """Raises DataFileMissing (from grader.datasets) when a data file cannot be found or made."""
    root = Path(tempfile.mkdtemp(prefix="grader-run-"))
    workspace = Workspace(root=root, workdir=root / "work", home=root / "home",
                          notebook=root / "work" / notebook.name)
    try:
        workspace.workdir.mkdir()
        workspace.home.mkdir()
        shutil.copyfile(notebook, workspace.notebook)
        for helper in notebook.parent.glob("*.py"):
            if helper.is_file() and helper.stat().st_size <= HELPER_MODULE_BYTES:
                shutil.copyfile(helper, workspace.workdir / helper.name)
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
