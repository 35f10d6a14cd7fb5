"""Snapshots as hostile input: seeding a run from one is capped, a malformed or hostile file is one
clear line (exit 2), and a snapshot of a run says who collected it and which models were trained."""

import base64
import json

import pytest

from grader.cli import main
from grader.execution import seeding
from grader.snapshots.snapshot import SCHEMA, collect_emulated


def _snapshot_declaring(objects: int, size: int, bucket: str = "sagemaker-20191007-2307") -> dict:
    """A small file that declares many large objects whose content it does not record."""
    return {"schema": SCHEMA, "regions": ["us-west-2"], "errors": [], "iam": {}, "sagemaker": {},
            "s3": {"buckets": [{"Name": bucket, "Region": "us-west-2",
                                "objects": [{"Key": f"junk/{i}", "Size": size} for i in range(objects)]}]}}


def _stored_bytes(aws, bucket):
    listed = aws("s3").list_objects_v2(Bucket=bucket).get("Contents", [])
    return len(listed), sum(item["Size"] for item in listed)


def test_seeding_caps_objects_and_bytes(emulator, account, aws, monkeypatch):
    """Attack: a snapshot declaring 2,000 objects of 1 MB (seeding allocated 2 GB). Verdict: at most
    MAX_OBJECTS objects and MAX_BYTES bytes are created (lowered here); the rest is listed as not
    recreated, with the reason."""
    monkeypatch.setattr(seeding, "MAX_OBJECTS", 20)
    monkeypatch.setattr(seeding, "MAX_BYTES", 5 * 2**20)
    provided = seeding.seed_from_snapshot(emulator, account, _snapshot_declaring(2000, 2**20))
    count, size = _stored_bytes(aws, "sagemaker-20191007-2307")
    assert count == 5 and size <= 5 * 2**20
    [skipped] = [item for item in provided if item["kind"] == "objects"]
    assert not skipped["created"] and "1995 object(s)" in skipped["name"]
    assert "at most 20 objects" in skipped["reason"]


def test_seeding_stops_at_its_time_limit(emulator, account, aws, monkeypatch):
    """Attack: a snapshot so large that recreating it takes minutes. Verdict: seeding stops at
    MAX_SECONDS (zero here) and lists what it did not recreate."""
    monkeypatch.setattr(seeding, "MAX_SECONDS", 0)
    provided = seeding.seed_from_snapshot(emulator, account, _snapshot_declaring(3, 10))
    bucket = next(item for item in provided if item["kind"] == "bucket")
    assert not bucket["created"] and "seeding stops after 0 s" in bucket["reason"]
    assert aws("s3").list_buckets()["Buckets"] == []


def test_malformed_snapshot_entries_are_listed_not_fatal(emulator, account):
    """Attack: entries of the wrong shape (a bucket without a name, objects that are not a list)."""
    snapshot = {"schema": SCHEMA, "regions": [], "iam": {}, "sagemaker": {},
                "s3": {"buckets": [{"Region": "us-west-2"},
                                   {"Name": "sagemaker-20191007-2307", "objects": 5}]}}
    provided = seeding.seed_from_snapshot(emulator, account, snapshot)
    [malformed] = [item for item in provided if item["kind"] == "s3"]
    assert not malformed["created"] and "malformed" in malformed["reason"]


@pytest.mark.parametrize("content,expected", [
    (b"\xef\xbb\xbf" + json.dumps({"schema": SCHEMA}).encode(), "BOM"),
    (b'{"schema": "grader.account-snapshot/1", "x": ' + b"[" * 100000 + b"]" * 100000 + b"}",
     "nests too deeply"),
    (json.dumps({"schema": SCHEMA, "iam": {}, "s3": {}, "sagemaker": {}, "regions": "us-west-2"}).encode(),
     "malformed 'regions'"),
    (json.dumps({"schema": SCHEMA, "iam": {}, "s3": {}, "sagemaker": {}, "errors": [5]}).encode(),
     "malformed 'errors'"),
])
def test_hostile_snapshot_file_is_one_line_and_exit_2(tmp_path, capsys, content, expected):
    """Attack: a UTF-8 BOM, deep nesting, wrong types. Verdict: one line naming the problem, exit 2."""
    path = tmp_path / "snapshot.json"
    path.write_bytes(content)
    assert main(["check", "cleanup", "--snapshot", str(path)]) == 2
    err = capsys.readouterr().err
    assert expected in err and "Traceback" not in err and len(err.strip().splitlines()) == 1


def test_snapshot_of_a_run_records_its_collector_and_the_trainer(emulator, account, aws):
    """Snapshots are staff evidence: they say who collected them, from where, which regions, and
    (for a graded run) which models the emulator's trainer wrote."""
    account.trained_models.append({"job": "j", "region": "us-west-2", "url": "s3://b/j/output/model.tar.gz",
                                   "etag": '"x"', "sha256": "0" * 64,
                                   "written_at": "2026-12-01T00:00:00+00:00"})
    snapshot = collect_emulated(emulator, account)
    assert snapshot["regions"] == ["us-west-2", "us-east-1"]
    assert set(snapshot["sagemaker"]) == set(snapshot["regions"])
    assert snapshot["source"] == "emulator" and snapshot["account_id"] == account.account_id
    collector = snapshot["collector"]
    assert collector["tool"] == "sagemaker-course-grader"
    assert collector["caller_arn"].startswith("arn:aws:sts::")
    assert snapshot["trainer"] == account.trained_models and snapshot["collected_at"]


def test_recorded_object_content_is_seeded_as_recorded(emulator, account, aws):
    """Control: a snapshot's recorded content (course data) is recreated byte for byte within the caps."""
    body = b"course data"
    snapshot = _snapshot_declaring(0, 0)
    snapshot["s3"]["buckets"][0]["objects"] = [{"Key": "d/train.data", "Size": len(body),
                                                "content_base64": base64.b64encode(body).decode()}]
    seeding.seed_from_snapshot(emulator, account, snapshot)
    assert aws("s3").get_object(Bucket="sagemaker-20191007-2307", Key="d/train.data")["Body"].read() == body


def test_snapshot_keeps_a_bounded_amount_of_object_content(emulator, account, aws, monkeypatch):
    """Attack: many large objects under the prefixes a training job reads (copies cost a notebook
    nothing), which the collector would keep in memory. Verdict: content beyond the snapshot's
    budget (lowered here) is not kept and is marked, so checks read it as unknown."""
    from grader.snapshots import snapshot as snapshots

    monkeypatch.setattr(snapshots, "MAX_TOTAL_CONTENT_BYTES", 2500)
    aws("s3").create_bucket(Bucket="sagemaker-20191007-2307",
                            CreateBucketConfiguration={"LocationConstraint": "us-west-2"})
    for index in range(5):
        aws("s3").put_object(Bucket="sagemaker-20191007-2307", Key=f"p/train/part-{index}", Body=b"x" * 1000)
    monkeypatch.setattr(snapshots, "content_urls",
                        lambda sagemaker: ["s3://sagemaker-20191007-2307/p/train/"])
    objects = collect_emulated(emulator, account)["s3"]["buckets"][0]["objects"]
    kept = [item for item in objects if "content_base64" in item]
    assert len(kept) == 2 and all(item["content_truncated"] for item in objects if item not in kept)
