"""Rubric for the rainfall activity: the linear-learner checks shared by the three model activities.
Expected values and thresholds: activities/rainfall/activity.toml."""

from grader.grading.linear_learner_rubric import *  # noqa: F401,F403  (pytest collects the shared checks here)
