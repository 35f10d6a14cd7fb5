"""The bucket checks every activity with a course bucket shares (the model activities and
sagemaker-notebook); rubric files import them so pytest collects them there. In a notebook run the
bucket is known from where the data went, so a failed create or upload blocks them."""

import pytest

from grader.checks import s3


@pytest.mark.points(1)
@pytest.mark.needs("CreateBucket", "PutObject")
def test_bucket_name_valid(check):
    """The bucket's name is valid under S3's naming rules"""
    check(s3.bucket_name_valid)


@pytest.mark.points(1)
@pytest.mark.needs("CreateBucket", "PutObject")
def test_bucket_name_convention(check):
    """The bucket follows the course's naming (sagemaker-<YYYYMMDD>-<HHMM>) with a real date"""
    check(s3.bucket_name_convention)


@pytest.mark.points(1)
@pytest.mark.needs("CreateBucket", "PutObject")
def test_bucket_region(check):
    """The bucket is in US West (Oregon), beside SageMaker"""
    check(s3.bucket_region)
