"""Running a submitted notebook in an isolated kernel against the emulator."""

from .limits import RunLimits
from .record import RunRecord
from .run import RunOutcome, default_limits, run_submission, write_run
from .submission import Submission, read_submission

__all__ = ["RunLimits", "RunOutcome", "RunRecord", "Submission", "default_limits", "read_submission",
           "run_submission", "write_run"]
