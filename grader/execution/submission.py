"""Reading a submitted notebook as it arrives, refusing only what the runner cannot run faithfully.

Real submissions come without a kernelspec (converted from nbformat 2 or 3, or saved by another
editor), with the kernelspec of the machine they were written on (`conda_python3` on a SageMaker
notebook instance, `python2`, ...) or in an old nbformat. All of them are Python notebooks: they run
on the grader's Python 3 kernel, upgraded with nbformat when old, and the record says how each was
accepted. Only a notebook for another language (R, Julia) is refused.

Every refusal is a UsageError whose message names the file (by its own name: the student's reports
must not show the grading machine's folders), says what is wrong and what the student should do,
so a batch can log one line and move on. A notebook is read with bounds (its size, how deeply its
JSON nests), as every file a student hands over is.
"""

from __future__ import annotations

import codecs
import hashlib
import json
from dataclasses import dataclass, field
from pathlib import Path

import nbformat

from ..errors import UsageError
from .kernel import KERNEL_NAME

SAVE_AGAIN = "open it in Jupyter and save it again"
MAX_NOTEBOOK_BYTES = 50_000_000   # a course notebook with its outputs is well under 10 MB
MAX_NOTEBOOK_DEPTH = 100          # a notebook nests about 6 levels; rich outputs (JSON, widgets) a few more


@dataclass(frozen=True)
class Submission:
    path: Path
    sha256: str
    notebook: nbformat.NotebookNode
    accepted_as: dict = field(default_factory=dict)   # nbformat and kernel it was found with, what it runs on
    notes: tuple[str, ...] = ()                       # how it was adapted, for the run record
    version: str | None = None                        # the known version it is (execution/matching.py)

    def to_dict(self) -> dict:
        return {"path": str(self.path), "name": self.path.name, "sha256": self.sha256,
                "accepted_as": dict(self.accepted_as), "notes": list(self.notes),
                "version": self.version}


def read_submission(path: Path) -> Submission:
    path = Path(path)
    if not path.is_file():
        raise UsageError(f"{path}: no such notebook file; check the path")
    name = path.name
    if path.stat().st_size > MAX_NOTEBOOK_BYTES:
        raise UsageError(f"{name} is larger than {MAX_NOTEBOOK_BYTES // 1_000_000} MB, far more than a "
                         "course notebook; clear its outputs (Kernel > Restart & Clear Output), save it and "
                         "submit that")
    raw = path.read_bytes()
    if not raw.strip():
        raise UsageError(f"{name} is empty, not a notebook; {SAVE_AGAIN} (File > Save) and submit that")
    if raw.startswith(codecs.BOM_UTF8):
        raise UsageError(f"{name} starts with a UTF-8 byte-order mark, which notebook files do not have; "
                         "save it again as UTF-8 without BOM")
    try:
        document = json.loads(raw)
    except RecursionError:
        raise UsageError(f"{name} nests too deeply to be a notebook; {SAVE_AGAIN}") from None
    except UnicodeDecodeError:
        raise UsageError(
            f"{name} is not UTF-8 text, so not a notebook; submit the .ipynb file Jupyter saved") from None
    except json.JSONDecodeError as error:
        raise UsageError(f"{name} is not valid notebook JSON (line {error.lineno}, column {error.colno}: "
                         f"{error.msg}); {SAVE_AGAIN}") from None
    if _depth(document) > MAX_NOTEBOOK_DEPTH:
        raise UsageError(f"{name} nests too deeply to be a notebook (more than {MAX_NOTEBOOK_DEPTH} levels); "
                         f"{SAVE_AGAIN}")
    if not isinstance(document, dict) or "cells" not in document and "worksheets" not in document:
        raise UsageError(f"{name} is JSON but not a Jupyter notebook (no cells); submit the .ipynb file")
    language, kernel, kernel_note = _kernel(document)
    if language.lower() != "python":
        raise UsageError(f"{name} is a notebook for {language} (kernel {kernel!r}); the course notebooks are "
                         "Python 3: switch the kernel to Python 3 (Kernel > Change kernel) and save")
    version = document.get("nbformat")
    notes = [kernel_note] if kernel_note else []
    if not isinstance(document.get("nbformat_minor"), int):
        raise UsageError(
            f"{name} has nbformat_minor {document.get('nbformat_minor')!r}, not an integer; {SAVE_AGAIN}")
    try:
        notebook = nbformat.reads(raw.decode(), as_version=4)
        nbformat.validate(notebook)
    except nbformat.ValidationError as error:
        reason = str(error.message).splitlines()[0][:200]
        raise UsageError(f"{name} is not a valid nbformat 4 notebook ({reason}); {SAVE_AGAIN}") from None
    except RecursionError:
        raise UsageError(f"{name} nests too deeply to be a notebook; {SAVE_AGAIN}") from None
    except Exception as error:   # nbformat cannot read or upgrade it (nbformat 1, unknown versions, ...)
        raise UsageError(f"{name} is nbformat {version}, which the grader cannot upgrade ({error}); "
                         f"{SAVE_AGAIN} with Jupyter 4 or later") from None
    if version != 4:
        notes.append(
            f"nbformat {version} notebook upgraded to nbformat 4 with nbformat {nbformat.__version__}")
    accepted_as = {"nbformat": version, "kernel": kernel, "language": language, "runs_on": KERNEL_NAME}
    return Submission(path=path.resolve(), sha256=hashlib.sha256(raw).hexdigest(), notebook=notebook,
                      accepted_as=accepted_as, notes=tuple(notes))


def _depth(document) -> int:
    """How many containers deep the JSON document nests, counted without recursion."""
    deepest, level = 0, [(document, 1)]
    while level:
        value, depth = level.pop()
        if isinstance(value, (dict, list)):
            deepest = max(deepest, depth)
            if depth <= MAX_NOTEBOOK_DEPTH:
                children = value.values() if isinstance(value, dict) else value
                level.extend((child, depth + 1) for child in children)
    return deepest


def _kernel(document: dict) -> tuple[str, str | None, str | None]:
    """(language, kernelspec name, note): what the notebook was written for, and a note when the
    grader's Python 3 kernel stands in for something the notebook did not name exactly."""
    metadata = document.get("metadata") if isinstance(document.get("metadata"), dict) else {}
    info = metadata.get("language_info") if isinstance(metadata.get("language_info"), dict) else {}
    spec = metadata.get("kernelspec") if isinstance(metadata.get("kernelspec"), dict) else {}
    name = spec.get("name") if isinstance(spec.get("name"), str) and spec.get("name") else None
    language = spec.get("language") or info.get("name") or _language_of(name) or "python"
    language = str(language)
    if name is None:
        told = f"its language_info says {language}" if info.get("name") else "it names no language"
        return (language, None,
                f"no kernelspec in the notebook's metadata ({told}): run on the Python 3 kernel")
    if name != KERNEL_NAME and language.lower() == "python":
        return language, name, f"kernelspec {name!r} is a Python kernel: run on the grader's Python 3 kernel"
    return language, name, None


def _language_of(kernel_name: str | None) -> str | None:
    """The language a kernel's name gives away when its kernelspec does not say (IRkernel, IJulia)."""
    name = (kernel_name or "").lower()
    if "python" in name or name.startswith("py"):
        return "python"
    if name == "ir" or name.startswith("ir_") or name.endswith("_r"):
        return "R"
    return "Julia" if "julia" in name else None
