#!/usr/bin/env bash
# Gradescope runs this once while it builds the autograder image (Ubuntu 22.04 base image, as root,
# the zip unpacked in /autograder/source): it installs Python 3.11 (apt, when missing), the grader's
# wheel with the exact versions it was tested with (constraints.txt) into /autograder/venv, and builds
# the kernel environments (so no submission waits for one). AUTOGRADER_ROOT replaces /autograder. See docs/gradescope.md.
set -euo pipefail
root="${AUTOGRADER_ROOT:-/autograder}"
source_dir="$root/source"
# The kernel environments are built here, where run_autograder finds them whatever its HOME.
export XDG_CACHE_HOME="$root/cache"
if ! python3.11 -c 'import ensurepip, venv' >/dev/null 2>&1; then
    apt-get update
    DEBIAN_FRONTEND=noninteractive apt-get install -y python3.11 python3.11-venv
fi
rm -rf "$root/venv"
python3.11 -m venv "$root/venv"
python="$root/venv/bin/python"
# The venv has the pip its Python bundled (older on Ubuntu 22.04): one known pip everywhere instead.
"$python" -m pip install --quiet --disable-pip-version-check "pip==26.3"
"$python" -m pip install --quiet --disable-pip-version-check -c "$source_dir/constraints.txt" \
    "$source_dir"/sagemaker_course_grader-*.whl
"$python" -m pip check
"$python" - <<'PYTHON'
from grader.execution import environments
for name in environments.names():
    environments.get(name)
PYTHON
"$root/venv/bin/grader" activities
