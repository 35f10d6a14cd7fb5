"""What leftovers cost per hour, from the grader's one price table (prices.toml: dated, sources
noted, priced per region where regions differ). Shared by the cleanup checks and the instructor
audit, to show what still bills; an estimate, never a bill."""

from __future__ import annotations

import tomllib
from dataclasses import dataclass
from pathlib import Path

TABLE = tomllib.loads((Path(__file__).with_name("prices.toml")).read_text())
AS_OF = TABLE["as_of"]                      # datetime.date
HOURS_PER_MONTH = TABLE["hours_per_month"]
SOURCES: dict[str, str] = TABLE["sources"]
BASE_REGION = TABLE["base_region"]
COURSE_REGION = "us-west-2"                 # where the lesson creates everything; the default when no region is known

# Notebook instance statuses in which the instance itself runs (and bills); in the others only its volume bills.
NOTEBOOK_RUNNING = {"Pending", "InService", "Updating", "Stopping"}


@dataclass(frozen=True)
class Quote:
    """An hourly price and where it comes from (which region's list price, or an estimate from another)."""

    per_hour: float
    basis: str

    @property
    def per_month(self) -> float:
        return self.per_hour * HOURS_PER_MONTH

    def __add__(self, other: "Quote") -> "Quote":
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


def instance_hour(component: str, instance_type: str, region: str = COURSE_REGION) -> Quote | None:
    """One instance-hour of `component` (hosting, notebook or training); None when the type is not in the table."""
    return _lookup(region, component, instance_type)


def storage(kind: str, gigabytes: float, region: str = COURSE_REGION) -> Quote:
    """Storage (ml_storage or s3_standard) of `gigabytes`, per hour."""
    monthly = _lookup(region, f"{kind}_per_gb_month")
    return Quote(monthly.per_hour * gigabytes / HOURS_PER_MONTH, monthly.basis)


def endpoint_quote(instance_type: str, count: int = 1, region: str = COURSE_REGION) -> Quote | None:
    price = instance_hour("hosting", instance_type, region)
    return None if price is None else Quote(price.per_hour * count, price.basis)


def notebook_quote(instance_type: str, status: str, volume_gb: float = 5, region: str = COURSE_REGION) -> Quote | None:
    """A notebook instance bills for its volume in every status, and for the instance while it runs."""
    volume = storage("ml_storage", volume_gb, region)
    if status not in NOTEBOOK_RUNNING:
        return volume
    price = instance_hour("notebook", instance_type, region)
    return None if price is None else price + volume


def training_quote(instance_type: str, count: int = 1, volume_gb: float = 0,
                   region: str = COURSE_REGION) -> Quote | None:
    """A running training job: its instances and their volumes."""
    price = instance_hour("training", instance_type, region)
    if price is None:
        return None
    return Quote(price.per_hour * count, price.basis) + storage("ml_storage", volume_gb * count, region)


def bucket_quote(size_bytes: int, region: str = COURSE_REGION) -> Quote:
    return storage("s3_standard", size_bytes / 1e9, region)


def endpoint_cost(instance_type: str, count: int = 1, region: str = COURSE_REGION) -> float | None:
    quote = endpoint_quote(instance_type, count, region)
    return None if quote is None else quote.per_hour


def notebook_cost(instance_type: str, status: str, volume_gb: int = 5, region: str = COURSE_REGION) -> float | None:
    quote = notebook_quote(instance_type, status, volume_gb, region)
    return None if quote is None else quote.per_hour


NOTEBOOK_VOLUME_PER_GB_HOUR = storage("ml_storage", 1).per_hour
S3_STANDARD_PER_GB_HOUR = storage("s3_standard", 1).per_hour


def describe(cost: float | None) -> str:
    if cost is None:
        return "unknown cost"
    if cost == 0:
        return "no charge"
    return "under $0.0001/hour" if cost < 0.0001 else f"about ${cost:.4f}/hour"
