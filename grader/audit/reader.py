"""Reading the accounts of an audit, read-only: who each one is, then SageMaker region by region and
S3, through the snapshot collectors of grader/snapshots (or from a recorded snapshot file).

Accounts are read in parallel, and each account's regions too, both with a cap. Whatever fails is
kept as data: an account that cannot be entered (access denied, expired credentials, unreachable)
is that account's failure row; a region or a list that cannot be read is unknown, never empty.
"""

from __future__ import annotations

import time
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime

from ..errors import UsageError
from ..snapshots.collect_s3 import collect_s3
from ..snapshots.collect_sagemaker import collect_sagemaker
from ..snapshots.snapshot import Collector
from ..snapshots.snapshot import read as read_snapshot
from .regions import RegionChoice, default_regions
from .sessions import new_session
from .sources import AccountSource

ACCOUNT_WORKERS = 8     # accounts read at once
REGION_WORKERS = 4      # regions (and S3) read at once within one account
ROLE_SESSION_NAME = "grader-audit"

# What a failure to get into an account usually means, for the person reading the audit.
HINTS = {
    "ExpiredToken": "the credentials have expired; refresh them (for example `aws sso login`)",
    "ExpiredTokenException": "the credentials have expired; refresh them (for example `aws sso login`)",
    "InvalidClientTokenId": "the access key is not valid in this account",
    "UnrecognizedClientException": "the access key is not valid in this account",
    "AccessDenied": "the credentials may not make this call; docs/audit.md lists the "
                    "permissions the audit needs",
    "EndpointConnectionError": "the endpoint could not be reached",
    "ConnectTimeoutError": "the endpoint could not be reached",
}


def read_accounts(sources: list[AccountSource], regions: RegionChoice) -> list[dict]:
    with ThreadPoolExecutor(max(1, min(ACCOUNT_WORKERS, len(sources)))) as pool:
        return list(pool.map(lambda source: read_account(source, regions), sources))


def read_account(source: AccountSource, regions: RegionChoice) -> dict:
    """One account's reading; never raises (an unexpected error is this account's failure)."""
    started = time.perf_counter()
    try:
        if source.failure:
            reading = _failed(source, source.failure)
        elif source.kind == "snapshot":
            reading = _from_snapshot(source, regions)
        else:
            reading = _from_aws(source, regions)
    except Exception as error:   # a bug or a reply nobody expected must not end the audit of the others
        reading = _failed(source, f"the account could not be read ({type(error).__name__}: {error})")
    reading["read_seconds"] = round(time.perf_counter() - started, 2)
    return reading


def _reading(source: AccountSource, **found) -> dict:
    return {"source": {"kind": source.kind, "label": source.label, "profile": source.profile,
                       "role_arn": source.role_arn, "description": source.describe()},
            "account_id": source.account_id, "observed_at": datetime.now(UTC).isoformat(timespec="seconds"),
            "regions": [], "regions_not_read": [], "sagemaker": {}, "s3": {"buckets": None}, "errors": [],
            "failure": None, **found}


def _failed(source: AccountSource, why: str) -> dict:
    return _reading(source, failure=why)


def explain(error: dict) -> str:
    """'Code: message (what it usually means)' for a recorded error."""
    hint = HINTS.get(error.get("code", ""))
    return f"{error.get('code')}: {error.get('message')}" + (f" ({hint})" if hint else "")


def _from_snapshot(source: AccountSource, regions: RegionChoice) -> dict:
    try:
        snapshot = read_snapshot(source.snapshot)
    except UsageError as error:
        return _failed(source, str(error))
    recorded = snapshot.get("regions") or list(snapshot["sagemaker"])
    taken, missing = regions.for_snapshot(recorded)
    return _reading(source, account_id=snapshot.get("account_id"),
                    observed_at=snapshot.get("collected_at") or None, regions=taken,
                    regions_not_read=[{"region": region, "reason": "the snapshot did not record this region"}
                                      for region in missing],
                    sagemaker={region: snapshot["sagemaker"].get(region) for region in taken},
                    s3=snapshot["s3"], errors=snapshot["errors"])


def _from_aws(source: AccountSource, regions: RegionChoice) -> dict:
    session = new_session(source.profile)
    home = session.region_name or default_regions()[0]
    entry = Collector(session, [home])
    try:
        if source.role_arn:
            assumed = entry.call("account", entry.client("sts").assume_role, RoleArn=source.role_arn,
                                 RoleSessionName=ROLE_SESSION_NAME)
            if assumed is None:
                return _failed(source, f"could not assume {source.role_arn} ({explain(entry.errors[0])})")
            entry.close()
            session = new_session(source.profile, assumed["Credentials"])
            entry = Collector(session, [home])
        identity = entry.call("account", entry.client("sts").get_caller_identity)
        if identity is None:
            return _failed(source, f"could not get into the account ({explain(entry.errors[0])})")
        to_read = regions.for_account(session, entry)
    finally:
        entry.close()
    with ThreadPoolExecutor(REGION_WORKERS) as pool:
        s3 = pool.submit(_collect, session, home, lambda collector: collect_s3(collector, content_urls=[]))
        regional = list(pool.map(lambda region: _collect(session, region, collect_sagemaker), to_read))
    s3_found, s3_errors = s3.result()
    return _reading(source, account_id=identity.get("Account"), regions=to_read,
                    sagemaker={region: found[region] for region, (found, _) in zip(to_read, regional)},
                    s3=s3_found,
                    errors=entry.errors + s3_errors + [e for _, errors in regional for e in errors])


def _collect(session, region: str, collect) -> tuple[dict, list[dict]]:
    """Run one evidence collector for one region with its own Collector; (what it found, failed calls)."""
    collector = Collector(session, [region])
    try:
        return collect(collector), collector.errors
    finally:
        collector.close()
