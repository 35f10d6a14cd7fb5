"""IAM checks for the administrator-user activity (policies matched by ARN: anyone can name a
customer policy "AdministratorAccess")."""

from __future__ import annotations

from .evidence import Evidence
from .outcome import Outcome, failed, manual, passed, unknown


def _user_or_outcome(ev: Evidence):
    name = ev.expected["user"]
    if ev.users() is None:
        return None, unknown("the account's IAM users could not be read", errors=ev.missing("iam.users"))
    user = ev.user(name)
    if user is None:
        return None, failed(f"no IAM user named '{name}'; create it in IAM > Users > Add user",
                            users=[u["UserName"] for u in ev.users()])
    return user, None


def user_exists(ev: Evidence) -> Outcome:
    user, outcome = _user_or_outcome(ev)
    return outcome or passed(f"IAM user '{user['UserName']}' exists", arn=user.get("Arn"))


def user_in_group(ev: Evidence) -> Outcome:
    user, outcome = _user_or_outcome(ev)
    if outcome:
        return outcome
    group = ev.expected["group"]
    if user["groups"] is None:
        return unknown("the user's groups could not be read",
                       errors=ev.missing(f"iam.user:{user['UserName']}"))
    if group not in user["groups"]:
        member_of = (f"it is in {', '.join(repr(g) for g in user['groups'])}" if user["groups"]
                     else "it is in no group")
        return failed(f"user '{user['UserName']}' is not in the '{group}' group ({member_of}); "
                      "add it in IAM > "
                      f"User groups > {group} > Add users", groups=user["groups"])
    return passed(f"user '{user['UserName']}' is in '{group}'", groups=user["groups"])


def group_has_admin_policy(ev: Evidence) -> Outcome:
    name, arn = ev.expected["group"], ev.expected["policy_arn"]
    if ev.snapshot["iam"].get("groups") is None:
        return unknown("the account's IAM groups could not be read", errors=ev.missing("iam.groups"))
    group = ev.group(name)
    if group is None:
        return failed(f"no IAM group named '{name}'; create it and attach the AWS managed policy {arn}")
    attached = group.get("attached_policies")
    if attached is None:
        return unknown(f"the policies of group '{name}' could not be read",
                       errors=ev.missing(f"iam.group:{name}"))
    arns = [policy["PolicyArn"] for policy in attached]
    if arn in arns:
        return passed(f"group '{name}' has {arn}", attached=arns)
    policy_name = arn.rsplit("/", 1)[-1]
    impostors = [policy["PolicyArn"] for policy in attached if policy["PolicyName"] == policy_name]
    if impostors:
        return failed(f"group '{name}' has a policy named {policy_name} that is not the AWS managed one "
                      f"({impostors[0]}); attach {arn} (filter by 'AWS managed - job function')",
                      attached=arns)
    return failed(f"group '{name}' does not have {arn}; attach it in the group's Permissions tab",
                  attached=arns)


def console_access(ev: Evidence) -> Outcome:
    user, outcome = _user_or_outcome(ev)
    if outcome:
        return outcome
    profile = user.get("login_profile")
    unread = [e for e in ev.missing(f"iam.user:{user['UserName']}")
              if e.get("operation") == "GetLoginProfile"]
    if not profile and unread:
        return unknown("the user's login profile could not be read", errors=unread)
    if not profile:
        return failed(f"user '{user['UserName']}' cannot sign in to the console (no password); enable "
                      "'AWS Management Console access' with a custom password")
    if profile.get("PasswordResetRequired") and not ev.expected.get("password_reset_required", False):
        return failed(f"user '{user['UserName']}' must reset the password at first sign-in; "
                      "the lesson unticks "
                      "'Require password reset'", login_profile=profile)
    return passed(f"user '{user['UserName']}' has console access", login_profile=profile)


def programmatic_access(ev: Evidence) -> Outcome:
    user, outcome = _user_or_outcome(ev)
    if outcome:
        return outcome
    keys = user.get("access_keys")
    if keys is None:
        return unknown("the user's access keys could not be read",
                       errors=ev.missing(f"iam.user:{user['UserName']}"))
    active = [key["AccessKeyId"] for key in keys if key.get("Status") == "Active"]
    if not active:
        inactive = [key["AccessKeyId"] for key in keys]
        found = f" (key {', '.join(inactive)} is Inactive: activate it)" if inactive else ""
        return failed(f"user '{user['UserName']}' has no active access key{found}; "
                      "enable 'Programmatic access' "
                      "(Security credentials > Create access key)", keys=keys)
    return passed(f"user '{user['UserName']}' has {len(active)} active access key(s)", keys=active)


def billing_access(ev: Evidence) -> Outcome:
    return manual("IAM access to billing information has no read API: a person checks My Account > 'IAM User "
                  "and Role Access to Billing Information' is activated")
