# Written like the course's 2019 notebooks: v1 names, Data/ CSVs, RecordIO, fit, deploy, predict
# with csv_serializer and json_deserializer, delete_endpoint. argv[1] is "rainfall" (regressor)
# or "credit" (binary classifier). Prints a JSON summary line.
import io
import json
import os
import sys

import boto3
import numpy as np
import pandas as pd
import sagemaker
import sagemaker.amazon.common as smac
from sagemaker import get_execution_role
from sagemaker.amazon.amazon_estimator import get_image_uri
from sagemaker.predictor import csv_serializer, json_deserializer
from sklearn.metrics import mean_squared_error, r2_score
from sklearn.model_selection import train_test_split

problem = sys.argv[1]
if problem == "rainfall":
    features = pd.read_csv("Data/x_austin_final.csv")
    X = features["TempAvgF"].values.reshape(-1, 1)
    y = pd.read_csv("Data/y_austin_final.csv", names=["PrecipitationSumInches"], header=None)
    y = y.iloc[:, 0].values
    hyperparameters = {"feature_dim": 1, "mini_batch_size": 100, "predictor_type": "regressor", "epochs": 10,
                       "num_models": 32, "loss": "absolute_loss"}
else:
    from sklearn.preprocessing import StandardScaler
    credit = pd.read_csv("Data/german_credit_data.csv", index_col=0)
    y = (credit["Risk"] == "bad").astype(int).values
    X = pd.get_dummies(credit.drop(columns="Risk")).astype(float).values
    X = StandardScaler().fit_transform(X)
    hyperparameters = {"feature_dim": X.shape[1], "mini_batch_size": 100,
                       "predictor_type": "binary_classifier", "epochs": 10, "num_models": 32}
X_train, X_test, y_train, y_test = train_test_split(X, y, test_size=0.2)

bucket = "sagemaker-20191007-2307"
prefix = "austin-rainfall-regression"
role = get_execution_role()
boto3.client("s3").create_bucket(Bucket=bucket, CreateBucketConfiguration={"LocationConstraint": "us-west-2"})

buf = io.BytesIO()
smac.write_numpy_to_dense_tensor(buf, np.array(X_train).astype("float32"),
                                 np.array(y_train).astype("float32"))
buf.seek(0)
key = "linear_train.data"
boto3.resource("s3").Bucket(bucket).Object(os.path.join(prefix, "train", key)).upload_fileobj(buf)
s3_train_data = f"s3://{bucket}/{prefix}/train/{key}"

buf = io.BytesIO()
smac.write_numpy_to_dense_tensor(buf, np.array(X_test).astype("float32"), np.array(y_test).astype("float32"))
buf.seek(0)
key = "linear_test.data"
boto3.resource("s3").Bucket(bucket).Object(os.path.join(prefix, "test", key)).upload_fileobj(buf)
s3_test_data = f"s3://{bucket}/{prefix}/test/{key}"

container = get_image_uri(boto3.Session().region_name, "linear-learner")
sess = sagemaker.Session()
linear = sagemaker.estimator.Estimator(
    container, role, train_instance_count=1, train_instance_type="ml.m4.xlarge",
    output_path=f"s3://{bucket}/{prefix}/output", sagemaker_session=sess)
linear.set_hyperparameters(**hyperparameters)
linear.fit({"train": s3_train_data, "test": s3_test_data})

linear_predictor = linear.deploy(initial_instance_count=1, instance_type="ml.m4.xlarge")
linear_predictor.content_type = "text/csv"
linear_predictor.serializer = csv_serializer
linear_predictor.deserializer = json_deserializer
result = linear_predictor.predict(X_test)
field = "score" if problem == "rainfall" else "predicted_label"
y_predictions = np.array([r[field] for r in result["predictions"]])
summary = {"role": role, "n": len(y_predictions), "job": linear.latest_training_job.name,
           "endpoint": linear_predictor.endpoint, "predictions": y_predictions.tolist(),
           "truth": y_test.tolist()}
if problem == "rainfall":
    summary.update(rmse=np.sqrt(mean_squared_error(y_test, y_predictions)),
                   r2=r2_score(y_test, y_predictions))
else:
    summary.update(accuracy=float(np.mean(y_predictions == y_test)))
sagemaker.Session().delete_endpoint(linear_predictor.endpoint)
print("SUMMARY " + json.dumps(summary))
