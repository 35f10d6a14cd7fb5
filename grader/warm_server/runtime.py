"""Where the warm server lives and which grader it is: a private 0700 folder (in $XDG_RUNTIME_DIR,
else under the grader's cache) holding its socket, its start lock and its log, and a version that
changes whenever the grader's code does (an upgrade, or an edit of an editable install).

Anyone who can reach the socket can run gradings as this user, so a folder owned by someone else or
open to the group or others is refused, never used. Standard library only: `grader check` reads this
before deciding whether to import anything heavy.
"""

from __future__ import annotations

import hashlib
import os
import stat
import sys
from pathlib import Path

from ..cache import cache_root
from ..errors import UsageError

FOLDER_NAME = "sagemaker-course-grader"
SOCKET = "server.sock"
START_LOCK = "start.lock"
LOG = "server.log"
PACKAGE = Path(__file__).resolve().parents[1]
OFF_VALUES = ("0", "off", "no", "false")
SERVED_HERE = "GRADER_WARM_SERVED"   # set in a grading the server runs: it must not ask a server again
IDLE_EXIT_S = 20 * 60   # default; GRADER_WARM_SERVER_IDLE (seconds) overrides it


class UnsafeFolder(UsageError):
    """The runtime folder is not private to this user: no server may listen there."""


def wanted() -> bool:
    """False when the environment opts out: GRADER_WARM_SERVER=0 (or off, no, false)."""
    if os.environ.get(SERVED_HERE):
        return False
    return os.environ.get("GRADER_WARM_SERVER", "").strip().lower() not in OFF_VALUES


def idle_exit_s() -> float:
    configured = os.environ.get("GRADER_WARM_SERVER_IDLE", "").strip()
    try:
        return float(configured) if configured else IDLE_EXIT_S
    except ValueError:
        raise UsageError(f"GRADER_WARM_SERVER_IDLE={configured} is not a number of seconds") from None


def folder() -> Path:
    """The private folder, created 0700 if missing; UnsafeFolder if it exists and is not private."""
    runtime = os.environ.get("XDG_RUNTIME_DIR")
    path = Path(runtime) / FOLDER_NAME if runtime and Path(runtime).is_dir() else cache_root() / "warm"
    path.parent.mkdir(parents=True, exist_ok=True)
    try:
        path.mkdir(mode=0o700)
    except FileExistsError:
        pass
    info = os.lstat(path)
    if not stat.S_ISDIR(info.st_mode):
        raise UnsafeFolder(f"the warm server's folder {path} is not a folder; remove it")
    if info.st_uid != os.getuid():
        raise UnsafeFolder(f"the warm server's folder {path} belongs to user id {info.st_uid}, not to you; "
                           f"remove it or set XDG_RUNTIME_DIR to a folder of your own")
    if info.st_mode & 0o077:
        raise UnsafeFolder(f"the warm server's folder {path} is open to others (mode "
                           f"{stat.S_IMODE(info.st_mode):o}); run `chmod 700 {path}` or remove it")
    return path


def version() -> str:
    """The grader's identity: its interpreter and a digest of its code's files (names, sizes, times),
    so a server running older code is never asked to grade."""
    digest = hashlib.sha256(f"{sys.executable}\0{sys.version}".encode())
    for root, folders, files in os.walk(PACKAGE):
        folders[:] = sorted(name for name in folders if name != "__pycache__")
        for name in sorted(files):
            if name.endswith((".py", ".toml", ".html", ".j2", ".css")):
                info = os.stat(os.path.join(root, name))
                digest.update(f"{root}/{name}\0{info.st_size}\0{info.st_mtime_ns}\n".encode())
    return digest.hexdigest()[:16]
