"""Rubric for the iam-user activity (expected values: activities/iam-user/activity.toml)."""

import pytest

from grader.checks import iam


@pytest.mark.points(2)
def test_user_exists(check):
    """An IAM user named `administrator` exists"""
    check(iam.user_exists)


@pytest.mark.points(2)
def test_user_in_group(check):
    """The user is in the `Administrators` group"""
    check(iam.user_in_group)


@pytest.mark.points(2)
def test_group_has_administrator_access(check):
    """The group has the AWS managed AdministratorAccess policy (by ARN)"""
    check(iam.group_has_admin_policy)


@pytest.mark.points(1)
def test_console_access(check):
    """The user can sign in to the console without a forced password reset"""
    check(iam.console_access)


@pytest.mark.points(1)
def test_programmatic_access(check):
    """The user has an active access key"""
    check(iam.programmatic_access)


@pytest.mark.points(1)
def test_billing_access(check):
    """IAM access to billing information is activated"""
    check(iam.billing_access)
