"""The one model of leftovers: what an account still holds that bills (or clutters), priced from the
grader's price table (prices.py) in the region it is in:
endpoints (instance type and count), notebook instances (running or stopped, with their volume),
training jobs still running, models, endpoint configurations and buckets (with their size). Each
leftover has its age, cost per hour and per month, and how to delete it. Whatever could not be
read is listed as unknown: a region or list that failed is never taken as clean.

The student's cleanup checks (cleanup.py) and the instructor's audit (grader/audit/) both take their
leftovers from `find`, so a student and their instructor are told the same resources, counts and prices.
"""

from __future__ import annotations

from datetime import UTC, datetime

from ..regions import regions_read
from ..snapshots.collect_sagemaker import RESOURCES
from ..snapshots.snapshot import MAX_OBJECTS_PER_BUCKET
from . import prices

TYPES = {"endpoints": "endpoint", "notebook_instances": "notebook instance", "training_jobs": "training job",
         "endpoint_configs": "endpoint configuration", "models": "model", "buckets": "bucket"}
# What a student or an instructor does; the audit adds the exact AWS CLI commands (grader/audit/deletion.py).
HOW_TO_DELETE = {
    "endpoints": "delete it in SageMaker > Inference > Endpoints, or from the notebook: "
                 "sagemaker.Session().delete_endpoint(predictor.endpoint); it bills until deleted",
    "notebook_instances": "stop it, wait for Stopped, then delete it in SageMaker > Notebook instances "
                          "(a stopped instance still bills for its volume)",
    "training_jobs": "stop it in SageMaker > Training jobs; a stopped job costs nothing and cannot be "
                     "deleted",
    "endpoint_configs": "delete it in SageMaker > Inference > Endpoint configurations (free, clutter)",
    "models": "delete it in SageMaker > Inference > Models (free, clutter)",
    "buckets": "empty it, then delete it in the S3 console",
}
TRAINING_RUNNING = {"InProgress", "Stopping"}
FREE = prices.Quote(0.0, "free (metadata only)")


def find(reading: dict) -> tuple[list[dict], list[dict]]:
    """(leftovers, unknown parts) of one account's reading (grader/audit/reader.py; `of_snapshot`)."""
    observed = _when(reading.get("observed_at"))
    leftovers = []
    unknown = [dict(entry, what="every SageMaker resource") for entry in reading["regions_not_read"]]
    for region in reading["regions"]:
        resources = reading["sagemaker"].get(region)
        if resources is None:
            unknown.append({"region": region, "what": "every SageMaker resource", "reason": "not recorded"})
            continue
        for kind in ("endpoints", "notebook_instances", "training_jobs", "endpoint_configs", "models"):
            if resources.get(kind) is None:
                unknown.append({"region": region, "what": f"{TYPES[kind]}s",
                                "reason": _reason(reading, f"sagemaker.{region}.{kind}")})
                continue
            for item in resources[kind]:
                found = _sagemaker_leftover(kind, item, resources, region)
                if found is not None:
                    leftovers.append(_completed(kind, found, observed))
    buckets = (reading.get("s3") or {}).get("buckets")
    if buckets is None:
        unknown.append({"region": "all", "what": "buckets", "reason": _reason(reading, "s3.buckets")})
    else:
        leftovers.extend(_completed("buckets", _bucket(bucket), observed) for bucket in buckets)
    return leftovers, unknown


def of_snapshot(snapshot: dict) -> dict:
    """An account snapshot (a graded run's, or a recorded one) as a reading of every region it holds."""
    return {"observed_at": snapshot.get("collected_at"), "regions": regions_read(snapshot),
            "regions_not_read": [], "sagemaker": snapshot["sagemaker"], "s3": snapshot["s3"],
            "errors": snapshot.get("errors") or []}


def _reason(reading: dict, target: str) -> str:
    failed = [error for error in reading["errors"] if error.get("target", "").startswith(target)]
    if not failed:
        return "could not be read"
    first = failed[0]
    return f"could not be read ({first.get('code')}: {first.get('message')})"


def _sagemaker_leftover(kind: str, item: dict, resources: dict, region: str) -> dict | None:
    """The leftover `item` is, or None when it neither bills nor clutters (being deleted, finished)."""
    name = item.get(RESOURCES[kind][2])
    base = {"region": region, "service": "sagemaker", "name": name, "created": item.get("CreationTime")}
    if item.get("describe_failed"):
        described = "free" if kind in ("models", "endpoint_configs") else None
        return {**base, "state": "unknown", "details": "could not be described",
                "quote": FREE if described else None, "bills": False if described else None}
    if kind == "endpoints":
        return _endpoint(base, item, resources, region)
    if kind == "notebook_instances":
        return _notebook(base, item, region)
    if kind == "training_jobs":
        return _training_job(base, item, region)
    details = ", ".join(f"{v.get('InitialInstanceCount', 1)} x {v.get('InstanceType')}"
                        for v in item.get("ProductionVariants") or [] if v.get("InstanceType"))
    return {**base, "state": "", "details": details, "quote": FREE, "bills": False}


def _endpoint(base: dict, item: dict, resources: dict, region: str) -> dict | None:
    status = item.get("EndpointStatus", "unknown")
    if status == "Deleting":
        return None   # on its way out: the student did delete it
    found = {**base, "state": status}
    if status == "Failed":
        return {**found, "details": "failed: runs no instance", "quote": FREE, "bills": False}
    config_name = item.get("EndpointConfigName")
    config = next((config for config in resources.get("endpoint_configs") or []
                   if config.get("EndpointConfigName") == config_name), None)
    if config is None:
        return {**found, "bills": True, "quote": None,
                "details": f"instance type unknown: its endpoint configuration {config_name} is deleted or "
                           "unreadable"}
    running = {variant.get("VariantName"): variant for variant in item.get("ProductionVariants") or []}
    quotes, parts = [], []
    for variant in config.get("ProductionVariants") or []:
        if variant.get("ServerlessConfig"):
            parts.append("serverless (bills per request only)")
            continue
        count = running.get(variant.get("VariantName"), {}).get("CurrentInstanceCount",
                                                                variant.get("InitialInstanceCount", 1))
        parts.append(f"{count} x {variant.get('InstanceType')}")
        quotes.append(prices.endpoint_quote(variant.get("InstanceType"), count, region))
    quote = None if None in quotes else sum(quotes, start=prices.Quote(0.0, "")) if quotes else FREE
    return {**found, "details": ", ".join(parts), "quote": quote, "bills": bool(quotes)}


def _notebook(base: dict, item: dict, region: str) -> dict | None:
    status = item.get("NotebookInstanceStatus", "unknown")
    if status == "Deleting":
        return None
    volume = item.get("VolumeSizeInGB", 5)
    instance_type = item.get("InstanceType")
    running = status in prices.NOTEBOOK_RUNNING
    details = f"{instance_type}, {volume} GB volume" + ("" if running else " (the volume still bills)")
    return {**base, "state": status, "details": details, "bills": True,
            "quote": prices.notebook_quote(instance_type, status, volume, region)}


def _training_job(base: dict, item: dict, region: str) -> dict | None:
    status = item.get("TrainingJobStatus", "unknown")
    if status not in TRAINING_RUNNING:
        return None   # finished jobs cost nothing and cannot be deleted
    config = item.get("ResourceConfig") or {}
    count, instance_type = config.get("InstanceCount", 1), config.get("InstanceType")
    return {**base, "state": status, "bills": True,
            "details": f"{count} x {instance_type}, {config.get('VolumeSizeInGB', 0)} GB volume each",
            "quote": prices.training_quote(instance_type, count, config.get("VolumeSizeInGB", 0), region)}


def _bucket(bucket: dict) -> dict:
    region = bucket.get("Region")
    objects = bucket.get("objects")
    found = {"region": region or "unknown", "service": "s3", "name": bucket.get("Name"), "state": "",
             "created": bucket.get("CreationDate")}
    if objects is None:
        return {**found, "details": "its objects could not be listed: size unknown", "quote": None,
                "bills": None}
    size = sum(item.get("Size", 0) for item in objects)
    listed = len(objects) >= MAX_OBJECTS_PER_BUCKET   # the listing stops there: the size is a lower bound
    details = f"{'at least ' if listed else ''}{len(objects)} object(s), {_size(size)}"
    return {**found, "details": details, "quote": prices.bucket_quote(size, region or "unknown"),
            "bills": size > 0}


def _completed(kind: str, found: dict, observed: datetime | None) -> dict:
    """The leftover as a plain record: type, created (ISO), age, costs, how to delete it."""
    created = _when(found.pop("created"))
    quote = found.pop("quote")
    age_hours = (observed - created).total_seconds() / 3600 if created and observed else None
    return {"kind": kind, "type": TYPES[kind], **found,
            "created": created.isoformat(timespec="seconds") if created else None,
            "age_hours": None if age_hours is None else round(age_hours, 2), "age": _age(age_hours),
            "cost_per_hour": None if quote is None else quote.per_hour,
            "cost_per_month": None if quote is None else quote.per_month,
            "price_basis": "not in the price table: cost unknown" if quote is None else quote.basis,
            "how_to_delete": HOW_TO_DELETE[kind]}


def _when(value) -> datetime | None:
    """A time from a live reply (datetime) or a snapshot file (ISO text); naive times are UTC."""
    if not isinstance(value, datetime):
        try:
            value = datetime.fromisoformat(value) if value else None
        except (TypeError, ValueError):
            return None
    return value.replace(tzinfo=UTC) if value and value.tzinfo is None else value


def _age(hours: float | None) -> str:
    if hours is None:
        return "unknown"
    if hours < 48:
        return f"{hours:.0f} h"
    return f"{hours / 24:.0f} days"


def _size(size: int) -> str:
    for unit, scale in (("GB", 1e9), ("MB", 1e6), ("KB", 1e3)):
        if size >= scale:
            return f"{size / scale:.1f} {unit}"
    return f"{size} bytes"
