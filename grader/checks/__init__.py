"""Checks: small pure functions over the evidence (run record, account snapshot, API log), each
returning an Outcome. Rubrics (rubrics/<activity>/rubric.toml) choose checks and give them points."""

from .outcome import Outcome, failed, manual, passed, skipped, unknown

__all__ = ["Outcome", "failed", "manual", "passed", "skipped", "unknown"]
