"""Grading a class in one command (`grader grade`): find every student's submission as staff have it,
grade each one end to end as one Dask task, resume where a stopped run left off, show progress, and
finish with the class summary and the exports.

    discovery (folders, LMS zips, roster) --> store (what is already graded) --> executor (Dask)
        --> task (one submission, on a worker) --> progress --> summary (class report, terminal)

`run.grade_class` ties them together; docs/batch.md describes the command.
"""
