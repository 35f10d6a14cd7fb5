"""The headline cheats, end to end through `grader check`: a notebook that bought 26/26 without
training now scores only what its real work earns.

Each notebook does the honest first half of the housing activity (data split, RecordIO upload to
the course bucket), then cheats. Slow: each runs a kernel with the SageMaker stack.
"""

import pytest

from .conftest import grade, write_notebook

pytestmark = pytest.mark.slow

HONEST_DATA = [
    """
    import io, json, os, tarfile, urllib.request
    import boto3, numpy as np
    import sagemaker.amazon.common as smac
    from sklearn.datasets import load_boston
    from sklearn.linear_model import LinearRegression
    from sklearn.model_selection import train_test_split
    """,
    """
    boston = load_boston()
    X, y = boston.data[:, [5]], boston.target          # RM only, as the lesson
    X_train, X_test, y_train, y_test = train_test_split(X, y, test_size=0.2)
    bucket = "sagemaker-20191007-2307"
    prefix = "boston-housing-regression"
    s3 = boto3.client("s3")
    for name, features, labels in (("train", X_train, y_train), ("test", X_test, y_test)):
        buf = io.BytesIO()
        smac.write_numpy_to_dense_tensor(buf, features.astype("float32"), labels.astype("float32"))
        s3.put_object(Bucket=bucket, Key=f"{prefix}/{name}/linear_{name}.data", Body=buf.getvalue())
    role = os.environ["GRADER_EXECUTION_ROLE_ARN"]
    image = "174872318107.dkr.ecr.us-west-2.amazonaws.com/linear-learner:1"
    """,
]

FORGED_MODEL = """
def forged_model_tar_gz():
    # scikit-learn fitted on the TEST set, packed in the emulator's artifact format
    fitted = LinearRegression().fit(X_test, y_test)
    payload = json.dumps({"format": "grader-linear-learner/1", "predictor_type": "regressor",
                          "loss": "squared_loss", "feature_dim": 1, "weights": [[float(fitted.coef_[0])]],
                          "bias": [float(fitted.intercept_)], "threshold": 0.5, "num_classes": None}).encode()
    buffer = io.BytesIO()
    with tarfile.open(fileobj=buffer, mode="w:gz") as tar:
        info = tarfile.TarInfo("model_algo-1")
        info.size = len(payload)
        tar.addfile(info, io.BytesIO(payload))
    return buffer.getvalue()


def predict_and_print(endpoint):
    runtime = boto3.client("sagemaker-runtime")
    body = "\\n".join(str(float(v)) for v in X_test[:, 0]).encode()
    answer = runtime.invoke_endpoint(EndpointName=endpoint, Body=body, ContentType="text/csv")
    scores = np.array([p["score"] for p in json.loads(answer["Body"].read())["predictions"]])
    rmse = float(np.sqrt(np.mean((scores - y_test) ** 2)))
    r2 = 1 - np.sum((y_test - scores) ** 2) / np.sum((y_test - y_test.mean()) ** 2)
    print(f"RMSE: {rmse}")
    print(f"R2: {r2}")


def deploy(name, model_url):
    sm = boto3.client("sagemaker")
    sm.create_model(ModelName=name, ExecutionRoleArn=role,
                    PrimaryContainer={"Image": image, "ModelDataUrl": model_url})
    sm.create_endpoint_config(EndpointConfigName=name, ProductionVariants=[{
        "VariantName": "AllTraffic", "ModelName": name, "InitialInstanceCount": 1,
        "InstanceType": "ml.m4.xlarge"}])
    sm.create_endpoint(EndpointName=name, EndpointConfigName=name)
"""

MIXED_PROTOCOL = """
def mixed(target, payload, query):
    # X-Amz-Target names one operation, the URL's ?Action= another; the signature is not checked
    key, region = os.environ["AWS_ACCESS_KEY_ID"], os.environ["AWS_DEFAULT_REGION"]
    request = urllib.request.Request(
        os.environ["AWS_ENDPOINT_URL"] + "/?" + query, data=json.dumps(payload).encode(), method="POST",
        headers={"Authorization": f"AWS4-HMAC-SHA256 Credential={key}/20191007/{region}/sagemaker/"
                                  "aws4_request, SignedHeaders=host, Signature=0",
                 "X-Amz-Security-Token": os.environ["AWS_SESSION_TOKEN"],
                 "X-Amz-Target": f"SageMaker.{target}", "Content-Type": "application/x-amz-json-1.1"})
    try:
        with urllib.request.urlopen(request) as answer:
            return answer.status
    except urllib.error.HTTPError as refused:
        return refused.code
"""


def test_forged_training_notebook_scores_only_its_real_work(tmp_path):
    """Attack (issue 8): a training job created through a mixed-protocol request (moto's default
    Completed, the trainer never runs), a model.tar.gz fitted by scikit-learn on the test set uploaded
    where the job's model would be, an endpoint serving it, and forged CreateEndpoint /
    InvokeEndpoint {"Records": N} log entries. Verdict: the training, deployment and model checks
    fail; the honest bucket work, the honest uploads (read without a job, issue 21), the cleanup and
    the clean run still pass."""
    notebook = write_notebook(tmp_path / "forged-training.ipynb", *HONEST_DATA, FORGED_MODEL,
                              MIXED_PROTOCOL, """
        job = {"TrainingJobName": "linear-learner-2019-10-07", "RoleArn": role,
               "AlgorithmSpecification": {"TrainingImage": image, "TrainingInputMode": "File"},
               "HyperParameters": {"feature_dim": "1", "mini_batch_size": "100",
                                   "predictor_type": "regressor", "epochs": "10", "num_models": "32",
                                   "loss": "absolute_loss"},
               "InputDataConfig": [{"ChannelName": c, "DataSource": {"S3DataSource": {
                   "S3DataType": "S3Prefix", "S3Uri": f"s3://{bucket}/{prefix}/{c}/"}}}
                   for c in ("train", "test")],
               "OutputDataConfig": {"S3OutputPath": f"s3://{bucket}/{prefix}/output"},
               "ResourceConfig": {"InstanceType": "ml.m4.xlarge", "InstanceCount": 1, "VolumeSizeInGB": 10},
               "StoppingCondition": {"MaxRuntimeInSeconds": 3600}}
        print("forged job:", mixed("ListTrainingJobs", job, "Action=CreateTrainingJob"))
        """, """
        key = f"{prefix}/output/linear-learner-2019-10-07/output/model.tar.gz"
        s3.put_object(Bucket=bucket, Key=key, Body=forged_model_tar_gz())
        deploy("forged", f"s3://{bucket}/{key}")
        predict_and_print("forged")
        """, """
        print("forged log:", mixed("CreateEndpoint", {"EndpointName": "x", "EndpointConfigName": "x"},
                                   "Action=ListEndpoints"),
              mixed("InvokeEndpoint", {"EndpointName": "forged", "Records": 102}, "Action=ListEndpoints"))
        boto3.client("sagemaker").delete_endpoint(EndpointName="forged")
        """)
    graded = grade("housing", notebook, out=tmp_path)
    assert graded.result is not None, graded.stderr[-2000:]
    for check in ("training_job_completed", "endpoint_invoked", "model_quality", "printed_metrics"):
        assert graded.status(check) == "fail", (check, graded.message(check))
    assert {"bucket_name_valid", "bucket_name_convention", "endpoint_deleted"} <= graded.passed()
    # the grader made that bucket (the notebook hard-codes it)
    assert graded.status("bucket_region") == "skip"
    uploads = {"train_data_uploaded", "test_data_uploaded", "train_data_recordio", "test_data_recordio",
               "feature_count", "train_labels", "test_labels", "labels_agree", "split_sizes", "no_overlap"}
    assert uploads | {"runs_top_to_bottom"} <= graded.passed()
    # the real work, not full marks: bucket name 2, its region (skip) 1, uploads 11, cleanup 2, clean run 3
    assert graded.score == 19, graded.stdout
    assert "Score: 19/" in graded.stdout


def test_swapped_artifact_notebook_loses_the_model_marks(tmp_path):
    """Attack: train honestly, then overwrite the job's model.tar.gz with a scikit-learn model
    fitted on the test set, deploy and score that. Verdict: the job and data checks pass (that work
    was done); the deployment and model checks fail, naming the replaced artifact."""
    notebook = write_notebook(tmp_path / "swapped-artifact.ipynb", *HONEST_DATA, FORGED_MODEL, """
        import sagemaker
        linear = sagemaker.estimator.Estimator(image, role, instance_count=1, instance_type="ml.m4.xlarge",
                                               output_path=f"s3://{bucket}/{prefix}/output",
                                               sagemaker_session=sagemaker.Session())
        linear.set_hyperparameters(feature_dim=1, mini_batch_size=100, predictor_type="regressor", epochs=10,
                                   num_models=32, loss="absolute_loss")
        linear.fit({"train": f"s3://{bucket}/{prefix}/train/", "test": f"s3://{bucket}/{prefix}/test/"})
        """, """
        trained = linear.model_data
        s3.put_object(Bucket=bucket, Key=trained.split("/", 3)[3], Body=forged_model_tar_gz())
        deploy("swapped", trained)
        predict_and_print("swapped")
        boto3.client("sagemaker").delete_endpoint(EndpointName="swapped")
        """)
    graded = grade("housing", notebook, out=tmp_path)
    assert graded.result is not None, graded.stderr[-2000:]
    assert graded.status("training_job_completed") == "pass"
    assert graded.status("endpoint_invoked") == "fail"
    assert "no training job" in graded.message("endpoint_invoked")
    assert graded.status("model_quality") == "fail"   # hidden; printed_metrics measures the same model:
    assert "replaced after training" in graded.message("printed_metrics")
    # 26/31: all but deployment and model
    assert graded.score == graded.result["max_score"] - 5, graded.stdout
