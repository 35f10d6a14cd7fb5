"""The Gradescope autograder of one activity (docs/gradescope.md): a zip holding Gradescope's two
scripts (setup.sh, run_autograder), a wheel of the grader that builds it and the activity's data."""
