"""Linear-learner's inference formats: request payloads in, predictions out."""

from __future__ import annotations

import json

import numpy as np

from .. import recordio
from .data import CSV, RECORDIO, base_content_type, parse_csv
from .model import LinearModel

JSON = "application/json"
JSONLINES = "application/jsonlines"
ACCEPTED_CONTENT_TYPES = (CSV, JSON, JSONLINES, RECORDIO)
MAX_SCORES = 300_000   # per request: about what AWS's 6 MB response limit holds as JSON


class PayloadError(ValueError):
    """A request the model container answers with a client error (400)."""


def _row_from_json(instance, budget: int) -> list[float]:
    """One record's features, dense; a sparse one may declare at most `budget` features (its `shape`
    is the client's: a few bytes of it would otherwise ask the grader's process for gigabytes)."""
    if isinstance(instance, dict) and "features" in instance:
        return list(instance["features"])
    if isinstance(instance, dict) and "data" in instance:
        tensor = instance["data"]["features"]
        values = tensor["values"]
        if "keys" not in tensor:
            return list(values)
        width = int(tensor["shape"][0])
        if width > budget:
            raise PayloadError(f"the sparse records declare more than {recordio.MAX_DENSE_VALUES:,} features "
                               "in all")
        row = [0.0] * width
        for key, value in zip(tensor["keys"], values):
            row[int(key)] = value
        return row
    raise PayloadError(
        'each instance must look like {"features": [...]} or {"data": {"features": {"values": [...]}}}')


def parse_payload(body: bytes, content_type: str | None) -> np.ndarray:
    kind = base_content_type(content_type or CSV)
    try:
        if kind == CSV:
            rows = parse_csv(body.decode("utf-8"), "the request")
        elif kind == JSON:
            document = json.loads(body)
            instances = document.get("instances") if isinstance(document, dict) else None
            if instances is None:
                raise PayloadError('a JSON request must be {"instances": [{"features": [...]}, ...]}')
            rows = _dense_rows(instances)
        elif kind == JSONLINES:
            rows = _dense_rows(json.loads(line) for line in body.decode().splitlines() if line.strip())
        elif kind == RECORDIO:
            rows = recordio.read(body).features.astype(float)
        else:
            raise PayloadError(f"content type '{content_type}' is not supported; use one of "
                               f"{', '.join(ACCEPTED_CONTENT_TYPES)}")
    except PayloadError:
        raise
    except (ValueError, KeyError, TypeError, UnicodeDecodeError) as error:
        raise PayloadError(f"unable to parse the {kind} payload: {error}") from None
    except RecursionError:
        raise PayloadError(f"unable to parse the {kind} payload: it nests too deeply") from None
    if rows.ndim != 2 or rows.shape[0] == 0:
        raise PayloadError("the payload holds no records")
    return rows


def _dense_rows(instances) -> np.ndarray:
    rows, budget = [], recordio.MAX_DENSE_VALUES
    for instance in instances:
        rows.append(_row_from_json(instance, budget))
        budget -= len(rows[-1])
    return np.array(rows, dtype=float)


def check_shape(model: LinearModel, rows: np.ndarray) -> None:
    """The records fit the model, and their scores fit in one response (they are computed in the
    emulator's process, outside any sandbox)."""
    if rows.shape[1] != model.feature_dim:
        raise PayloadError(f"Invalid payload: each record must have {model.feature_dim} features (the "
                           f"model's feature_dim) but the request has {rows.shape[1]}.")
    if rows.shape[0] * model.outputs > MAX_SCORES:
        raise PayloadError(f"Invalid payload: {rows.shape[0]:,} records x {model.outputs:,} scores each is "
                           f"more than one response holds ({MAX_SCORES:,} scores); send fewer records "
                           "per request.")


def format_predictions(predictions: list[dict], accept: str | None) -> tuple[bytes, str]:
    kind = (accept or JSON).split(",")[0].split(";")[0].strip().lower()
    if kind in ("", "*/*", JSON):
        return json.dumps({"predictions": predictions}).encode(), JSON
    if kind == JSONLINES:
        return "\n".join(json.dumps(p) for p in predictions).encode(), JSONLINES
    if kind == RECORDIO:
        out = []
        for p in predictions:
            payload = b""
            for name in ("score", "predicted_label"):
                if name in p:
                    values = np.atleast_1d(np.asarray(p[name], dtype=np.float32))
                    payload += recordio.label_entry(name, values)
            out.append(recordio.frame(payload))
        return b"".join(out), RECORDIO
    raise PayloadError(f"accept type '{accept}' is not supported; use {JSON}, {JSONLINES} or {RECORDIO}")
