"""Finding a class's submissions as staff have them (grader/batch/discovery.py, archives.py): folders,
per-student folders, Canvas and Gradescope downloads, a roster; what cannot be tied to a student is
listed, never guessed, and an LMS zip cannot write outside its folder."""

import zipfile
from pathlib import Path

import pytest

from grader.activities import load
from grader.batch.discovery import discover, folder_name
from grader.errors import UsageError

HOUSING = load("housing")
SAGEMAKER = load("sagemaker-notebook")
NOTEBOOK = b'{"cells": [], "metadata": {}, "nbformat": 4, "nbformat_minor": 5}'


def files(root: Path, *names: str) -> Path:
    for name in names:
        path = root / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(NOTEBOOK if name.endswith(".ipynb") else b"x")
    return root


def zipped(path: Path, entries: dict) -> Path:
    with zipfile.ZipFile(path, "w") as archive:
        for name, data in entries.items():
            archive.writestr(name, data)
    return path


def by_student(found) -> dict:
    return {work.student: sorted(path.name for path in work.files) for work in found.students}


def test_a_folder_of_notebooks_is_one_student_per_file_named_by_its_id(tmp_path):
    root = files(tmp_path / "class", "jdoe.ipynb", "asmith_boston-housing-regression.ipynb",
                 "boston-housing-regression-bkim.ipynb", "boston-housing-regression.ipynb", "notes.txt",
                 ".hidden.ipynb", ".ipynb_checkpoints/jdoe-checkpoint.ipynb")
    found = discover(HOUSING, root, unpack_into=tmp_path / "unpacked")
    assert by_student(found) == {"asmith": ["asmith_boston-housing-regression.ipynb"],
                                 "bkim": ["boston-housing-regression-bkim.ipynb"], "jdoe": ["jdoe.ipynb"]}
    reasons = {Path(item.path).name: item.reason for item in found.unassigned}
    assert reasons.keys() == {"boston-housing-regression.ipynb", "notes.txt"}
    assert "no student id" in reasons["boston-housing-regression.ipynb"]
    assert "not a notebook" in reasons["notes.txt"]
    assert all(work.found_as == "file name" and not work.problem for work in found.students)


def test_a_multi_notebook_activity_groups_a_students_files_by_id(tmp_path):
    root = files(tmp_path / "class", "jdoe_create_infrastructure.ipynb", "jdoe_monte_carlo.ipynb",
                 "ann.ipynb")
    found = discover(SAGEMAKER, root, unpack_into=tmp_path / "unpacked")
    assert by_student(found) == {"ann": ["ann.ipynb"],
                                 "jdoe": ["jdoe_create_infrastructure.ipynb", "jdoe_monte_carlo.ipynb"]}


def test_per_student_folders_hold_every_notebook_under_them(tmp_path):
    root = files(tmp_path / "class", "jdoe/create_infrastructure.ipynb", "jdoe/work/monte_carlo.ipynb",
                 "jdoe/.ipynb_checkpoints/monte_carlo-checkpoint.ipynb", "ann/report.pdf",
                 "bo/a.ipynb", "bo/b.ipynb", "bo/c.ipynb")
    found = discover(SAGEMAKER, root, unpack_into=tmp_path / "unpacked")
    assert by_student(found) == {"ann": [], "bo": ["a.ipynb", "b.ipynb", "c.ipynb"],
                                 "jdoe": ["create_infrastructure.ipynb", "monte_carlo.ipynb"]}
    problems = {work.student: work.problem for work in found.students}
    assert problems["jdoe"] == ""
    assert problems["ann"] == "no notebook (.ipynb) was submitted"
    assert "3 notebooks were submitted" in problems["bo"] and "has 2" in problems["bo"]


def test_a_canvas_download_is_read_by_canvas_user_id_with_the_name_part(tmp_path):
    download = zipped(tmp_path / "submissions.zip", {
        "doejane_12345_67890_boston-housing-regression.ipynb": NOTEBOOK,
        "kimbo_LATE_222_333_boston-housing-regression-1.ipynb": NOTEBOOK,
        "kimbo_LATE_222_333_notes.docx": b"x",
        "__MACOSX/._doejane_12345_67890_boston-housing-regression.ipynb": b"x",
    })
    found = discover(HOUSING, download, unpack_into=tmp_path / "unpacked")
    assert by_student(found) == {"12345": ["doejane_12345_67890_boston-housing-regression.ipynb"],
                                 "222": ["kimbo_LATE_222_333_boston-housing-regression-1.ipynb"]}
    assert {work.student: (work.name, work.found_as) for work in found.students} == {
        "12345": ("doejane", "Canvas"), "222": ("kimbo", "Canvas")}
    assert [(Path(item.path).name, item.reason) for item in found.unassigned] == [
        ("submissions.zip:kimbo_LATE_222_333_notes.docx", "not a notebook (.ipynb)")]
    again = discover(HOUSING, download, unpack_into=tmp_path / "unpacked")   # unpacked once, listed again
    assert by_student(again) == by_student(found) and len(again.unassigned) == 1
    assert len(list((tmp_path / "unpacked").iterdir())) == 1


GRADESCOPE_METADATA = """\
submission_1001:
  :submitters:
  - :name: Jane Doe
    :sid: '900100'
    :email: jdoe@example.edu
  :created_at: 2026-11-30 10:00:00.000000000 -08:00
  :score: 0.0
submission_1002:
  :submitters:
  - :name: Bo Kim
    :email: bkim@example.edu
  - :name: Al Li
    :sid: '900300'
  :history: !ruby/hash:ActiveSupport::HashWithIndifferentAccess
    attempts: 2
"""


def test_a_gradescope_export_is_read_through_its_metadata(tmp_path):
    export = zipped(tmp_path / "export.zip", {
        "assignment_77_export/submission_metadata.yml": GRADESCOPE_METADATA,
        "assignment_77_export/submission_1001/boston-housing-regression.ipynb": NOTEBOOK,
        "assignment_77_export/submission_1002/work/housing.ipynb": NOTEBOOK,
        "assignment_77_export/submission_1003/stray.ipynb": NOTEBOOK,
    })
    found = discover(HOUSING, export, unpack_into=tmp_path / "unpacked")
    assert by_student(found) == {"900100": ["boston-housing-regression.ipynb"], "900300": ["housing.ipynb"],
                                 "bkim@example.edu": ["housing.ipynb"]}   # a group: graded for each member
    assert {work.student: work.name for work in found.students} == {
        "900100": "Jane Doe", "900300": "Al Li", "bkim@example.edu": "Bo Kim"}
    assert [(Path(item.path).name, item.reason) for item in found.unassigned] == [
        ("stray.ipynb", "its folder is not in submission_metadata.yml")]


def test_a_roster_names_students_and_lists_who_submitted_nothing(tmp_path):
    root = files(tmp_path / "class", "jdoe.ipynb", "zed.ipynb")
    found = discover(HOUSING, root, unpack_into=tmp_path / "u", roster={"jdoe": "Jane Doe", "ann": "Ann Lee"})
    assert {work.student: work.name for work in found.students} == {"jdoe": "Jane Doe", "zed": ""}
    assert found.not_submitted == [("ann", "Ann Lee")]


def test_a_zip_cannot_write_outside_its_folder_nor_plant_links(tmp_path):
    link = zipfile.ZipInfo("alice/evil.ipynb")
    link.external_attr = 0o120777 << 16
    download = tmp_path / "class.zip"
    with zipfile.ZipFile(download, "w") as archive:
        archive.writestr("../escaped.ipynb", NOTEBOOK)
        archive.writestr("/abs/escaped.ipynb", NOTEBOOK)
        archive.writestr(link, "/etc/passwd")
        archive.writestr("alice/boston-housing-regression.ipynb", NOTEBOOK)
        archive.writestr("bob/boston-housing-regression.ipynb", NOTEBOOK)
    found = discover(HOUSING, download, unpack_into=tmp_path / "unpacked")
    assert by_student(found) == {"alice": ["boston-housing-regression.ipynb"],
                                 "bob": ["boston-housing-regression.ipynb"]}
    assert len(found.unassigned) == 3 and all("outside the zip's folder, or a link" in item.reason
                                              for item in found.unassigned)
    assert not list(tmp_path.rglob("escaped.ipynb")) and not (tmp_path / "abs").exists()
    assert not any(path.is_symlink() for path in (tmp_path / "unpacked").rglob("*"))


def test_links_in_a_folder_are_not_followed(tmp_path):
    root = files(tmp_path / "class", "jdoe/boston-housing-regression.ipynb")
    (root / "jdoe" / "secret.ipynb").symlink_to("/etc/passwd")
    (root / "ann").symlink_to(root / "jdoe")
    (root / "bo.ipynb").symlink_to(root / "jdoe" / "boston-housing-regression.ipynb")
    found = discover(HOUSING, root, unpack_into=tmp_path / "u")
    assert by_student(found) == {"jdoe": ["boston-housing-regression.ipynb"]}
    assert sorted((Path(item.path).name, item.reason) for item in found.unassigned) == [
        ("ann", "a link: not followed"), ("bo.ipynb", "a link: not followed")]


def test_ids_become_safe_folder_names_and_collisions_are_listed(tmp_path):
    assert folder_name("../../etc") == "etc" and folder_name("a b/c") == "a_b_c"
    assert folder_name("index.html") == "student_index.html" and folder_name("...") == "student_"
    root = files(tmp_path / "class", "a b.ipynb", "a_b.ipynb")
    found = discover(HOUSING, root, unpack_into=tmp_path / "u")
    assert len(found.students) == 1 and len(found.unassigned) == 1
    assert "both make the folder name 'a_b'" in found.unassigned[0].reason


@pytest.mark.parametrize("make, says", [
    (lambda root: root / "missing", "does not exist"),
    (lambda root: files(root / "empty", "notes.txt"), "no submissions found"),
    (lambda root: (root / "bad.zip").write_bytes(b"not a zip") and root / "bad.zip",
     "not a readable zip file"),
])
def test_nothing_to_grade_is_refused_in_one_line(tmp_path, make, says):
    with pytest.raises(UsageError, match=says):
        discover(HOUSING, make(tmp_path), unpack_into=tmp_path / "u")


RAINFALL = load("rainfall")


def test_a_canvas_resubmission_is_graded_as_the_latest_and_the_others_are_named_as_set_aside(tmp_path):
    download = zipped(tmp_path / "submissions.zip", {
        "leeann_LATE_444_900_rainfall_forecast.ipynb": NOTEBOOK,
        "leeann_LATE_444_900_rainfall_forecast-2.ipynb": NOTEBOOK,
        "leeann_LATE_444_900_rainfall_forecast-1.ipynb": NOTEBOOK,
        "bo_555_901_rainfall_forecast.ipynb": NOTEBOOK})
    found = discover(RAINFALL, download, unpack_into=tmp_path / "unpacked")
    assert by_student(found) == {"444": ["leeann_LATE_444_900_rainfall_forecast-2.ipynb"],
                                 "555": ["bo_555_901_rainfall_forecast.ipynb"]}
    ann = found.students[0]
    assert not ann.problem
    assert [path.name for path in ann.set_aside] == ["leeann_LATE_444_900_rainfall_forecast.ipynb",
                                                     "leeann_LATE_444_900_rainfall_forecast-1.ipynb"]
    assert ann.note == ("3 submissions of rainfall_forecast.ipynb: graded "
                        "leeann_LATE_444_900_rainfall_forecast-2.ipynb (the last, by Canvas's submission id "
                        "and -N suffix); set aside leeann_LATE_444_900_rainfall_forecast.ipynb, "
                        "leeann_LATE_444_900_rainfall_forecast-1.ipynb")
    assert ann.facts()["lms_late"] and not found.students[1].facts()["lms_late"]
    first = discover(RAINFALL, download, unpack_into=tmp_path / "unpacked", prefer="first")
    assert by_student(first)["444"] == ["leeann_LATE_444_900_rainfall_forecast.ipynb"]
    assert "graded leeann_LATE_444_900_rainfall_forecast.ipynb (the first" in first.students[0].note


def test_the_canvas_download_keeps_each_files_time_as_its_submission_time(tmp_path):
    download = tmp_path / "submissions.zip"
    with zipfile.ZipFile(download, "w") as archive:
        entry = zipfile.ZipInfo("leeann_LATE_444_900_rainfall_forecast.ipynb", (2026, 12, 3, 9, 30, 0))
        archive.writestr(entry, NOTEBOOK)
    facts = discover(RAINFALL, download, unpack_into=tmp_path / "unpacked").students[0].facts()
    assert facts["at"] == "2026-12-03T09:30:00+00:00"
    assert facts["clock"] == "the Canvas download's file time (read as UTC)" and facts["lms_late"]


def test_a_resubmission_in_a_students_folder_or_a_flat_folder_is_ordered_by_its_suffix(tmp_path):
    root = files(tmp_path / "class", "ann/rainfall_forecast.ipynb", "ann/rainfall_forecast-2.ipynb",
                 "bo/a.ipynb", "bo/b.ipynb")
    found = discover(RAINFALL, root, unpack_into=tmp_path / "u")
    assert by_student(found) == {"ann": ["rainfall_forecast-2.ipynb"], "bo": ["a.ipynb", "b.ipynb"]}
    assert found.students[0].note.startswith("2 submissions of rainfall_forecast.ipynb: graded "
                                             "rainfall_forecast-2")
    nothing_orders = found.students[1].problem
    assert "neither their names nor the LMS say which is the later" in nothing_orders
    flat = files(tmp_path / "flat", "jdoe_rainfall_forecast.ipynb", "jdoe_rainfall_forecast-1.ipynb",
                 "kim-2.ipynb")
    found = discover(RAINFALL, flat, unpack_into=tmp_path / "u")
    assert by_student(found) == {"jdoe": ["jdoe_rainfall_forecast-1.ipynb"], "kim-2": ["kim-2.ipynb"]}


def test_a_multi_notebook_resubmission_keeps_the_latest_of_each_notebook(tmp_path):
    root = files(tmp_path / "class", "jdoe/create_infrastructure.ipynb", "jdoe/create_infrastructure-1.ipynb",
                 "jdoe/monte_carlo.ipynb")
    found = discover(SAGEMAKER, root, unpack_into=tmp_path / "u")
    assert by_student(found) == {"jdoe": ["create_infrastructure-1.ipynb", "monte_carlo.ipynb"]}
    assert not found.students[0].problem


def test_several_gradescope_submissions_of_one_student_are_ordered_by_created_at(tmp_path):
    metadata = """\
submission_2:
  :submitters:
  - :name: Jane Doe
    :sid: '900100'
  :created_at: 2026-12-01 18:05:00.123456789 -08:00
submission_1:
  :submitters:
  - :name: Jane Doe
    :sid: '900100'
  :created_at: 2026-12-02 01:00:00.000000000 +00:00
"""
    export = files(tmp_path / "export", "submission_1/rainfall_forecast.ipynb",
                   "submission_2/rainfall_forecast.ipynb")
    (export / "submission_metadata.yml").write_text(metadata)
    found = discover(RAINFALL, export, unpack_into=tmp_path / "u")
    jane = found.students[0]
    assert [path.parent.name for path in jane.files] == ["submission_2"]   # 02:05 UTC, after 01:00 UTC
    assert [path.parent.name for path in jane.set_aside] == ["submission_1"]
    assert jane.facts()["at"] == "2026-12-01T18:05:00-08:00"
    assert jane.facts()["clock"] == "Gradescope's :created_at:"
