"""Rubric for the sagemaker-notebook activity (expected values: activities/sagemaker-notebook/activity.toml)."""

import pytest

from grader.checks import notebook_instance, runs
from grader.grading.bucket_rubric import *  # noqa: F401,F403  (pytest collects the shared bucket checks here)


@pytest.mark.points(2)
@pytest.mark.needs("CreateNotebookInstance")
def test_notebook_instance_exists(check):
    """A notebook instance named `sm-test` exists in US West (Oregon)"""
    check(notebook_instance.instance_exists)


@pytest.mark.points(1)
@pytest.mark.needs("CreateNotebookInstance")
def test_notebook_instance_type(check):
    """The notebook instance is an ml.m4.xlarge"""
    check(notebook_instance.instance_type)


@pytest.mark.points(1)
@pytest.mark.needs("CreateNotebookInstance")
def test_root_access(check):
    """Root access is enabled on the notebook instance"""
    check(notebook_instance.root_access)


@pytest.mark.points(2)
@pytest.mark.needs("CreateNotebookInstance")
def test_role_scoped_to_bucket(check):
    """The notebook's role reaches the student's bucket and not every bucket"""
    check(notebook_instance.role_scoped_to_bucket)


@pytest.mark.points(2)
def test_monte_carlo_ran(check):
    """The Monte Carlo notebook runs to the end"""
    check(runs.notebook_ran_clean, "monte_carlo.ipynb")
