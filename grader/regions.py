"""Which AWS regions the grader reads, for snapshots, the checks and the audit alike: the course's
region and the console's default one (where work done without changing the region selector lands), or
every region where SageMaker exists that an account has enabled."""

from __future__ import annotations

import functools

import botocore.loaders
from botocore.regions import EndpointResolver

CONSOLE_DEFAULT_REGION = "us-east-1"
SAGEMAKER_ENDPOINT_PREFIX = "api.sagemaker"   # the service model's endpointPrefix, as endpoints.json lists it


def regions_to_read(region: str) -> list[str]:
    """The course's region, plus the console's default one, so work done in the wrong region is found."""
    return [region] if region == CONSOLE_DEFAULT_REGION else [region, CONSOLE_DEFAULT_REGION]


def regions_read(snapshot: dict) -> list[str]:
    """The regions whose SageMaker state the snapshot holds: declared read, and present."""
    return [region for region in snapshot.get("regions") or [] if region in snapshot["sagemaker"]]


@functools.cache
def sagemaker_regions(partition: str | None = None) -> tuple[str, ...]:
    """Every region SageMaker exists in (in one partition, or in all), as botocore's endpoint data knows
    them: no call to AWS, no AWS config read."""
    resolver = EndpointResolver(botocore.loaders.create_loader().load_data("endpoints"))
    partitions = [partition] if partition else resolver.get_available_partitions()
    return tuple(sorted({region for name in partitions
                         for region in resolver.get_available_endpoints(SAGEMAKER_ENDPOINT_PREFIX, name)}))


def enabled(reply: dict, partition: str) -> list[str]:
    """The SageMaker regions of `partition` among those an ec2:DescribeRegions reply lists as enabled.
    Regions an account has not opted in to hold nothing and would only answer with auth errors."""
    listed = {item["RegionName"] for item in reply["Regions"]}
    return [region for region in sagemaker_regions(partition) if region in listed]
