"""Instructor cleanup audit across a class of AWS accounts, read-only: what every student left that
still bills (or clutters), where, since when and at what cost, as a page, a CSV and JSON."""

from .run import AuditOptions, run_audit

__all__ = ["AuditOptions", "run_audit"]
