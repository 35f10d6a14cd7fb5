"""Similar submissions across a class (grader/review/similarity.py) on a planted class
(tests/similarity_class.py): the planted copies are found whatever was changed to hide them, the honest
look-alikes who filled the starter's blanks the lesson's way are not, and a pair is a lead for staff
(index.html, the `similar` flag) that changes no grade. benchmarks/similarity.py reports the figures."""

import csv
import io
import json
import shutil

from graded_results import solution
from similarity_class import HOUSING, make_class
from test_review import grade, graded_on_disk

from grader.review.similarity import similar_pairs


def test_the_planted_copies_are_found_and_the_look_alikes_are_not(tmp_path):
    copies = make_class(tmp_path, honest=16)
    submissions = {path.stem: [path] for path in tmp_path.glob("*.ipynb")}
    pairs = similar_pairs(HOUSING, submissions)
    assert {frozenset((pair.a, pair.b)) for pair in pairs} == copies   # precision and recall 1 on this class
    assert all(pair.score >= 0.9 and pair.shared_chars >= 300 for pair in pairs)


def test_similar_pairs_are_listed_for_staff_with_links_and_change_no_grade(tmp_path):
    planted = tmp_path / "planted"
    make_class(planted, honest=16)
    submissions = tmp_path / "class"
    submissions.mkdir()
    for name in ("honest03", "copy-renamed", "honest01", "lookalike0a", "lookalike0b"):
        shutil.copy(planted / f"{name}.ipynb", submissions / f"{name}.ipynb")
    out = tmp_path / "graded"
    graded_on_disk(out, submissions, {name.stem: solution(6, hidden=False) for name in submissions.iterdir()})
    assert grade(submissions, out) == 0
    rows = {row["student"]: row for row in csv.DictReader(io.StringIO((out / "grades.csv").read_text()))}
    assert {student: row["flags"] for student, row in rows.items()} == {
        "copy-renamed": "similar", "honest01": "", "honest03": "similar", "lookalike0a": "",
        "lookalike0b": ""}
    assert all(row["score"] == "8" for row in rows.values())
    index = (out / "index.html").read_text()
    section = index[index.index('id="similar"'):]
    assert ('<a href="copy-renamed/report.html">copy-renamed</a> and '
            '<a href="honest03/report.html">honest03</a>') in section
    assert "1.00" in section and "lookalike" not in section[:section.index("</section>")]
    assert "similar" not in (out / "copy-renamed" / "report.html").read_text().lower()   # a student's view
    assert "similar" not in json.dumps(json.loads((out / "copy-renamed" / "gradescope.json").read_text()))
