"""The evidence a rubric grades, and read-only views into it that checks share.

A notebook run gives a run record and a snapshot of its account taken afterwards; console work
gives only a snapshot (recorded or live). Views return None for "unknown" (a failed call) and an
empty list for "none", so checks can tell the two apart. From a run's API log, checks read only
what the server did (`facts` of calls that executed), never the parameters a client sent.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from functools import cache

import nbformat

from ..activities import Activity
from ..execution.prerequisites import bucket_names_used, code_of
from ..execution.record import RunRecord
from ..regions import regions_read, regions_to_read
from ..snapshots.snapshot import decode_body, incomplete, uploaded_urls
from .policies import as_list, bucket_of, grants_objects, statements

LINEAR_LEARNER = "linear-learner"
# What every check that truly needs a training job says without one, word for word, so the reports
# group those checks under one reason (reporting/view.py, same_reason) instead of repeating it.
NO_JOB = ("no linear-learner training job found: train the model with sagemaker.estimator.Estimator(...) and "
          "its fit({'train': s3_train_data, 'test': s3_test_data})")
FIT_CALL = re.compile(r"\.fit\s*\(")
SAGEMAKER_FULL_ACCESS = "arn:aws:iam::aws:policy/AmazonSageMakerFullAccess"


@dataclass
class Evidence:
    activity: Activity
    snapshot: dict
    runs: list[RunRecord] = field(default_factory=list)   # the activity's notebooks, in run order

    @property
    def run(self) -> RunRecord | None:
        return self.runs[0] if self.runs else None

    def run_of(self, notebook: str) -> RunRecord | None:
        """The run of the activity's notebook `notebook`; None when it was not submitted."""
        return next((run for run in self.runs if run.notebook == notebook), None)

    @property
    def expected(self) -> dict:
        return self.activity.expected

    def expected_of(self, run: RunRecord) -> dict:
        """The expected values as the version of the notebook that `run` ran asks them (the activity's own
        when it declares no versions of that notebook)."""
        version = self.activity.version(run.notebook, run.submission.get("version"))
        return version.expected if version else self.expected

    @property
    def thresholds(self) -> dict:
        return self.activity.thresholds

    @property
    def api_log(self) -> list[dict]:
        return [entry for run in self.runs for entry in run.api_log]

    def calls(self, operation: str) -> list[dict]:
        """The run's calls of `operation` that the emulator executed (2xx)."""
        return [entry for entry in self.api_log
                if entry.get("operation") == operation and entry.get("status", 500) < 300]

    def facts(self, operation: str) -> list[dict]:
        """What the emulator noted, server-side, about each executed call of `operation`."""
        return [entry.get("facts") or {} for entry in self.calls(operation)]

    def uploads(self) -> list[str]:
        """s3://bucket/key of the objects the notebook's own calls stored (server-side facts), in order."""
        return uploaded_urls(self.api_log)

    def missing(self, target_prefix: str) -> list[dict]:
        return incomplete(self.snapshot, target_prefix)

    def unread_regions(self) -> list[str]:
        """Regions the activity's SageMaker checks look in (its own and the console's default) that
        the snapshot did not read: what is there is unknown, never absent."""
        read = regions_read(self.snapshot)
        return [region for region in regions_to_read(self.activity.region) if region not in read]

    # IAM
    def users(self) -> list[dict] | None:
        return self.snapshot["iam"].get("users")

    def user(self, name: str) -> dict | None:
        return next((user for user in self.users() or [] if user["UserName"] == name), None)

    def group(self, name: str) -> dict | None:
        return next((group for group in self.snapshot["iam"].get("groups") or []
                     if group["GroupName"] == name), None)

    def role_by_arn(self, arn: str) -> dict | None:
        return next((role for role in self.snapshot["iam"].get("roles") or [] if role["Arn"] == arn), None)

    def policy(self, arn: str) -> dict | None:
        return (self.snapshot["iam"].get("policies") or {}).get(arn)

    # S3
    def buckets(self) -> list[dict] | None:
        return self.snapshot["s3"].get("buckets")

    def bucket(self, name: str) -> dict | None:
        return next((bucket for bucket in self.buckets() or [] if bucket["Name"] == name), None)

    def objects_under(self, url: str) -> list[dict]:
        bucket_name, _, prefix = url.removeprefix("s3://").partition("/")
        bucket = self.bucket(bucket_name)
        return [item for item in (bucket or {}).get("objects") or [] if item["Key"].startswith(prefix)]

    def object_at(self, url: str) -> dict | None:
        """The object whose URL this is exactly (not merely under it as a prefix)."""
        key = url.removeprefix("s3://").partition("/")[2]
        return next((item for item in self.objects_under(url) if item["Key"] == key), None)

    def object_bodies(self, url: str) -> list[tuple[str, bytes | None]]:
        return [(item["Key"], decode_body(item)) for item in self.objects_under(url)]

    # SageMaker
    def sagemaker(self, kind: str, region: str | None = None) -> list[dict] | None:
        return (self.snapshot["sagemaker"].get(region or self.activity.region) or {}).get(kind)

    def all_regions(self, kind: str) -> list[tuple[str, dict]]:
        """(region, item) in every region the snapshot read."""
        return [(region, item) for region in regions_read(self.snapshot)
                for item in self.snapshot["sagemaker"][region].get(kind) or []]

    def linear_learner_jobs(self) -> list[dict]:
        """The activity region's linear-learner training jobs, newest first."""
        jobs = [job for job in self.sagemaker("training_jobs") or []
                if LINEAR_LEARNER in job.get("AlgorithmSpecification", {}).get("TrainingImage", "")]
        return sorted(jobs, key=lambda job: str(job.get("CreationTime")), reverse=True)

    def trained_model(self, job: dict) -> dict | None:
        """The emulator trainer's record of the model this job wrote (runs only; None if it wrote none)."""
        return next((model for model in self.snapshot.get("trainer") or []
                     if model.get("job") == job.get("TrainingJobName")
                     and model.get("url") == job.get("ModelArtifacts", {}).get("S3ModelArtifacts")), None)

    def graded_job(self) -> dict | None:
        """The job the grade is about: the newest completed linear-learner job, else the newest one."""
        jobs = self.linear_learner_jobs()
        return next((job for job in jobs if job.get("TrainingJobStatus") == "Completed"),
                    jobs[0] if jobs else None)

    def buckets_named_by_notebook_roles(self) -> set[str]:
        """Buckets that the notebook instances' roles grant object access to by name."""
        names = set()
        for _, instance in self.all_regions("notebook_instances"):
            role = self.role_by_arn(instance.get("RoleArn", ""))
            for _, document in (role_documents(self, role) or []) if role else []:
                for statement in statements(document):
                    if grants_objects(statement):
                        names.update(filter(None, map(bucket_of, as_list(statement.get("Resource")))))
        return names

    def provided(self, kind: str) -> list[dict]:
        return [item for run in self.runs for item in run.provided
                if item["kind"] == kind and item["created"]]

    def printed_output(self) -> str:
        """What the student's code printed: cells that call fit() are left out, since the SDK prints
        the training log there (with its own rmse and accuracy lines)."""
        return "\n".join(cell.stdout for run in self.runs for cell in run.cells
                         if not FIT_CALL.search(cell.source))


def role_documents(ev: Evidence, role: dict) -> list[tuple[str, dict | None]] | None:
    """(policy name, document) for the role's policies, AmazonSageMakerFullAccess left out: the console
    always attaches it, and its grant on buckets named *sagemaker* is the baseline, not the student's.
    None when the role's policy lists could not be read."""
    if role.get("inline_policies") is None or role.get("attached_policies") is None:
        return None
    documents = list(role["inline_policies"].items())
    for attached in role["attached_policies"]:
        if attached["PolicyArn"] != SAGEMAKER_FULL_ACCESS:
            documents.append((attached["PolicyName"],
                              (ev.policy(attached["PolicyArn"]) or {}).get("Document")))
    return documents


def channel_url(job: dict, name: str) -> str | None:
    for channel in job.get("InputDataConfig", []):
        if channel.get("ChannelName") == name:
            return channel.get("DataSource", {}).get("S3DataSource", {}).get("S3Uri")
    return None


def starter_bucket_names(activity: Activity) -> set[str]:
    """The bucket names written in the activity's starter notebooks: placeholders, not a student's bucket."""
    return _starter_bucket_names(activity.folder, activity.notebooks)


@cache
def _starter_bucket_names(folder, notebooks: tuple[str, ...]) -> frozenset[str]:
    names = set()
    for name in notebooks:
        path = folder / "starter" / name
        if path.is_file():
            names.update(bucket_names_used(code_of(nbformat.read(path, as_version=4))))
    return frozenset(names)


def starter_bucket_names_forget() -> None:
    """Read the starter notebooks afresh next time (a long-lived process: they may have been edited)."""
    _starter_bucket_names.cache_clear()
