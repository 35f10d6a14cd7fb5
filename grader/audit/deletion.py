"""The exact AWS CLI commands that would delete what the audit found, and the cleanup plan file
that lists them for a person to review and run: a bash script with one section per account, each
setting that account's credentials as the audit read it and checking them, run one section at a time
or all, stopping at the first failure. The audit itself never deletes anything (its sessions refuse
every call that is not a read)."""

from __future__ import annotations

import re
import shlex
from pathlib import Path

from ..checks.prices import NOTEBOOK_RUNNING
from ..terminal import inert

# Order within an account: what bills first, then what it depended on.
ORDER = ["endpoints", "notebook_instances", "training_jobs", "endpoint_configs", "models", "buckets"]


def commands(leftover: dict, profile: str | None) -> list[str]:
    """The AWS CLI commands that delete (or, for a training job, stop) one leftover."""
    where = ["--region", leftover["region"]] if leftover["region"] != "unknown" else []
    where += ["--profile", profile] if profile else []
    name, kind, state = leftover["name"], leftover["kind"], leftover["state"]

    def sagemaker(*arguments: str) -> str:
        return shlex.join(["aws", "sagemaker", *arguments, *where])

    if kind == "endpoints":
        return [sagemaker("delete-endpoint", "--endpoint-name", name)]
    if kind == "endpoint_configs":
        return [sagemaker("delete-endpoint-config", "--endpoint-config-name", name)]
    if kind == "models":
        return [sagemaker("delete-model", "--model-name", name)]
    if kind == "training_jobs":
        return [sagemaker("stop-training-job", "--training-job-name", name)]
    if kind == "notebook_instances":   # only a stopped (or failed) instance can be deleted
        stop = ([sagemaker("stop-notebook-instance", "--notebook-instance-name", name)]
                if state != "Stopping" else [])
        wait = stop + [sagemaker("wait", "notebook-instance-stopped", "--notebook-instance-name", name)]
        return (wait if state in NOTEBOOK_RUNNING else []) + [
            sagemaker("delete-notebook-instance", "--notebook-instance-name", name)]
    return [shlex.join(["aws", "s3", "rb", f"s3://{name}", "--force", *where])]


def credentials_note(account: dict) -> str:
    source = account["source"]
    if source["kind"] == "profile":
        return f"uses profile {source['label']}"
    if source.get("role_arn"):
        return f"assumes {source['role_arn']} with the management account's credentials, as the audit did"
    if source["kind"] == "organization":
        return "the management account: uses the credentials in use (AWS_PROFILE), as the audit did"
    return f"a recording: run it with credentials for account {account['account_id']} (e.g. AWS_PROFILE=NAME)"


HELPERS = r'''
in_account() {   # stop unless the credentials in use are for account $1 (further arguments: --profile NAME)
  local found
  found=$(aws sts get-caller-identity --query Account --output text "${@:2}")
  if [ "$found" != "$1" ]; then
    echo "cleanup: the credentials in use are for account $found, not $1: stopping" >&2
    exit 1
  fi
}

assume_role() {   # the audit's way into an organization member: its role, from the management account
  local keys
  keys=$(aws sts assume-role --role-arn "$1" --role-session-name grader-cleanup \
         --query 'Credentials.[AccessKeyId,SecretAccessKey,SessionToken]' --output text)
  read -r AWS_ACCESS_KEY_ID AWS_SECRET_ACCESS_KEY AWS_SESSION_TOKEN <<< "$keys"
  export AWS_ACCESS_KEY_ID AWS_SECRET_ACCESS_KEY AWS_SESSION_TOKEN
  unset AWS_PROFILE
}
'''


def _key(number: int, account: dict) -> str:
    """What names a section on the command line: the account id (a recording's is checked to be one)."""
    account_id = account["account_id"] or ""
    return account_id if re.fullmatch(r"\d{12}", account_id) else f"section-{number}"


def _section(number: int, account: dict) -> list[str]:
    """One account's commands in a function run in a subshell (credentials it sets end with it), first
    setting the account's credentials as the audit read it, then checking they are that account's."""
    source, account_id = account["source"], shlex.quote(account["account_id"] or "unknown")
    lines = [f"# {inert(account['student'])}: account {inert(account_id)} ({inert(source['description'])})",
             f"#   {inert(credentials_note(account))}", f"section_{number}() (",
             "  unset AWS_DEFAULT_PROFILE"]
    if source["kind"] == "profile":
        lines += [f"  export AWS_PROFILE={shlex.quote(source['profile'])}",
                  f"  in_account {account_id} --profile {shlex.quote(source['profile'])}"]
    else:
        if source.get("role_arn"):
            lines.append(f"  assume_role {shlex.quote(source['role_arn'])}")
        lines.append(f"  in_account {account_id}")
    for leftover in sorted(account["leftovers"], key=lambda item: ORDER.index(item["kind"])):
        lines.append(f"  # {leftover['type']} {inert(leftover['name'])} ({inert(leftover['region'])}, "
                     f"{inert(leftover['state'] or 'present')})")
        lines += [f"  {command}" for command in leftover["delete_commands"]]
    return lines + [")", ""]


def write_plan(path: Path, audit: dict) -> None:
    """A bash script with one section per account that has leftovers; it runs nothing unless told
    which section (an account id) or `all`, and stops at the first command that fails."""
    planned = [account for account in audit["accounts"] if not account["failure"] and account["leftovers"]]
    unread = [account for account in audit["accounts"] if account["failure"]]
    name = Path(path).name
    keys = [_key(number, account) for number, account in enumerate(planned, 1)]
    example = keys[0] if keys else "ACCOUNT_ID"
    lines = ["#!/usr/bin/env bash",
             f"# Run one account's section alone:  bash {name} ACCOUNT_ID   (e.g. bash {name} {example})",
             f"# Run every section in turn:         bash {name} all",
             f"# Cleanup plan written by `grader audit` at {audit['generated_at']}: AWS "
             "CLI commands that delete",
             "# what the audit found. REVIEW EVERY LINE before running any: deleting is permanent, and a",
             "# resource may have changed since the audit. The audit itself deleted nothing.",
             "# Each section sets its account's credentials as the audit read it (a profile, or the",
             "# organization's role assumed from the management account) and checks them before deleting",
             "# anything; the plan stops at the first command that fails.", "#", "# Sections:"]
    lines += [f"#   {key}  {inert(account['student'])}: {inert(credentials_note(account))}"
              for key, account in zip(keys, planned)] or ["#   none: the audit found nothing to delete"]
    for account in unread:
        source = inert(account["source"]["description"])
        lines.append(f"#   not planned: {inert(account['student'])}, account "
                     f"{inert(account['account_id'] or 'unknown')} ({source}) could not be read; what it "
                     "holds is unknown")
    lines += ["", "set -euo pipefail", HELPERS]
    for number, account in enumerate(planned, 1):
        lines += _section(number, account)
    sections = " ".join(keys)
    lines += ['run_section() {', '  case "$1" in']
    lines += [f"    {key}) section_{number} ;;" for number, key in enumerate(keys, 1)]
    lines += [f'    *) echo "{name}: no section for account $1 (sections: {sections or "none"})" >&2',
              '       exit 2 ;;',
              '  esac', '}', '',
              'if [ $# -ne 1 ]; then',
              f'  echo "usage: bash {name} ACCOUNT_ID | all   (sections: {sections or "none"})" >&2',
              '  exit 2', 'fi',
              'if [ "$1" = all ]; then',
              f'  for account in {sections}; do run_section "$account"; done',
              'else', '  run_section "$1"', 'fi']
    Path(path).write_text("\n".join(lines) + "\n")
