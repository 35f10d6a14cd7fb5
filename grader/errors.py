"""The one error type that reaches the user as a single line (exit code 2)."""


class UsageError(Exception):
    """Bad input from the user: a missing file, a malformed notebook, an unknown activity, a wrong
    flag. The message says what is wrong and what to do; the CLI prints it as one line."""
