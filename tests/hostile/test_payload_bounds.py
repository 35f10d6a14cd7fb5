"""Sparse records a notebook sends the emulator (an endpoint's request, a training channel) are made
dense in the grader's own process: their `shape` is the student's, so it is bounded before anything
is allocated. Verdict for each: a client error (400 for a request, a failed job for training data),
never the grader's memory."""

import json

import numpy as np
import pytest

from grader import recordio
from grader.linear_learner.inference import PayloadError, parse_payload

TERABYTES = 2**40   # features declared: 8 TB once dense


@pytest.mark.parametrize("content_type, body", [
    ("application/json", json.dumps({"instances": [
        {"data": {"features": {"shape": [TERABYTES], "keys": [0], "values": [1.0]}}}]})),
    ("application/jsonlines", "\n".join(json.dumps(
        {"data": {"features": {"shape": [recordio.MAX_DENSE_VALUES // 4], "keys": [0], "values": [1.0]}}})
        for _ in range(5))),
])
def test_an_invocation_declaring_terabytes_of_sparse_features_is_a_client_error(content_type, body):
    """Attack: 100 bytes of JSON whose sparse `shape` declares 2^40 features, or rows that together
    declare more than the grader densifies. Verdict: PayloadError (HTTP 400) before any allocation."""
    with pytest.raises(PayloadError, match="declare more than"):
        parse_payload(body.encode(), content_type)


def test_a_recordio_record_declaring_terabytes_of_features_is_refused():
    """Attack: a RecordIO-protobuf record (training data or a request) with shape [2^40]. Verdict:
    RecordIOError naming the size, before any allocation."""
    data = recordio.frame(recordio.encode_record(np.array([1.0], np.float32), 0.0, keys=np.array([0]),
                                                 shape=[TERABYTES]))
    with pytest.raises(recordio.RecordIOError, match="values once dense; at most"):
        recordio.read(data)


def test_a_json_request_nested_past_the_parsers_limit_is_a_client_error():
    """Attack: a request body nested 100,000 deep. Verdict: PayloadError, not a crash of the handler."""
    with pytest.raises(PayloadError, match="nests too deeply"):
        parse_payload(b"[" * 100_000 + b"]" * 100_000, "application/json")
