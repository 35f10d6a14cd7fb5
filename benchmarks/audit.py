"""How long `grader audit` takes on a class: emulated accounts (default 40) with 5 resources each
(an endpoint, its configuration and model, a notebook instance, a bucket with an object), reached
through one profile each in a temporary AWS config whose endpoint_url is the emulator, read in the
default regions (us-west-2 and us-east-1). Target: under 30 s on 2 cores.

    python benchmarks/audit.py [--accounts 40] [--all-regions]
"""

import argparse
import contextlib
import io
import os
import tempfile
import time
from pathlib import Path

import boto3

from grader.audit import AuditOptions, run_audit
from grader.emulator import Emulator

IMAGE = "174872318107.dkr.ecr.us-west-2.amazonaws.com/linear-learner:1"


def populate(emulator, account, index: int) -> None:
    session = boto3.Session(aws_access_key_id=account.access_key_id,
                            aws_secret_access_key=account.secret_access_key,
                            aws_session_token=account.session_token, region_name="us-west-2")
    sm, s3 = (session.client(name, endpoint_url=emulator.url) for name in ("sagemaker", "s3"))
    name = f"linear-learner-{index}"
    sm.create_model(ModelName=name, ExecutionRoleArn=account.role_arn, PrimaryContainer={"Image": IMAGE})
    sm.create_endpoint_config(EndpointConfigName=name, ProductionVariants=[{
        "VariantName": "AllTraffic", "ModelName": name, "InitialInstanceCount": 1,
        "InstanceType": "ml.m4.xlarge"}])
    sm.create_endpoint(EndpointName=name, EndpointConfigName=name)
    sm.create_notebook_instance(NotebookInstanceName=f"sm-test-{index}", InstanceType="ml.t2.medium",
                                RoleArn=account.role_arn)
    bucket = f"sagemaker-20191007-{index:04d}"
    s3.create_bucket(Bucket=bucket, CreateBucketConfiguration={"LocationConstraint": "us-west-2"})
    s3.put_object(Bucket=bucket, Key="p/train/linear_train.data", Body=b"x" * 4096)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--accounts", type=int, default=40)
    parser.add_argument("--all-regions", action="store_true",
                        help="read every region instead of the default two")
    args = parser.parse_args()
    with Emulator() as emulator, tempfile.TemporaryDirectory() as scratch:
        started = time.perf_counter()
        lines = []
        for index in range(args.accounts):
            account = emulator.new_account()
            populate(emulator, account, index)
            lines += [f"[profile student{index}]", "region = us-west-2", f"endpoint_url = {emulator.url}",
                      f"aws_access_key_id = {account.access_key_id}",
                      f"aws_secret_access_key = {account.secret_access_key}",
                      f"aws_session_token = {account.session_token}", ""]
        print(f"set up {args.accounts} accounts x 5 resources in {time.perf_counter() - started:.1f} s")
        config = Path(scratch) / "config"
        config.write_text("\n".join(lines))
        os.environ.update(AWS_CONFIG_FILE=str(config), AWS_SHARED_CREDENTIALS_FILE=os.devnull,
                          AWS_EC2_METADATA_DISABLED="true")
        for key in ("AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", "AWS_SESSION_TOKEN", "AWS_PROFILE"):
            os.environ.pop(key, None)
        options = AuditOptions(out=Path(scratch) / "audit",
                               profiles=[f"student{i}" for i in range(args.accounts)],
                               all_regions=args.all_regions)
        printed = io.StringIO()
        started = time.perf_counter()
        with contextlib.redirect_stdout(printed):
            code = run_audit(options)
        elapsed = time.perf_counter() - started
        summary = printed.getvalue().splitlines()
        print(summary[1].strip())
        print(f"audit of {args.accounts} accounts "
              f"({'every region' if args.all_regions else 'us-west-2, us-east-1'}): "
              f"{elapsed:.1f} s, {elapsed / args.accounts:.2f} s per account, exit {code} "
              "(target: under 30 s)")


if __name__ == "__main__":
    main()
