"""What an interpreter is made of: its folders and the versions of the packages graded kernels use.

Read inside the interpreter itself, so the answer is that environment's and not the grader's: the
grader imports this module for its own interpreter, and runs this file as a script (standard
library only, printing JSON) with the Python of an environment it built.
"""

import json
import platform
import site
import sys
import sysconfig
from importlib import metadata

# The packages a run record lists for the kernel environment (distribution names).
KERNEL_PACKAGES = ("sagemaker", "sagemaker-core", "boto3", "botocore", "ipykernel", "numpy", "pandas",
                   "scikit-learn", "scipy", "matplotlib", "alpaca-trade-api")


def facts() -> dict:
    versions = {"python": platform.python_version()}
    for name in KERNEL_PACKAGES:
        try:
            versions[name] = metadata.version(name)
        except metadata.PackageNotFoundError:
            versions[name] = None
    paths = {sysconfig.get_path(key) for key in ("stdlib", "platstdlib", "purelib", "platlib")}
    paths.update(site.getsitepackages())
    return {"executable": sys.executable, "prefix": sys.prefix, "base_prefix": sys.base_prefix,
            "paths": sorted(paths), "versions": versions}


if __name__ == "__main__":
    print(json.dumps(facts()))
