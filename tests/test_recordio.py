import io

import numpy as np
import pytest
import sagemaker.amazon.common as smac
import scipy.sparse as sp

from grader import recordio


def sdk_dense(features, labels=None) -> bytes:
    buffer = io.BytesIO()
    smac.write_numpy_to_dense_tensor(buffer, features, labels)
    return buffer.getvalue()


@pytest.mark.parametrize("feature_dtype,label_dtype", [("float32", "float32"), ("float64", "float64"),
                                                       ("int64", "int64"), ("float32", "int64"),
                                                       ("float64", None)])
def test_reads_exactly_what_the_sdk_writes_and_writes_the_same_bytes(feature_dtype, label_dtype):
    rng = np.random.default_rng(1)
    features = (rng.normal(size=(7, 4)) * 100).astype(feature_dtype)
    labels = None if label_dtype is None else (rng.normal(size=7) * 10).astype(label_dtype)
    data = sdk_dense(features, labels)
    records = recordio.read(data)
    np.testing.assert_array_equal(records.features, features)
    assert records.feature_dtype == {"int64": "int32"}.get(feature_dtype, feature_dtype)
    if labels is None:
        assert records.labels is None
    else:
        np.testing.assert_array_equal(records.labels, labels)
    assert recordio.write_dense(features, labels) == data


def test_negative_integers_survive_the_round_trip():
    features = np.array([[-5, 0, 7], [2**31 - 1, -(2**31), 1]], dtype=np.int64)
    np.testing.assert_array_equal(recordio.read(recordio.write_dense(features)).features, features)


def test_sparse_records_match_the_sdk_and_densify_with_their_shape():
    matrix = sp.random(6, 9, density=0.3, format="csr", random_state=3, dtype=np.float32)
    labels = np.arange(6, dtype=np.float32)
    buffer = io.BytesIO()
    smac.write_spmatrix_to_sparse_tensor(buffer, matrix, labels)
    records = recordio.read(buffer.getvalue())
    assert records.sparse and records.feature_dim == 9
    np.testing.assert_array_equal(records.features, matrix.toarray())
    assert recordio.write_sparse(matrix, labels) == buffer.getvalue()


def test_vectorised_path_decodes_large_dense_data():
    rng = np.random.default_rng(2)
    features, labels = rng.random((20000, 10)).astype(np.float32), rng.random(20000).astype(np.float32)
    records = recordio.read(recordio.write_dense(features, labels))
    np.testing.assert_array_equal(records.features, features)
    np.testing.assert_array_equal(records.labels, labels)


def test_csv_is_rejected_with_the_offset_and_a_hint():
    with pytest.raises(recordio.RecordIOError, match=r"byte 0 .*write_numpy_to_dense_tensor"):
        recordio.read(b"1.0,2.0\n3.0,4.0\n")


def test_a_corrupt_second_record_names_its_offset():
    data = bytearray(recordio.write_dense(np.ones((3, 2), np.float32), np.ones(3, np.float32)))
    record_length = len(data) // 3
    data[record_length] ^= 0xFF  # break the second record's magic number
    with pytest.raises(recordio.RecordIOError, match=f"byte {record_length}"):
        recordio.read(bytes(data))


def test_truncated_data_is_reported():
    data = recordio.write_dense(np.ones((2, 3), np.float32))
    with pytest.raises(recordio.RecordIOError, match="claims .* bytes but the data ends"):
        recordio.read(data[:-8])


def test_records_with_different_widths_are_refused():
    data = (recordio.write_dense(np.ones((1, 2), np.float32))
            + recordio.write_dense(np.ones((1, 3), np.float32)))
    with pytest.raises(recordio.RecordIOError, match="different numbers of features"):
        recordio.read(data)
