"""Grading: gather the evidence, run the activity's rubric (pytest) over it, score the results."""
