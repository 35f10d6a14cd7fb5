"""IAM part of an account snapshot: users, groups, roles, the policies attached to them (with the
default version's document), login profiles, access keys and the account summary."""

from __future__ import annotations

import json
from urllib.parse import unquote


def _document(raw):
    """IAM returns policy documents URL-encoded (live) or as a dict (boto3 decodes some); one that is
    not JSON, or nests past the parser's limit (a student wrote it), stays text."""
    if isinstance(raw, str):
        try:
            return json.loads(unquote(raw))
        except (json.JSONDecodeError, RecursionError):
            return raw
    return raw


def _inline(collector, target, iam, list_operation, get_operation, **owner):
    names = collector.pages(target, iam, list_operation, "PolicyNames", **owner)
    if names is None:
        return None
    get = getattr(iam, get_operation)
    found = {}
    for name in names:
        reply = collector.call(target, get, PolicyName=name, **owner)
        if reply:
            found[name] = _document(reply.get("PolicyDocument"))
    return found


def _user(collector, iam, user):
    name = user["UserName"]
    target = f"iam.user:{name}"
    groups = collector.pages(target, iam, "list_groups_for_user", "Groups", UserName=name)
    keys = collector.pages(target, iam, "list_access_keys", "AccessKeyMetadata", UserName=name)
    login = collector.call(target, iam.get_login_profile, UserName=name, missing=("NoSuchEntity",))
    return {
        "UserName": name, "UserId": user.get("UserId"), "Arn": user.get("Arn"), "Path": user.get("Path"),
        "CreateDate": user.get("CreateDate"),
        "groups": None if groups is None else [group["GroupName"] for group in groups],
        "attached_policies": collector.pages(target, iam, "list_attached_user_policies", "AttachedPolicies",
                                             UserName=name),
        "inline_policies": _inline(collector, target, iam, "list_user_policies", "get_user_policy",
                                   UserName=name),
        "login_profile": (login or {}).get("LoginProfile"),
        "access_keys": None if keys is None else [
            {"AccessKeyId": key["AccessKeyId"], "Status": key["Status"], "CreateDate": key.get("CreateDate")}
            for key in keys],
    }


def _group(collector, iam, group):
    name = group["GroupName"]
    target = f"iam.group:{name}"
    members = collector.call(target, lambda: [
        user["UserName"] for page in iam.get_paginator("get_group").paginate(GroupName=name)
        for user in page.get("Users", [])])
    return {
        "GroupName": name, "Arn": group.get("Arn"), "Path": group.get("Path"), "members": members,
        "attached_policies": collector.pages(target, iam, "list_attached_group_policies", "AttachedPolicies",
                                             GroupName=name),
        "inline_policies": _inline(collector, target, iam, "list_group_policies", "get_group_policy",
                                   GroupName=name),
    }


def _role(collector, iam, role):
    name = role["RoleName"]
    target = f"iam.role:{name}"
    return {
        "RoleName": name, "Arn": role.get("Arn"), "Path": role.get("Path"),
        "CreateDate": role.get("CreateDate"),
        "AssumeRolePolicyDocument": _document(role.get("AssumeRolePolicyDocument")),
        "attached_policies": collector.pages(target, iam, "list_attached_role_policies", "AttachedPolicies",
                                             RoleName=name),
        "inline_policies": _inline(collector, target, iam, "list_role_policies", "get_role_policy",
                                   RoleName=name),
    }


def _policy(collector, iam, arn):
    target = f"iam.policy:{arn}"
    policy = (collector.call(target, iam.get_policy, PolicyArn=arn) or {}).get("Policy")
    if not policy:
        return {"Arn": arn, "IsAWSManaged": arn.startswith("arn:aws:iam::aws:"), "Document": None}
    version = collector.call(target, iam.get_policy_version, PolicyArn=arn,
                             VersionId=policy["DefaultVersionId"])
    return {"Arn": arn, "PolicyName": policy.get("PolicyName"), "Path": policy.get("Path"),
            "IsAWSManaged": arn.startswith("arn:aws:iam::aws:"),
            "DefaultVersionId": policy["DefaultVersionId"],
            "Document": _document((version or {}).get("PolicyVersion", {}).get("Document"))}


def collect_iam(collector) -> dict:
    iam = collector.client("iam")
    users = collector.pages("iam.users", iam, "list_users", "Users")
    groups = collector.pages("iam.groups", iam, "list_groups", "Groups")
    roles = collector.pages("iam.roles", iam, "list_roles", "Roles")
    result = {
        "users": None if users is None else collector.map(lambda user: _user(collector, iam, user), users),
        "groups": (None if groups is None
                   else collector.map(lambda group: _group(collector, iam, group), groups)),
        "roles": None if roles is None else collector.map(lambda role: _role(collector, iam, role), roles),
        "account_summary": (collector.call("iam.account_summary", iam.get_account_summary)
                            or {}).get("SummaryMap"),
    }
    attached = sorted({policy["PolicyArn"] for kind in ("users", "groups", "roles")
                       for owner in result[kind] or []
                       for policy in owner.get("attached_policies") or []})
    result["policies"] = dict(zip(
        attached, collector.map(lambda arn: _policy(collector, iam, arn), attached)))
    return result
