"""The environment a client process needs to use the emulator, and nothing else.

Loading these variables (plus PATH and HOME) into a fresh process is all it takes: boto3 and the
SageMaker SDK reach the emulator, and the kernel-side patches in ``grader/kernel_site`` switch on
through ``PYTHONPATH``. AWS config and credential files point at nothing, so the host's own AWS
credentials never reach the client.
"""

from __future__ import annotations

import os
from pathlib import Path

from .accounts import Account

KERNEL_SITE = Path(__file__).resolve().parent.parent / "kernel_site"


def client_environment(url: str, account: Account, *, loopback_only: bool = True,
                       kernel_site: str = str(KERNEL_SITE)) -> dict[str, str]:
    return {
        **emulator_environment(url, loopback_only=loopback_only, kernel_site=kernel_site),
        "AWS_ACCESS_KEY_ID": account.access_key_id,
        "AWS_SECRET_ACCESS_KEY": account.secret_access_key,
        "AWS_SESSION_TOKEN": account.session_token,
        "AWS_DEFAULT_REGION": account.region,
        "AWS_REGION": account.region,
        "GRADER_ACCOUNT_ID": account.account_id,
        "GRADER_EXECUTION_ROLE_ARN": account.role_arn,
    }


def emulator_environment(url: str, *, loopback_only: bool = True,
                         kernel_site: str = str(KERNEL_SITE)) -> dict[str, str]:
    """Everything of a client's environment but its account: where the emulator is, no host AWS
    configuration, and the kernel-side patches."""
    env = {
        "AWS_ENDPOINT_URL": url,
        "AWS_CONFIG_FILE": os.devnull,
        "AWS_SHARED_CREDENTIALS_FILE": os.devnull,
        "AWS_EC2_METADATA_DISABLED": "true",
        "SAGEMAKER_SUPPRESS_V2_WARNING": "1",
        "NO_PROXY": "127.0.0.1,localhost",
        "PYTHONPATH": kernel_site,
        "GRADER_EMULATOR_URL": url,
    }
    if loopback_only:
        env["GRADER_LOOPBACK_ONLY"] = "1"
    return env


def write_env_file(path: Path, env: dict[str, str]) -> None:
    lines = [f"{key}={value}" for key, value in env.items()]
    Path(path).write_text("\n".join(lines) + "\n")


def read_env_file(path: Path) -> dict[str, str]:
    env = {}
    for line in Path(path).read_text().splitlines():
        if line.strip() and not line.lstrip().startswith("#"):
            key, _, value = line.partition("=")
            env[key.strip()] = value
    return env
