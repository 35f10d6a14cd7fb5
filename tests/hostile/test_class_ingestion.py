"""A class as attackers among the students would hand it in: one student's files can change only that
student's result. Gradescope's metadata is staff's and read only at the root of the export, never from
a student's folder or a nested zip entry; what the grader parses (metadata YAML, rosters, notebooks,
zips) is parsed with bounds; a bad file is that submission's error or one line for staff (exit 2),
never the batch's crash. Discovery-level tests run no kernels; `grader grade` end to end is in
test_class_ingestion_end_to_end.py."""

import json
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

from grader.activities import load
from grader.batch import archives
from grader.batch.discovery import discover
from grader.errors import UsageError
from grader.execution import submission
from grader.execution.submission import read_submission

from .conftest import PROJECT

HOUSING = load("housing")
NOTEBOOK = '{"cells": [], "metadata": {}, "nbformat": 4, "nbformat_minor": 5}'
HIJACK = """\
sub:
  :submitters:
  - :name: Student One
    :sid: s1
"""
ALIAS_BOMB = "\n".join(['l0: &l0 ["lol","lol","lol","lol","lol","lol","lol","lol","lol","lol"]']
                       + [f"l{n}: &l{n} [{','.join([f'*l{n - 1}'] * 10)}]" for n in range(1, 10)]
                       + ["sub:", "  :submitters:", "  - :sid: *l9"]) + "\n"   # 10^10 strings once expanded
GRADESCOPE_EXPORT = """\
submission_1001:
  :submitters:
  - :name: Jane Doe
    :sid: '900100'
submission_1002:
  :submitters:
  - :name: Mallory
    :sid: '900200'
"""


def class_folder(root: Path, files: dict[str, str]) -> Path:
    for name, text in files.items():
        path = root / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text)
    return root


def class_zip(path: Path, files: dict[str, str]) -> Path:
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as archive:
        for name, text in files.items():
            archive.writestr(name, text)
    return path


def graded_as(found) -> dict[str, list[str]]:
    """student -> their files, as paths under the class (so whose files they are shows)."""
    return {work.student: sorted(path.parent.name + "/" + path.name for path in work.files)
            for work in found.students}


def own_folders_class(prefix: str = "", attack: str = HIJACK) -> dict[str, str]:
    """s1, s2, s3 each hand in a notebook; x hands in theirs in x/sub/ beside a metadata file."""
    return {f"{prefix}s1/boston-housing-regression.ipynb": NOTEBOOK,
            f"{prefix}s2/boston-housing-regression.ipynb": NOTEBOOK,
            f"{prefix}s3/boston-housing-regression.ipynb": NOTEBOOK,
            f"{prefix}x/sub/boston-housing-regression.ipynb": NOTEBOOK,
            f"{prefix}x/submission_metadata.yml": attack}


EVERYONE_UNDER_OWN_ID = {student: [f"{folder}/boston-housing-regression.ipynb"]
                         for student, folder in (("s1", "s1"), ("s2", "s2"), ("s3", "s3"), ("x", "sub"))}


def test_class_hijack_by_a_metadata_file_in_a_students_folder_changes_nothing(tmp_path):
    """Attack: x puts a submission_metadata.yml in their own folder mapping their notebook to s1 (it
    made the batch grade x as s1 and drop s2 and s3 silently). Verdict: per-student folders as handed
    over; every classmate is graded under their own id and x only under x."""
    root = class_folder(tmp_path / "class", own_folders_class())
    found = discover(HOUSING, root, unpack_into=tmp_path / "unpacked")
    assert graded_as(found) == EVERYONE_UNDER_OWN_ID
    assert {work.found_as for work in found.students} == {"folder"} and not found.unassigned


@pytest.mark.parametrize("layout", ["top level", "wrapped in one folder", "deeper in the student's folder"])
def test_class_hijack_by_a_metadata_entry_nested_in_the_zip_changes_nothing(tmp_path, layout):
    """Attack: the same file as an entry of the LMS zip, in x's folder (the extractor kept it at any
    depth). Verdict: the zip is read as per-student folders; x is graded only as x."""
    files = own_folders_class("class/" if layout == "wrapped in one folder" else "")
    if layout == "deeper in the student's folder":
        files["x/sub/submission_metadata.yml"] = files.pop("x/submission_metadata.yml")
    found = discover(HOUSING, class_zip(tmp_path / "class.zip", files), unpack_into=tmp_path / "unpacked")
    assert graded_as(found) == EVERYONE_UNDER_OWN_ID
    assert {work.found_as for work in found.students} == {"folder"}


def test_a_student_folder_in_a_gradescope_export_cannot_remap_the_class(tmp_path):
    """Attack: in Gradescope's own export, a student's submission folder holds a submission_metadata.yml
    claiming Jane's id. Verdict: the export's root metadata alone says whose folder is whose."""
    export = class_zip(tmp_path / "export.zip", {
        "assignment_77_export/submission_metadata.yml": GRADESCOPE_EXPORT,
        "assignment_77_export/submission_1001/boston-housing-regression.ipynb": NOTEBOOK,
        "assignment_77_export/submission_1002/boston-housing-regression.ipynb": NOTEBOOK,
        "assignment_77_export/submission_1002/submission_metadata.yml":
            HIJACK.replace("sub:", "submission_1002:").replace("s1", "900100"),
    })
    found = discover(HOUSING, export, unpack_into=tmp_path / "unpacked")
    assert graded_as(found) == {"900100": ["submission_1001/boston-housing-regression.ipynb"],
                                "900200": ["submission_1002/boston-housing-regression.ipynb"]}


def test_a_lone_student_folder_with_metadata_is_not_taken_for_the_export(tmp_path):
    """Attack: a TA regrades x alone (a class folder holding only x/), and x's metadata would name them
    s1. Verdict: one line asking staff which folder is the export; nobody is graded as s1."""
    root = class_folder(tmp_path / "regrade", {key: value for key, value in own_folders_class().items()
                                               if key.startswith("x/")})
    with pytest.raises(UsageError, match=r"holds only x/, which has a submission_metadata.yml: if it is "
                                         r"Gradescope's export, give .*x itself"):
        discover(HOUSING, root, unpack_into=tmp_path / "unpacked")


def test_staff_metadata_naming_a_folder_elsewhere_is_refused(tmp_path):
    """Attack: metadata (staff's, but shipped in a download) naming `../` to pull in files outside the
    export. Verdict: one line; nothing outside the export is read."""
    outside = class_folder(tmp_path / "outside", {"secret/boston-housing-regression.ipynb": NOTEBOOK})
    metadata = HIJACK.replace("sub:", "../outside/secret:")
    root = class_folder(tmp_path / "export", {"submission_metadata.yml": metadata})
    with pytest.raises(UsageError, match="names '../outside/secret', which is not a folder beside it"):
        discover(HOUSING, root, unpack_into=tmp_path / "unpacked")
    assert outside.is_dir()


MEASURED = """
import json, resource
usage = resource.getrusage(resource.RUSAGE_SELF)
peak_kb = next(int(line.split()[1]) for line in open("/proc/self/status") if line.startswith("VmHWM:"))
print(json.dumps({"said": said, "peak_mb": peak_kb / 1024, "cpu_s": usage.ru_utime + usage.ru_stime}))
"""


def measured(code: str) -> dict:
    """Run `code` (which sets `said`) in a fresh Python from this checkout: what it said, its own peak
    memory in MB (VmHWM: getrusage's ru_maxrss would carry over this test process's from before the
    exec) and CPU seconds."""
    done = subprocess.run([sys.executable, "-c", code + MEASURED], capture_output=True, text=True,
                          cwd=PROJECT, timeout=300)
    assert done.returncode == 0, done.stderr
    return json.loads(done.stdout.splitlines()[-1])


def test_a_yaml_alias_bomb_as_gradescopes_metadata_is_refused_fast_in_one_line(tmp_path):
    """Attack: 600 bytes of nested YAML aliases as the export's submission_metadata.yml, `:sid: *l9`
    (the batch died of MemoryError after 64 s at 2.9 GB). Verdict: one line naming the file, refused
    before anything is expanded: the grader's peak memory stays small."""
    assert len(ALIAS_BOMB) < 700
    export = class_zip(tmp_path / "export.zip", {"submission_metadata.yml": ALIAS_BOMB,
                                                 "sub/boston-housing-regression.ipynb": NOTEBOOK})
    code = f"""
from grader.cli import main
said = main(["grade", "housing", {str(export)!r}, "--out", {str(tmp_path / "out")!r}, "--allow-unisolated"])
"""
    grading = measured(code)
    assert grading["said"] == 2 and grading["peak_mb"] < 300 and grading["cpu_s"] < 30, grading
    done = subprocess.run([sys.executable, "-m", "grader.cli", "grade", "housing", str(export), "--out",
                           str(tmp_path / "out"), "--allow-unisolated"], capture_output=True, text=True,
                          cwd=PROJECT, timeout=300)
    assert done.returncode == 2 and done.stderr.count("\n") == 1, done.stderr
    assert ("export.zip:submission_metadata.yml is not Gradescope's metadata: it expands to more than "
            "2,000,000 values (aliases)") in done.stderr and ".unpacked" not in done.stderr
    assert not (tmp_path / "out" / "batch.json").exists()


def test_a_yaml_alias_bomb_in_a_students_folder_leaves_the_class_graded(tmp_path):
    """Attack: the same bomb in x's own folder. Verdict: it is x's file like any other, never parsed;
    every classmate is found under their own id and the grader's peak memory stays small."""
    root = class_folder(tmp_path / "class", own_folders_class(attack=ALIAS_BOMB))
    code = f"""
from pathlib import Path
from grader.activities import load
from grader.batch.discovery import discover
found = discover(load("housing"), Path({str(root)!r}), unpack_into=Path({str(tmp_path / "u")!r}))
said = {{work.student: [path.name for path in work.files] for work in found.students}}
"""
    finding = measured(code)
    assert finding["said"] == {student: [Path(name).name for name in names]
                               for student, names in EVERYONE_UNDER_OWN_ID.items()}
    assert finding["peak_mb"] < 300, finding


@pytest.mark.parametrize("metadata, says", [
    ("a: " + "[" * 5000 + "]" * 5000 + "\n", "nests more than 50 levels deep"),
    ("a: &a [*a]\nsub: {':submitters': [{':sid': *a}]}\n", "nests more than 50 levels deep"),
    ("sub: [unclosed\n", "is not readable YAML"),
])
def test_malformed_or_unbounded_staff_metadata_is_one_line(tmp_path, metadata, says):
    """Attack: metadata nested thousands deep, or referring to itself. Verdict: one line, no crash."""
    root = class_folder(tmp_path / "export", {"submission_metadata.yml": metadata,
                                              "sub/boston-housing-regression.ipynb": NOTEBOOK})
    with pytest.raises(UsageError, match=says):
        discover(HOUSING, root, unpack_into=tmp_path / "unpacked")


def test_a_submitters_id_that_is_not_text_is_not_an_id(tmp_path):
    """Attack: `:sid:` a list or mapping (whose text would be any id, or huge). Verdict: the e-mail
    is used as the metadata says; with nothing usable the files are listed, never guessed."""
    metadata = ("a:\n  :submitters:\n  - :sid: [1, 2]\n    :email: a@example.edu\n"
                "b:\n  :submitters:\n  - :sid: {x: 1}\n")
    root = class_folder(tmp_path / "export", {"submission_metadata.yml": metadata, "a/nb.ipynb": NOTEBOOK,
                                              "b/nb.ipynb": NOTEBOOK, "c/nb.ipynb": NOTEBOOK})
    found = discover(HOUSING, root, unpack_into=tmp_path / "unpacked")
    assert graded_as(found) == {"a@example.edu": ["a/nb.ipynb"]}
    assert sorted((item.path, item.reason) for item in found.unassigned) == [
        ("b/nb.ipynb", "a submitter of b has no sid, e-mail or name"),
        ("c/nb.ipynb", "its folder is not in submission_metadata.yml")]


def test_a_zip_bomb_entry_is_that_students_problem_only(tmp_path):
    """Attack: a student's notebook entry that inflates 1,000 times (40 KB to 40 MB). Verdict: it is
    not extracted and listed with the reason; the student is told they handed in no notebook;
    classmates are unaffected."""
    bomb = '{"cells": [], "x": "' + " " * 40_000_000 + '"}'
    download = class_zip(tmp_path / "class.zip", {"ann/boston-housing-regression.ipynb": NOTEBOOK,
                                                  "bob/boston-housing-regression.ipynb": bomb})
    assert zipfile.ZipFile(download).getinfo("bob/boston-housing-regression.ipynb").compress_size < 100_000
    found = discover(HOUSING, download, unpack_into=tmp_path / "unpacked")
    assert graded_as(found) == {"ann": ["ann/boston-housing-regression.ipynb"], "bob": []}
    assert [(item.path, item.reason) for item in found.unassigned] == [
        ("class.zip:bob/boston-housing-regression.ipynb", archives.BOMB)]
    problems = {work.student: work.problem for work in found.students}
    assert problems == {"ann": "", "bob": "no notebook (.ipynb) was submitted"}


def test_a_zip_of_too_many_entries_is_one_line(tmp_path, monkeypatch):
    """Attack: a download of more entries than any class has (each costs memory to list). Verdict:
    one line for staff before anything is extracted (the cap lowered here)."""
    monkeypatch.setattr(archives, "MAX_ENTRIES", 50)
    download = class_zip(tmp_path / "class.zip", {f"s{n}/nb.ipynb": NOTEBOOK for n in range(51)})
    with pytest.raises(UsageError, match="holds more than 50 files; unpack it yourself"):
        discover(HOUSING, download, unpack_into=tmp_path / "unpacked")
    assert not (tmp_path / "unpacked").exists()


def test_a_notebook_too_large_or_too_deep_is_refused_naming_only_its_file(tmp_path, monkeypatch):
    """Attack: a notebook far larger than any course notebook, or JSON nested 10,000 levels. Verdict:
    a one-line refusal naming the file by its own name (no grader folder), which a batch records as
    that student's error."""
    monkeypatch.setattr(submission, "MAX_NOTEBOOK_BYTES", 1000)
    big = NOTEBOOK[:-1] + ', "x": "' + "y" * 2000 + '"}'
    large = class_folder(tmp_path / "deep" / "folders", {"big.ipynb": big})
    with pytest.raises(UsageError, match=r"^big.ipynb is larger than 0 MB") as refused:
        read_submission(large / "big.ipynb")
    monkeypatch.undo()
    deep = class_folder(tmp_path / "deep" / "folders", {"deep.ipynb": NOTEBOOK[:-1] + ', "x": ' + "[" * 150
                                                        + "]" * 150 + "}",
                                                        "deeper.ipynb": "[" * 10_000 + "]" * 10_000})
    for name in ("deep.ipynb", "deeper.ipynb"):
        with pytest.raises(UsageError, match=rf"^{name} nests ") as refused:
            read_submission(deep / name)
        assert str(tmp_path) not in str(refused.value)


def test_a_roster_larger_than_any_class_is_one_line(tmp_path, monkeypatch):
    """Attack: a roster CSV of gigabytes, or with a field larger than csv allows. Verdict: one line."""
    from grader import roster

    monkeypatch.setattr(roster, "MAX_ROSTER_BYTES", 1000)
    path = tmp_path / "roster.csv"
    path.write_text("id,name\n" + "".join(f"s{n},Student {n}\n" for n in range(200)))
    with pytest.raises(UsageError, match="is larger than 0 MB, more than a class roster is"):
        roster.read_pairs(path, "id", "name")
    monkeypatch.undo()
    path.write_text("id,name\ns1," + "x" * 200_000 + "\n")
    with pytest.raises(UsageError, match="is not a readable CSV file"):
        roster.read_pairs(path, "id", "name")


@pytest.mark.parametrize("content", ["[" * 100_000 + "]" * 100_000, "[1, 2]", '{"schema": "grader.result/2"'])
def test_a_hostile_result_file_given_to_grader_report_is_one_line(tmp_path, capsys, content):
    """Attack: a result.json among those handed to `grader report` nested 100,000 deep, or not a
    result at all. Verdict: one line naming the file, exit 2."""
    from grader.cli import main

    (tmp_path / "results" / "x").mkdir(parents=True)
    (tmp_path / "results" / "x" / "result.json").write_text(content)
    assert main(["report", str(tmp_path / "results"), "--out", str(tmp_path / "out")]) == 2
    error = capsys.readouterr().err
    assert "is not a graded result" in error and error.count("\n") == 1 and "Traceback" not in error
