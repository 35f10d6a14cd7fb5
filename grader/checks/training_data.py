"""Checks on the data the training job read (or, before there is a job, the data the notebook
uploaded): RecordIO-protobuf, Float32 features, feature count, labels, an 80/20 split of the
activity's data, and train and test kept apart."""

from __future__ import annotations

import math

import numpy as np

from .. import recordio
from ..linear_learner.data import DataError, parse_csv
from ..snapshots.snapshot import test_prefix_beside
from .evidence import Evidence, channel_url
from .outcome import Outcome, failed, passed, unknown
from .s3 import not_uploaded, uploaded_location

SPLIT_TOLERANCE = 0.01   # of the activity's rows: train_test_split rounds the test size up
DISTINCT_ROWS = 0.95     # share of distinct training rows needed to compare rows
OVERLAP_SHARE = 0.1      # share of test rows found in train that counts as overlap


CSV = "text/csv"   # Records.feature_dtype of data uploaded as label-first CSV instead of RecordIO


def channel_location(ev: Evidence, channel: str) -> str | None:
    """Where the job reads the channel; for a test channel the job lacks, the uploaded test data
    beside its train data (<prefix>/test/ next to <prefix>/train/), so one missing channel is one fault.
    With no training job, where the notebook uploaded the channel's data (uploaded_location)."""
    job = ev.graded_job()
    if job is None:
        return uploaded_location(ev, channel)
    url = channel_url(job, channel)
    if url is None and channel == "test":
        sibling = test_prefix_beside(channel_url(job, "train"))
        url = sibling if sibling and ev.objects_under(sibling) else None
    return url


def decode_channel(ev: Evidence, channel: str):
    """(Records, None) or (None, Outcome) for the objects under the job's channel, or, with no job,
    those the notebook uploaded as that channel's data."""
    job = ev.graded_job()
    url = channel_location(ev, channel)
    if url is None and job is None:
        return None, failed(not_uploaded(ev, channel))
    if url is None:
        return None, failed(f"training job {job['TrainingJobName']} has no '{channel}' channel "
                            f"and no {channel} data "
                            "was found beside its train data")
    bodies = ev.object_bodies(url)
    if not bodies:
        return None, failed(f"no objects under {url}; upload the {channel} data before training", url=url)
    if (any(body is None for _, body in bodies)
            or any(item.get("content_truncated") for item in ev.objects_under(url))):
        return None, unknown(f"the content of {url} is not in the snapshot (too large or unreadable)",
                             url=url)
    parts = []
    for key, body in bodies:
        try:
            parts.append(recordio.read(body) if recordio.looks_like_recordio(body) else _read_csv(body, key))
        except recordio.RecordIOError as error:
            return None, failed(f"{key} is damaged RecordIO-protobuf: {error}", key=key)
        except DataError:
            preview = body[:40].decode("utf-8", "replace")
            return None, failed(f"{key} is neither RecordIO-protobuf nor numeric CSV "
                                f"(it starts {preview!r}); encode "
                                "it with smac.write_numpy_to_dense_tensor as the lesson does", key=key)
    return _combine(parts), None


def _read_csv(body: bytes, key: str) -> recordio.Records:
    """Label-first CSV, as linear-learner reads text/csv: the data checks still apply to it."""
    rows = parse_csv(body.decode("utf-8", "replace"), key)
    if rows.shape[1] < 2:
        raise DataError(key)
    return recordio.Records(features=rows[:, 1:], labels=rows[:, 0], feature_dtype=CSV, label_dtype=CSV)


def decode_train_and_test(ev: Evidence):
    """(train, test, None), or (None, None, Outcome) for the first that cannot be read."""
    train, outcome = decode_channel(ev, "train")
    if outcome:
        return None, None, outcome
    test, outcome = decode_channel(ev, "test")
    return (None, None, outcome) if outcome else (train, test, None)


def _combine(parts: list) -> recordio.Records:
    if len(parts) == 1:
        return parts[0]
    labels = [part.labels for part in parts]
    return recordio.Records(
        features=np.vstack([part.features for part in parts]),
        labels=None if any(label is None for label in labels) else np.concatenate(labels),
        feature_dtype=parts[0].feature_dtype, label_dtype=parts[0].label_dtype, sparse=parts[0].sparse)


def recordio_format(ev: Evidence, channel: str) -> Outcome:
    records, outcome = decode_channel(ev, channel)
    if outcome:
        return outcome
    if records.feature_dtype == CSV:
        return failed(f"the {channel} data is CSV text, not RecordIO-protobuf; encode it with "
                      "smac.write_numpy_to_dense_tensor(buf, vectors, labels) as the lesson does", format=CSV)
    if records.feature_dtype != "float32":
        return failed(f"{channel} features are {records.feature_dtype} tensors; "
                      "linear-learner reads only Float32 "
                      "tensors: cast with .astype('float32') before write_numpy_to_dense_tensor",
                      dtype=records.feature_dtype)
    return passed(f"{channel} data is RecordIO-protobuf with {records.count} Float32 records",
                  records=records.count)


def feature_count(ev: Evidence) -> Outcome:
    records, outcome = decode_channel(ev, "train")
    if outcome:
        return outcome
    expected = int(ev.expected["feature_dim"])
    if records.feature_dim != expected:
        return failed(f"the training data has {records.feature_dim} feature(s) per record; the activity uses "
                      f"{expected}", features=records.feature_dim)
    return passed(f"the training data has {expected} feature(s) per record", features=records.feature_dim)


def labels(ev: Evidence, channel: str) -> Outcome:
    records, outcome = decode_channel(ev, channel)
    if outcome:
        return outcome
    if records.labels is None:
        return failed(f"the {channel} records have no labels; "
                      "pass them: write_numpy_to_dense_tensor(buf, vectors, "
                      "labels)")
    values = np.unique(records.labels)
    kind = ev.expected["predictor_type"]
    if kind == "binary_classifier" and not set(values.tolist()) <= {0.0, 1.0}:
        return failed(f"{channel} labels must be 0 or 1 for binary_classifier; "
                      f"found {values[:6].tolist()}: encode "
                      "the target as 0/1", labels=values[:10].tolist())
    if kind == "regressor" and len(values) <= 2:
        return failed(f"{channel} labels take only {values.tolist()}: a regressor needs the numeric target",
                      labels=values.tolist())
    return passed(f"{channel} labels fit {kind} ({len(values)} distinct values)", distinct=len(values))


def split_sizes(ev: Evidence) -> Outcome:
    train, test, outcome = decode_train_and_test(ev)
    if outcome:
        return outcome
    rows, share = int(ev.expected["rows"]), float(ev.expected["test_size"])
    want_test = math.ceil(rows * share)
    want_train = rows - want_test
    slack = max(1, round(rows * SPLIT_TOLERANCE))
    counts = {"train": train.count, "test": test.count,
              "expected_train": want_train, "expected_test": want_test}
    if train.count < test.count:
        return failed(f"train has {train.count} records and test {test.count}: they look swapped; "
                      "train on the 80% "
                      "(X_train, y_train) and test on the 20%", **counts)
    if abs(train.count - want_train) > slack or abs(test.count - want_test) > slack:
        return failed(f"train has {train.count} and test {test.count} records; "
                      f"an 80/20 split of the {rows} rows "
                      f"gives {want_train} and {want_test} (train_test_split(X, y, test_size=0.2))", **counts)
    return passed(f"train {train.count} and test {test.count} records: an 80/20 split of {rows}", **counts)


def no_overlap(ev: Evidence) -> Outcome:
    train, test, outcome = decode_train_and_test(ev)
    if outcome:
        return outcome
    rows = int(ev.expected["rows"])
    if train.count + test.count > rows + max(1, round(rows * SPLIT_TOLERANCE)):
        return failed(f"train and test hold {train.count + test.count} records together "
                      f"but the data has {rows}: "
                      "test records are also in train; split once with train_test_split and upload each part",
                      train=train.count, test=test.count)
    if train.labels is not None and test.labels is not None:
        train_rows = [row.tobytes()
                      for row in np.column_stack([train.features, train.labels]).astype(np.float32)]
        distinct = set(train_rows)
        shared = sum(row.tobytes() in distinct
                     for row in np.column_stack([test.features, test.labels]).astype(np.float32))
        # Only data whose rows are distinct can show overlap row by row (rainfall repeats most of its rows).
        if len(distinct) >= DISTINCT_ROWS * len(train_rows) and shared > max(2, OVERLAP_SHARE * test.count):
            return failed(f"{shared} of the {test.count} test records are also in train; "
                          "keep the test set apart",
                          shared=shared)
    return passed("train and test do not overlap", train=train.count, test=test.count)
