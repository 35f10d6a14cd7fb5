"""How long a snapshot takes: an emulator account with about 1,000 resources (IAM users with
keys and login profiles, groups, buckets with objects, notebook instances, models, endpoint
configs, endpoints), collected with the same read-only, paginated, parallel collector used for
live accounts.

    python benchmarks/snapshot.py [--resources 1000]
"""

import argparse
import time

import boto3

from grader.emulator import Emulator
from grader.snapshots.snapshot import collect_emulated

IMAGE = "174872318107.dkr.ecr.us-west-2.amazonaws.com/linear-learner:1"


def populate(emulator, account, resources: int) -> dict:
    session = boto3.Session(aws_access_key_id=account.access_key_id,
                            aws_secret_access_key=account.secret_access_key,
                            aws_session_token=account.session_token, region_name="us-west-2")
    iam, s3, sm = (session.client(name, endpoint_url=emulator.url) for name in ("iam", "s3", "sagemaker"))
    share = resources // 10   # users, keys, profiles and each SageMaker kind; half as many groups and buckets
    made = {"users": 0, "access_keys": 0, "login_profiles": 0, "groups": 0, "buckets": 0, "objects": 0,
            "notebook_instances": 0, "models": 0,
            "endpoint_configs": 0, "endpoints": 0}
    for i in range(share):
        iam.create_user(UserName=f"user{i}")
        iam.create_access_key(UserName=f"user{i}")
        iam.create_login_profile(UserName=f"user{i}", Password="Passw0rd!x")
        for kind in ("users", "access_keys", "login_profiles"):
            made[kind] += 1
    for i in range(share // 2):
        iam.create_group(GroupName=f"group{i}")
        iam.add_user_to_group(GroupName=f"group{i}", UserName=f"user{i}")
        made["groups"] += 1
    for i in range(share // 2):
        s3.create_bucket(Bucket=f"sagemaker-bench-{i}",
                         CreateBucketConfiguration={"LocationConstraint": "us-west-2"})
        made["buckets"] += 1
        for j in range(4):
            s3.put_object(Bucket=f"sagemaker-bench-{i}", Key=f"prefix/{j}.data", Body=b"x" * 100)
            made["objects"] += 1
    for i in range(share):
        sm.create_notebook_instance(NotebookInstanceName=f"nb-{i}", InstanceType="ml.t2.medium",
                                    RoleArn=account.role_arn)
        sm.create_model(ModelName=f"model-{i}", ExecutionRoleArn=account.role_arn,
                        PrimaryContainer={"Image": IMAGE,
                                          "ModelDataUrl": "s3://sagemaker-bench-0/model.tar.gz"})
        sm.create_endpoint_config(EndpointConfigName=f"config-{i}", ProductionVariants=[{
            "VariantName": "AllTraffic", "ModelName": f"model-{i}", "InitialInstanceCount": 1,
            "InstanceType": "ml.m4.xlarge"}])
        sm.create_endpoint(EndpointName=f"endpoint-{i}", EndpointConfigName=f"config-{i}")
        for kind in ("notebook_instances", "models", "endpoint_configs", "endpoints"):
            made[kind] += 1
    return made


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--resources", type=int, default=1000)
    args = parser.parse_args()
    with Emulator() as emulator:
        account = emulator.new_account()
        made = populate(emulator, account, args.resources)
        collect_emulated(emulator, emulator.new_account())   # warm-up: service models loaded once per process
        started = time.perf_counter()
        snapshot = collect_emulated(emulator, account)
        elapsed = time.perf_counter() - started
    total = sum(made.values())
    found = {"users": len(snapshot["iam"]["users"]), "buckets": len(snapshot["s3"]["buckets"]),
             **{kind: len(snapshot["sagemaker"]["us-west-2"][kind]) for kind in
                ("notebook_instances", "models", "endpoint_configs", "endpoints")}}
    print(f"account with {total} resources ({', '.join(f'{k} {v}' for k, v in made.items())})")
    print(f"snapshot collected in {elapsed:.2f} s; read back: {found}; "
          f"{len(snapshot['errors'])} failed calls")


if __name__ == "__main__":
    main()
