"""Labels agree with the course data: each uploaded train and test record is matched to its source
row of the course's dataset and its label compared with that row's.

Accuracy or R2 cannot show shuffled labels where the data has little signal (rainfall) or where a
broken model scores like the majority class (credit risk); the labels themselves can. Records are
matched on their features, up to the student's own per-column scaling (any a*x + b: StandardScaler,
MinMaxScaler, none) and encoding (one-hot or ordinal codes of a category): the key columns are the
uploaded columns with several distinct values that fit exactly one column of the course data. Rows
that share a key (rainfall's TempAvgF repeats) are compared as multisets: the labels uploaded with a
key must be labels that key has in the course data. Classification labels may use any encoding the
activity lists (good=0/bad=1 or the reverse, as LabelEncoder gives).

What the course data is (`[expected.course_table]` in activity.toml): the features file, and the
labels as a column of it or as a file of their own.
"""

from __future__ import annotations

import io
from collections import Counter
from dataclasses import dataclass

import numpy as np
import pandas as pd

from ..datasets import DataFileMissing, content_as_used
from .evidence import Evidence
from .outcome import Outcome, failed, passed, skipped, unknown
from .training_data import decode_train_and_test

FIT_SHARE = 0.995        # share of a column's distinct values that must land on course values
KEY_MIN_DISTINCT = 3     # binary columns (one-hot) fit every binary column: they cannot identify rows
LABEL_DECIMALS = 4       # labels compared after rounding (float32 uploads of 2-decimal course values)


@dataclass
class CourseTable:
    columns: dict[str, np.ndarray]    # candidates: numeric as they are, categories one-hot and as codes
    labels: list[np.ndarray]          # the label column under each accepted encoding


@dataclass
class ColumnFit:
    source: str
    scale: float
    shift: float
    values: np.ndarray                # the source column's distinct values, sorted

    def keys(self, uploaded: np.ndarray) -> np.ndarray:
        """Index of the course value each uploaded value maps to."""
        mapped = self.scale * _as_uploaded(uploaded) + self.shift
        return _nearest(self.values, mapped)


def _as_uploaded(values: np.ndarray) -> np.ndarray:
    """At Float32 precision, as linear-learner reads them (one channel may hold float64 tensors)."""
    return values.astype(np.float32).astype(np.float64)


def _nearest(values: np.ndarray, targets: np.ndarray) -> np.ndarray:
    right = np.clip(np.searchsorted(values, targets), 1, max(len(values) - 1, 1))
    left = right - 1
    return np.where(np.abs(targets - values[left]) <= np.abs(values[right] - targets), left, right)


def _tolerance(values: np.ndarray) -> float:
    gaps = np.diff(values)
    span = float(values[-1] - values[0]) if len(values) > 1 else 1.0
    return min(1e-5 * span + 1e-6 * float(np.max(np.abs(values))),
               0.25 * float(gaps.min()) if len(gaps) else 1.0)


def _fits(uploaded: np.ndarray, name: str, column: np.ndarray) -> ColumnFit | None:
    """The a*x + b (a > 0) that takes every uploaded value onto a value of the course column, if any:
    tried as no scaling, as the extremes matched, and as the spreads matched (then refined once)."""
    present = column[~np.isnan(column)]
    values = np.unique(present)
    mine = np.unique(_as_uploaded(uploaded))
    if len(mine) < 2 or len(values) < len(mine):
        return None
    spread = (values[-1] - values[0]) / (mine[-1] - mine[0])
    deviation = np.std(present) / np.std(uploaded) if np.std(uploaded) > 0 else spread
    candidates = [(1.0, 0.0), (spread, values[0] - spread * mine[0]),
                  (deviation, np.mean(present) - deviation * np.mean(uploaded))]
    tolerance = _tolerance(values)
    for scale, shift in candidates:
        for _ in range(2):   # as given, then refitted on the course values the first try landed on
            mapped = scale * mine + shift
            landed = values[_nearest(values, mapped)]
            distinct = len(np.unique(landed)) == len(mine)   # different values stay different
            if scale > 0 and distinct and np.mean(np.abs(landed - mapped) <= tolerance) >= FIT_SHARE:
                return ColumnFit(name, float(scale), float(shift), values)
            scale, shift = np.polyfit(mine, landed, 1)
    return None


def course_table(spec: dict, data_files: list[dict]) -> CourseTable:
    """The activity's course data (`[expected.course_table]`) as the run used it (its record's
    data_files); raises DataFileMissing when it cannot be had again with the same content."""
    raw = {name: content_as_used(name, data_files)
           for name in filter(None, [spec["features"], spec.get("labels")])}
    missing = [name for name, data in raw.items() if data is None]
    if missing:
        raise DataFileMissing(f"the course data the run used ({', '.join(missing)}) cannot be read "
                              "again with the "
                              "same content; pass the same --data-dir")
    table = pd.read_csv(io.BytesIO(raw[spec["features"]]))
    if str(table.columns[0]).startswith("Unnamed"):   # a saved index column, as in german_credit_data.csv
        table = table.drop(columns=table.columns[0])
    if spec.get("labels"):
        labels = pd.read_csv(io.BytesIO(raw[spec["labels"]]), header=None).iloc[:, 0]
    else:
        labels = table.pop(spec["label_column"])
    encodings = [labels.map(codes).astype(float).to_numpy() for codes in spec.get("label_codes", [])]
    columns = {}
    for name in table.columns:
        series = table[name]
        if pd.api.types.is_numeric_dtype(series):
            columns[name] = series.astype(float).to_numpy()
            continue
        categories = sorted(series.dropna().unique())
        for category in categories:
            columns[f"{name}={category}"] = (series == category).astype(float).to_numpy()
        columns[f"{name}=NA"] = series.isna().astype(float).to_numpy()
        columns[f"{name} (codes)"] = (series.map({c: i for i, c in enumerate(categories)})
                                      .astype(float).to_numpy())
    return CourseTable(columns, encodings or [labels.astype(float).to_numpy()])


def _key_fits(table: CourseTable, features: np.ndarray) -> list[list[ColumnFit]]:
    """For each uploaded column with several distinct values, the course columns it fits."""
    found = []
    for j in range(features.shape[1]):
        column = features[:, j]
        if len(np.unique(column)) < KEY_MIN_DISTINCT:
            continue
        fits = [fit for name, source in table.columns.items()
                if (fit := _fits(column, name, source)) is not None]
        if fits:
            found.append((j, fits))
    return found


def _disagreements(table: CourseTable, keys: list[tuple[int, ColumnFit]], features,
                   labels) -> tuple[int, int]:
    """(records whose label is not one its key has in the course data, records with no course row)."""
    source_keys = list(zip(*[_nearest(fit.values, table.columns[fit.source]) for _, fit in keys]))
    mine = list(zip(*[fit.keys(features[:, j]) for j, fit in keys]))
    uploaded = Counter(zip(mine, np.round(labels.astype(np.float64), LABEL_DECIMALS)))
    known = set(source_keys)
    orphans = sum(count for (key, _), count in uploaded.items() if key not in known)
    best = 0
    for encoded in table.labels:
        course = Counter(zip(source_keys, np.round(encoded, LABEL_DECIMALS)))
        best = max(best, sum(min(count, course[item]) for item, count in uploaded.items()))
    return len(labels) - best, orphans


def agreement(table: CourseTable, train, test) -> dict | None:
    """How many uploaded records (train and test Records) carry a label that is not their row's in
    the course data; None when no uploaded column identifies rows."""
    candidates = _key_fits(table, np.vstack([train.features, test.features]))
    unique = [(j, fits[0]) for j, fits in candidates if len({fit.source for fit in fits}) == 1]
    options = [unique] if unique else [[(j, fit)] for j, fits in candidates[:1] for fit in fits]
    if not options or not options[0]:
        return None
    results = []
    for keys in options:
        counts = [_disagreements(table, keys, part.features, part.labels) for part in (train, test)]
        results.append((sum(wrong for wrong, _ in counts), counts, keys))
    wrong, counts, keys = min(results, key=lambda item: item[0])
    total = train.count + test.count
    return {"disagree": wrong, "records": total, "share": round(wrong / total, 4),
            "matched_on": ", ".join(fit.source for _, fit in keys),
            "train": {"disagree": counts[0][0], "records": train.count, "no_course_row": counts[0][1]},
            "test": {"disagree": counts[1][0], "records": test.count, "no_course_row": counts[1][1]}}


def labels_agree(ev: Evidence) -> Outcome:
    spec = ev.expected.get("course_table")
    if not spec:
        return skipped("the activity names no course data to compare labels with")
    train, test, outcome = decode_train_and_test(ev)
    if outcome:
        return outcome
    if train.labels is None or test.labels is None:
        return failed("the train or test records have no labels to compare with the course data")
    try:
        table = course_table(spec, [item for run in ev.runs for item in run.data_files])
    except DataFileMissing as error:
        return unknown(f"the labels could not be compared: {error}")
    found = agreement(table, train, test)
    if found is None:
        return unknown("the uploaded features match no column of the course data up to scaling, so "
                       "the records "
                       "cannot be matched to their rows and their labels were not compared")
    wrong, total, train_part, test_part = found["disagree"], found["records"], found["train"], found["test"]
    if found["share"] > float(ev.thresholds.get("labels_disagree_max", 0.01)):
        return failed(f"{wrong} of the {total} uploaded records ({found['share']:.0%}; "
                      f"train {train_part['disagree']}/{train_part['records']}, "
                      f"test {test_part['disagree']}/{test_part['records']}) carry a label that "
                      f"is not their row's in the course data (matched on {found['matched_on']}): "
                      "the labels were shuffled, misaligned with their rows or re-encoded; "
                      "keep each row's features and label together "
                      "(one train_test_split(X, y) call)", **found)
    return passed(f"the uploaded records carry their rows' labels from the course data "
                  f"({total - wrong} of {total}, "
                  f"matched on {found['matched_on']})", **found)
