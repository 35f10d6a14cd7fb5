"""HTML reports, the class summary and the exports, rendered from result records: strict HTML, no URL,
nothing a student wrote turns into markup, hidden checks absent from what students read, scores that
match the result, sizes that stay small."""

import csv
import io
import json
import re
import xml.etree.ElementTree as ElementTree
from dataclasses import replace
from html import unescape as html_unescape
from pathlib import Path

import html5lib
import pytest
from graded_results import HIDDEN_ID, HIDDEN_MESSAGE, HIDDEN_TITLE, IMG, SCRIPT, class_of, hostile, solution
from html_checks import external_references, strict

from grader.cli import main
from grader.grading.result import GradeResult, points_for
from grader.reporting import gradescope, view
from grader.reporting.class_summary import check_rates, write_class_report
from grader.reporting.gradebook import grades_csv
from grader.reporting.html import submission_page
from grader.reporting.junit import junit_xml
from grader.reporting.results_files import GradedSubmission, read_submissions
from grader.reporting.scorecard import render


def test_the_strict_parser_refuses_broken_html():
    with pytest.raises(html5lib.html5parser.ParseError):
        strict("<!DOCTYPE html><title>x</title><p><b>unclosed</p></div>")


@pytest.mark.parametrize("staff", [False, True])
@pytest.mark.parametrize("make", [solution, hostile])
def test_reports_parse_strictly_and_name_no_url(make, staff):
    page = submission_page(make(), staff=staff)
    assert external_references(page) == []


def test_nothing_a_student_wrote_becomes_markup():
    page = submission_page(hostile(), staff=True)
    # the submission page has no script of its own either
    assert "<script" not in page and "<img" not in page
    assert "&lt;script&gt;alert(&#39;pwned&#39;)&lt;/script&gt;" in page    # shown as text, escaped
    assert "&lt;img src=x onerror=alert(1)&gt;" in page
    assert "\x1b" not in page and "\x07" not in page and "red and a bell" in page
    document = strict(page)
    namespace = {"h": "http://www.w3.org/1999/xhtml"}
    assert document.findall(".//h:script", namespace) == [] and document.findall(".//h:img", namespace) == []
    assert not [name for element in document.iter() for name in element.keys()
                if name.lower().startswith("on")]


def test_students_never_see_a_hidden_check_staff_see_it_marked():
    for result in (solution(), hostile()):
        page = submission_page(result, staff=False)
        for secret in (HIDDEN_ID, HIDDEN_TITLE, HIDDEN_MESSAGE, "secret_quality_gate", "platypus"):
            assert secret not in page
        assert "checks that are not shown here" in page
        staff_page = submission_page(result, staff=True)
        assert HIDDEN_TITLE in staff_page and "hidden from students" in staff_page
    erred = solution()
    secret = next(check for check in erred.checks if check.visibility == "hidden")
    secret.status, secret.points = "error", 0.0
    assert "could not read their evidence" not in submission_page(erred, staff=False)   # not even a count
    assert "1 check(s) could not read their evidence" in submission_page(erred, staff=True)
    # the hidden check's picture of the model stays, apart from the check, without its evidence's secrets
    student_page = submission_page(solution().for_students(), staff=False)
    assert student_page.count("<svg") == 2 and "platypus" not in student_page
    assert submission_page(solution(), staff=True).count("<svg") == 2


@pytest.mark.parametrize("regressor", [True, False], ids=["predicted-vs-actual", "confusion-matrix"])
def test_a_student_report_shows_their_model_even_when_the_quality_check_is_hidden(
        regressor, tmp_path, capsys):
    result = solution(hidden=False) if regressor else hostile()
    quality = next(check for check in result.checks
                   if "rmse" in check.evidence or "accuracy" in check.evidence)
    quality.visibility = "hidden"
    result.write(tmp_path / "graded" / "jdoe" / "result.json", for_students=False)   # a staff grading
    assert main(["report", str(tmp_path / "graded"), "--out", str(tmp_path / "out"), "--student-view"]) == 0
    page = (tmp_path / "out" / "jdoe" / "report.html").read_text()
    model = page[page.index('id="model"'):page.index("</section>", page.index('id="model"'))]
    if regressor:
        assert model.count('class="point"') == len(quality.evidence["sample"]) and "RMSE 6.71" in model
    else:
        assert "accuracy 0.740" in model and ">120<" in model and ">28<" in model
    assert "at most" not in model and "at least" not in model   # the hidden threshold is not revealed
    assert quality.title not in page and external_references(page) == []


@pytest.mark.parametrize("make", [solution, hostile])
def test_the_page_shows_the_score_of_the_result(make, tmp_path):
    result = make()
    result.write(tmp_path / "result.json")
    data = json.loads((tmp_path / "result.json").read_text())
    page = submission_page(GradeResult.read(tmp_path / "result.json"))
    meta = re.search(r'<meta name="grader-score" content="([^"]+)">', page).group(1)
    shown = re.search(r'<span class="score" id="score">([^<]+)</span>', page).group(1)
    assert float(meta) == data["score"] and shown == f"{data['score']:g}/{data['max_score']:g}"


def test_root_cause_first_with_the_checks_it_blocked_and_the_value_it_was_about():
    page = submission_page(hostile(), staff=False)
    causes, checks = page.index('id="causes"'), page.index('id="checks"')
    assert causes < checks
    section = page[causes:checks]
    assert "3 check(s) could not be judged because of it" in section   # the hidden third counted, not listed
    assert "1 of them not shown here" in section
    assert "check-housing.bucket_name_valid" in section and "check-housing.training_job_completed" in section
    assert "Line 2:" in section and "appears in cell 5, line 1" in section
    assert "Cell(s) 15 then failed" in section
    assert "check-housing.bucket_name_valid" not in page[checks:]


def test_pictures_are_drawn_from_the_grader_s_recomputation():
    page = submission_page(solution(), staff=False)
    # the model's 200 points and the hidden check's 20
    assert page.count('class="point"') == 200 + 20 and "RMSE 6.71 (at most 9.5)" in page
    page = submission_page(hostile(), staff=False)
    # confusion matrix
    assert "accuracy 0.740 (at least 0.71)" in page and ">120<" in page and ">28<" in page
    # 0.24 $/h * 730 h
    assert "$175.20/month" in page and "$0.2400" in page and "unknown" in page


def test_a_26_check_report_stays_small():
    result = solution(26)
    assert len(result.checks) == 26
    assert len(submission_page(result, staff=True).encode()) < 200_000


def test_gradescope_results_follow_its_format():
    result = hostile()
    data = gradescope.results(result)
    assert data["score"] == result.score and data["execution_time"] == 21
    assert {"score", "execution_time", "output", "tests"} <= set(data)
    tests = {test["tags"][0]: test for test in data["tests"]}
    assert tests[HIDDEN_ID]["visibility"] == "after_published"
    assert tests["housing.model_quality"]["visibility"] == "visible"
    assert tests["housing.bucket_name_valid"]["status"] == "failed"
    assert tests["housing.bucket_name_valid"]["output"].startswith("blocked by ")
    assert tests["housing.model_quality"]["status"] == "passed"
    assert "status" not in tests["housing.billing_access"]
    assert [test["number"] for test in data["tests"]] == [str(n) for n in range(1, len(result.checks) + 1)]
    assert "ROOT CAUSE" in data["output"] and "\x1b" not in json.dumps(data)
    for test in data["tests"]:
        allowed = {"name", "number", "score", "max_score", "status", "output", "output_format", "visibility"}
        assert allowed >= set(test) - {"tags"}


def test_gradescope_tests_add_up_to_the_score_out_of_the_activitys_points():
    """A check that does not apply is passed with its full points, a manual one has 0 points and no status:
    the tests' scores add up to `score` and their maxima to the one maximum, whatever applied."""
    result = hostile()
    result.checks[0].status, result.checks[0].blocked_by = "skip", None
    result.checks[0].points = points_for("skip", result.checks[0].max_points)
    data = gradescope.results(result)
    assert sum(test["score"] for test in data["tests"]) == data["score"] == result.score
    points = sum(check.max_points for check in result.checks)
    assert sum(test["max_score"] for test in data["tests"]) == result.max_score == points
    tests = {test["tags"][0]: test for test in data["tests"]}
    skipped = tests[result.checks[0].id]
    assert skipped["status"] == "passed" and skipped["score"] == skipped["max_score"] > 0
    assert skipped["output"].startswith("DOES NOT APPLY")
    assert tests["housing.billing_access"]["score"] == 0 and "status" not in tests["housing.billing_access"]


def test_gradescope_says_the_container_isolates_a_run_without_the_sandbox():
    result = replace(solution(3), unisolated="unshare: Operation not permitted")
    output = gradescope.results(result)["output"]
    assert "Gradescope's container without the grader's sandbox (unshare: Operation not permitted)" in output
    assert "not for grading for credit" not in output          # the self-check warning is for elsewhere
    assert "not for grading for credit" in " ".join(view.warnings(result))


def test_junit_counts_failures_errors_and_skips():
    root = ElementTree.fromstring(junit_xml([("jdoe", hostile()), ("asmith", solution(5))]))
    assert root.get("tests") == "11" and root.get("failures") == "4" and root.get("skipped") == "1"
    jdoe = root.find("testsuite[@name='jdoe']")
    assert {p.get("name"): p.get("value") for p in jdoe.iter("property")}["score"] == "2"
    failed = jdoe.find("testcase[@name='housing.bucket_name_valid']/failure")
    assert failed.text.startswith("blocked by ") and SCRIPT in failed.text   # text, escaped by the XML writer


def test_grades_csv_has_one_row_per_student_and_a_column_per_check():
    made = class_of(4) + [GradedSubmission(f"=HYPERLINK(\"x\"){IMG}", solution(3), Path("/r/result.json"))]
    rows = list(csv.reader(io.StringIO(grades_csv(made))))
    header = rows[0]
    assert header[:5] == ["student", "score", "max_score", "percentage", "status"]
    assert all(re.fullmatch(r"[a-z0-9_.]+", column) for column in header) and len(set(header)) == len(header)
    assert len(rows) == 1 + len(made)
    first = dict(zip(header, rows[1]))
    result = made[0].result
    # the hostile run's kernel died
    assert float(first["score"]) == result.score and first["status"] == "error"
    assert first["housing.billing_access"] == ""                                   # manual: not scored
    assert sum(float(first[check.id] or 0) for check in result.checks) == result.score
    assert rows[-1][0].startswith("'=")                                              # not a formula


def test_check_rates_put_the_hardest_first():
    rates = check_rates(class_of(6))
    assert [rate.rate for rate in rates] == sorted(rate.rate for rate in rates)
    gate = next(rate for rate in rates if rate.id == HIDDEN_ID)
    assert gate.hidden and gate.judged == 6


def test_a_check_that_applied_to_no_graded_submission_does_not_lead_the_hardest_checks():
    """Graded runs skip the bucket-region check; submissions that could not be graded have it as an
    error. They say nothing about how hard it is, so it must not lead the table at 0/3."""
    graded = [GradedSubmission(f"s{number}", solution(26), Path(f"/r/{number}/result.json"))
              for number in range(5)]
    for submission in graded:
        region = submission.result.checks[-1]
        region.status, region.points = "skip", points_for("skip", region.max_points)
    ungraded = []
    for number in range(3):
        result = solution(26)
        result.error = "not valid notebook JSON"
        for check in result.checks:
            check.status, check.points = "error", 0.0
        ungraded.append(GradedSubmission(f"u{number}", result, Path(f"/r/u{number}/result.json")))
    rates = {rate.id: rate for rate in check_rates(graded + ungraded)}
    skipped = rates[graded[0].result.checks[-1].id]
    assert skipped.judged == 0 and skipped.rate == 1.0
    assert all(rate.judged == 5 for rate in rates.values() if rate is not skipped)


def test_a_class_of_200_fits_in_a_megabyte_with_a_report_each(tmp_path):
    made = class_of(200)
    written = write_class_report(made, tmp_path / "class")
    index = written["index"].read_text()
    assert len(index.encode()) < 1_000_000
    assert external_references(index) == []
    links = re.findall(r'href="([^"]+)"', index)
    assert len(set(links)) == 200 and all((tmp_path / "class" / link).is_file() for link in links)
    assert index.count("<tr>") == 200 + len(check_rates(made)) + 2   # students, checks, two header rows
    # staff page: hidden checks listed, marked
    assert HIDDEN_TITLE in index
    assert HIDDEN_TITLE not in (tmp_path / "class" / "student-001" / "report.html").read_text()
    assert len(list(csv.reader(io.StringIO(written["grades"].read_text())))) == 201


def test_grader_report_reads_folders_and_refuses_what_is_not_a_result(tmp_path, capsys):
    for name, result in (("jdoe", hostile()), ("asmith", solution(4))):
        result.write(tmp_path / "graded" / name / "result.json")
    assert main(["report", str(tmp_path / "graded"), "--out", str(tmp_path / "out")]) == 0
    printed = capsys.readouterr().out
    assert "2 submission(s) of housing" in printed and (tmp_path / "out" / "jdoe" / "report.html").is_file()
    assert [s.student for s in read_submissions([tmp_path / "graded"])] == ["asmith", "jdoe"]
    (tmp_path / "junk.json").write_text('{"not": "a result"}')
    assert main(["report", str(tmp_path / "junk.json"), "--out", str(tmp_path / "out2")]) == 2
    assert "is not a graded result" in capsys.readouterr().err
    other = replace(solution(2), activity="rainfall")
    other.write(tmp_path / "graded" / "rain" / "result.json")
    assert main(["report", str(tmp_path / "graded"), "--out", str(tmp_path / "out3")]) == 2
    assert "several activities (housing, rainfall)" in capsys.readouterr().err
    assert main(["report", str(tmp_path / "nothing-here"), "--out", str(tmp_path / "out4")]) == 2


def test_banners_say_what_weakens_the_verdict_and_free_leftovers_get_no_chart():
    page = submission_page(hostile(), staff=False)
    for said in ("SYNTHETIC stand-in", "the kernel died", "1 cell(s) never ran"):
        assert said in page[:page.index("<main>")]
    result = solution(3, hidden=False)
    result.source = "snapshot fixtures/x.json"
    result.checks[0].status, result.checks[0].points, result.checks[0].evidence = "skip", 2.0, {}
    result.checks[1].evidence = {"leftovers": [{"name": "config", "region": "us-west-2", "note": "",
                                                "cost_per_hour": 0.0}]}
    page = submission_page(result)
    assert "1 check(s) do not apply to this submission (each says why): they earn their points" in page
    assert result.score == result.max_score
    assert "<svg" not in page and "$0.00" in page                  # listed in the table, not drawn


def test_the_class_summary_histogram_and_rows_share_the_activitys_one_maximum(tmp_path):
    """A check that does not apply earns its points and a submission that could not be graded has every
    check at 0: the header's 'out of', the histogram's axis and every row say the same maximum."""
    graded = [GradedSubmission(f"s{number}", solution(26), Path(f"/r/{number}/result.json"))
              for number in range(3)]
    not_applying = graded[0].result.checks[-1]
    not_applying.status, not_applying.points = "skip", points_for("skip", not_applying.max_points)
    ungraded = solution(26)
    ungraded.error = "s9.ipynb is not valid notebook JSON"
    for check in ungraded.checks:
        check.status, check.points = "error", 0.0
    results = [submission.result for submission in graded] + [ungraded]
    points = sum(check.max_points for check in ungraded.checks)
    assert {result.max_score for result in results} == {points} and graded[0].result.score == points
    write_class_report(graded + [GradedSubmission("s9", ungraded, Path("/r/9/result.json"))], tmp_path)
    index = (tmp_path / "index.html").read_text()
    header = re.search(r"<dt>Score</dt><dd>[^<]*out of ([\d.]+)</dd>", index)
    axis = re.search(r"score \(out of ([\d.]+)\)", index)
    rows = re.findall(r'<td class="num" data-value="[\d.]+">[\d.]+/([\d.]+)</td>', index)
    assert header and axis and float(header.group(1)) == float(axis.group(1)) == points
    assert len(rows) == 4 and set(rows) == {f"{points:g}"}


def _blocked_counts(text: str) -> list[tuple[str, str]]:
    return re.findall(r"(\d+) check\(s\) could not be judged because of it</strong> \((\d+) point|"
                      r"(\d+) check\(s\) could not be judged because of it \((\d+) point", text) and [
        (a or c, b or d) for a, b, c, d in re.findall(
            r"(?:(\d+) check\(s\) could not be judged because of it</strong> \((\d+) point)|"
            r"(?:(\d+) check\(s\) could not be judged because of it \((\d+) point)", text)]


@pytest.mark.parametrize("staff", [False, True])
def test_terminal_html_and_gradescope_tell_the_same_story_with_the_same_counts(staff):
    result = hostile()
    assert any(check.visibility == "hidden" and check.blocked_by for check in result.checks)
    shown = result if staff else result.for_students()
    terminal = render(shown)
    page = submission_page(shown, staff=staff)
    output = gradescope.results(shown)["output"]
    counts = _blocked_counts(terminal)
    assert counts and counts == _blocked_counts(page) == _blocked_counts(output)
    fix_first = [line.split(". ", 1)[1] for line in terminal.splitlines() if re.match(r"  \d+\. ", line)]
    assert fix_first and all(item in output for item in fix_first)
    listed = page[page.index('id="fix-first"'):page.index("</ol>")]
    assert [html_unescape(item) for item in re.findall(r"<li>(.*?)</li>", listed)] == fix_first
    assert terminal.index("WHAT TO FIX FIRST") < terminal.index("ROOT CAUSE")
    assert page.index('id="fix-first"') < page.index('id="causes"') < page.index('id="checks"')
    if not staff:
        assert HIDDEN_TITLE not in page


def test_failing_checks_come_before_passing_ones_and_one_reason_is_said_once():
    result = solution(22, hidden=False)
    for check in result.checks[-3:]:
        check.status, check.points, check.message = "fail", 0.0, "no endpoint named 'x'; deploy it first"
    terminal = render(result)
    assert terminal.count("no endpoint named 'x'") == 2   # once to fix first, once under the three checks
    assert "  1. The step 19 is right; The step 20 is right; The step 21 is right: no endpoint" in terminal
    first_pass, first_fail = terminal.index("  PASS "), terminal.index("  FAIL ")
    assert first_fail < first_pass
    page = submission_page(result)
    assert page.index('class="check fail') < page.index('class="check pass')
    cards = page[page.index('id="checks"'):]
    assert cards.count("no endpoint named") == 1 and cards.count("Same reason as the check above.") == 2
