"""Notebook instance checks: name, type, root access, region and a role scoped to the bucket."""

from __future__ import annotations

from .evidence import Evidence, role_documents
from .outcome import Outcome, failed, passed, unknown
from .policies import EVERY_BUCKET, as_list, grants_objects, statements
from .s3 import student_bucket


def _instance(ev: Evidence, exact: bool = False):
    """The student's notebook instance: the expected name in the activity's region. Unless `exact`,
    a misnamed or misplaced one is graded on its other settings (its name or region is
    instance_exists's fault, not theirs): the expected name elsewhere, else the only instance."""
    name = ev.expected["notebook_instance"]
    instances = ev.sagemaker("notebook_instances")
    if instances is None:
        return None, unknown("the notebook instances could not be listed",
                             errors=ev.missing(f"sagemaker.{ev.activity.region}.notebook_instances"))
    found = next((item for item in instances if item.get("NotebookInstanceName") == name), None)
    if found:
        return found, None
    elsewhere = [(region, item) for region, item in ev.all_regions("notebook_instances")
                 if item.get("NotebookInstanceName") == name]
    if not exact and (elsewhere or len(instances) == 1):
        return (elsewhere[0][1] if elsewhere else instances[0]), None
    unread = ev.unread_regions()
    if not exact and unread:
        return None, unknown(f"no notebook instance named '{name}' in {ev.activity.region}, "
                             "and the snapshot did not "
                             f"read {' and '.join(unread)}, where it may be; "
                             "record it again with `grader snapshot`",
                             unread_regions=unread)
    if elsewhere:
        return None, failed(f"notebook instance '{name}' is in {elsewhere[0][0]}, "
                            f"not {ev.activity.region}; create "
                            "it in US West (Oregon) beside the bucket", region=elsewhere[0][0])
    others = [item.get("NotebookInstanceName") for item in instances]
    found_names = f" (found {', '.join(others)})" if others else ""
    return None, failed(f"no notebook instance named '{name}' in {ev.activity.region}{found_names}; "
                        "create it in "
                        "SageMaker > Notebook instances with that name", instances=others)


def instance_exists(ev: Evidence) -> Outcome:
    instance, outcome = _instance(ev, exact=True)
    return outcome or passed(f"notebook instance '{instance['NotebookInstanceName']}' "
                             f"exists in {ev.activity.region}",
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
    value = instance.get("RootAccess", "Enabled")   # absent means Enabled, as in AWS
    if value != ev.expected.get("root_access", "Enabled"):
        return failed(f"root access is {value}; choose 'Enable - Give users root access to the notebook'",
                      root_access=value)
    return passed(f"root access is {value}", root_access=value)


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
        return failed(f"the notebook's role {instance.get('RoleArn')} does not exist; "
                      "choose 'Create a new role'")
    documents = role_documents(ev, role)
    if documents is None or any(document is None for _, document in documents):
        return unknown(f"the policies of role {role['RoleName']} could not be read",
                       errors=ev.missing(f"iam.role:{role['RoleName']}") + ev.missing("iam.policy"))
    bucket_arns = {f"arn:aws:s3:::{bucket}", f"arn:aws:s3:::{bucket}/*"}
    open_to_all, scoped = [], []
    for name, document in documents:
        for statement in statements(document):
            if not grants_objects(statement):
                continue
            resources = as_list(statement.get("Resource"))
            if any(resource in EVERY_BUCKET for resource in resources):
                open_to_all.append(name)
            elif bucket_arns & set(resources):
                scoped.append(name)
    if open_to_all:
        return failed(f"role {role['RoleName']} can read and write every bucket "
                      f"(policy {open_to_all[0]} grants S3 "
                      f"objects on '*'); limit it to the bucket: 'Specific S3 buckets' = {bucket}",
                      role=role["Arn"], open_policies=open_to_all)
    if not scoped:
        return failed(f"role {role['RoleName']} has no policy for bucket {bucket}; "
                      "under 'S3 buckets you specify' "
                      f"choose 'Specific S3 buckets' and enter {bucket}", role=role["Arn"])
    return passed(f"role {role['RoleName']} is limited to bucket {bucket} (plus AmazonSageMakerFullAccess)",
                  role=role["Arn"], policies=scoped)
