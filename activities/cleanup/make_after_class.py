"""Writes after-class.json: the account as the class leaves it before cleanup (bucket with data,
notebook instance, model, endpoint configuration and a running endpoint), the starting state of
every cleanup run. Run it again after changing what the class leaves behind:

    python activities/cleanup/make_after_class.py
"""

from pathlib import Path

import boto3

from grader.emulator import Emulator
from grader.evidence.snapshot import collect_emulated, to_json

BUCKET = "sagemaker-20191007-2307"
IMAGE = "174872318107.dkr.ecr.us-west-2.amazonaws.com/linear-learner:1"


def main() -> None:
    with Emulator() as emulator:
        account = emulator.new_account("us-west-2")
        session = boto3.Session(aws_access_key_id=account.access_key_id,
                                aws_secret_access_key=account.secret_access_key,
                                aws_session_token=account.session_token, region_name="us-west-2")
        s3, sm = (session.client(name, endpoint_url=emulator.url) for name in ("s3", "sagemaker"))
        s3.create_bucket(Bucket=BUCKET, CreateBucketConfiguration={"LocationConstraint": "us-west-2"})
        for key in ("boston-housing-regression/train/linear_train.data",
                    "boston-housing-regression/test/linear_test.data"):
            s3.put_object(Bucket=BUCKET, Key=key, Body=b"\x0a\xd7\x23\xce" + bytes(60))
        sm.create_notebook_instance(NotebookInstanceName="sm-test", InstanceType="ml.m4.xlarge",
                                    RoleArn=account.role_arn, RootAccess="Enabled")
        model_url = (f"s3://{BUCKET}/boston-housing-regression/"
                     "output/linear-learner-2019-10-07-23-30-00-000/output/model.tar.gz")
        sm.create_model(ModelName="linear-learner-2019-10-07-23-30-00-000", ExecutionRoleArn=account.role_arn,
                        PrimaryContainer={"Image": IMAGE, "ModelDataUrl": model_url})
        sm.create_endpoint_config(EndpointConfigName="linear-learner-2019-10-07-23-35-00-000",
                                  ProductionVariants=[{"VariantName": "AllTraffic",
                                                       "ModelName": "linear-learner-2019-10-07-23-30-00-000",
                                                       "InitialInstanceCount": 1,
                                                       "InstanceType": "ml.m4.xlarge"}])
        sm.create_endpoint(EndpointName="linear-learner-2019-10-07-23-35-00-000",
                           EndpointConfigName="linear-learner-2019-10-07-23-35-00-000")
        snapshot = collect_emulated(emulator, account)
    snapshot["iam"]["roles"] = []   # every run brings its own execution role
    Path(__file__).with_name("after-class.json").write_text(to_json(snapshot))


if __name__ == "__main__":
    main()
