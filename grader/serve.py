"""`grader serve` for a person's own Jupyter: kernels that talk to the emulator, and console buckets.

A course notebook runs unchanged in a person's Jupyter when two things a graded run provides are
there too: a kernel under the name the notebook was saved with (SageMaker's `conda_python3`,
unknown to a plain Jupyter) whose environment points at the emulator, and the buckets the course
made in the S3 console before the notebook ran.
"""

from __future__ import annotations

import json
import re
import sys
from pathlib import Path

from .aws_rules import bucket_name_problem
from .emulator import s3_access
from .errors import UsageError
from .execution import read_submission
from .execution.kernel import KERNEL_ARGUMENTS
from .execution.prerequisites import provide_console_resources

# What the course's notebooks were saved with: Jupyter's default and SageMaker notebook instances'.
COURSE_KERNEL_NAMES = ("python3", "conda_python3")
JUPYTER_KERNEL_NAME = re.compile(r"[a-z0-9._-]+", re.IGNORECASE)   # what Jupyter accepts (and no path)


def kernel_names(notebooks) -> list[str]:
    """The course's kernel names and the one each notebook was saved with (reading, so checking, it)."""
    saved_with = [read_submission(path).notebook.metadata.kernelspec.name for path in notebooks]
    return list(dict.fromkeys(name for name in [*COURSE_KERNEL_NAMES, *saved_with]
                              if JUPYTER_KERNEL_NAME.fullmatch(name)))


def install_kernels(data_dir: Path, names, env: dict[str, str]) -> None:
    """Write one kernelspec per name into `data_dir`/kernels: the grader's own Python, with the
    emulator's environment and the extensions graded kernels load. Rewritten at every start, since
    the emulator's port and the account's keys change."""
    spec = {"argv": [sys.executable, "-m", "ipykernel_launcher", "-f", "{connection_file}",
                     *KERNEL_ARGUMENTS],
            "language": "python", "env": env}
    try:
        for name in names:
            folder = Path(data_dir) / "kernels" / name
            folder.mkdir(parents=True, exist_ok=True)
            (folder / "kernel.json").write_text(
                json.dumps({**spec, "display_name": f"{name} (grader emulator)"}, indent=1) + "\n")
    except OSError as error:
        raise UsageError(f"cannot write kernels into {data_dir} ({error.strerror}); "
                         "give --install-kernels a folder you can write") from None


def require_bucket_names(names) -> None:
    for name in names:
        problem = bucket_name_problem(name)
        if problem:
            raise UsageError(f"--bucket {name} {problem}; give a valid bucket name")


def create_buckets(account, region: str, names, notebooks) -> list[dict]:
    """Create the buckets named on the command line, and those each notebook uses without creating
    (the inference graded runs use); return what was (or was not) made, as a run record lists it."""
    provided = [{"kind": "bucket", "name": name, "region": region, "created": True,
                 "reason": "named with --bucket"}
                for name in names if s3_access.create_bucket(account.account_id, name, region)]
    for path in notebooks:
        provided += [item
                     for item in provide_console_resources(read_submission(path).notebook, account, region)
                     if item["kind"] == "bucket"]
    return provided
