"""What leftovers cost per hour, from the grader's one price table (prices.toml: dated, sources
noted, priced per region where regions differ): one Quote (per hour, per month, and its basis) per
resource. The leftovers model (leftovers.py) prices with it for both the cleanup checks and the
instructor audit; an estimate, never a bill."""

from __future__ import annotations

import tomllib
from dataclasses import dataclass
from pathlib import Path

TABLE = tomllib.loads((Path(__file__).with_name("prices.toml")).read_text())
AS_OF = TABLE["as_of"]                      # datetime.date
HOURS_PER_MONTH = TABLE["hours_per_month"]
SOURCES: dict[str, str] = TABLE["sources"]
BASE_REGION = TABLE["base_region"]

# Notebook instance statuses in which the instance itself runs (and bills); in the others only its
# volume bills.
NOTEBOOK_RUNNING = {"Pending", "InService", "Updating", "Stopping"}


@dataclass(frozen=True)
class Quote:
    """An hourly price and where it comes from (which region's list price, or an estimate from another)."""

    per_hour: float
    basis: str

    @property
    def per_month(self) -> float:
        return self.per_hour * HOURS_PER_MONTH

    def __add__(self, other: Quote) -> Quote:
        bases = [basis for basis in dict.fromkeys(self.basis.split("; ") + other.basis.split("; ")) if basis]
        return Quote(self.per_hour + other.per_hour, "; ".join(bases))


def _region_table(region: str) -> dict:
    entry = TABLE["regions"].get(region, {})
    return TABLE["regions"][entry["same_as"]] if "same_as" in entry else entry


def _lookup(region: str, section: str, key: str | None = None) -> Quote | None:
    """The price `region` lists, else the base region's marked as an estimate, else None."""
    for source in (region, BASE_REGION):
        found = _region_table(source).get(section)
        if key is not None:
            found = (found or {}).get(key)
        if found is not None:
            basis = f"{region} list price" if source == region else \
                f"estimated from the {BASE_REGION} list price (the table has no {region} price)"
            return Quote(float(found), basis)
    return None


def instance_hour(component: str, instance_type: str, region: str) -> Quote | None:
    """One instance-hour of `component` (hosting, notebook or training); None when the type is not in
    the table."""
    return _lookup(region, component, instance_type)


def storage(kind: str, gigabytes: float, region: str) -> Quote:
    """Storage (ml_storage or s3_standard) of `gigabytes`, per hour."""
    monthly = _lookup(region, f"{kind}_per_gb_month")
    return Quote(monthly.per_hour * gigabytes / HOURS_PER_MONTH, monthly.basis)


def endpoint_quote(instance_type: str, count: int, region: str) -> Quote | None:
    price = instance_hour("hosting", instance_type, region)
    return None if price is None else Quote(price.per_hour * count, price.basis)


def notebook_quote(instance_type: str, status: str, volume_gb: float, region: str) -> Quote | None:
    """A notebook instance bills for its volume in every status, and for the instance while it runs."""
    volume = storage("ml_storage", volume_gb, region)
    if status not in NOTEBOOK_RUNNING:
        return volume
    price = instance_hour("notebook", instance_type, region)
    return None if price is None else price + volume


def training_quote(instance_type: str, count: int, volume_gb: float, region: str) -> Quote | None:
    """A running training job: its instances and their volumes."""
    price = instance_hour("training", instance_type, region)
    if price is None:
        return None
    return Quote(price.per_hour * count, price.basis) + storage("ml_storage", volume_gb * count, region)


def bucket_quote(size_bytes: int, region: str) -> Quote:
    return storage("s3_standard", size_bytes / 1e9, region)


def describe(cost: float | None) -> str:
    if cost is None:
        return "unknown cost"
    if cost == 0:
        return "no charge"
    return "under $0.0001/hour" if cost < 0.0001 else f"about ${cost:.4f}/hour"
