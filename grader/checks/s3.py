"""S3 checks: the student's bucket (name, region) and the data where the training job reads it."""

from __future__ import annotations

import re
from datetime import datetime

from ..aws_rules import bucket_name_problem
from .evidence import Evidence, channel_url, starter_bucket_names
from .outcome import Outcome, failed, passed, skipped, unknown

LESSON_NAMING = "sagemaker-<YYYYMMDD>-<HHMM>"


def conventions(ev: Evidence) -> list[dict]:
    """The bucket naming conventions the course used (activity.toml), the lesson's first."""
    return ev.expected.get("bucket_conventions") or [{"name": LESSON_NAMING, "pattern": "^sagemaker-"}]


def _convention_of(ev: Evidence, name: str):
    """(convention, match) for the first convention the name follows, else (None, None).
    Capitals are bucket_name_valid's fault, not the convention's."""
    for convention in conventions(ev):
        match = re.match(convention["pattern"], name, re.IGNORECASE)
        if match:
            return convention, match
    return None, None


def student_bucket(ev: Evidence) -> tuple[str | None, Outcome | None]:
    """The bucket the grade is about: where the training job reads its data, else the one the course's
    naming points to, else the only bucket the grader did not provide."""
    job = ev.graded_job()
    url = channel_url(job, "train") if job else None
    if url:
        return url.removeprefix("s3://").split("/", 1)[0], None
    if ev.buckets() is None:
        return None, unknown("the account's buckets could not be listed", errors=ev.missing("s3.buckets"))
    scoped = ev.buckets_named_by_notebook_roles()

    def preference(bucket):   # the notebook role's bucket, then the course's naming, then the region
        name = bucket["Name"]
        return (name not in scoped, _convention_of(ev, name)[0] is None,
                not name.lower().startswith("sagemaker"),
                bucket.get("Region") != ev.activity.region, name)

    if not ev.buckets():
        refused = [item for run in ev.runs for item in run.provided
                   if item["kind"] == "bucket" and not item["created"]]
        if refused:
            return None, failed(f"the notebook names bucket '{refused[0]['name']}', "
                                f"{refused[0]['reason']}; set the "
                                f"name of the bucket you created ({LESSON_NAMING} in {ev.activity.region})",
                                bucket=refused[0]["name"])
        return None, failed(f"no S3 bucket found; create one named {LESSON_NAMING} in {ev.activity.region}")
    return min(ev.buckets(), key=preference)["Name"], None


def bucket_name_valid(ev: Evidence) -> Outcome:
    name, outcome = student_bucket(ev)
    if outcome:
        return outcome
    if name in starter_bucket_names(ev.activity):
        return failed(f"bucket name '{name}' is the starter's placeholder; "
                      "set the name of the bucket you created",
                      bucket=name)
    problem = bucket_name_problem(name)
    if problem:
        return failed(f"bucket name '{name}' {problem}", bucket=name)
    return passed(f"bucket name '{name}' is valid under S3's rules", bucket=name)


def bucket_name_convention(ev: Evidence) -> Outcome:
    name, outcome = student_bucket(ev)
    if outcome:
        return outcome
    convention, match = _convention_of(ev, name)
    if convention is None:
        names = " or ".join(item["name"] for item in conventions(ev))
        return failed(f"bucket name '{name}' does not follow {names} (for example sagemaker-20190903-1026)",
                      bucket=name)
    found = match.groupdict()
    if "date" not in found:
        return passed(f"bucket name '{name}' follows {convention['name']}", bucket=name)
    stamp_text = found["date"].replace("-", "") + (found.get("time") or "0000")
    try:
        stamp = datetime.strptime(stamp_text, "%Y%m%d%H%M")
    except ValueError:
        return failed(f"bucket name '{name}' has no real date{' and time' if found.get('time') else ''}: "
                      f"{'-'.join(filter(None, [found['date'], found.get('time')]))} is not a valid "
                      f"{'YYYYMMDD-HHMM' if found.get('time') else 'date'}", bucket=name)
    if stamp.year < 2006:   # S3 opened in 2006
        return failed(f"bucket name '{name}' dates from {stamp.year}; use the date and time you created it",
                      bucket=name)
    return passed(f"bucket name '{name}' follows {convention['name']}", bucket=name, stamp=stamp.isoformat())


def bucket_region(ev: Evidence) -> Outcome:
    name, outcome = student_bucket(ev)
    if outcome:
        return outcome
    bucket = ev.bucket(name)
    if bucket is None:
        return failed(f"bucket '{name}' does not exist in the account")
    if any(item["name"] == name for item in ev.provided("bucket")):
        return skipped(f"the grader created bucket '{name}' in {bucket.get('Region')} for the notebook "
                       "(the course makes "
                       "it in the S3 console), so its region is not your work", bucket=name)
    region = bucket.get("Region")
    if region is None:
        return unknown(f"the region of bucket '{name}' could not be read",
                       errors=ev.missing(f"s3.bucket:{name}"))
    wanted = ev.expected.get("bucket_region", ev.activity.region)
    if region != wanted:
        return failed(f"bucket '{name}' is in {region}; the lesson uses {wanted} (US West (Oregon)) "
                      "so that S3 and "
                      f"SageMaker share a region: create the bucket there", bucket=name, region=region)
    return passed(f"bucket '{name}' is in {region}", bucket=name, region=region)


def channel_objects(ev: Evidence, channel: str) -> Outcome:
    """The objects the job's channel points at exist (keys differ between course versions); with no
    job yet, the channel's data the notebook uploaded (uploaded_location)."""
    job = ev.graded_job()
    if job is None:
        url = uploaded_location(ev, channel)
        if url is None:
            return failed(not_uploaded(ev, channel))
        return passed(f"{channel} data found at {url} (no training job reads it yet)", url=url,
                      keys=[item["Key"] for item in ev.objects_under(url)])
    url = channel_url(job, channel)
    if url is None:
        return failed(f"training job {job['TrainingJobName']} has no '{channel}' channel; pass "
                      f"fit({{'train': s3_train_data, 'test': s3_test_data}})", job=job["TrainingJobName"])
    bucket = url.removeprefix("s3://").split("/", 1)[0]
    if ev.bucket(bucket) is not None and ev.bucket(bucket).get("objects") is None:
        return unknown(f"the objects of bucket '{bucket}' could not be listed",
                       errors=ev.missing(f"s3.bucket:{bucket}"))
    objects = ev.objects_under(url)
    if not objects:
        return failed(f"nothing in S3 under the {channel} channel's {url}; upload the {channel} data there",
                      url=url)
    return passed(f"{channel} data found at {url}", url=url, keys=[item["Key"] for item in objects])


CHANNELS = ("train", "test")


def uploaded_location(ev: Evidence, channel: str) -> str | None:
    """The S3 URL of the `channel` ("train" or "test") data uploaded when no training job points to it,
    provided the notebook uploaded both: before fit() the data set is the train and test uploads
    together (the starter's given train upload alone is no data set of the student's)."""
    found = {name: _uploaded(ev, name) for name in CHANNELS}
    return found[channel] if all(found.values()) else None


def _uploaded(ev: Evidence, channel: str) -> str | None:
    """Among the objects the notebook's own calls stored (the API log's server-side facts; the last
    first), then those in the student's bucket under the activity's prefix, the first named after the
    channel: its folder (<prefix>/train/...) or, failing that, its file name (train.data)."""
    bucket, _ = student_bucket(ev)
    prefix = str(ev.expected.get("prefix", "")).strip("/")
    stored = (ev.bucket(bucket) or {}).get("objects") or [] if bucket else []
    candidates = [url for url in reversed(ev.uploads()) if ev.object_at(url) is not None]
    candidates += [f"s3://{bucket}/{item['Key']}" for item in stored
                   if prefix and item["Key"].startswith(f"{prefix}/")]
    for url in candidates:
        bucket_name, *folders, _ = url.removeprefix("s3://").split("/")
        if channel in folders:
            return f"s3://{bucket_name}/{'/'.join(folders[:folders.index(channel) + 1])}/"
    named = re.compile(rf"(^|[^a-z]){channel}([^a-z]|$)", re.IGNORECASE)
    return next((url for url in candidates if named.search(url.rsplit("/", 1)[-1])), None)


def not_uploaded(ev: Evidence, channel: str) -> str:
    """What a notebook with no training job is told when its uploads are not both the train and test data."""
    prefix = ev.expected.get("prefix", "prefix")
    missing = [name for name in CHANNELS if _uploaded(ev, name) is None]
    return (f"no training job reads any data, and the notebook uploaded no {' and no '.join(missing)} data "
            f"(the {channel} data is read with the other part, as fit() would): upload each to "
            f"os.path.join(prefix, '<train or test>', key) in your bucket (prefix = '{prefix}')")
