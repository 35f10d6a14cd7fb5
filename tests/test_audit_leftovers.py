"""The audit's pure parts on hand-made readings: prices, what counts as a leftover and what it costs,
what is unknown, the roster, the verdict and the outputs' escaping. (tests/test_audit.py runs the
whole audit on emulated accounts.)"""

import csv
import io

import pytest

from grader.audit.files import csv_rows, write_csv
from grader.audit.record import build, verdict
from grader.audit.regions import RegionChoice
from grader.audit.roster import NOT_ON_ROSTER, not_audited, read_roster, student_of
from grader.audit.text import money
from grader.checks import prices
from grader.checks.leftovers import find
from grader.errors import UsageError
from grader.terminal import inert

GB_MONTH = 730   # hours


def reading(region_resources=None, buckets=(), errors=(), regions_not_read=(),
            observed_at="2026-12-01T12:00:00+00:00"):
    resources = {kind: [] for kind in ("endpoints", "endpoint_configs", "models", "notebook_instances",
                                       "training_jobs")}
    resources.update(region_resources or {})
    return {"source": {"kind": "profile", "label": "alice", "profile": "alice",
                       "description": "profile alice"},
            "account_id": "111122223333", "observed_at": observed_at, "regions": ["us-west-2"],
            "regions_not_read": list(regions_not_read), "sagemaker": {"us-west-2": resources},
            "s3": {"buckets": None if buckets is None else list(buckets)}, "errors": list(errors),
            "failure": None}


def config(name, instance_type="ml.m4.xlarge", count=1, **variant):
    return {"EndpointConfigName": name, "ProductionVariants": [
        {"VariantName": "AllTraffic", "InstanceType": instance_type, "InitialInstanceCount": count,
         **variant}]}


def endpoint(name, status="InService", config_name=None, current=None):
    variants = [{"VariantName": "AllTraffic", **({"CurrentInstanceCount": current} if current else {})}]
    return {"EndpointName": name, "EndpointConfigName": config_name or name, "EndpointStatus": status,
            "CreationTime": "2026-11-30T12:00:00+00:00", "ProductionVariants": variants}


def notebook(name, status, instance_type="ml.t2.medium", volume=5):
    return {"NotebookInstanceName": name, "NotebookInstanceStatus": status, "InstanceType": instance_type,
            "VolumeSizeInGB": volume, "CreationTime": "2026-11-01T12:00:00+00:00"}


def by_name(leftovers, name):
    return next(item for item in leftovers if item["name"] == name)


# Prices

def test_prices_come_from_the_region_and_say_so():
    quote = prices.endpoint_quote("ml.m4.xlarge", 2, "us-west-2")
    assert quote.per_hour == pytest.approx(0.48) and quote.basis == "us-west-2 list price"
    assert quote.per_month == pytest.approx(0.48 * GB_MONTH)
    assert prices.storage("ml_storage", 10, "eu-west-1").per_hour == pytest.approx(10 * 0.154 / GB_MONTH)
    assert prices.storage("ml_storage", 10, "us-west-2").per_hour == pytest.approx(10 * 0.14 / GB_MONTH)
    assert prices.bucket_quote(10**9, "us-west-1").per_hour == pytest.approx(0.026 / GB_MONTH)
    assert prices.bucket_quote(10**9, "us-west-2").per_hour == pytest.approx(0.023 / GB_MONTH)


def test_a_region_without_its_own_price_is_an_estimate_and_an_unknown_type_has_no_price():
    estimate = prices.endpoint_quote("ml.m4.xlarge", 1, "eu-north-1")
    assert estimate.per_hour == pytest.approx(0.24)
    assert "estimated from the us-east-1 list price" in estimate.basis
    assert prices.endpoint_quote("ml.x99.huge", 1, "us-west-2") is None
    assert prices.notebook_quote("ml.x99.huge", "InService", 5, "us-west-2") is None
    stopped = prices.notebook_quote("ml.x99.huge", "Stopped", 5, "us-west-2")
    assert stopped.per_hour == pytest.approx(5 * 0.14 / GB_MONTH)
    assert prices.AS_OF.isoformat() == "2026-12-02" and "sagemaker" in prices.SOURCES


# What is a leftover, and its cost

def test_endpoints_cost_their_running_instances_and_a_deleting_one_is_not_counted():
    found, unknown = find(reading({
        "endpoints": [endpoint("two", current=2), endpoint("going", status="Deleting"),
                      endpoint("broken", status="Failed"), endpoint("orphan", config_name="deleted-config")],
        "endpoint_configs": [config("two", "ml.m5.large", count=1), config("going"), config("broken")]}))
    assert unknown == []
    names = {item["name"] for item in found if item["kind"] == "endpoints"}
    assert names == {"two", "broken", "orphan"}
    two = by_name(found, "two")
    assert two["details"] == "2 x ml.m5.large" and two["cost_per_hour"] == pytest.approx(0.23)
    assert two["age"] == "24 h" and two["age_hours"] == 24
    broken = by_name(found, "broken")
    assert (broken["bills"], broken["cost_per_hour"]) == (False, 0.0)
    orphan = by_name(found, "orphan")
    assert orphan["bills"] is True and orphan["cost_per_hour"] is None
    assert "deleted-config" in orphan["details"]


def test_a_serverless_endpoint_bills_per_request_only():
    serverless = {"EndpointConfigName": "s", "ProductionVariants": [
        {"VariantName": "AllTraffic", "ServerlessConfig": {"MemorySizeInMB": 2048, "MaxConcurrency": 1}}]}
    found, _ = find(reading({"endpoints": [endpoint("s")], "endpoint_configs": [serverless]}))
    item = by_name([f for f in found if f["kind"] == "endpoints"], "s")
    assert item["cost_per_hour"] == 0 and "serverless" in item["details"]


def test_notebooks_bill_the_instance_while_running_and_the_volume_always():
    found, _ = find(reading({"notebook_instances": [
        notebook("on", "InService"), notebook("off", "Stopped", "ml.m4.xlarge", 20),
        notebook("gone", "Deleting")]}))
    assert {item["name"] for item in found} == {"on", "off"}
    assert by_name(found, "on")["cost_per_hour"] == pytest.approx(0.0464 + 5 * 0.14 / GB_MONTH)
    off = by_name(found, "off")
    assert off["cost_per_hour"] == pytest.approx(20 * 0.14 / GB_MONTH) and off["bills"] is True
    assert off["age"] == "30 days"


def test_only_running_training_jobs_are_leftovers():
    job = {"TrainingJobName": "run", "TrainingJobStatus": "InProgress",
           "CreationTime": "2026-12-01T11:00:00+00:00",
           "ResourceConfig": {"InstanceType": "ml.m5.xlarge", "InstanceCount": 1, "VolumeSizeInGB": 30}}
    done = {**job, "TrainingJobName": "done", "TrainingJobStatus": "Completed"}
    found, _ = find(reading({"training_jobs": [job, done]}))
    assert [item["name"] for item in found] == ["run"]
    assert found[0]["cost_per_hour"] == pytest.approx(0.23 + 30 * 0.14 / GB_MONTH)
    assert found[0]["how_to_delete"].startswith("stop it")


def test_buckets_cost_their_bytes_and_an_unlisted_one_is_unknown():
    buckets = [{"Name": "full", "Region": "us-west-2", "objects": [{"Key": "a", "Size": 2 * 10**9}]},
               {"Name": "empty", "Region": "us-west-2", "objects": []},
               {"Name": "locked", "Region": None, "objects": None},
               {"Name": "huge", "Region": "us-east-1",
                "objects": [{"Key": str(i), "Size": 1} for i in range(1000)]}]
    found, _ = find(reading(buckets=buckets))
    assert by_name(found, "full")["cost_per_month"] == pytest.approx(2 * 0.023)
    assert (by_name(found, "empty")["bills"], by_name(found, "empty")["cost_per_hour"]) == (False, 0)
    locked = by_name(found, "locked")
    assert locked["bills"] is None and locked["cost_per_hour"] is None and locked["region"] == "unknown"
    assert by_name(found, "huge")["details"].startswith("at least 1000 object(s)")


def test_what_could_not_be_read_is_unknown_never_clean():
    errors = [{"target": "sagemaker.us-west-2.endpoints", "operation": "ListEndpoints",
               "code": "AccessDenied", "message": "not allowed"}]
    found, unknown = find(reading({"endpoints": None, "notebook_instances": [
        {"NotebookInstanceName": "mystery", "describe_failed": True}]}, buckets=None, errors=errors,
        regions_not_read=[{"region": "eu-west-1", "reason": "the snapshot did not record this region"}]))
    assert {(part["region"], part["what"]) for part in unknown} == {
        ("us-west-2", "endpoints"), ("all", "buckets"), ("eu-west-1", "every SageMaker resource")}
    assert "AccessDenied: not allowed" in next(p["reason"] for p in unknown if p["what"] == "endpoints")
    mystery = by_name(found, "mystery")
    assert mystery["bills"] is None and mystery["cost_per_hour"] is None     # it may be running


# The record and its verdict

def test_exit_status_reasons():
    clean = {"unreadable": 0, "partly_unknown": 0, "unpriced_leftovers": 0, "billing_leftovers": 0,
             "cost_per_hour": 0}
    assert verdict(clean, None) == (0, [])
    bills = {**clean, "billing_leftovers": 1, "cost_per_hour": 0.3}
    assert verdict(bills, None)[0] == 1 and verdict(bills, 0.5) == (0, [])
    assert verdict(bills, 0.2)[0] == 1
    assert verdict({**bills, "unpriced_leftovers": 1}, 5)[0] == 1           # an unknown price may be above
    assert verdict({**clean, "unreadable": 1}, 5)[0] == 1
    assert verdict({**clean, "partly_unknown": 1}, None)[0] == 1


def test_an_account_reached_twice_is_billed_once():
    first = reading({"endpoints": [endpoint("e")], "endpoint_configs": [config("e")]})
    again = {**reading({"endpoints": [endpoint("e")], "endpoint_configs": [config("e")]}),
             "source": {"kind": "organization", "label": "alice-org", "profile": None,
                        "description": "organization account alice-org"}}
    audit = build([first, again], {}, "us-west-2", None)
    assert len(audit["accounts"]) == 1 and audit["accounts"][0]["also_reached_as"] == ["alice-org"]
    assert audit["totals"]["cost_per_hour"] == pytest.approx(0.24)


# Roster

def test_the_roster_maps_ids_and_names(tmp_path):
    path = tmp_path / "roster.csv"
    path.write_text("\ufeffAccount,Student,Email\n111122223333,Ada,a@x\nbob,Bob,b@x\nzed,Zed,z@x\n")
    roster = read_roster(path)
    assert student_of(roster, "111122223333", "whatever") == "Ada"
    assert student_of(roster, "999999999999", "bob") == "Bob"
    assert student_of(roster, None, "nobody") == NOT_ON_ROSTER
    assert not_audited(roster, [("111122223333", "x"), (None, "bob")]) == [
        {"student": "Zed", "account": "zed"}]


@pytest.mark.parametrize("content, says", [
    ("id,name\n1,a\n", "needs a header row with the columns account,student"),
    ("account,student\n1,\n", "line 2: both account and student"),
    ("account,student\n1,Ada\n1,Bob\n", "given to both Ada and Bob"),
    ("", "needs a header row"),
])
def test_a_bad_roster_is_refused_in_one_line(tmp_path, content, says):
    path = tmp_path / "roster.csv"
    path.write_text(content)
    with pytest.raises(UsageError, match=says):
        read_roster(path)


# Regions of a snapshot

def test_regions_asked_for_that_a_snapshot_did_not_record_are_unknown():
    recorded = ["us-west-2", "us-east-1"]
    assert RegionChoice().for_snapshot(recorded) == (recorded, [])
    assert RegionChoice(named=("us-west-2", "eu-west-1")).for_snapshot(recorded) == (
        ["us-west-2"], ["eu-west-1"])
    taken, missing = RegionChoice(every=True).for_snapshot(recorded)
    assert sorted(taken) == sorted(recorded) and "eu-west-1" in missing and "us-west-2" not in missing


# Text for people

def test_untrusted_text_is_one_visible_line_and_money_reads_well():
    assert inert("evil\x1b[2J\nname\u202e") == "evil\\x1b[2J\\nname\\u202e"
    assert money(None) == "unknown" and money(0) == "$0.00" and money(0.24) == "$0.2400"
    assert money(1234.5, "/month") == "$1,234.50/month" and money(1e-9) == "under $0.0001"


def test_csv_cells_a_spreadsheet_would_run_are_neutralised(tmp_path):
    found, _ = find(reading(buckets=[{"Name": "=HYPERLINK(\"x\")", "Region": "us-west-2", "objects": []}]))
    for item in found:
        item.update(student="@evil", account_id="1", account="alice", delete_commands=["aws s3 rb s3://x"])
    audit = {"accounts": [{"account_id": "1", "source": {"label": "alice", "description": "profile alice"},
                           "leftovers": found}]}
    write_csv(audit, tmp_path / "leftovers.csv")
    row = next(csv.DictReader(io.StringIO((tmp_path / "leftovers.csv").read_text())))
    assert row["name"] == "'=HYPERLINK(\"x\")" and row["student"] == "'@evil"
    assert csv_rows(audit)[0]["bills"] == "no"
