"""Pairs of students whose code is near-identical once the code every student is given or shown is
discounted: copydetect's winnowing fingerprints (as MOSS does: names, strings and comments
normalised away, order of cells irrelevant to the fingerprints) of each student's code cells, with the
activity's starter and solution as boilerplate, so students who only filled the starter's blanks the
lesson's way do not match each other. A pair is listed when what the two share, beyond the
boilerplate, is both most of one student's own code and long enough to mean something.

For staff only (index.html, the `similar` flag); it never changes a grade. Measured on a planted class
(tests/similarity_class.py, benchmarks/similarity.py).
"""

from __future__ import annotations

import io
import json
import logging
from dataclasses import asdict, dataclass
from itertools import combinations
from pathlib import Path

from ..activities import Activity
from ..files import write_atomic

SIMILAR_FILE = "similar.json"       # in DIR: the pairs found by the last `grader grade`
NOISE_CHARS = 25                    # copydetect's defaults: k-grams of 25 characters of normalised code,
GUARANTEE_CHARS = 30                # and any shared run of 30 is found
MIN_SHARE = 0.9                     # of each one's own (non-boilerplate) code: a copy shares nearly all
MIN_SHARED_CHARS = 300              # of normalised code shared, beyond the boilerplate


@dataclass(frozen=True)
class Pair:
    a: str
    b: str
    share_a: float                  # of a's own code, the part b has too
    share_b: float
    shared_chars: int

    @property
    def score(self) -> float:
        """The smaller share: a copy shares nearly all of both students' own code."""
        return min(self.share_a, self.share_b)


def _normalised(source: str) -> str:
    from copydetect.utils import filter_code

    return filter_code(source, "cell.py", language="python")[0]


def notebook_code(paths: list[Path]) -> str:
    """The code cells of a submission, IPython's magics and shell lines left out, in the order of their
    normalised code (names, strings and comments aside): moving cells around changes nothing."""
    cells = []
    for path in paths:
        try:
            notebook = json.loads(Path(path).read_text(encoding="utf-8"))
        except (OSError, ValueError):
            continue
        for cell in notebook.get("cells", []) if isinstance(notebook, dict) else []:
            if isinstance(cell, dict) and cell.get("cell_type") == "code":
                source = cell.get("source", "")
                source = "".join(source) if isinstance(source, list) else str(source)
                lines = [line for line in source.splitlines() if not line.lstrip().startswith(("%", "!"))]
                cells.append("\n".join(lines))
    return "\n\n".join(sorted(cells, key=_normalised))


def _fingerprint(code: str, boilerplate=None):
    from copydetect import CodeFingerprint

    return CodeFingerprint("code.py", NOISE_CHARS, GUARANTEE_CHARS - NOISE_CHARS + 1, boilerplate=boilerplate,
                           language="python", fp=io.StringIO(code))


def similar_pairs(activity: Activity, submissions: dict[str, list[Path]]) -> list[Pair]:
    """Every pair over the thresholds, most similar first."""
    from copydetect import compare_files

    root = logging.getLogger()
    root.setLevel(max(root.level, logging.ERROR))   # copydetect warns on short code
    given = [path for variant in ("starter", "solution") for name in activity.notebooks
             if (path := activity.notebook(variant, name)).is_file()]
    boilerplate = sorted(_fingerprint(notebook_code(given)).hashes)
    prints = {student: _fingerprint(notebook_code(files), boilerplate)
              for student, files in submissions.items() if files}
    pairs = []
    for a, b in combinations(sorted(prints), 2):
        shared, (share_a, share_b), _ = compare_files(prints[a], prints[b])
        if min(share_a, share_b) >= MIN_SHARE and shared >= MIN_SHARED_CHARS:
            pairs.append(Pair(a, b, round(float(share_a), 3), round(float(share_b), 3), int(shared)))
    return sorted(pairs, key=lambda pair: -pair.score)


def similar_students(pairs: list[Pair]) -> set[str]:
    return {student for pair in pairs for student in (pair.a, pair.b)}


def write_pairs(out: Path, pairs: list[Pair]) -> None:
    write_atomic(Path(out) / SIMILAR_FILE, json.dumps([asdict(pair) for pair in pairs], indent=1))


def read_pairs(out: Path) -> list[Pair]:
    try:
        return [Pair(**pair) for pair in json.loads((Path(out) / SIMILAR_FILE).read_text())]
    except (OSError, ValueError, TypeError):
        return []
