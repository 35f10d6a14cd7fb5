"""Which library era a failing notebook was written for, told by its error.

Students write for the libraries of their time: the course's 2019-2021 notebooks call APIs that
today's pandas, numpy and scikit-learn removed, and a notebook written today calls APIs the course's
libraries did not have yet. Each signature below is an error that only code written for the other
era raises, with the environment where that code runs (`written_for`) and a snippet that raises it
everywhere else (tests/test_eras.py runs every snippet in both environments). A run whose failure
matches a signature of another environment is re-run there, and the better run is kept.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from ..text import plain
from .record import RunRecord


@dataclass(frozen=True)
class Signature:
    written_for: str    # the environment where this code runs
    api: str            # what the code uses, for the note a student reads
    error: str          # the exception's class name
    message: str        # regular expression searched in the exception's message
    example: str        # code that runs in `written_for` and raises this error in the other environment
    needs_in_traceback: str = ""   # the traceback must mention this too (a KeyError: -1 could be a dict's)

    def matches(self, name: str, value: str, traceback: str) -> bool:
        return (name == self.error and re.search(self.message, value) is not None
                and self.needs_in_traceback in traceback)


SIGNATURES = (
    # Code written for the course's libraries, failing on today's.
    Signature("course-era", "Series[-1], an integer key read as a position (pandas < 3)", "KeyError",
              r"^-?\d+$", "import pandas as pd\npd.Series([1.0, 2.0], index=['a', 'b'])[-1]",
              needs_in_traceback="pandas"),
    Signature("course-era", "Series.append / DataFrame.append (pandas < 2)", "AttributeError",
              r"'(Series|DataFrame)' object has no attribute 'append'",
              "import pandas as pd\npd.Series([1.0]).append(pd.Series([2.0]))"),
    Signature("course-era", "DataFrame.iteritems (pandas < 2)", "AttributeError",
              r"'(Series|DataFrame)' object has no attribute 'iteritems'",
              "import pandas as pd\nlist(pd.DataFrame({'a': [1]}).iteritems())"),
    Signature("course-era", "fillna(method=...) (pandas < 3)", "TypeError",
              r"fillna\(\) got an unexpected keyword argument 'method'",
              "import pandas as pd\npd.Series([1.0, None]).fillna(method='ffill')"),
    Signature("course-era", "np.NaN, np.Inf and other aliases (numpy < 2)", "AttributeError",
              r"was removed in the NumPy 2\.0 release", "import numpy as np\nnp.NaN"),
    Signature("course-era", "np.float, np.int, np.object (numpy < 1.24)", "AttributeError",
              r"module 'numpy' has no attribute '(float|int|object|str|unicode|complex)'",
              "import numpy as np\nnp.array([1, 2]).astype(np.float)"),
    Signature("course-era", "OneHotEncoder(sparse=...) (scikit-learn < 1.4)", "TypeError",
              r"OneHotEncoder\.__init__\(\) got an unexpected keyword argument 'sparse'$",
              "from sklearn.preprocessing import OneHotEncoder\nOneHotEncoder(sparse=False)"),
    Signature("course-era", "get_feature_names (scikit-learn < 1.2)", "AttributeError",
              r"object has no attribute 'get_feature_names'$",
              "from sklearn.preprocessing import OneHotEncoder\n"
              "OneHotEncoder().fit([['a']]).get_feature_names()"),
    Signature("course-era", "mean_squared_error(squared=False) (scikit-learn < 1.6)", "TypeError",
              r"got an unexpected keyword argument 'squared'",
              "from sklearn.metrics import mean_squared_error\n"
              "mean_squared_error([1.0], [1.0], squared=False)"),
    Signature("course-era", "plot_confusion_matrix and the other plot_* functions (scikit-learn < 1.2)",
              "ImportError", r"cannot import name 'plot_\w+' from 'sklearn\.metrics'",
              "from sklearn.metrics import plot_confusion_matrix"),
    Signature("course-era", "load_boston (scikit-learn < 1.2)", "ImportError", r"load_boston",
              "from sklearn.datasets import load_boston"),
    # Code written for today's libraries, failing on the course's.
    Signature("current", "OneHotEncoder(sparse_output=...) (scikit-learn >= 1.2)", "TypeError",
              r"got an unexpected keyword argument 'sparse_output'",
              "from sklearn.preprocessing import OneHotEncoder\nOneHotEncoder(sparse_output=False)"),
    Signature("current", "set_output (scikit-learn >= 1.2)", "AttributeError",
              r"object has no attribute 'set_output'",
              "from sklearn.preprocessing import StandardScaler\n"
              "StandardScaler().set_output(transform='pandas')"),
    Signature("current", "root_mean_squared_error (scikit-learn >= 1.4)", "ImportError",
              r"cannot import name 'root_mean_squared_error'",
              "from sklearn.metrics import root_mean_squared_error"),
    Signature("current", "DataFrame.map (pandas >= 2.1)", "AttributeError",
              r"'DataFrame' object has no attribute 'map'",
              "import pandas as pd\npd.DataFrame({'a': [1]}).map(str)"),
)


@dataclass(frozen=True)
class Diagnosis:
    environment: str    # where the notebook's code should run
    reason: str         # one sentence: the cell, its error and the API it belongs to


def diagnose(records: list[RunRecord], ran_on: str) -> Diagnosis | None:
    """The environment the failing code was written for, when a failed cell matches a signature of an
    environment other than `ran_on` (the first such cell decides)."""
    for record in records:
        for cell in record.cells:
            if cell.status != "error" or cell.error is None:
                continue
            name, value = cell.error.name, plain(cell.error.value)
            traceback = plain("\n".join(cell.error.traceback))
            for signature in SIGNATURES:
                if signature.written_for != ran_on and signature.matches(name, value, traceback):
                    where = f"{record.notebook} " if len(records) > 1 else ""
                    return Diagnosis(signature.written_for,
                                     f"{where}cell {cell.index} failed on '{ran_on}' with {name}: "
                                     f"{value.splitlines()[0][:120] if value else ''}, an API of "
                                     f"'{signature.written_for}': {signature.api}")
    return None


def failed_cells(records: list[RunRecord]) -> int:
    """How far a submission's run fell short: cells that did not finish ok (errors, timeouts, cells
    never run after a dead kernel). Fewer is better."""
    return sum(cell.status != "ok" for record in records for cell in record.cells)


def shortfall(records: list[RunRecord], shown: int = 5) -> dict:
    """The run that was not kept, in brief: its environment, how many cells were not ok, its errors."""
    errors = [f"{record.notebook} cell {cell.index}: {cell.error.name}: {plain(cell.error.value)}"[:300]
              for record in records for cell in record.cells if cell.error]
    return {"environment": records[0].environment.get("name") if records else None,
            "cells_not_ok": failed_cells(records), "errors": errors[:shown]}
