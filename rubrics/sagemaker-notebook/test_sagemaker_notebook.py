"""Rubric for the sagemaker-notebook activity (expected values: activities/sagemaker-notebook/activity.toml)."""

import pytest

from grader.checks import monte_carlo, notebook_instance
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
def test_monte_carlo_simulated(check):
    """The Monte Carlo notebook simulates the asked number of runs over the asked trading days"""
    check(monte_carlo.simulated)


@pytest.mark.points(1)
def test_monte_carlo_plotted(check):
    """The Monte Carlo notebook plots the simulated cumulative returns"""
    check(monte_carlo.plotted)


@pytest.mark.points(1)
def test_monte_carlo_interval(check):
    """The Monte Carlo notebook prints the summary with its 95% confidence interval"""
    check(monte_carlo.interval_printed)
