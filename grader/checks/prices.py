"""What leftovers cost per hour: approximate on-demand prices in us-west-2 (USD, list prices of
2024-2026), to show students why cleanup matters; not a bill."""

HOSTING_PER_HOUR = {"ml.t2.medium": 0.056, "ml.m4.xlarge": 0.24, "ml.m5.large": 0.115, "ml.m5.xlarge": 0.23,
                    "ml.c5.large": 0.102, "ml.t2.large": 0.111}
NOTEBOOK_PER_HOUR = {"ml.t2.medium": 0.0464, "ml.t3.medium": 0.05, "ml.m4.xlarge": 0.24, "ml.m5.xlarge": 0.23}
NOTEBOOK_VOLUME_PER_GB_HOUR = 0.14 / 730      # ML storage, $0.14 per GB-month
S3_STANDARD_PER_GB_HOUR = 0.023 / 730


def endpoint_cost(instance_type: str, count: int = 1) -> float | None:
    price = HOSTING_PER_HOUR.get(instance_type)
    return None if price is None else price * count


def notebook_cost(instance_type: str, status: str, volume_gb: int = 5) -> float | None:
    if status == "Stopped":
        return NOTEBOOK_VOLUME_PER_GB_HOUR * volume_gb
    price = NOTEBOOK_PER_HOUR.get(instance_type)
    return None if price is None else price + NOTEBOOK_VOLUME_PER_GB_HOUR * volume_gb


def describe(cost: float | None) -> str:
    if cost is None:
        return "unknown cost"
    if cost == 0:
        return "no charge"
    return "under $0.0001/hour" if cost < 0.0001 else f"about ${cost:.4f}/hour"
