"""Hints for the course's common mistakes, matched on a failed cell's error: what the error means in
this course's notebooks and what to do, in one sentence. Reports show it under the failed cell."""

from __future__ import annotations

import re

HINTS = (
    (re.compile(r"\b1319\b.*\b1318\b|\b1318\b.*\b1319\b"),   # e.g. inconsistent numbers of samples
     "y_austin_final.csv has no header row: read it with pd.read_csv(file_path, header=None) (or "
     "names=[...]), or its first value becomes the column name and y has 1318 rows against X's 1319"),
    (re.compile(r"NoSuchBucket"),
     "the bucket does not exist: create it first (S3 console, or create_bucket in us-west-2) and set "
     "`bucket = ...` to its exact name"),
    (re.compile(r"InvalidBucketName|Invalid bucket name"),
     "bucket names are 3-63 lowercase letters, digits, dots and hyphens, such as sagemaker-20191007-2307"),
    (re.compile(r"Estimator is not associated with a training job"),
     "deploy() needs a model: the fit() cell must run without an error first"),
    (re.compile(r"Expected 2D array, got 1D array"),
     "scikit-learn and the RecordIO encoder want one row per record: use .values.reshape(-1, 1) on a single "
     "feature column"),
    (re.compile(r"feature_dim"),
     "feature_dim must be the number of feature columns in the uploaded data (X_train.shape[1])"),
)


def hint_for(error: str) -> str:
    """The hint for an error line ("Name: value"), or "" when it is not a known course mistake."""
    return next((hint for pattern, hint in HINTS if pattern.search(error)), "")
