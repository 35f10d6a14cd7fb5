"""Account snapshot: one versioned JSON document of an account's IAM, S3 and SageMaker state.

Collected once, read-only, then evaluated offline (ScoutSuite's model), so the same checks run on
the emulator, a live account and a recorded file. A call that fails is written into `errors` with
the part of the snapshot it leaves incomplete; checks treat that part as unknown, never as absent,
and a region the snapshot did not read is unknown too. A snapshot says who made it (`collector`:
tool and version, caller) besides its source, account, regions and time. One taken of a graded
run's emulator account also carries `trainer`: the model artifacts the emulator's trainer wrote,
with their SHA-256, which the model checks require of the model they score. docs/snapshots.md.
"""

from __future__ import annotations

import base64
import json
import threading
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime
from importlib import metadata
from pathlib import Path

import boto3
from botocore.config import Config
from botocore.exceptions import BotoCoreError, ClientError

from ..activities import SNAPSHOT_SECTIONS as SECTIONS
from ..aws_rules import OBJECT_WRITES
from ..errors import UsageError
from ..regions import CONSOLE_DEFAULT_REGION, enabled, regions_to_read, sagemaker_regions

SCHEMA = "grader.account-snapshot/1"
READ_ONLY_PREFIXES = ("List", "Get", "Describe", "Head")
MAX_OBJECTS_PER_BUCKET = 1000
MAX_CONTENT_BYTES = 8_000_000      # object bodies kept for protobuf checks (course data is < 1 MB)
MAX_TOTAL_CONTENT_BYTES = 64 * 2**20   # all object bodies one snapshot keeps (copies cost a notebook nothing)
MAX_FILE_BYTES = 512 * 2**20       # a snapshot file read for grading or seeding
WORKERS = 8
TOOL = "sagemaker-course-grader"


class Collector:
    """Collects a snapshot through boto3 clients; `errors` gathers every failed call."""

    def __init__(self, session: boto3.Session, regions: list[str], endpoint_url: str | None = None,
                 credentials: dict | None = None):
        self.session = session
        self.regions = regions
        self.endpoint_url = endpoint_url
        self.credentials = credentials or {}
        self.errors: list[dict] = []
        self._content_left = MAX_TOTAL_CONTENT_BYTES
        self._config = Config(retries={"max_attempts": 4, "mode": "standard"},
                              max_pool_connections=WORKERS * 2)
        self._clients: dict = {}
        self._lock = threading.Lock()
        self._pool = ThreadPoolExecutor(WORKERS)                       # items: one user, one bucket, ...
        self._sections = ThreadPoolExecutor(1 + 5 * len(regions))     # whole sections; they wait on items

    def client(self, service: str, region: str | None = None):
        """One shared client per service and region (boto3 clients are thread-safe)."""
        key = (service, region or self.regions[0])
        with self._lock:
            if key not in self._clients:
                self._clients[key] = self.session.client(service, region_name=key[1],
                                                         endpoint_url=self.endpoint_url,
                                                         config=self._config, **self.credentials)
            return self._clients[key]

    def take_content(self, size: int) -> bool:
        """Reserve `size` bytes of the snapshot's content budget; False when it is spent."""
        with self._lock:
            if size > self._content_left:
                return False
            self._content_left -= size
            return True

    def call(self, target: str, function, *args, missing: tuple[str, ...] = (), **kwargs):
        """Run one read-only call; a failure is recorded against `target` and returns None.
        Error codes listed in `missing` mean "does not exist" and return None without an error."""
        try:
            return function(*args, **kwargs)
        except ClientError as error:
            code = error.response.get("Error", {}).get("Code", "")
            if code in missing:
                return None
            self.errors.append({"target": target, "operation": error.operation_name, "code": code,
                                "message": error.response.get("Error", {}).get("Message", "")})
        except (BotoCoreError, Exception) as error:   # unreachable endpoint, bad reply: unknown, not absent
            self.errors.append({"target": target, "operation": "", "code": type(error).__name__,
                                "message": str(error)})
        return None

    def pages(self, target: str, client, operation: str, key: str, **kwargs) -> list | None:
        def every_page():
            items = []
            for page in client.get_paginator(operation).paginate(**kwargs):
                items.extend(page.get(key, []))
            return items
        return self.call(target, every_page)

    def map(self, function, items) -> list:
        """Apply `function` to items in parallel (item-level work must not call map again)."""
        return list(self._pool.map(function, items))

    def section(self, function, *args):
        """Start a whole section in the background; returns a future."""
        return self._sections.submit(function, *args)

    def close(self) -> None:
        self._sections.shutdown()
        self._pool.shutdown()


_shared_session = None
_session_lock = threading.Lock()


def every_region(session: boto3.Session) -> tuple[list[str], list[dict]]:
    """Every SageMaker region the account has enabled (grader/regions.py), and the errors met finding
    out; when the enabled ones cannot be listed (no ec2:DescribeRegions), all are read and those
    errors are recorded like any other."""
    partition = session.get_partition_for_region(CONSOLE_DEFAULT_REGION)
    try:
        reply = session.client("ec2", region_name=CONSOLE_DEFAULT_REGION).describe_regions(
            AllRegions=True, Filters=[{"Name": "opt-in-status",
                                       "Values": ["opt-in-not-required", "opted-in"]}])
    except (BotoCoreError, ClientError) as error:
        return list(sagemaker_regions(partition)), [{
            "target": "regions", "operation": "DescribeRegions", "code": type(error).__name__,
            "message": f"{error}; every region was read, enabled or not"}]
    return enabled(reply, partition), []


def _session() -> boto3.Session:
    global _shared_session
    with _session_lock:
        _shared_session = _shared_session or boto3.Session()
    return _shared_session


_warming: threading.Thread | None = None


def warm_up() -> threading.Thread:
    """Load the service models a collection needs (seconds, once per process, and inherited by its
    forks such as the warm server's gradings) in the background, for example while a notebook runs."""
    global _warming

    def load():
        for service in ("sts", "iam", "s3", "sagemaker"):
            _session().client(service, region_name="us-west-2", aws_access_key_id="warm",
                              aws_secret_access_key="up")
    with _session_lock:
        if _warming is None:
            _warming = threading.Thread(target=load, daemon=True)
            _warming.start()
    return _warming


def collect_emulated(emulator, account, regions: list[str] | None = None, sections=SECTIONS) -> dict:
    """Snapshot of one emulator account, through the same read-only API calls as a live one; only
    `sections` are read (what an activity's checks use), the others are listed as `not_read`, and
    SageMaker only in the regions where the emulator holds any state of the account (the others are
    empty, as their reading would find). The bodies of the objects the account's API log shows it
    uploaded are kept too: the data checks read them when no training job points to them. One boto3
    session serves every account (loading service models costs seconds per session)."""
    from .collect_sagemaker import RESOURCES

    credentials = {"aws_access_key_id": account.access_key_id,
                   "aws_secret_access_key": account.secret_access_key,
                   "aws_session_token": account.session_token}
    regions = regions or regions_to_read(account.region)
    used = emulator.sagemaker_regions(account)
    read = [region for region in regions if region in used] or regions[:1]
    snapshot = collect(_session(), read, endpoint_url=emulator.url, source="emulator",
                       credentials=credentials, sections=sections, uploads=uploaded_urls(account.api_log))
    if "sagemaker" in sections:
        empty = {kind: [] for kind in RESOURCES}
        snapshot["sagemaker"] = {region: snapshot["sagemaker"].get(region, empty) for region in regions}
        snapshot["regions"] = regions
    # server-side, never from a client
    snapshot["trainer"] = [dict(model) for model in account.trained_models]
    return snapshot


def collect_live(profile: str | None, region: str | None = None) -> dict:
    """Snapshot of a real account through `profile` or the default credential chain. It reads every
    enabled region where SageMaker and S3 exist (in parallel), so leftovers anywhere are found; with
    `region`, only that region and us-east-1. The snapshot's `regions` lists exactly the regions read.
    One-line UsageError when there are no usable credentials or the account cannot be reached."""
    try:
        session = boto3.Session(profile_name=profile, region_name=region)
        if session.get_credentials() is None:
            raise UsageError(
                "no AWS credentials found; pass --profile or configure the default credential chain")
    except BotoCoreError as error:
        raise UsageError(f"cannot use AWS profile {profile!r}: {error}") from None
    regions, errors = (regions_to_read(region), []) if region else every_region(session)
    snapshot = collect(session, regions, source="live")
    snapshot["errors"] = sorted(snapshot["errors"] + errors, key=lambda e: e["target"])
    return reached(snapshot)


def reached(snapshot: dict) -> dict:
    """The snapshot, unless not even the caller's identity could be read (wrong keys, no network)."""
    if snapshot["account_id"] is None:
        reason = snapshot["errors"][0]["message"] if snapshot["errors"] else "unknown"
        raise UsageError(f"could not reach the account ({reason}); check the credentials and try again")
    return snapshot


def collect(session: boto3.Session, regions: list[str], *, endpoint_url: str | None = None,
            source: str = "live", credentials: dict | None = None, sections=SECTIONS,
            uploads: list[str] = ()) -> dict:
    from .collect_iam import collect_iam
    from .collect_s3 import collect_s3
    from .collect_sagemaker import collect_sagemaker

    collector = Collector(session, regions, endpoint_url, credentials)
    try:
        identity = collector.call("account", collector.client("sts").get_caller_identity) or {}
        iam_future = collector.section(collect_iam, collector) if "iam" in sections else None
        sagemaker = collect_sagemaker(collector) if "sagemaker" in sections else {}
        iam = iam_future.result() if iam_future else {}
        urls = content_urls(sagemaker) + [url for url in uploads if url not in content_urls(sagemaker)]
        s3 = collect_s3(collector, content_urls=urls) if "s3" in sections else {}
    finally:
        collector.close()
    not_read = [section for section in SECTIONS if section not in sections]
    return {
        "schema": SCHEMA,
        "collected_at": datetime.now(UTC).isoformat(timespec="seconds"),
        "source": source,
        "account_id": identity.get("Account"),
        "collector": {"tool": TOOL, "version": _version(), "caller_arn": identity.get("Arn")},
        "regions": regions if "sagemaker" in sections else [],
        **({"not_read": not_read} if not_read else {}),
        "iam": iam,
        "s3": s3,
        "sagemaker": sagemaker,
        "errors": sorted(collector.errors, key=lambda e: e["target"]),
    }


def _version() -> str | None:
    try:
        return metadata.version(TOOL)
    except metadata.PackageNotFoundError:
        return None


def content_urls(sagemaker: dict) -> list[str]:
    """S3 prefixes whose objects' bodies go into the snapshot: what training jobs read (for the data
    checks) and the models they wrote (so the grader can compute metrics itself)."""
    urls = []
    for region in sagemaker.values():
        for job in region.get("training_jobs") or []:
            channels = {channel.get("ChannelName"):
                        channel.get("DataSource", {}).get("S3DataSource", {}).get("S3Uri")
                        for channel in job.get("InputDataConfig", [])}
            found = [*channels.values(), job.get("ModelArtifacts", {}).get("S3ModelArtifacts"),
                     test_prefix_beside(channels.get("train"))]
            urls.extend(url for url in found if url and url not in urls)
    return urls


def uploaded_urls(api_log: list[dict]) -> list[str]:
    """s3://bucket/key of every object the log's executed calls stored, from the server's facts."""
    urls = []
    for entry in api_log:
        facts = entry.get("facts") or {}
        if (entry.get("operation") in OBJECT_WRITES and entry.get("status", 500) < 300
                and facts.get("Bucket") and facts.get("Key")):
            url = f"s3://{facts['Bucket']}/{facts['Key']}"
            urls.extend([url] if url not in urls else [])
    return urls


def test_prefix_beside(train_url: str | None) -> str | None:
    """s3://b/prefix/train/... -> s3://b/prefix/test/: where the course uploads test data, so a job
    that was not given its test channel can still be graded on the test set."""
    if not train_url or "/train" not in train_url:
        return None
    return train_url.rstrip("/").rpartition("/train")[0] + "/test/"


def encode_body(body: bytes) -> dict:
    kept = body[:MAX_CONTENT_BYTES]
    return {"content_base64": base64.b64encode(kept).decode(), "content_truncated": len(body) > len(kept)}


def decode_body(item: dict) -> bytes | None:
    encoded = item.get("content_base64")
    return None if encoded is None else base64.b64decode(encoded)


def to_json(snapshot: dict) -> str:
    return json.dumps(snapshot, indent=1, sort_keys=True, default=_json_default)


def _json_default(value):
    if isinstance(value, datetime):
        return value.isoformat()
    if isinstance(value, bytes):
        return base64.b64encode(value).decode()
    return str(value)


def write(snapshot: dict, path: Path) -> None:
    Path(path).write_text(to_json(snapshot))


def read(path: Path) -> dict:
    """Load a snapshot file, refusing what is not one with a single clear line."""
    path = Path(path)
    if not path.is_file():
        raise UsageError(f"{path}: no such snapshot file; create one with `grader snapshot --out FILE`")
    if path.stat().st_size > MAX_FILE_BYTES:
        raise UsageError(f"{path} is {path.stat().st_size:,} bytes, more than a snapshot may be "
                         f"({MAX_FILE_BYTES:,}); record it again with `grader snapshot`")
    try:
        snapshot = json.loads(path.read_bytes().decode("utf-8"))
    except (json.JSONDecodeError, UnicodeDecodeError) as error:
        raise UsageError(
            f"{path} is not valid JSON ({error}); record it again with `grader snapshot`") from None
    except RecursionError:
        raise UsageError(
            f"{path} nests too deeply to be a snapshot; record it again with `grader snapshot`") from None
    if not isinstance(snapshot, dict) or snapshot.get("schema") != SCHEMA:
        found = snapshot.get("schema") if isinstance(snapshot, dict) else type(snapshot).__name__
        raise UsageError(
            f"{path} is not a {SCHEMA} snapshot (schema: {found!r}); record it with `grader snapshot`")
    for section in ("iam", "s3", "sagemaker"):
        if not isinstance(snapshot.get(section), dict):
            raise UsageError(f"{path} has no '{section}' section; record it again with `grader snapshot`")
    regions = snapshot.get("regions", [])   # none listed: every region is unknown
    if not isinstance(regions, list) or not all(isinstance(region, str) for region in regions):
        raise UsageError(f"{path} has a malformed 'regions' list; record it again with `grader snapshot`")
    errors = snapshot.setdefault("errors", [])
    if not isinstance(errors, list) or not all(isinstance(e, dict) and isinstance(e.get("target"), str)
                                               for e in errors):
        raise UsageError(f"{path} has a malformed 'errors' list; record it again with `grader snapshot`")
    return snapshot


def incomplete(snapshot: dict, target_prefix: str) -> list[dict]:
    """Errors that leave part of the snapshot under `target_prefix` unknown; a section the snapshot
    did not read at all is unknown too."""
    unread = [{"target": section, "operation": "", "code": "NotRead",
               "message": f"the snapshot did not read {section}"}
              for section in snapshot.get("not_read") or []
              if target_prefix.startswith(section) or section.startswith(target_prefix)]
    errors = [error for error in snapshot.get("errors", []) if error["target"].startswith(target_prefix)]
    return unread + errors
