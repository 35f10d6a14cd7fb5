"""Grading through the pytest plugin: points and visibility markers, errors as data, the JSON
result, `pytest rubrics/<activity>` directly, and `grader check` exit codes."""

import json
import os
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

from grader.cli import main
from grader.grading.result import HIDDEN_MESSAGE

PROJECT = Path(__file__).resolve().parents[1]
IAM_SOLUTION = PROJECT / "activities/iam-user/solution/create_admin_user.ipynb"


@pytest.fixture(scope="module")
def snapshot_of_the_iam_solution(tmp_path_factory):
    """Run the iam-user solution once and keep the account's snapshot (a console activity's evidence)."""
    from grader.activities import load
    from grader.grading.gather import GradingOptions, gather
    from grader.snapshots.snapshot import write

    gathered = gather(load("iam-user"), GradingOptions(submissions=[IAM_SOLUTION]))
    path = tmp_path_factory.mktemp("iam") / "iam.json"
    write(gathered.evidence.snapshot, path)
    return path


@pytest.mark.slow
def test_pytest_runs_a_rubric_directly_through_the_plugin(tmp_path):
    done = subprocess.run([sys.executable, "-m", "pytest", "-p", "no:cacheprovider", "rubrics/iam-user",
                           "--submission", str(IAM_SOLUTION), "--result-json", str(tmp_path / "r.json")],
                          cwd=PROJECT, capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stdout[-2000:]
    assert "5 passed, 1 skipped" in done.stdout
    result = json.loads((tmp_path / "r.json").read_text())
    # The manual point is in the maximum, not yet in the score.
    assert result["score"] == 8 and result["manual_points"] == 1 and result["max_score"] == 9


@pytest.mark.slow
def test_the_same_checks_grade_a_snapshot(snapshot_of_the_iam_solution, tmp_path, capsys):
    assert main(["check", "iam-user", "--snapshot", str(snapshot_of_the_iam_solution),
                 "--json", str(tmp_path / "r.json")]) == 0
    result = json.loads((tmp_path / "r.json").read_text())
    assert result["score"] == 8 and result["max_score"] == 9 and result["source"].startswith("snapshot ")
    by_id = {check["id"]: check for check in result["checks"]}
    assert by_id["iam-user.billing_access"]["status"] == "manual"
    for field in ("id", "title", "status", "points", "max_points", "message"):
        assert all(field in check for check in result["checks"])
    assert "Score: 8/9 (1 point(s) awaiting manual review)" in capsys.readouterr().out


@pytest.mark.slow
def test_fail_under_turns_a_low_score_into_exit_1(snapshot_of_the_iam_solution, tmp_path):
    assert main(["check", "iam-user", "--snapshot", str(snapshot_of_the_iam_solution),
                 "--fail-under", "9"]) == 1
    assert main(["check", "iam-user", "--snapshot", str(snapshot_of_the_iam_solution),
                 "--fail-under", "8"]) == 0


@pytest.fixture
def toy_project(tmp_path, monkeypatch):
    """A project whose one rubric has a hidden check, a crashing check and a failing one."""
    (tmp_path / "activities" / "toy").mkdir(parents=True)
    (tmp_path / "activities" / "toy" / "activity.toml").write_text(textwrap.dedent("""
        id = "toy"
        title = "Toy"
        kind = "console"
        region = "us-west-2"
        notebooks = ["toy.ipynb"]
        [expected]
        user = "administrator"
        group = "Administrators"
        policy_arn = "arn:aws:iam::aws:policy/AdministratorAccess"
    """))
    (tmp_path / "rubrics" / "toy").mkdir(parents=True)
    (tmp_path / "rubrics" / "toy" / "test_toy.py").write_text(textwrap.dedent('''
        import pytest
        from grader.checks import iam

        @pytest.mark.points(3)
        @pytest.mark.visibility("hidden")
        def test_secret(check):
            """The administrator user exists"""
            check(iam.user_exists)

        @pytest.mark.points(2)
        def test_crashes(check):
            """A check that crashes"""
            check(lambda evidence: {}["missing"])

        def test_group(check):
            """The user is in the group"""
            check(iam.user_in_group)
    '''))
    snapshot = {"schema": "grader.account-snapshot/1", "iam": {"users": [], "groups": []},
                "s3": {"buckets": []}, "sagemaker": {}, "errors": []}
    (tmp_path / "snap.json").write_text(json.dumps(snapshot))
    monkeypatch.setenv("GRADER_PROJECT_DIR", str(tmp_path))
    return tmp_path


def test_a_crashing_check_is_its_own_error_and_hidden_checks_hide_their_message(toy_project, capsys):
    out = toy_project / "result.json"
    assert main(["check", "toy", "--snapshot", str(toy_project / "snap.json"), "--json", str(out)]) == 0
    checks = {check["id"]: check for check in json.loads(out.read_text())["checks"]}
    assert checks["toy.crashes"]["status"] == "error" and "KeyError" in checks["toy.crashes"]["message"]
    assert checks["toy.group"]["status"] == "fail"
    assert "no IAM user named 'administrator'" in checks["toy.group"]["message"]
    hidden = checks["toy.secret"]
    assert hidden["status"] == "fail" and hidden["message"] == HIDDEN_MESSAGE and hidden["evidence"] == {}
    assert hidden["max_points"] == 3 and hidden["points"] == 0
    printed = capsys.readouterr().out
    assert "no IAM user named" in printed and printed.count(HIDDEN_MESSAGE) == 1


@pytest.mark.slow
def test_staff_results_keep_hidden_messages(toy_project, tmp_path):
    done = subprocess.run([sys.executable, "-m", "pytest", "-p", "no:cacheprovider", "-q",
                           str(toy_project / "rubrics/toy"), "--snapshot", str(toy_project / "snap.json"),
                           "--result-json", str(tmp_path / "r.json"), "--staff"],
                          cwd=toy_project, capture_output=True, text=True, timeout=120,
                          env={**os.environ, "GRADER_PROJECT_DIR": str(toy_project)})
    assert done.returncode == 1   # pytest: some checks failed
    checks = {check["id"]: check for check in json.loads((tmp_path / "r.json").read_text())["checks"]}
    assert "no IAM user named 'administrator'" in checks["toy.secret"]["message"]


def test_unreadable_evidence_is_an_error_not_a_fail(toy_project, tmp_path):
    snapshot = json.loads((toy_project / "snap.json").read_text())
    snapshot["iam"]["users"] = None
    snapshot["errors"] = [{"target": "iam.users", "operation": "ListUsers", "code": "AccessDenied",
                           "message": "no"}]
    (tmp_path / "denied.json").write_text(json.dumps(snapshot))
    assert main(["check", "toy", "--snapshot", str(tmp_path / "denied.json"),
                 "--json", str(tmp_path / "r.json")]) == 0
    checks = {check["id"]: check for check in json.loads((tmp_path / "r.json").read_text())["checks"]}
    assert checks["toy.group"]["status"] == "error" and "could not be read" in checks["toy.group"]["message"]
