"""Reading a submitted notebook, refusing anything the runner cannot run faithfully.

Every refusal is a UsageError whose message names the file, says what is wrong and what the
student should do, so a batch can log one line and move on.
"""

from __future__ import annotations

import codecs
import hashlib
import json
from dataclasses import dataclass
from pathlib import Path

import nbformat

from ..errors import UsageError

SAVE_AGAIN = "open it in Jupyter and save it again"


@dataclass(frozen=True)
class Submission:
    path: Path
    sha256: str
    notebook: nbformat.NotebookNode

    def to_dict(self) -> dict:
        return {"path": str(self.path), "name": self.path.name, "sha256": self.sha256}


def read_submission(path: Path) -> Submission:
    path = Path(path)
    if not path.is_file():
        raise UsageError(f"{path}: no such notebook file; check the path")
    raw = path.read_bytes()
    if not raw.strip():
        raise UsageError(f"{path} is empty, not a notebook; {SAVE_AGAIN} (File > Save) and submit that")
    if raw.startswith(codecs.BOM_UTF8):
        raise UsageError(f"{path} starts with a UTF-8 byte-order mark, which notebook files do not have; save it "
                         "again as UTF-8 without BOM")
    try:
        document = json.loads(raw)
    except RecursionError:
        raise UsageError(f"{path} nests too deeply to be a notebook; {SAVE_AGAIN}") from None
    except UnicodeDecodeError:
        raise UsageError(f"{path} is not UTF-8 text, so not a notebook; submit the .ipynb file Jupyter saved") from None
    except json.JSONDecodeError as error:
        raise UsageError(f"{path} is not valid notebook JSON (line {error.lineno}, column {error.colno}: "
                         f"{error.msg}); {SAVE_AGAIN}") from None
    if not isinstance(document, dict) or "cells" not in document and "worksheets" not in document:
        raise UsageError(f"{path} is JSON but not a Jupyter notebook (no cells); submit the .ipynb file")
    version = document.get("nbformat")
    if version != 4:
        raise UsageError(f"{path} is nbformat {version}; the grader runs nbformat 4 notebooks: "
                         f"{SAVE_AGAIN} with Jupyter 4 or later to convert it")
    if not isinstance(document.get("nbformat_minor"), int):
        raise UsageError(f"{path} has nbformat_minor {document.get('nbformat_minor')!r}, not an integer; {SAVE_AGAIN}")
    kernelspec = (document.get("metadata") or {}).get("kernelspec")
    if not isinstance(kernelspec, dict) or not kernelspec.get("name"):
        raise UsageError(f"{path} has no kernelspec in its metadata; open it in Jupyter, choose a Python 3 "
                         "kernel (Kernel > Change kernel) and save")
    language = kernelspec.get("language") or (document["metadata"].get("language_info") or {}).get("name", "python")
    if str(language).lower() != "python":
        raise UsageError(f"{path} uses a {language} kernel; the course notebooks are Python 3: "
                         "switch the kernel to Python 3 and save")
    try:
        notebook = nbformat.reads(raw.decode(), as_version=4)
        nbformat.validate(notebook)
    except nbformat.ValidationError as error:
        reason = str(error.message).splitlines()[0][:200]
        raise UsageError(f"{path} is not a valid nbformat 4 notebook ({reason}); {SAVE_AGAIN}") from None
    except RecursionError:
        raise UsageError(f"{path} nests too deeply to be a notebook; {SAVE_AGAIN}") from None
    return Submission(path=path.resolve(), sha256=hashlib.sha256(raw).hexdigest(), notebook=notebook)
