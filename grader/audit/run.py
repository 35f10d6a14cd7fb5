"""`grader audit`: read every account of the class (profiles, an organization, recorded snapshots),
find what still bills, write the audit's files and say whether anything bills."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from ..errors import UsageError
from .deletion import write_plan
from .files import write_all
from .reader import read_accounts
from .record import build
from .regions import RegionChoice
from .roster import read_roster
from .sources import DEFAULT_ROLE_NAME, organization_sources, profile_sources, snapshot_sources
from .summary import summary


@dataclass
class AuditOptions:
    out: Path
    profiles: list[str] = field(default_factory=list)
    org: bool = False
    role_name: str | None = None
    snapshots: Path | None = None
    roster: Path | None = None
    regions: str | None = None
    all_regions: bool = False
    fail_over: float | None = None
    plan_cleanup: Path | None = None


def run_audit(options: AuditOptions) -> int:
    """Audit, write DIR/audit.html, leftovers.csv, audit.json (and the cleanup plan when asked),
    print the summary; the exit status: 0 nothing bills, 1 something bills or could not be read."""
    regions = RegionChoice.parse(options.regions, options.all_regions)
    _check(options)
    roster = read_roster(options.roster) if options.roster else {}
    sources = profile_sources(options.profiles)
    if options.snapshots:
        sources += snapshot_sources(options.snapshots)
    if options.org:
        sources += organization_sources(options.role_name or DEFAULT_ROLE_NAME)
    audit = build(read_accounts(sources, regions), roster, regions.describe(), options.fail_over)
    written = write_all(audit, options.out)
    if options.plan_cleanup:
        write_plan(options.plan_cleanup, audit)
        written.append(options.plan_cleanup)
    print(summary(audit))
    print("written: " + ", ".join(str(path) for path in written))
    return audit["exit"]["code"]


def _check(options: AuditOptions) -> None:
    """Bad input, found before any account is read."""
    if not (options.profiles or options.org or options.snapshots):
        raise UsageError(
            "give the accounts to audit: --profile P (repeatable), --org, and/or --snapshots DIR")
    if options.role_name and not options.org:
        raise UsageError("--role-name is the role assumed in each member account of --org; add --org")
    if options.fail_over is not None and options.fail_over < 0:
        raise UsageError(f"--fail-over {options.fail_over:g}: give dollars per hour, 0 or more")
    if options.out.exists() and not options.out.is_dir():
        raise UsageError(
            f"--out {options.out} is a file; give a folder for audit.html, leftovers.csv and audit.json")
    if options.plan_cleanup and options.plan_cleanup.is_dir():
        raise UsageError(
            f"--plan-cleanup {options.plan_cleanup} is a folder; give the file to write the commands to")
