"""Rubrics a course edits: rubrics/<activity>/rubric.toml lists every check with its points, and a
course's own copy (GRADER_PROJECT_DIR) changes points, drops a check or adds one without touching the
package; a mistake in the file is refused with its line before anything is graded."""

import json
import shutil
import textwrap
from pathlib import Path

import pytest

from grader.cli import main
from grader.grading.rubric import load as load_rubric

PROJECT = Path(__file__).resolve().parents[1]
IAM_SOLUTION_SNAPSHOT = PROJECT / "fixtures/snapshots/iam-user/solution.json"
IAM_RUBRIC = PROJECT / "rubrics/iam-user/rubric.toml"


@pytest.fixture
def course(tmp_path, monkeypatch):
    """A course's own copy of the iam-user activity and its rubric, as GRADER_PROJECT_DIR."""
    for folder in ("activities/iam-user", "rubrics/iam-user"):
        shutil.copytree(PROJECT / folder, tmp_path / folder)
    monkeypatch.setenv("GRADER_PROJECT_DIR", str(tmp_path))
    return tmp_path


def _checks(path: Path) -> dict:
    return {check["id"]: check for check in json.loads(path.read_text())["checks"]}


def _without_check(text: str, check_id: str) -> str:
    blocks = text.split("[[check]]")
    return "[[check]]".join(block for block in blocks if f'id = "{check_id}"' not in block)


def test_a_course_copy_changes_points_drops_a_check_and_adds_two(course, tmp_path):
    rubric = course / "rubrics/iam-user/rubric.toml"
    text = rubric.read_text()
    worth_two = 'id = "user_exists"\ntitle = "An IAM user named `administrator` exists"\npoints = 2\n'
    assert worth_two in text
    text = text.replace(worth_two, worth_two.replace("points = 2", "points = 5"))
    text = _without_check(text, "billing_access")
    text += textwrap.dedent('''
        [[check]]
        id = "only_the_administrator"
        title = "The account has exactly the users the course asked for"
        points = 2
        check = "course_checks.user_count"
        arguments = {count = 1}
        fix = "delete the extra users in IAM > Users"

        [[check]]
        id = "second_user"
        title = "A second user named `auditor` exists (this course's own step)"
        points = 3
        visibility = "hidden"
        check = "course_checks.user_count"
        arguments = [2]
        fix = "create the auditor user in IAM > Users"
    ''')
    rubric.write_text(text)
    (rubric.parent / "course_checks.py").write_text(textwrap.dedent('''
        """This course's own checks, beside its rubric."""
        from grader.checks.outcome import failed, passed


        def user_count(evidence, count):
            users = evidence.users()
            if len(users) == count:
                return passed(f"{count} user(s)")
            return failed(f"the account has {len(users)} user(s), not {count}")
    '''))

    out = tmp_path / "result.json"
    assert main(["check", "iam-user", "--snapshot", str(IAM_SOLUTION_SNAPSHOT), "--json", str(out),
                 "--staff"]) == 0
    checks = _checks(out)
    assert list(checks) == ["iam-user.user_exists", "iam-user.user_in_group",
                            "iam-user.group_has_administrator_access", "iam-user.console_access",
                            "iam-user.programmatic_access", "iam-user.only_the_administrator",
                            "iam-user.second_user"]
    user_exists = checks["iam-user.user_exists"]
    assert user_exists["max_points"] == 5 and user_exists["status"] == "pass"
    assert checks["iam-user.only_the_administrator"]["status"] == "pass"
    added = checks["iam-user.second_user"]
    assert added["status"] == "fail" and added["max_points"] == 3 and added["visibility"] == "hidden"
    assert added["message"] == "the account has 1 user(s), not 2. Fix: create the auditor user in IAM > Users"
    result = json.loads(out.read_text())
    assert result["score"] == 5 + 2 + 2 + 1 + 1 + 2 and result["max_score"] == result["score"] + 3
    assert 'id = "billing_access"' in IAM_RUBRIC.read_text()   # the package's own rubric is untouched


@pytest.mark.parametrize("change, where, problem", [
    (("points = 2", "pionts = 2"), "check.pionts", "unknown key 'pionts'"),
    (("points = 2", 'points = "two"'), "check.points", "must be a number, not 'two'"),
    (('check = "iam.user_exists"', 'check = "iam.user_exist"'), "check.check",
     "iam has no check function 'user_exist'"),
    (('check = "iam.user_exists"', 'check = "identity.user_exists"'), "check.check", "no module 'identity'"),
    (('check = "iam.user_exists"', 'check = "iam.user_exists"\nneeds = ["CreateUsr"]'), "check.needs",
     "CreateUsr is not one of"),
    (('id = "user_in_group"', 'id = "user_exists"'), "check.id", "'user_exists' is used twice"),
    (('points = 2', 'points = 2\nvisibility = "secret"'), "check.visibility",
     "must be one of visible, hidden"),
])
def test_a_mistake_in_a_rubric_is_refused_with_its_file_and_line(course, capsys, change, where, problem):
    rubric = course / "rubrics/iam-user/rubric.toml"
    old, new = change
    text = rubric.read_text()
    rubric.write_text(text.replace(old, new, 1))
    wrong_line = text[:text.index(old)].count("\n") + 1 + new.count("\n")   # the last line written
    assert main(["check", "iam-user", "--snapshot", str(IAM_SOLUTION_SNAPSHOT)]) == 2
    error = capsys.readouterr().err
    assert f"{rubric}:{wrong_line}: {where}: {problem}" in error, error
    assert len(error.strip().splitlines()) == 1


def test_the_shipped_rubrics_load_and_the_model_activities_grade_the_same_checks():
    rubrics = {path.parent.name: load_rubric(path) for path in PROJECT.glob("rubrics/*/rubric.toml")}
    assert set(rubrics) == {"iam-user", "sagemaker-notebook", "rainfall", "housing", "credit-risk", "cleanup"}
    model = [[(check.id, check.points, check.needs) for check in rubrics[activity].checks]
             for activity in ("rainfall", "housing", "credit-risk")]
    assert model[0] == model[1] == model[2] and len(model[0]) == 22
    for activity in ("rainfall", "housing", "credit-risk"):   # reproducibility: about 10 % of each
        points = {check.id: check.points for check in rubrics[activity].checks}
        assert 0.08 <= points["runs_top_to_bottom"] / sum(points.values()) <= 0.12, points
    assert sum(check.points for check in rubrics["iam-user"].checks) == 9


@pytest.mark.parametrize("change, where, problem", [
    (('user = "administrator"', 'usr = "administrator"'), "expected.usr", "unknown key 'usr'"),
    (("user_in_group = true", 'user_in_group = "yes"'), "expected.user_in_group",
     "must be true or false, not 'yes'"),
    (("cell_timeout = 60", "cell_timeout = true"), "limits.cell_timeout", "must be a number, not True"),
    (('kind = "console"', 'kind = "consol"'), "kind", "must be one of notebook, console"),
    (('[services]', '[servics]'), "servics", "unknown key 'servics'"),
])
def test_a_mistake_in_an_activity_file_is_refused_with_its_line(course, capsys, change, where, problem):
    activity = course / "activities/iam-user/activity.toml"
    old, new = change
    text = activity.read_text()
    activity.write_text(text.replace(old, new, 1))
    line = text[:text.index(old)].count("\n") + 1
    assert main(["check", "iam-user", "--snapshot", str(IAM_SOLUTION_SNAPSHOT)]) == 2
    error = capsys.readouterr().err
    assert f"{activity}:{line}: {where}: {problem}" in error, error


def test_the_course_facts_are_in_one_file_a_course_copy_may_replace(course):
    from grader.activities import load

    assert load("iam-user").region == "us-west-2"   # the grader's activities/course.toml
    own = (PROJECT / "activities/course.toml").read_text()
    own = own.replace('region = "us-west-2"', 'region = "eu-west-1"')
    (course / "activities/course.toml").write_text(own)
    assert load("iam-user").region == "eu-west-1"
    assert load("iam-user").expected["bucket_conventions"][0]["name"] == "sagemaker-<YYYYMMDD>-<HHMM>"
