"""Cleanup checks: what is left in the account that still bills (or clutters), with its hourly cost."""

from __future__ import annotations

import re

from ..evidence.snapshot import regions_read
from . import prices
from .evidence import Evidence
from .outcome import Outcome, failed, passed, skipped, unknown

NAME_FIELDS = {"endpoints": "EndpointName", "endpoint_configs": "EndpointConfigName", "models": "ModelName",
               "notebook_instances": "NotebookInstanceName"}
FREE = ("models", "endpoint_configs")   # metadata only: clutter, no charge
HOW_TO_DELETE = {
    "endpoints": "delete it: sagemaker.Session().delete_endpoint(predictor.endpoint) or SageMaker > Endpoints > Delete",
    "endpoint_configs": "delete it in SageMaker > Endpoint configurations",
    "models": "delete it in SageMaker > Models",
    "notebook_instances": "stop it, wait for Stopped, then delete it (a stopped instance still bills for its volume)",
    "buckets": "empty it, then delete it in the S3 console",
}


def _endpoint_cost(ev: Evidence, region: str, endpoint: dict) -> float | None:
    configs = ev.sagemaker("endpoint_configs", region) or []
    config = next((c for c in configs if c.get("EndpointConfigName") == endpoint.get("EndpointConfigName")), None)
    total = 0.0
    for variant in (config or {}).get("ProductionVariants", []):
        cost = prices.endpoint_cost(variant.get("InstanceType", ""), variant.get("InitialInstanceCount", 1))
        if cost is None:
            return None
        total += cost
    return total if config else None


def leftovers(ev: Evidence, kind: str) -> tuple[list[dict], Outcome | None]:
    """[{name, region, cost_per_hour, note}] still present, or an Outcome when the state is unknown."""
    if kind == "buckets":
        if ev.buckets() is None:
            return [], unknown("the buckets could not be listed", errors=ev.missing("s3.buckets"))
        pattern = re.compile(ev.expected.get("bucket_pattern", "^sagemaker-"))
        return [{"name": b["Name"], "region": b.get("Region"),
                 "cost_per_hour": sum(o.get("Size", 0) for o in b.get("objects") or []) / 1e9 * prices.S3_STANDARD_PER_GB_HOUR,
                 "note": f"{len(b.get('objects') or [])} object(s)"} for b in ev.buckets() if pattern.match(b["Name"])], None
    unread = ev.unread_regions()
    if unread:
        return [], unknown(f"the snapshot did not read {' and '.join(unread)}, so {kind.replace('_', ' ')} left there "
                           f"are unknown; record it again with `grader snapshot` (it reads {ev.activity.region} and "
                           "us-east-1)", unread_regions=unread)
    found = []
    for region in regions_read(ev.snapshot):
        items = ev.sagemaker(kind, region)
        if items is None:
            return [], unknown(f"the {kind.replace('_', ' ')} in {region} could not be listed",
                               errors=ev.missing(f"sagemaker.{region}.{kind}"))
        for item in items:
            if item.get("EndpointStatus", item.get("NotebookInstanceStatus")) == "Deleting":
                continue   # on its way out: the student did delete it
            entry = {"name": item.get(NAME_FIELDS[kind]), "region": region, "note": "",
                     "cost_per_hour": 0.0 if kind in FREE else None}
            if kind == "endpoints":
                entry["cost_per_hour"] = _endpoint_cost(ev, region, item)
                entry["note"] = item.get("EndpointStatus", "")
            elif kind == "notebook_instances":
                status = item.get("NotebookInstanceStatus", "")
                entry["cost_per_hour"] = prices.notebook_cost(item.get("InstanceType", ""), status,
                                                              item.get("VolumeSizeInGB", 5))
                entry["note"] = status
            found.append(entry)
    return found, None


def nothing_left(ev: Evidence, kind: str) -> Outcome:
    found, outcome = leftovers(ev, kind)
    if outcome:
        return outcome
    label = kind.replace("_", " ")
    if not found:
        return passed(f"no {label} left")
    listing = "; ".join(f"{item['name']} ({item['region']}{', ' + item['note'] if item['note'] else ''}, "
                        f"{prices.describe(item['cost_per_hour'])})" for item in found)
    return failed(f"{len(found)} of the {label} still exist{'s' if len(found) == 1 else ''}: {listing}; "
                  f"{HOW_TO_DELETE[kind]}", leftovers=found)


def _created_endpoint(ev: Evidence) -> bool:
    """An endpoint was created: the run's API log says so, or the account still holds an endpoint or
    the endpoint configuration deploy() makes (when grading a snapshot or a live account)."""
    return bool(ev.calls("CreateEndpoint") or ev.all_regions("endpoints") or ev.all_regions("endpoint_configs"))


def endpoint_deleted(ev: Evidence) -> Outcome:
    """The endpoint the notebook deployed is gone. Deleting earns points only after deploying: a run
    that never created an endpoint fails it (so every student of a class is scored out of the same
    points); an account state with no trace of one cannot tell deployed-and-tidied from never
    deployed, so there the check does not apply."""
    if not _created_endpoint(ev):
        said = "no endpoint was created, so there was nothing to delete; deploy the model to earn the deployment " \
               "and clean-up points"
        return failed(said) if ev.runs else skipped(said)
    return nothing_left(ev, "endpoints")
