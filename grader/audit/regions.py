"""Which regions the audit reads in an account: the course's region and the console's default one
unless told otherwise (--regions R,...), or every region enabled in the account (--all-regions).
A region that was asked for and not read is unknown, never clean."""

from __future__ import annotations

from dataclasses import dataclass

import boto3

from ..activities import course
from ..errors import UsageError
from ..regions import enabled, regions_to_read, sagemaker_regions


def default_regions() -> list[str]:
    """The course's region (where the lesson creates everything) and the console's default."""
    return regions_to_read(course().region)


@dataclass(frozen=True)
class RegionChoice:
    """What was asked: named regions, all enabled regions, or (neither) the default ones."""

    named: tuple[str, ...] = ()
    every: bool = False

    @classmethod
    def parse(cls, regions: str | None, all_regions: bool) -> RegionChoice:
        if regions is not None and all_regions:
            raise UsageError("give either --regions R,... or --all-regions, not both")
        if regions is None:
            return cls(every=all_regions)
        named = tuple(dict.fromkeys(region.strip() for region in regions.split(",") if region.strip()))
        unknown = [region for region in named if region not in sagemaker_regions()]
        if not named or unknown:
            raise UsageError(f"--regions {regions}: {', '.join(unknown) or 'no region'} is not a SageMaker "
                             "region; give names such as us-west-2,us-east-1")
        return cls(named=named)

    def describe(self) -> str:
        if self.every:
            return "every region enabled in each account"
        if self.named:
            return f"{', '.join(self.named)} (other regions not checked)"
        return (f"{', '.join(default_regions())} and each profile's own region, or what a snapshot recorded "
                "(other regions not checked; --all-regions reads every region)")

    def for_account(self, session: boto3.Session, collector) -> list[str]:
        """The regions to read in a live account. For --all-regions, the account's enabled regions
        (ec2:DescribeRegions); if that cannot be read, every SageMaker region of the partition."""
        if self.named:
            return list(self.named)
        if not self.every:
            own, default = session.region_name, default_regions()
            return default + ([own] if own and own not in default else [])
        partition = session.get_partition_for_region(collector.regions[0])
        reply = collector.call("regions", collector.client("ec2").describe_regions)
        return list(sagemaker_regions(partition)) if reply is None else enabled(reply, partition)

    def for_snapshot(self, recorded: list[str]) -> tuple[list[str], list[str]]:
        """(regions to take from a snapshot, regions asked for that it did not record)."""
        wanted = list(self.named) if self.named else sagemaker_regions("aws") if self.every else recorded
        return [r for r in wanted if r in recorded], [r for r in wanted if r not in recorded]
