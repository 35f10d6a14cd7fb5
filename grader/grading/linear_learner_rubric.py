"""The rubric shared by the three linear-learner activities (rainfall, housing, credit-risk).

Each activity's rubrics/<id>/test_rubric.py imports these tests; pytest collects them there, so the
`activity` fixture (and with it the expected values and thresholds) is that activity's. `needs` lists,
in the order the lesson makes them, the AWS operations a check cannot be judged without.
"""

import pytest

from grader.checks import cleanup, deployment, hyperparameters, labels, metrics, s3, training_data
from grader.grading.bucket_rubric import *  # noqa: F401,F403  (the bucket checks come first)


@pytest.mark.points(1)
@pytest.mark.needs("PutObject", "CreateTrainingJob")
def test_train_data_uploaded(check):
    """Training data is in S3 where the training job's train channel points"""
    check(s3.channel_objects, "train")


@pytest.mark.points(1)
@pytest.mark.needs("PutObject", "CreateTrainingJob")
def test_test_data_uploaded(check):
    """Test data is in S3 where the training job's test channel points"""
    check(s3.channel_objects, "test")


@pytest.mark.points(1)
@pytest.mark.needs("PutObject", "CreateTrainingJob")
def test_train_data_recordio(check):
    """The training data is RecordIO-protobuf with Float32 features"""
    check(training_data.recordio_format, "train")


@pytest.mark.points(1)
@pytest.mark.needs("PutObject", "CreateTrainingJob")
def test_test_data_recordio(check):
    """The test data is RecordIO-protobuf with Float32 features"""
    check(training_data.recordio_format, "test")


@pytest.mark.points(1)
@pytest.mark.needs("PutObject", "CreateTrainingJob")
def test_feature_count(check):
    """Each training record has the activity's features"""
    check(training_data.feature_count)


@pytest.mark.points(1)
@pytest.mark.needs("PutObject", "CreateTrainingJob")
def test_train_labels(check):
    """The training records carry labels that suit the predictor type"""
    check(training_data.labels, "train")


@pytest.mark.points(1)
@pytest.mark.needs("PutObject", "CreateTrainingJob")
def test_test_labels(check):
    """The test records carry labels that suit the predictor type"""
    check(training_data.labels, "test")


@pytest.mark.points(2)
def test_labels_agree(check):
    """Each uploaded record carries its own row's label from the course data (not shuffled or misaligned)"""
    check(labels.labels_agree)


@pytest.mark.points(1)
@pytest.mark.needs("PutObject", "CreateTrainingJob")
def test_split_sizes(check):
    """Train and test are an 80/20 split of the activity's data"""
    check(training_data.split_sizes)


@pytest.mark.points(1)
@pytest.mark.needs("PutObject", "CreateTrainingJob")
def test_no_overlap(check):
    """Train and test do not share records"""
    check(training_data.no_overlap)


@pytest.mark.points(2)
@pytest.mark.needs("CreateTrainingJob")
def test_feature_dim(check):
    """feature_dim matches the data"""
    check(hyperparameters.feature_dim)


@pytest.mark.points(2)
@pytest.mark.needs("CreateTrainingJob")
def test_predictor_type(check):
    """predictor_type fits the activity"""
    check(hyperparameters.predictor_type)


@pytest.mark.points(1)
@pytest.mark.needs("CreateTrainingJob")
def test_other_hyperparameters(check):
    """The other hyperparameters are the lesson's"""
    check(hyperparameters.other_hyperparameters)


@pytest.mark.points(2)
@pytest.mark.needs("PutObject", "CreateTrainingJob")
def test_training_job_completed(check):
    """A linear-learner training job completed"""
    check(deployment.job_completed)


@pytest.mark.points(2)
@pytest.mark.needs("PutObject", "CreateTrainingJob", "CreateEndpoint", "InvokeEndpoint")
def test_endpoint_invoked(check):
    """An endpoint was deployed and scored the whole test set"""
    check(deployment.endpoint_invoked_with_test_data)


@pytest.mark.points(2)
@pytest.mark.visibility("hidden")
@pytest.mark.needs("PutObject", "CreateTrainingJob")
def test_model_quality(check):
    """The model's metrics on the test set reach what real SageMaker achieves"""
    check(metrics.model_quality)


@pytest.mark.points(1)
@pytest.mark.needs("PutObject", "CreateTrainingJob", "CreateEndpoint", "InvokeEndpoint")
def test_printed_metrics(check):
    """The metrics the notebook prints are the model's"""
    check(metrics.printed_metrics_agree)


@pytest.mark.points(2)
@pytest.mark.needs("PutObject", "CreateTrainingJob", "CreateEndpoint", "DeleteEndpoint")
def test_endpoint_deleted(check):
    """The endpoint you deployed was deleted (it bills by the hour)"""
    check(cleanup.endpoint_deleted)
