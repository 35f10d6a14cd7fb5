"""Hand-made account snapshots of the console activities (fixtures/snapshots/): each variant changes
one thing in a solution snapshot and must lose exactly the checks its fault deserves, no more.

The expectations live in fixtures/snapshots/manifest.toml (written by make_variants.py). Grading
goes through the real command line, `grader check ACTIVITY --snapshot FILE --json OUT`.
"""

from __future__ import annotations

import importlib.util
import json
import sys
import tomllib
from functools import cache
from pathlib import Path

import pytest

from grader.cli import main

SNAPSHOTS = Path(__file__).resolve().parents[1] / "fixtures" / "snapshots"
MANIFEST = tomllib.loads((SNAPSHOTS / "manifest.toml").read_text())["variant"]
ACTIVITIES = ("iam-user", "sagemaker-notebook", "cleanup")
NOT_LOST = ("pass", "manual", "skip")


@cache
def grade(activity: str, file: str, scratch: str) -> dict:
    out = Path(scratch) / (file.replace("/", "__") + ".result.json")
    code = main(["check", activity, "--snapshot", str(SNAPSHOTS / file), "--json", str(out),
                 "--out", str(Path(scratch) / "reports")])
    assert code == 0, f"grader check {activity} --snapshot {file} exited {code}"
    return json.loads(out.read_text())


@pytest.fixture(scope="module")
def scratch(tmp_path_factory) -> str:
    return str(tmp_path_factory.mktemp("graded"))


def _param(entry: dict, reason_key: str):
    marks = ([pytest.mark.xfail(strict=True, raises=AssertionError, reason=entry[reason_key])]
             if entry.get(reason_key) else [])
    return pytest.param(entry, id=entry["file"].removesuffix(".json"), marks=marks)


def _checks(result: dict) -> dict:
    return {check["id"]: check for check in result["checks"]}


@pytest.mark.parametrize("activity", ACTIVITIES)
def test_the_solution_snapshot_scores_full_marks(activity, scratch):
    result = grade(activity, f"{activity}/solution.json", scratch)
    # A manual check is in the maximum and earns 0 until a person decides (docs/results.md).
    assert result["max_score"] > 0 and result["score"] + result["manual_points"] == result["max_score"], [
        (check["id"], check["status"], check["message"]) for check in result["checks"]
        if check["status"] not in NOT_LOST]
    statuses = {check["id"]: check["status"] for check in result["checks"]}
    if activity == "iam-user":
        assert statuses["iam-user.billing_access"] == "manual"
    if activity == "sagemaker-notebook":
        assert {statuses[f"sagemaker-notebook.monte_carlo_{part}"]
                for part in ("simulated", "plotted", "interval")} == {"skip"}


@pytest.mark.parametrize("entry", [_param(entry, "xfail_reason") for entry in MANIFEST])
def test_a_variant_loses_exactly_what_its_fault_deserves(entry, scratch):
    result = grade(entry["activity"], entry["file"], scratch)
    checks = _checks(result)
    expected = set(entry["lost"]) | set(entry["errors"])
    assert expected <= set(checks), f"unknown check ids in the manifest: {expected - set(checks)}"
    not_passing = {check_id for check_id, check in checks.items() if check["status"] not in NOT_LOST}
    assert not_passing == expected, "\n".join(
        f"{check_id}: expected {'lost' if check_id in expected else 'pass'}, "
        f"got {checks[check_id]['status']}: {checks[check_id]['message']}"
        for check_id in sorted(not_passing ^ expected))
    for check_id in entry["errors"]:
        assert checks[check_id]["status"] == "error", f"{check_id} should be ERROR (unknown, not absent)"
        assert checks[check_id]["evidence"].get("errors"), \
            f"{check_id} does not cite the snapshot's failed call"
    for check_id in entry["lost"]:
        assert checks[check_id]["status"] == "fail", f"{check_id}: {checks[check_id]['status']}"
    deducted = sum(checks[check_id]["max_points"] for check_id in expected)
    assert result["score"] == result["max_score"] - deducted - result["manual_points"]


@pytest.mark.parametrize("entry", [_param(entry, "message_xfail_reason") for entry in MANIFEST
                                   if entry["lost"] or entry["errors"]])
def test_a_lost_check_says_what_is_wrong(entry, scratch):
    checks = _checks(grade(entry["activity"], entry["file"], scratch))
    for check_id in entry["lost"] + entry["errors"]:
        assert checks[check_id]["message"].strip(), f"{check_id} has an empty message"
    for check_id, strings in entry.get("mentions", {}).items():
        message = checks[check_id]["message"]
        missing = [text for text in strings if text not in message]
        assert not missing, f"{check_id}'s message does not mention {missing}: {message!r}"


def test_every_variant_file_is_in_the_manifest_and_up_to_date():
    listed = {entry["file"] for entry in MANIFEST}
    on_disk = {f"{path.parent.name}/{path.name}" for activity in ACTIVITIES
               for path in (SNAPSHOTS / activity).glob("*.json")
               if path.name not in ("solution.json", "leftovers.json")}
    assert on_disk == listed
    spec = importlib.util.spec_from_file_location("make_variants", SNAPSHOTS / "make_variants.py")
    generator = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = generator      # its dataclasses look their module up while it loads
    try:
        spec.loader.exec_module(generator)
    finally:
        del sys.modules[spec.name]
    stale = [str(path) for path, text in generator.outputs().items() if path.read_text() != text]
    assert not stale, f"regenerate with fixtures/snapshots/make_variants.py: {stale}"


def test_the_manifest_covers_every_check_and_each_activity_broadly():
    for activity in ACTIVITIES:
        entries = [entry for entry in MANIFEST if entry["activity"] == activity]
        assert len(entries) >= 7, activity
        for entry in entries:
            assert entry["fault"].strip() and entry["file"].startswith(f"{activity}/")
            assert all(check.startswith(f"{activity}.") for check in entry["lost"] + entry["errors"])
    assert len(MANIFEST) >= 26
