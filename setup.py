"""Installs the course content with the package; everything else is in pyproject.toml.

The top-level activities/, rubrics/ and environments/ folders stay the source in the repository.
A wheel carries a copy of them in `grader_content/`, one folder of its own beside the `grader` code
(where grader/project.py looks), so a sandbox can hide it from graded kernels: it holds the
solutions and the thresholds. setuptools can only ship data from inside a package, hence this copy
step. An editable install skips it: the grader then reads the checkout itself.
"""

import shutil
from pathlib import Path

from setuptools import setup
from setuptools.command.build_py import build_py

CONTENT = ("activities", "rubrics", "environments")
INSTALLED_CONTENT = "grader_content"   # grader/project.py: INSTALLED_CONTENT


class BuildWithContent(build_py):
    def run(self):
        super().run()
        if self.editable_mode:
            return
        target = Path(self.build_lib) / INSTALLED_CONTENT
        shutil.rmtree(target, ignore_errors=True)   # build/ may hold an earlier build's copy
        for folder in CONTENT:
            shutil.copytree(folder, target / folder, ignore=shutil.ignore_patterns("__pycache__", "*.pyc"))


setup(cmdclass={"build_py": BuildWithContent})
