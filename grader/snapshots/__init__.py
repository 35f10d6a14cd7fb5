"""Account snapshots: what an account held (IAM, S3, SageMaker), collected from the emulator or a live
account, or read from a recorded file; the checks grade them as evidence (grader/checks/evidence.py)."""
