"""What a notebook sends the emulator or writes into its account is parsed in the grader's own process.
Sparse records (an endpoint's request, a training channel) are made dense there: their `shape` is the
student's, so it is bounded before anything is allocated, and JSON nested past the parser's limit is a
client error or stays text. Never the grader's memory or a crash."""

import json

import numpy as np
import pytest

from grader import recordio
from grader.linear_learner.inference import PayloadError, parse_payload
from grader.snapshots.collect_iam import _document

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


def test_a_policy_document_nested_past_the_parsers_limit_stays_text():
    """Attack: an IAM policy a notebook wrote, nested 100,000 deep, read back for the evidence.
    Verdict: kept as the text it is (no check reads a statement from it), not a crash of the snapshot."""
    nested = "[" * 100_000 + "]" * 100_000
    assert _document(nested) == nested
