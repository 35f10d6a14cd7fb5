"""Staff-facing output is inert: text a student chose (names, messages, file names) cannot move the
cursor, clear the screen, or fake a line such as "Score: 26/26"; and hostile notebook files are
one clear line and exit 2, never a traceback."""

import json

import pytest

from grader.cli import describe_run, main
from grader.execution.record import CellError, CellRecord, KernelFate, RunRecord
from grader.grading.result import CheckResult, GradeResult
from grader.reporting.scorecard import render
from grader.terminal import inert

FAKE_SCORE = "\x1b[2K\r\x1b[1A\x1b[2KScore: 26/26\n\u202e"


def _unsafe(text: str) -> list[str]:
    return [char for char in text if (ord(char) < 32 and char != "\n") or 0x7f <= ord(char) < 0xa0
            or char in "\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069\u2028\u2029"]


def test_inert_escapes_controls_and_keeps_ordinary_text():
    assert inert("bucket sagemaker-20191007-2307 (région é)") == "bucket sagemaker-20191007-2307 (région é)"
    assert inert("a\x1b[31mb\rc\nd\u202ee\ud800") == "a\\x1b[31mb\\rc\\nd\\u202ee\\ud800"
    assert inert(inert(FAKE_SCORE)) == inert(FAKE_SCORE)


def test_scorecard_shows_a_check_message_with_escapes_inertly():
    """Attack: a student-chosen name in a check message carrying ANSI escapes, which once displayed
    "Score: 26/26" for a 9/26. Verdict: the escapes are shown as text; the real score is the last line."""
    result = GradeResult(activity="housing", submission=[f"nb{FAKE_SCORE}.ipynb"], source="notebook run",
                         checks=[CheckResult("housing.a", "A check", "fail", 0, 17,
                                             f"endpoint {FAKE_SCORE} left"),
                                 CheckResult("housing.b", "B check", "pass", 9, 9, "ok")],
                         runs=[{"notebook": f"x{FAKE_SCORE}", "ok": 1, "cells": 1, "duration_s": 1.0,
                                "kernel": f"died{FAKE_SCORE}"}])
    shown = render(result)
    assert _unsafe(shown) == []
    assert shown.splitlines()[-1] == "Score: 9/26"
    assert sum(line.startswith("Score:") for line in shown.splitlines()) == 1


def test_run_description_shows_cell_errors_inertly():
    record = RunRecord(activity="housing", submission={"name": f"hostile{FAKE_SCORE}.ipynb"}, account={},
                       limits={}, cells=[CellRecord(0, "raise", status="error",
                                                    error=CellError(f"Error{FAKE_SCORE}",
                                                                    f"boom{FAKE_SCORE}"),
                                                    notes=[f"note{FAKE_SCORE}"])],
                       kernel=KernelFate("died", f"killed{FAKE_SCORE}"))
    shown = describe_run(record)
    assert _unsafe(shown) == [] and not any(line.startswith("Score:") for line in shown.splitlines())


def test_error_line_naming_a_hostile_file_is_inert(tmp_path, capsys):
    """Attack: a notebook file name with escapes, echoed in a one-line error."""
    path = tmp_path / "a\x1b[2Jb.ipynb"
    path.write_text("not json")
    assert main(["run", "housing", str(path), "--out", str(tmp_path)]) == 2
    err = capsys.readouterr().err
    assert "\\x1b[2J" in err and _unsafe(err) == []


def _notebook_json(**changes) -> bytes:
    document = {"cells": [], "metadata": {"kernelspec": {"name": "python3", "language": "python"}},
                "nbformat": 4, "nbformat_minor": 5}
    document.update(changes)
    return json.dumps(document).encode()


@pytest.mark.parametrize("content,expected", [
    (b"\xef\xbb\xbf" + _notebook_json(), "byte-order mark"),
    (_notebook_json(nbformat_minor="5"), "nbformat_minor '5', not an integer"),
    (_notebook_json(nbformat_minor=4.5), "nbformat_minor 4.5, not an integer"),
    (b'{"cells": [], "nbformat": 4, "metadata": ' + b"[" * 100000 + b"]" * 100000 + b"}", "nests too deeply"),
    (_notebook_json(metadata={"kernelspec": {"name": "python3", "language": "python"},
                              "deep": json.loads("[" * 900 + "]" * 900)}), "nests too deeply"),
])
def test_hostile_notebook_file_is_one_line_and_exit_2(tmp_path, capsys, content, expected):
    """Attack: a UTF-8 BOM, a non-integer nbformat_minor, JSON nested past the parser's or the
    validator's recursion limit. Verdict: one line naming the problem, exit 2, no traceback."""
    path = tmp_path / "hostile.ipynb"
    path.write_bytes(content)
    assert main(["run", "housing", str(path), "--out", str(tmp_path)]) == 2
    err = capsys.readouterr().err
    assert expected in err and "Traceback" not in err and len(err.strip().splitlines()) == 1
