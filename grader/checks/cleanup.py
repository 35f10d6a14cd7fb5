"""Cleanup checks: what is left in the account that still bills (or clutters), with its hourly cost."""

from __future__ import annotations

import re

from ..regions import regions_read
from . import prices
from .evidence import Evidence
from .leftovers import HOW_TO_DELETE, find, of_snapshot
from .outcome import Outcome, failed, passed, skipped, unknown


def leftovers(ev: Evidence, kind: str) -> tuple[list[dict], Outcome | None]:
    """[{name, region, note, cost_per_hour, price_basis}] of `kind` still present (the audit's model,
    grader/checks/leftovers.py), or an Outcome when the state is unknown."""
    if kind == "buckets":
        if ev.buckets() is None:
            return [], unknown("the buckets could not be listed", errors=ev.missing("s3.buckets"))
    else:
        unread = ev.unread_regions()
        if unread:
            label, reads = kind.replace("_", " "), " and ".join(dict.fromkeys([ev.activity.region, *unread]))
            return [], unknown(f"the snapshot did not read {' and '.join(unread)}, so {label} left there are "
                               f"unknown; record it again with `grader snapshot` (it reads {reads})",
                               unread_regions=unread)
        for region in regions_read(ev.snapshot):
            if ev.sagemaker(kind, region) is None:
                return [], unknown(f"the {kind.replace('_', ' ')} in {region} could not be listed",
                                   errors=ev.missing(f"sagemaker.{region}.{kind}"))
    pattern = re.compile(ev.expected.get("bucket_pattern", "^sagemaker-"))
    found = [item for item in find(of_snapshot(ev.snapshot))[0] if item["kind"] == kind]
    return [{"name": item["name"], "region": item["region"], "note": item["state"] or item["details"],
             "cost_per_hour": item["cost_per_hour"], "price_basis": item["price_basis"]}
            for item in found if kind != "buckets" or pattern.match(item["name"] or "")], None


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
    return bool(ev.calls("CreateEndpoint") or ev.all_regions("endpoints")
                or ev.all_regions("endpoint_configs"))


def endpoint_deleted(ev: Evidence) -> Outcome:
    """The endpoint the notebook deployed is gone. Deleting earns points only after deploying: a run
    that never created an endpoint fails it (so every student of a class is scored out of the same
    points); an account state with no trace of one cannot tell deployed-and-tidied from never
    deployed, so there the check does not apply."""
    if not _created_endpoint(ev):
        said = ("no endpoint was created, so there was nothing to delete; deploy the model to earn the "
                "deployment and clean-up points")
        return failed(said) if ev.runs else skipped(said)
    return nothing_left(ev, "endpoints")
