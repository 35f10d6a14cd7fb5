"""Notebooks made the way real submissions arrive: nbformat 3 (worksheets, `input` instead of
`source`), no kernelspec, the kernelspec of a SageMaker notebook instance, comment-only blanks.
Test helpers only; each returns the path written."""

from __future__ import annotations

import json
import textwrap
from pathlib import Path

CONDA_PYTHON3 = {"name": "conda_python3", "display_name": "conda_python3", "language": "python"}
PYTHON_INFO = {"name": "python", "version": "3.6.5", "mimetype": "text/x-python", "file_extension": ".py"}


def _lines(code: str) -> list[str]:
    return textwrap.dedent(code).strip().splitlines(keepends=True)


def write_v3(path: Path, cells: list[str], metadata: dict | None = None) -> Path:
    """nbformat 3 as Jupyter 2/3 saved it: one worksheet, code cells with `input` and `language`."""
    document = {"nbformat": 3, "nbformat_minor": 0, "metadata": {"name": "", **(metadata or {})},
                "worksheets": [{"cells": [{"cell_type": "code", "collapsed": False, "input": _lines(code),
                                           "language": "python", "metadata": {}, "outputs": [],
                                           "prompt_number": None} for code in cells], "metadata": {}}]}
    path.write_text(json.dumps(document, indent=1))
    return path


def write_v4(path: Path, cells: list[str], *, kernelspec: dict | None = None,
             language_info: dict | None = None, markdown: dict[int, str] | None = None) -> Path:
    """nbformat 4; no kernelspec unless given (as after a conversion from nbformat 2 or 3).
    `markdown` puts a markdown cell before the code cell of that index."""
    metadata = {}
    if kernelspec:
        metadata["kernelspec"] = kernelspec
    if language_info:
        metadata["language_info"] = language_info
    out = []
    for index, code in enumerate(cells):
        if markdown and index in markdown:
            out.append({"cell_type": "markdown", "metadata": {}, "source": _lines(markdown[index])})
        out.append({"cell_type": "code", "execution_count": None, "metadata": {}, "outputs": [],
                    "source": _lines(code)})
    path.write_text(json.dumps({"nbformat": 4, "nbformat_minor": 2, "metadata": metadata, "cells": out},
                               indent=1))
    return path
