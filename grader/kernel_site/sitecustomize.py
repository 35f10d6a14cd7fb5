"""Loaded by Python at start-up when this folder is on PYTHONPATH (the grader puts it there for
processes that talk to the emulator). Applies the kernel's memory limit (GRADER_MEMORY_LIMIT_MB,
soft and hard, so student code cannot raise it) and the emulator patches (GRADER_EMULATOR_URL)."""

import os

if os.environ.get("GRADER_MEMORY_LIMIT_MB"):
    import resource

    _limit = int(os.environ["GRADER_MEMORY_LIMIT_MB"]) * 1024 * 1024
    resource.setrlimit(resource.RLIMIT_AS, (_limit, _limit))

if os.environ.get("GRADER_EMULATOR_URL"):
    import grader_kernel_patches

    grader_kernel_patches.install()
