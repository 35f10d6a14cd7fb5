"""Rubric for the cleanup activity: nothing that bills (or clutters) is left. Training jobs may
remain (AWS cannot delete them). Expected values: activities/cleanup/activity.toml."""

import pytest

from grader.checks import cleanup


@pytest.mark.points(3)
def test_no_endpoints(check):
    """No endpoint is left (endpoints bill by the hour)"""
    check(cleanup.nothing_left, "endpoints")


@pytest.mark.points(3)
def test_no_notebook_instances(check):
    """No notebook instance is left (a stopped one still bills for its volume)"""
    check(cleanup.nothing_left, "notebook_instances")


@pytest.mark.points(1)
def test_no_endpoint_configs(check):
    """No endpoint configuration is left"""
    check(cleanup.nothing_left, "endpoint_configs")


@pytest.mark.points(1)
def test_no_models(check):
    """No model is left"""
    check(cleanup.nothing_left, "models")


@pytest.mark.points(2)
def test_no_course_buckets(check):
    """The course's sagemaker-* buckets are emptied and deleted"""
    check(cleanup.nothing_left, "buckets")
