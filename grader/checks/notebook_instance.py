"""Notebook instance checks: name, type, root access, region and a role scoped to the bucket."""

from __future__ import annotations

from fnmatch import fnmatchcase

from .evidence import Evidence
from .outcome import Outcome, failed, passed, unknown
from .s3 import student_bucket

SAGEMAKER_FULL_ACCESS = "arn:aws:iam::aws:policy/AmazonSageMakerFullAccess"
OBJECT_ACTIONS = ("s3:GetObject", "s3:PutObject")


def _instance(ev: Evidence):
    name = ev.expected["notebook_instance"]
    instances = ev.sagemaker("notebook_instances")
    if instances is None:
        return None, unknown("the notebook instances could not be listed",
                             errors=ev.missing(f"sagemaker.{ev.activity.region}.notebook_instances"))
    found = next((item for item in instances if item.get("NotebookInstanceName") == name), None)
    if found:
        return found, None
    elsewhere = [region for region, item in ev.all_regions("notebook_instances") if item.get("NotebookInstanceName") == name]
    if elsewhere:
        return None, failed(f"notebook instance '{name}' is in {elsewhere[0]}, not {ev.activity.region}; create it in "
                            "US West (Oregon) beside the bucket", region=elsewhere[0])
    return None, failed(f"no notebook instance named '{name}' in {ev.activity.region}; create it in SageMaker > "
                        "Notebook instances", instances=[item.get("NotebookInstanceName") for item in instances])


def instance_exists(ev: Evidence) -> Outcome:
    instance, outcome = _instance(ev)
    return outcome or passed(f"notebook instance '{instance['NotebookInstanceName']}' exists in {ev.activity.region}",
                             status=instance.get("NotebookInstanceStatus"))


def instance_type(ev: Evidence) -> Outcome:
    instance, outcome = _instance(ev)
    if outcome:
        return outcome
    wanted, actual = ev.expected["instance_type"], instance.get("InstanceType")
    if actual != wanted:
        return failed(f"notebook instance type is {actual}; the lesson uses {wanted}", instance_type=actual)
    return passed(f"notebook instance type is {actual}", instance_type=actual)


def root_access(ev: Evidence) -> Outcome:
    instance, outcome = _instance(ev)
    if outcome:
        return outcome
    value = instance.get("RootAccess", "Enabled")   # absent means Enabled (DESIGN.md 4)
    if value != ev.expected.get("root_access", "Enabled"):
        return failed(f"root access is {value}; choose 'Enable - Give users root access to the notebook'",
                      root_access=value)
    return passed(f"root access is {value}", root_access=value)


def _statements(document) -> list[dict]:
    statements = (document or {}).get("Statement", []) if isinstance(document, dict) else []
    return [statements] if isinstance(statements, dict) else statements


def _as_list(value) -> list[str]:
    return [value] if isinstance(value, str) else list(value or [])


def _grants_objects(statement: dict) -> bool:
    actions = _as_list(statement.get("Action"))
    return statement.get("Effect") == "Allow" and any(
        fnmatchcase(action, pattern) or fnmatchcase(pattern, action)
        for action in actions for pattern in OBJECT_ACTIONS)


def _role_documents(ev: Evidence, role: dict) -> list[tuple[str, dict | None]]:
    """(policy name, document) for the role's policies, AmazonSageMakerFullAccess left out: the console
    always attaches it, and its grant on buckets named *sagemaker* is the baseline, not the student's."""
    documents = [(name, document) for name, document in (role.get("inline_policies") or {}).items()]
    for attached in role.get("attached_policies") or []:
        if attached["PolicyArn"] != SAGEMAKER_FULL_ACCESS:
            documents.append((attached["PolicyName"], (ev.policy(attached["PolicyArn"]) or {}).get("Document")))
    return documents


def role_scoped_to_bucket(ev: Evidence) -> Outcome:
    instance, outcome = _instance(ev)
    if outcome:
        return outcome
    bucket, outcome = student_bucket(ev)
    if outcome:
        return outcome
    role = ev.role_by_arn(instance.get("RoleArn", ""))
    if role is None:
        if ev.snapshot["iam"].get("roles") is None:
            return unknown("the account's IAM roles could not be read", errors=ev.missing("iam.roles"))
        return failed(f"the notebook's role {instance.get('RoleArn')} does not exist; choose 'Create a new role'")
    documents = _role_documents(ev, role)
    if any(document is None for _, document in documents):
        return unknown(f"a policy of role {role['RoleName']} could not be read", errors=ev.missing("iam.policy"))
    bucket_arns = {f"arn:aws:s3:::{bucket}", f"arn:aws:s3:::{bucket}/*"}
    open_to_all, scoped = [], []
    for name, document in documents:
        for statement in _statements(document):
            if not _grants_objects(statement):
                continue
            resources = _as_list(statement.get("Resource"))
            if any(resource in ("*", "arn:aws:s3:::*", "arn:aws:s3:::*/*") for resource in resources):
                open_to_all.append(name)
            elif bucket_arns & set(resources):
                scoped.append(name)
    if open_to_all:
        return failed(f"role {role['RoleName']} can read and write every bucket (policy {open_to_all[0]} grants S3 "
                      f"objects on '*'); limit it to the bucket: 'Specific S3 buckets' = {bucket}",
                      role=role["Arn"], open_policies=open_to_all)
    if not scoped:
        return failed(f"role {role['RoleName']} has no policy for bucket {bucket}; under 'S3 buckets you specify' "
                      f"choose 'Specific S3 buckets' and enter {bucket}", role=role["Arn"])
    return passed(f"role {role['RoleName']} is limited to bucket {bucket} (plus AmazonSageMakerFullAccess)",
                  role=role["Arn"], policies=scoped)
