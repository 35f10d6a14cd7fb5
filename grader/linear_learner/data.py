"""Turning a channel's objects (RecordIO-protobuf or CSV) into features and labels."""

from __future__ import annotations

import io

import numpy as np

from .. import recordio
from .algorithm import Dataset

RECORDIO = "application/x-recordio-protobuf"
CSV = "text/csv"


class DataError(ValueError):
    """Channel data the algorithm cannot use; str() is the job's FailureReason."""


def base_content_type(content_type: str | None) -> str:
    return (content_type or RECORDIO).split(";")[0].strip().lower()


def parse_csv(text: str, where: str) -> np.ndarray:
    try:
        rows = np.loadtxt(io.StringIO(text), delimiter=",", dtype=float, ndmin=2)
    except ValueError as error:
        raise DataError(f"ClientError: Unable to read {where} as text/csv: {error}. The CSV must be numeric "
                        "with no header row.") from None
    return rows


def read_channel(name: str, objects: list[tuple[str, bytes]], content_type: str | None) -> Dataset:
    """All objects of one channel as one dataset; labels are required for training channels."""
    kind = base_content_type(content_type)
    features, labels = [], []
    for key, body in objects:
        where = f"channel '{name}' object '{key}'"
        if kind == RECORDIO:
            try:
                records = recordio.read(body)
            except recordio.RecordIOError as error:
                raise DataError(f"ClientError: Unable to read data channel '{name}'. Requested content-type "
                                f"is '{RECORDIO}'. Please verify the data matches the requested "
                                f"content-type. ({key}: {error})") from None
            if records.count == 0:
                continue
            if records.feature_dtype != "float32":
                raise DataError(f"ClientError: The features in {where} are {records.feature_dtype} tensors; "
                                "linear-learner reads only Float32 tensors from "
                                "application/x-recordio-protobuf. Cast them with .astype('float32') before "
                                "write_numpy_to_dense_tensor.")
            if records.labels is None:
                raise DataError(f"ClientError: The data in {where} has no labels. Write them with "
                                "write_numpy_to_dense_tensor(buf, features, labels).")
            features.append(records.features.astype(float))
            labels.append(records.labels.astype(float))
        elif kind == CSV:
            rows = parse_csv(body.decode("utf-8", "replace"), where)
            if rows.size == 0:
                continue
            if rows.shape[1] < 2:
                raise DataError(f"ClientError: {where} has one column; text/csv training data needs the "
                                "label in the first column and at least one feature after it.")
            features.append(rows[:, 1:])
            labels.append(rows[:, 0])
        else:
            raise DataError(f"ClientError: Content type '{content_type}' of channel '{name}' is not "
                            f"supported by linear-learner; use '{RECORDIO}' or '{CSV}'.")
    if not features:
        raise DataError(f"ClientError: Channel '{name}' contains no records.")
    widths = sorted({f.shape[1] for f in features})
    if len(widths) > 1:
        raise DataError(
            f"ClientError: Objects in channel '{name}' have different numbers of features: {widths}.")
    return Dataset(np.vstack(features), np.concatenate(labels))
