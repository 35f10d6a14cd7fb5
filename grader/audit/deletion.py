"""The exact AWS CLI commands that would delete what the audit found, and the cleanup plan file
that lists them for a person to review and run. The audit itself never deletes anything (its
sessions refuse every call that is not a read)."""

from __future__ import annotations

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
        stop = [sagemaker("stop-notebook-instance", "--notebook-instance-name", name)] if state != "Stopping" else []
        wait = stop + [sagemaker("wait", "notebook-instance-stopped", "--notebook-instance-name", name)]
        return (wait if state in NOTEBOOK_RUNNING else []) + [
            sagemaker("delete-notebook-instance", "--notebook-instance-name", name)]
    return [shlex.join(["aws", "s3", "rb", f"s3://{name}", "--force", *where])]


def credentials_note(account: dict) -> str:
    source = account["source"]
    if source["kind"] == "profile":
        return f"uses profile {source['label']}"
    note = f"run with credentials for account {account['account_id']}"
    if source["kind"] == "organization":
        note += " (for example a profile whose role_arn is the role the audit assumed in it)"
    return note


def write_plan(path: Path, audit: dict) -> None:
    lines = ["#!/bin/sh",
             f"# Cleanup plan written by `grader audit` at {audit['generated_at']}: AWS CLI commands that delete",
             "# what the audit found. REVIEW EVERY LINE before running any: deleting is permanent, and a",
             "# resource may have changed since the audit. The audit itself deleted nothing.", ""]
    for account in audit["accounts"]:
        header = f"# {inert(account['student'])}: account {inert(account['account_id'] or 'unknown')} " \
                 f"({inert(account['source']['description'])})"
        if account["failure"]:
            lines += [header, "#   could not be read: nothing planned; what it holds is unknown", ""]
            continue
        if not account["leftovers"]:
            continue
        lines += [header, f"#   {inert(credentials_note(account))}"]
        for leftover in sorted(account["leftovers"], key=lambda item: ORDER.index(item["kind"])):
            lines.append(f"#   {leftover['type']} {inert(leftover['name'])} ({inert(leftover['region'])}, "
                         f"{inert(leftover['state'] or 'present')})")
            lines += leftover["delete_commands"]
        lines.append("")
    Path(path).write_text("\n".join(lines) + "\n")
