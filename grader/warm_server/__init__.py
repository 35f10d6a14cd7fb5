"""The warm grader that stays: a per-user background process holding the grader's and the kernel
environment's imports, so that `grader check` after the first one pays neither (docs/runner.md).

    runtime.py   its private folder, its socket and the grader version it must match (standard library only)
    client.py    what `grader check` and `grader warm` do: find, start, ask, stop the server (stdlib only)
    server.py    the server: forks one child per grading, which runs the same code as an in-process check
"""
