"""One leftovers model (grader/checks/leftovers.py): the student's cleanup checks (`grader check cleanup`)
and the instructor's audit (`grader audit`) of the same account list the same resources, with the
same instance counts and the same prices in each resource's own region."""

import copy
import json
from pathlib import Path

import pytest

from grader.cli import main

PROJECT = Path(__file__).resolve().parents[1]
BASE = PROJECT / "fixtures/snapshots/cleanup/nothing_deleted.json"
CHECKED_KINDS = {"cleanup.no_endpoints": "endpoints", "cleanup.no_notebook_instances": "notebook_instances",
                 "cleanup.no_endpoint_configs": "endpoint_configs", "cleanup.no_models": "models",
                 "cleanup.no_course_buckets": "buckets"}


def _account() -> dict:
    """The class's leftovers, plus what the two models used to disagree on: an endpoint scaled to two
    instances in another region (CurrentInstanceCount, not InitialInstanceCount, and that region's
    price), a Failed endpoint (runs no instance) and a stopped notebook instance in eu-west-1."""
    snapshot = json.loads(BASE.read_text())
    home = snapshot["sagemaker"]["us-west-2"]
    away = {kind: [] for kind in home}
    scaled = copy.deepcopy(home["endpoints"][0])
    scaled.update(EndpointName="scaled-endpoint", EndpointConfigName="scaled-config")
    scaled["ProductionVariants"][0].update(CurrentInstanceCount=2, DesiredInstanceCount=2)
    config = copy.deepcopy(home["endpoint_configs"][0])
    config.update(EndpointConfigName="scaled-config")
    config["ProductionVariants"][0].update(InstanceType="ml.t2.medium", InitialInstanceCount=1)
    notebook = copy.deepcopy(home["notebook_instances"][0])
    notebook.update(NotebookInstanceName="forgotten", NotebookInstanceStatus="Stopped", VolumeSizeInGB=20)
    away.update(endpoints=[scaled], endpoint_configs=[config], notebook_instances=[notebook])
    failed = copy.deepcopy(home["endpoints"][0])
    failed.update(EndpointName="failed-endpoint", EndpointStatus="Failed")
    home["endpoints"].append(failed)
    snapshot["sagemaker"]["eu-west-1"] = away
    snapshot["regions"].append("eu-west-1")
    return snapshot


@pytest.fixture(scope="module")
def both(tmp_path_factory):
    """(what the student's checks list, what the audit lists) for one account."""
    folder = tmp_path_factory.mktemp("leftovers")
    (folder / "snapshots").mkdir()
    (folder / "snapshots" / "student.json").write_text(json.dumps(_account()))
    assert main(["check", "cleanup", "--snapshot", str(folder / "snapshots" / "student.json"),
                 "--json", str(folder / "result.json"), "--staff"]) == 0
    assert main(["audit", "--snapshots", str(folder / "snapshots"), "--out", str(folder / "audit")]) == 1
    checked = json.loads((folder / "result.json").read_text())["checks"]
    student = {(CHECKED_KINDS[check["id"]], item["name"], item["region"], item["cost_per_hour"])
               for check in checked for item in check["evidence"].get("leftovers", [])}
    (account,) = json.loads((folder / "audit" / "audit.json").read_text())["accounts"]
    audit = {(item["kind"], item["name"], item["region"], item["cost_per_hour"])
             for item in account["leftovers"] if item["kind"] in CHECKED_KINDS.values()
             and (item["kind"] != "buckets" or item["name"].startswith("sagemaker-"))}
    return student, audit


def test_the_cleanup_checks_and_the_audit_list_the_same_leftovers_at_the_same_prices(both):
    student, audit = both
    assert student == audit
    names = {(kind, name) for kind, name, _, _ in student}
    assert {("endpoints", "scaled-endpoint"), ("endpoints", "failed-endpoint"),
            ("notebook_instances", "forgotten"), ("buckets", "sagemaker-20190903-1026")} <= names


def test_counts_regions_and_failed_endpoints_are_priced_alike(both):
    student, _ = both
    cost = {name: cost_per_hour for _, name, _, cost_per_hour in student}
    assert cost["scaled-endpoint"] == pytest.approx(2 * 0.056)   # two running ml.t2.medium, not one
    assert cost["failed-endpoint"] == 0                          # a Failed endpoint runs no instance
    assert cost["forgotten"] == pytest.approx(20 * 0.154 / 730)   # a stopped one's volume, eu-west-1 price
