"""Modules put on a graded process's PYTHONPATH (see sitecustomize.py); not imported by the grader."""
