"""Faulty student submissions (fixtures/submissions/): each is a solution notebook with one fault, and
`grader check` must take from it exactly the points its fault deserves (fixtures/submissions/manifest.toml).

Each graded variant runs a notebook on the emulator (about 15-25 s). Entries with an `xfail_reason` are
strict xfails: the manifest keeps the deserved result, the grader does not give it yet.
"""

from __future__ import annotations

import importlib.util
import json
import sys
import tomllib
from pathlib import Path

import pytest

from grader.cli import main
from grader.grading.rubric import load as load_rubric

SUBMISSIONS = Path(__file__).resolve().parents[1] / "fixtures" / "submissions"
MANIFEST = tomllib.loads((SUBMISSIONS / "manifest.toml").read_text())["variant"]
NOT_LOST = ("pass", "manual", "skip")


def _generator():
    spec = importlib.util.spec_from_file_location("make_variants", SUBMISSIONS / "make_variants.py")
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module   # dataclasses look their module up there
    spec.loader.exec_module(module)
    return module


def _rubric_checks(activity: str) -> dict[str, float]:
    """check name -> max points, from the activity's rubric.toml."""
    rubric = load_rubric(Path(__file__).resolve().parents[1] / "rubrics" / activity / "rubric.toml")
    return {check.id: check.points for check in rubric.checks}


def _variant_id(entry: dict) -> str:
    return entry["file"].removesuffix(".ipynb")


def test_the_manifest_covers_every_generated_variant_and_the_notebooks_are_current():
    generator = _generator()
    generated = {f"{v.activity}/{v.fault}.ipynb": v for v in generator.VARIANTS}
    listed = [entry["file"] for entry in MANIFEST]
    assert len(listed) == len(set(listed)), "a variant is listed twice in manifest.toml"
    assert set(listed) == set(generated), "manifest.toml and make_variants.py list different variants"
    for entry in MANIFEST:
        checks = _rubric_checks(entry["activity"])
        variant = generated[entry["file"]]
        assert entry["activity"] == variant.activity
        assert entry["fault"].strip() and entry["cascade"].strip(), entry["file"]
        assert (SUBMISSIONS / entry["file"]).read_text() == generator.render(variant), (
            f"{entry['file']} is stale: run python fixtures/submissions/make_variants.py")
        for check_id in entry["lost"]:
            activity, _, name = check_id.partition(".")
            assert activity == entry["activity"] and name in checks, (
                f"{entry['file']}: unknown check {check_id}")
    per_activity = {activity: sum(entry["activity"] == activity for entry in MANIFEST)
                    for activity in ("rainfall", "housing", "credit-risk")}
    assert len(MANIFEST) >= 18 and min(per_activity.values()) >= 5, per_activity


def _params() -> list:
    return [pytest.param(entry, id=_variant_id(entry),
                         marks=[pytest.mark.xfail(reason=entry["xfail_reason"], strict=True)]
                         if entry.get("xfail_reason") else [])
            for entry in MANIFEST]


@pytest.mark.slow
@pytest.mark.parametrize("entry", _params())
def test_the_variant_loses_exactly_what_its_fault_deserves(entry, tmp_path):
    notebook = SUBMISSIONS / entry["file"]
    result_path = tmp_path / "result.json"
    code = main(["check", entry["activity"], str(notebook), "--json", str(result_path),
                 "--out", str(tmp_path / "out")])
    assert code == 0
    result = json.loads(result_path.read_text())
    checks = {check["id"]: check for check in result["checks"]}
    assert result["activity"] == entry["activity"] and len(checks) == len(_rubric_checks(entry["activity"]))

    lost = {check_id for check_id, check in checks.items() if check["status"] not in NOT_LOST}
    report = "\n".join(f"  {c['status']:5} {c['id']}: {c['message'][:300]}" for c in result["checks"]
                       if c["status"] not in NOT_LOST or c["id"] in entry["lost"])
    expected = set(entry["lost"])
    assert lost == expected, (f"{entry['file']} ({entry['fault']}):\n"
                              f"  lost but not deserved: {sorted(lost - expected)}"
                              f"\n  deserved but not lost: {sorted(expected - lost)}\n{report}")
    for check_id in expected:
        check = checks[check_id]
        # 'error' means missing evidence or a crashed check: never what a student's fault deserves here.
        assert check["status"] == "fail", f"{check_id} is {check['status']}, not fail:\n{report}"
        assert check["message"].strip(), f"{check_id} has no message"
        if check["visibility"] == "visible":
            assert not check["message"].startswith("the check crashed"), f"{check_id}: {check['message']}"
    assert result["score"] == pytest.approx(
        result["max_score"] - sum(checks[check_id]["max_points"] for check_id in expected)), report
