# Modern SDK v2 code: image_uris, TrainingInput with CSV data, default_bucket, Predictor with
# serializers, delete_endpoint. argv[1] is "regressor" or "binary_classifier". Prints a summary.
import json
import sys

import boto3
import numpy as np
import sagemaker
from sagemaker import image_uris
from sagemaker.deserializers import JSONDeserializer
from sagemaker.inputs import TrainingInput
from sagemaker.serializers import CSVSerializer

predictor_type = sys.argv[1]
rng = np.random.default_rng(7)
X = rng.normal(size=(600, 3))
if predictor_type == "regressor":
    y = X @ np.array([2.0, -1.0, 0.5]) + 3.0 + rng.normal(scale=0.1, size=600)
else:
    y = (X @ np.array([2.0, -1.0, 0.5]) > 0).astype(float)

session = sagemaker.Session()
bucket = session.default_bucket()
role = sagemaker.get_execution_role()
s3 = boto3.client("s3")
train_csv = "\n".join(",".join(str(v) for v in [label, *row]) for label, row in zip(y[:500], X[:500]))
s3.put_object(Bucket=bucket, Key="modern/train/train.csv", Body=train_csv.encode())

estimator = sagemaker.estimator.Estimator(
    image_uris.retrieve("linear-learner", session.boto_region_name), role, instance_count=1,
    instance_type="ml.m5.large", output_path=f"s3://{bucket}/modern/output", sagemaker_session=session)
estimator.set_hyperparameters(feature_dim=3, predictor_type=predictor_type, mini_batch_size=50, epochs=15)
estimator.fit({"train": TrainingInput(f"s3://{bucket}/modern/train/", content_type="text/csv")}, logs=False)
predictor = estimator.deploy(initial_instance_count=1, instance_type="ml.m5.large",
                             serializer=CSVSerializer(), deserializer=JSONDeserializer())
result = predictor.predict(X[500:])
field = "score" if predictor_type == "regressor" else "predicted_label"
predictions = [p[field] for p in result["predictions"]]
description = boto3.client("sagemaker").describe_training_job(
    TrainingJobName=estimator.latest_training_job.name)
predictor.delete_endpoint()
print("SUMMARY " + json.dumps({"bucket": bucket, "role": role, "predictions": predictions,
                               "truth": y[500:].tolist(), "status": description["TrainingJobStatus"],
                               "metrics": {m["MetricName"]: m["Value"]
                                           for m in description["FinalMetricDataList"]}}))
