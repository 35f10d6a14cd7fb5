"""Seeding a run's fresh account from a snapshot of the student's real account (`--snapshot`).

The console-made state (IAM user and group, bucket and its objects, roles, notebook instance,
models and endpoints) becomes the starting state, so the notebook meets what it met in AWS. Every
item is listed as grader-provided; what cannot be recreated (access key ids, training jobs, a
malformed entry, anything over the caps below) is listed with `created: false` and the reason.
A snapshot is small JSON that can declare huge objects, so seeding is capped in objects, bytes
and time, like a course account's size.
"""

from __future__ import annotations

import json
import secrets
import time

import boto3
from botocore.exceptions import BotoCoreError, ClientError

from ..snapshots.snapshot import decode_body

AWS_MANAGED = "arn:aws:iam::aws:policy/"
MAX_OBJECTS = 500               # S3 objects recreated (a course account: a handful)
MAX_BYTES = 64 * 2**20          # their bodies together, placeholders for unrecorded content included
MAX_PLACEHOLDER_BYTES = 2**20   # zero bytes standing in for one object whose content was not recorded
MAX_SECONDS = 60                # the whole seeding


class _Seeder:
    def __init__(self, emulator, account):
        self.session = boto3.Session(aws_access_key_id=account.access_key_id,
                                     aws_secret_access_key=account.secret_access_key,
                                     aws_session_token=account.session_token, region_name=account.region)
        self.url = emulator.url
        self.account = account
        self.provided: list[dict] = []
        self.policy_arns: dict[str, str] = {}
        self.role_arns: dict[str, str] = {}
        self.deadline = time.monotonic() + MAX_SECONDS
        self.objects = self.bytes = 0

    def client(self, service, region=None):
        return self.session.client(service, endpoint_url=self.url, region_name=region or self.account.region)

    def note(self, kind, name, created=True, reason="recreated from the snapshot of the student's account"):
        self.provided.append({"kind": kind, "name": name, "created": created, "reason": reason})

    def attempt(self, kind, name, action):
        if time.monotonic() > self.deadline:
            self.note(kind, name, False, f"not recreated: seeding stops after {MAX_SECONDS} s")
            return
        try:
            action()
            self.note(kind, name)
        except ClientError as error:
            self.note(kind, name, False,
                      f"could not be recreated: {error.response['Error'].get('Message', error)}")
        except (BotoCoreError, KeyError, TypeError, ValueError, AttributeError) as error:
            self.note(kind, name, False,
                      f"could not be recreated: the snapshot's entry is malformed ({error!r:.200})")

    def object_body(self, item) -> bytes | None:
        """The object's recorded content (or zeros of its size), None once a cap is reached."""
        body = decode_body(item)
        if body is None:
            body = b"\0" * min(max(int(item.get("Size") or 0), 0), MAX_PLACEHOLDER_BYTES)
        if (self.objects >= MAX_OBJECTS or self.bytes + len(body) > MAX_BYTES
                or time.monotonic() > self.deadline):
            return None
        self.objects, self.bytes = self.objects + 1, self.bytes + len(body)
        return body

    def policy_arn(self, arn):
        return arn if arn.startswith(AWS_MANAGED) else self.policy_arns.get(arn, arn)

    def iam(self, iam_snapshot):
        iam = self.client("iam")
        for arn, policy in (iam_snapshot.get("policies") or {}).items():
            if not policy.get("IsAWSManaged") and policy.get("Document") is not None:
                def create(policy=policy, arn=arn):
                    made = iam.create_policy(PolicyName=policy["PolicyName"], Path=policy.get("Path") or "/",
                                             PolicyDocument=json.dumps(policy["Document"]))
                    self.policy_arns[arn] = made["Policy"]["Arn"]
                self.attempt("iam_policy", policy["PolicyName"], create)
        own_role = self.account.role_arn.rsplit("/", 1)[-1]
        for role in iam_snapshot.get("roles") or []:
            if role["Arn"] == self.account.role_arn or role["RoleName"] == own_role:
                # the account's own execution role (one of the same name is made with every account)
                self.role_arns[role["Arn"]] = self.account.role_arn
                continue
            def create_role(role=role):
                made = iam.create_role(RoleName=role["RoleName"], Path=role.get("Path") or "/",
                                       AssumeRolePolicyDocument=json.dumps(role["AssumeRolePolicyDocument"]))
                self.role_arns[role["Arn"]] = made["Role"]["Arn"]
                self._policies(iam, role, "role", RoleName=role["RoleName"])
            self.attempt("iam_role", role["RoleName"], create_role)
        for group in iam_snapshot.get("groups") or []:
            self.attempt("iam_group", group["GroupName"], lambda group=group: (
                iam.create_group(GroupName=group["GroupName"], Path=group.get("Path") or "/"),
                self._policies(iam, group, "group", GroupName=group["GroupName"])))
        for user in iam_snapshot.get("users") or []:
            self.attempt("iam_user", user["UserName"], lambda user=user: self._user(iam, user))

    def _policies(self, iam, owner, kind, **name):
        for attached in owner.get("attached_policies") or []:
            getattr(iam, f"attach_{kind}_policy")(PolicyArn=self.policy_arn(attached["PolicyArn"]), **name)
        for policy_name, document in (owner.get("inline_policies") or {}).items():
            getattr(iam, f"put_{kind}_policy")(PolicyName=policy_name, PolicyDocument=json.dumps(document),
                                               **name)

    def _user(self, iam, user):
        name = user["UserName"]
        iam.create_user(UserName=name, Path=user.get("Path") or "/")
        self._policies(iam, user, "user", UserName=name)
        for group in user.get("groups") or []:
            iam.add_user_to_group(GroupName=group, UserName=name)
        if user.get("login_profile"):
            iam.create_login_profile(UserName=name, Password=secrets.token_urlsafe(16) + "aA1!",
                                     PasswordResetRequired=bool(user["login_profile"]
                                                                .get("PasswordResetRequired")))
        for key in user.get("access_keys") or []:
            made = iam.create_access_key(UserName=name)["AccessKey"]["AccessKeyId"]
            if key.get("Status") == "Inactive":
                iam.update_access_key(UserName=name, AccessKeyId=made, Status="Inactive")
            self.note("iam_access_key", f"{name}/{key['AccessKeyId']}", True,
                      f"recreated with a new id ({made}): key ids cannot be chosen")

    def s3(self, s3_snapshot):
        for bucket in s3_snapshot.get("buckets") or []:
            region = bucket.get("Region") or self.account.region
            s3 = self.client("s3", region)
            def create(bucket=bucket, region=region, s3=s3):
                config = ({} if region == "us-east-1"
                          else {"CreateBucketConfiguration": {"LocationConstraint": region}})
                s3.create_bucket(Bucket=bucket["Name"], **config)
                skipped = 0
                for item in bucket.get("objects") or []:
                    body = self.object_body(item)
                    if body is None:
                        skipped += 1
                        continue
                    s3.put_object(Bucket=bucket["Name"], Key=item["Key"], Body=body)
                if skipped:
                    self.note("objects", f"{bucket['Name']}: {skipped} object(s)", False,
                              f"not recreated: seeding recreates at most {MAX_OBJECTS} objects, "
                              f"{MAX_BYTES // 2**20} MB, in {MAX_SECONDS} s")
            self.attempt("bucket", bucket["Name"], create)

    def sagemaker(self, sagemaker_snapshot):
        for region, resources in sagemaker_snapshot.items():
            client = self.client("sagemaker", region)
            for instance in resources.get("notebook_instances") or []:
                self.attempt("notebook_instance", instance["NotebookInstanceName"],
                             lambda i=instance, client=client: (
                    client.create_notebook_instance(
                        NotebookInstanceName=i["NotebookInstanceName"], InstanceType=i["InstanceType"],
                        RoleArn=self.role_arns.get(i["RoleArn"], self.account.role_arn),
                        RootAccess=i.get("RootAccess", "Enabled")),
                    i.get("NotebookInstanceStatus") == "Stopped" and client.stop_notebook_instance(
                        NotebookInstanceName=i["NotebookInstanceName"])))
            for model in resources.get("models") or []:
                self.attempt("model", model["ModelName"], lambda m=model, client=client: client.create_model(
                    ModelName=m["ModelName"], PrimaryContainer=m["PrimaryContainer"],
                    ExecutionRoleArn=self.role_arns.get(m["ExecutionRoleArn"], self.account.role_arn)))
            for config in resources.get("endpoint_configs") or []:
                self.attempt("endpoint_config", config["EndpointConfigName"],
                             lambda c=config, client=client: client.create_endpoint_config(
                    EndpointConfigName=c["EndpointConfigName"], ProductionVariants=c["ProductionVariants"]))
            for endpoint in resources.get("endpoints") or []:
                self.attempt("endpoint", endpoint["EndpointName"],
                             lambda e=endpoint, client=client: client.create_endpoint(
                    EndpointName=e["EndpointName"], EndpointConfigName=e["EndpointConfigName"]))
            for job in resources.get("training_jobs") or []:
                self.note("training_job", job["TrainingJobName"], False,
                          "not recreated: past training jobs are history, not a starting state")


def seed_from_snapshot(emulator, account, snapshot: dict) -> list[dict]:
    """Recreate the snapshot's state in `account`; returns what was provided (and what was not)."""
    seeder = _Seeder(emulator, account)
    seeder.note("execution_role", account.role_arn, True,
                "a SageMaker notebook instance runs with an execution role")
    for section, seed in (("iam", seeder.iam), ("s3", seeder.s3), ("sagemaker", seeder.sagemaker)):
        try:
            seed(snapshot.get(section) or {})
        except (KeyError, TypeError, AttributeError, ValueError) as error:   # a hand-edited or hostile file
            seeder.note(section, f"the rest of the {section} section", False,
                        f"not recreated: the snapshot's {section} section is malformed ({error!r:.200})")
    return seeder.provided
