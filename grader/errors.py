"""The one error type that reaches the user as a single line (exit code 2)."""


class UsageError(Exception):
    """Bad input from the user: a missing file, a malformed notebook, an unknown activity, a wrong
    flag. The message says what is wrong and what to do; the CLI prints it as one line."""


def require_dir(path, option: str):
    """`path` (None when the option was not given), refusing one that is not a folder."""
    if path is not None and not path.is_dir():
        raise UsageError(f"{option} {path} is not a directory; give the folder that holds the data files")
    return path
