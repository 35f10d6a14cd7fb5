"""An emulated AWS Organization: credentials from AssumeRole into a member account are served as that
member account (its own state, its own API log), which is wiped with the account that manages it."""

import boto3
import botocore.exceptions
import pytest
from moto.organizations.models import organizations_backends


def session_for(credentials: dict) -> boto3.Session:
    return boto3.Session(aws_access_key_id=credentials["AccessKeyId"],
                         aws_secret_access_key=credentials["SecretAccessKey"],
                         aws_session_token=credentials["SessionToken"], region_name="us-west-2")


@pytest.fixture
def organization(emulator, account, aws):
    """The test's account manages an organization with one member account; returns
    (member id, its credentials)."""
    organizations = aws("organizations")
    organizations.create_organization(FeatureSet="ALL")
    created = organizations.create_account(AccountName="student1", Email="s1@example.edu")
    member = created["CreateAccountStatus"]["AccountId"]
    credentials = aws("sts").assume_role(RoleArn=f"arn:aws:iam::{member}:role/OrganizationAccountAccessRole",
                                         RoleSessionName="test")["Credentials"]
    return member, credentials


def test_member_credentials_reach_the_member_account(emulator, account, aws, organization):
    member, credentials = organization
    member_session = session_for(credentials)
    assert member_session.client("sts", endpoint_url=emulator.url).get_caller_identity()["Account"] == member
    member_s3 = member_session.client("s3", endpoint_url=emulator.url)
    member_s3.create_bucket(Bucket="sagemaker-member",
                            CreateBucketConfiguration={"LocationConstraint": "us-west-2"})
    assert [bucket["Name"] for bucket in member_s3.list_buckets()["Buckets"]] == ["sagemaker-member"]
    assert aws("s3").list_buckets()["Buckets"] == []                      # the management account's own world
    member_record = emulator.accounts.get(member)
    assert member_record.management_account_id == account.account_id
    assert "CreateBucket" in [entry["operation"] for entry in member_record.api_log]
    assert "CreateBucket" not in [entry["operation"] for entry in account.api_log]


def test_a_second_role_session_reaches_the_same_member(emulator, aws, organization):
    member, first = organization
    second = aws("sts").assume_role(RoleArn=f"arn:aws:iam::{member}:role/OrganizationAccountAccessRole",
                                    RoleSessionName="again")["Credentials"]
    session_for(first).client("s3", endpoint_url=emulator.url).create_bucket(
        Bucket="made-with-the-first", CreateBucketConfiguration={"LocationConstraint": "us-west-2"})
    seen = session_for(second).client("s3", endpoint_url=emulator.url).list_buckets()["Buckets"]
    assert [bucket["Name"] for bucket in seen] == ["made-with-the-first"]


def test_an_account_outside_our_organizations_stays_refused(emulator, aws):
    """Assuming a role in an arbitrary account id gives moto credentials; the emulator does not serve them."""
    credentials = aws("sts").assume_role(
        RoleArn="arn:aws:iam::210987654321:role/OrganizationAccountAccessRole",
        RoleSessionName="test")["Credentials"]
    with pytest.raises(botocore.exceptions.ClientError, match="InvalidClientTokenId"):
        session_for(credentials).client("sts", endpoint_url=emulator.url).get_caller_identity()
    assert emulator.accounts.get("210987654321") is None


def test_removing_the_management_account_removes_its_members(emulator):
    management = emulator.new_account()
    session = boto3.Session(aws_access_key_id=management.access_key_id,
                            aws_secret_access_key=management.secret_access_key,
                            aws_session_token=management.session_token, region_name="us-west-2")
    organizations = session.client("organizations", endpoint_url=emulator.url)
    organizations.create_organization(FeatureSet="ALL")
    created = organizations.create_account(AccountName="s", Email="s@example.edu")
    member = created["CreateAccountStatus"]["AccountId"]
    credentials = session.client("sts", endpoint_url=emulator.url).assume_role(
        RoleArn=f"arn:aws:iam::{member}:role/OrganizationAccountAccessRole",
        RoleSessionName="test")["Credentials"]
    member_sts = session_for(credentials).client("sts", endpoint_url=emulator.url)
    assert member_sts.get_caller_identity()["Account"] == member

    emulator.remove_account(management.account_id)
    assert emulator.accounts.get(member) is None and member not in organizations_backends.master_accounts
    with pytest.raises(botocore.exceptions.ClientError, match="InvalidClientTokenId"):
        member_sts.get_caller_identity()
