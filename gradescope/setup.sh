#!/usr/bin/env bash
# Gradescope runs this once while it builds the autograder image (Ubuntu 22.04 base image, as root):
# it installs Python 3.11 and the grader from the source in this zip. See docs/gradescope.md.
set -euo pipefail
root="${AUTOGRADER_ROOT:-/autograder}"
if ! command -v python3.11 >/dev/null 2>&1; then
    apt-get update
    apt-get install -y python3.11 python3.11-venv
fi
python3.11 -m venv "$root/venv"
"$root/venv/bin/python" -m pip install --quiet --upgrade pip
"$root/venv/bin/python" -m pip install --quiet "$root/source/grader-project"
