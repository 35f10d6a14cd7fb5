"""Where the accounts to audit come from: named profiles of the AWS config, the member accounts of an
AWS Organization (entered by assuming a role in each), and a folder of recorded snapshots.

A source is a plain record of how to get into one account. A source that failed before any account
could be named (the organization could not be listed) is a record with `failure` set: it becomes
an error row of the audit, never the end of it.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import botocore.session
from botocore.exceptions import BotoCoreError, ClientError, ProfileNotFound

from ..errors import UsageError
from .sessions import new_session

DEFAULT_ROLE_NAME = "OrganizationAccountAccessRole"   # what Organizations creates in every member it makes


@dataclass(frozen=True)
class AccountSource:
    kind: str                          # "profile", "organization" or "snapshot"
    label: str                         # profile name, organization account name, snapshot file name
    account_id: str | None = None      # known before reading for organization accounts
    profile: str | None = None         # the AWS config profile to use (None: the default credential chain)
    role_arn: str | None = None        # organization member: the role to assume in it
    snapshot: Path | None = None
    failure: str | None = None         # why this source could not even be listed

    def describe(self) -> str:
        if self.kind == "profile":
            return f"profile {self.label}"
        if self.kind == "snapshot":
            return f"snapshot {self.snapshot.name if self.snapshot else self.label}"
        return f"organization account {self.label}"


def profile_sources(profiles: list[str]) -> list[AccountSource]:
    """One source per named profile; a name the AWS config does not know is bad input."""
    known = botocore.session.Session().available_profiles
    for profile in profiles:
        if profile not in known:
            listed = ", ".join(sorted(known)) or "none"
            raise UsageError(
                f"--profile {profile}: no such profile in the AWS config (known profiles: {listed})")
    return [AccountSource("profile", profile, profile=profile) for profile in dict.fromkeys(profiles)]


def snapshot_sources(folder: Path) -> list[AccountSource]:
    """One source per *.json file of the folder (one recorded snapshot per student)."""
    if not folder.is_dir():
        raise UsageError(f"--snapshots {folder} is not a directory; give the folder that holds one snapshot "
                         "file per student (written by `grader snapshot --out FILE`)")
    files = sorted(folder.glob("*.json"))
    if not files:
        raise UsageError(
            f"--snapshots {folder} holds no .json snapshot files; record them with `grader snapshot`")
    return [AccountSource("snapshot", path.stem, snapshot=path) for path in files]


def organization_sources(role_name: str = DEFAULT_ROLE_NAME) -> list[AccountSource]:
    """The active accounts of the caller's organization, read with the default credential chain
    (AWS_PROFILE chooses the management account's profile). Members are entered by assuming
    `role_name`; the management account itself is read with the caller's own credentials."""
    session = new_session()
    try:
        credentials = session.get_credentials()
    except ProfileNotFound as error:
        raise UsageError(f"--org: {error}; set AWS_PROFILE to the management account's profile") from None
    try:
        if credentials is None:
            raise UsageError("--org needs the management account's credentials: set AWS_PROFILE or configure "
                             "the default credential chain")
        identity = session.client("sts").get_caller_identity()
        accounts = [account
                    for page in session.client("organizations").get_paginator("list_accounts").paginate()
                    for account in page["Accounts"]]
    except ClientError as error:
        details = error.response.get("Error", {})
        return [AccountSource("organization", "organization", failure=(
            f"could not list the organization's accounts ({details.get('Code')}: {details.get('Message')}); "
            "run with the management account's credentials"))]
    except BotoCoreError as error:
        return [AccountSource("organization", "organization",
                              failure=f"could not list the organization's accounts ({error})")]
    partition = identity["Arn"].split(":")[1]
    sources = []
    for account in accounts:
        label = account.get("Name") or account["Id"]
        status = account.get("Status", "ACTIVE")
        if status != "ACTIVE":
            sources.append(AccountSource("organization", label, account_id=account["Id"],
                                         failure=f"the account's status is {status}: not audited"))
        elif account["Id"] == identity["Account"]:
            sources.append(AccountSource("organization", label, account_id=account["Id"]))
        else:
            sources.append(AccountSource("organization", label, account_id=account["Id"],
                                         role_arn=f"arn:{partition}:iam::{account['Id']}:role/{role_name}"))
    return sources
