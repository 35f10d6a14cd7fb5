"""Training jobs that really train: moto records the job, this module runs linear-learner on the
channels' S3 data in a background thread and writes status, metrics, logs and the model back.

A job starts InProgress whatever request created it (moto would mark it Completed at once, with a
model it never wrote), and only this module ends it: Completed with the model it wrote (recorded,
with its hash, in the account's `trained_models`), Failed with a reason, or Stopped when it runs
past MaxRuntimeInSeconds. A job's work is bounded (records x epochs, input bytes, wall time) and
the emulator's shutdown ends running jobs at their next mini-batch. Status fields are written on
moto's own job record, so Describe, List and Search agree.
"""

from __future__ import annotations

import hashlib
import re
import threading
import time
import traceback
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime

from moto.logs.models import logs_backends
from moto.sagemaker.exceptions import ResourceInUseException
from moto.sagemaker.models import SageMakerModelBackend, sagemaker_backends

from ..linear_learner import hyperparameters
from ..linear_learner.algorithm import Dataset, log_name, train
from ..linear_learner.data import DataError, read_channel
from ..linear_learner.metrics import evaluate
from . import s3_access
from .accounts import serving_account

LOG_GROUP = "/aws/sagemaker/TrainingJobs"
WORK_BUDGET = 20_000_000            # training records x epochs one job may run (the course's: about 800 x 15)
MAX_INPUT_BYTES = 256 * 2**20       # data one job reads from its channels (the course's: under 100 KB)
MAX_TRAINING_SECONDS = 300          # wall time one job may train, whatever its MaxRuntimeInSeconds says
MAX_ACTIVE_JOBS = 2                 # queued or running jobs per account (the course runs one at a time)
AWS_DEFAULT_MAX_RUNTIME = 86400       # MaxRuntimeInSeconds when a job gives none (AWS: one day)
SUPPORTED_ALGORITHMS = ("linear-learner",)
CHANNELS = ("train", "validation", "test")
_IMAGE_REPOSITORY = re.compile(r"^(?:[^/]+/)*([^/:@]+)(?:[:@].*)?$")
# As the real algorithm's log names them (see log_name): "test absolute_loss_objective <loss>=...",
# "test binary_f_1.000 <score>=...".
_LOG_PATTERNS = {"objective_loss": "\\S+_objective", "binary_f_beta": "binary_f_\\S+"}
METRIC_DEFINITIONS = [
    {"Name": f"{channel}:{metric}",
     "Regex": f"#quality_metric: host=\\S+, (?:epoch=\\S+, )?{channel} "
              f"{_LOG_PATTERNS.get(metric, metric)} <\\S+>=(\\S+)"}
    for channel in ("train", "validation", "test")
    for metric in ("objective_loss", "mse", "rmse", "absolute_loss", "binary_classification_accuracy",
                   "precision", "recall", "binary_f_beta", "roc_auc_score", "multiclass_accuracy",
                   "multiclass_top_k_accuracy", "macro_precision", "macro_recall", "macro_f_beta")
]


class JobFailure(Exception):
    """Ends a job as Failed; str() is its FailureReason."""


class MaxRuntimeExceeded(Exception):
    """Ends a job as Stopped (secondary status MaxRuntimeExceeded), as AWS does; str() says why."""


def image_repository(image: str) -> str:
    match = _IMAGE_REPOSITORY.match(image or "")
    return match.group(1) if match else ""


def _now():
    return datetime.now(UTC)


def _not_started(job) -> None:
    """A new job as AWS shows it: InProgress, Starting, no model, no metrics."""
    now = _now()
    job.training_job_status, job.secondary_status = "InProgress", "Starting"
    job.training_start_time = job.training_end_time = job.model_artifacts = None
    # every field the training fills in exists from the start (None: left out of a reply): a
    # DescribeTrainingJob reads the job's fields while the training thread sets them, and a field
    # added then failed it with "dictionary changed size during iteration"
    job.training_time_in_seconds = job.billable_time_in_seconds = job.failure_reason = None
    job.final_metric_data_list = []
    job.secondary_status_transitions = [
        {"Status": "Starting", "StartTime": now, "StatusMessage": "Preparing the instances for training"}]
    job.algorithm_specification["MetricDefinitions"] = METRIC_DEFINITIONS


_installed = False


def _hold_new_jobs_in_progress() -> None:
    """Once per process: every job moto creates starts InProgress (never moto's Completed), and a
    name already used in the account and region is refused as AWS refuses it."""
    global _installed
    if _installed:
        return
    create = SageMakerModelBackend.create_training_job

    def create_training_job(self, training_job_name, *args, **kwargs):
        if training_job_name in self.training_jobs:
            raise ResourceInUseException(
                "Training job names must be unique within an AWS account and region, and a training job "
                f"with this name already exists ({self.training_jobs[training_job_name].arn})")
        job = create(self, training_job_name, *args, **kwargs)
        _not_started(job)
        return job

    SageMakerModelBackend.create_training_job = create_training_job
    _installed = True


class TrainingService:
    """Runs training jobs off the request threads, so the emulator keeps answering. An account has
    at most MAX_ACTIVE_JOBS queued or running (AWS's instance quotas are as small), so one run's
    jobs cannot hold the workers other runs share; its jobs end when its account is removed."""

    def __init__(self, workers: int = 2):
        _hold_new_jobs_in_progress()
        self._pool = ThreadPoolExecutor(workers, thread_name_prefix="training")
        self._stopping = threading.Event()
        self._ended: set[str] = set()

    @staticmethod
    def has_room(account_id: str) -> bool:
        """Whether the account may start another job: fewer than MAX_ACTIVE_JOBS are InProgress."""
        active = sum(job.training_job_status == "InProgress"
                     for backend in sagemaker_backends[account_id].values()
                     for job in list(backend.training_jobs.values()))
        return active < MAX_ACTIVE_JOBS

    def start(self, account, region: str, job_name: str) -> None:
        job = sagemaker_backends[account.account_id][region].training_jobs[job_name]
        try:
            self._pool.submit(self._run, account, region, job)
        except RuntimeError:   # the emulator is shutting down
            _finish(job, "Failed", "InternalServerError: the emulator shut down before the job started", [])

    def end_account(self, account_id: str) -> None:
        """The account is being removed: its running jobs end at their next mini-batch."""
        self._ended.add(account_id)

    def shutdown(self) -> None:
        """Queued jobs never start; running ones end at their next mini-batch."""
        self._stopping.set()
        self._pool.shutdown(wait=True, cancel_futures=True)

    def _interruption(self, account_id: str) -> str | None:
        if self._stopping.is_set():
            return "the emulator shut down before the job finished"
        if account_id in self._ended:
            return "the account was closed before the job finished"
        return None

    def _run(self, account, region: str, job) -> None:
        log_lines: list[str] = []
        account_id = account.account_id
        with serving_account(account_id):
            try:
                _Job(account, region, job, log_lines, lambda: self._interruption(account_id)).run()
            except JobFailure as failure:
                _finish(job, "Failed", str(failure), log_lines)
            except MaxRuntimeExceeded as stopped:
                _finish(job, "Stopped", None, log_lines, stopped=str(stopped))
            except Exception as error:  # an emulator bug must still end the job, visibly
                log_lines.append(traceback.format_exc())
                _finish(job, "Failed", f"InternalServerError: the emulator failed while training: {error!r}",
                        log_lines)
            finally:
                if account_id not in self._ended:   # a removed account's logs would recreate its state
                    _write_logs(account_id, region, job.training_job_name, log_lines)


def _end_last_transition(job, now) -> None:
    """A new entry replaces the last one, never a key added to it while a reply may be reading it."""
    job.secondary_status_transitions[-1] = {**job.secondary_status_transitions[-1], "EndTime": now}


def _transition(job, status: str, message: str) -> None:
    now = _now()
    if job.secondary_status_transitions:
        _end_last_transition(job, now)
    job.secondary_status_transitions.append({"Status": status, "StartTime": now, "StatusMessage": message})
    job.secondary_status = status
    job.last_modified_time = now


def _finish(job, status: str, failure_reason: str | None, log_lines: list[str],
            stopped: str | None = None) -> None:
    now = _now()
    if job.training_start_time is None:
        job.training_start_time = now
    job.training_end_time = now
    seconds = max(1, int(round((now - job.training_start_time).total_seconds())))
    job.training_time_in_seconds = job.billable_time_in_seconds = seconds
    if status != "Completed":
        job.model_artifacts = None
    if failure_reason:
        job.failure_reason = failure_reason
        log_lines.append(failure_reason)
        _transition(job, "Failed", "Training job failed")
    elif stopped:
        log_lines.append(stopped)
        _transition(job, "MaxRuntimeExceeded", stopped)
    else:
        _transition(job, "Completed", "Training job completed")
    _end_last_transition(job, now)
    job.training_job_status = status  # last: pollers see a finished job only once it is complete


class _Job:
    def __init__(self, account, region, job, log_lines, interruption: Callable[[], str | None]):
        self.account, self.account_id = account, account.account_id
        self.region, self.job, self.lines, self.interruption = region, job, log_lines, interruption
        asked = int((job.stopping_condition or {}).get("MaxRuntimeInSeconds") or AWS_DEFAULT_MAX_RUNTIME)
        self.max_runtime = asked
        self.deadline = time.monotonic() + min(asked, MAX_TRAINING_SECONDS)

    def tick(self) -> None:
        """Between steps of the work: end the job when the emulator stops, its account is removed,
        or its time is up."""
        interrupted = self.interruption()
        if interrupted:
            raise JobFailure(f"InternalServerError: {interrupted}")
        if time.monotonic() > self.deadline:
            if self.max_runtime <= MAX_TRAINING_SECONDS:
                raise MaxRuntimeExceeded(f"Training job stopped: it ran longer than its MaxRuntimeInSeconds "
                                         f"({self.max_runtime} s)")
            raise JobFailure(f"ClientError: the job trained for longer than the emulator allows one job "
                             f"({MAX_TRAINING_SECONDS} s); the lesson's jobs train in about a second: check "
                             "epochs and mini_batch_size")

    def log(self, line: str) -> None:
        stamp = datetime.now().strftime("%m/%d/%Y %H:%M:%S")
        self.lines.append(f"[{stamp} INFO 140000000000000] {line}")

    def run(self) -> None:
        self.tick()
        job = self.job
        image = (job.algorithm_specification.get("TrainingImage")
                 or job.algorithm_specification.get("AlgorithmName", ""))
        if image_repository(image) not in SUPPORTED_ALGORITHMS:
            raise JobFailure(
                "ClientError: The emulator runs only SageMaker's built-in algorithms "
                f"{', '.join(SUPPORTED_ALGORITHMS)}; training image '{image}' is not one of them. Use "
                "sagemaker.image_uris.retrieve('linear-learner', region) (or "
                "get_image_uri(region, 'linear-learner')).")
        try:
            hp = hyperparameters.parse(job.hyper_parameters or {})
        except hyperparameters.HyperparameterError as error:
            raise JobFailure(str(error)) from None
        self.log(f"Final configuration: {hp}")
        _transition(job, "Downloading", "Downloading input data")
        channels = self.read_channels()
        self.check_shapes(hp, channels)
        self.check_budget(hp, channels["train"])
        self.tick()
        _transition(job, "Training", "Training image download completed. Training in progress.")
        job.training_start_time = _now()
        self.log(f"Training {hp['num_models'] if hp['num_models'] != 'auto' else 32} models on "
                 f"{channels['train'].size} records with {channels['train'].features.shape[1]} features")
        outcome = train(hp, channels["train"], channels.get("validation"), log=self.log, tick=self.tick)
        metrics = [("train", "objective_loss", evaluate(outcome.model, hp, channels["train"].features,
                                                         channels["train"].labels)["objective_loss"])]
        for channel in ("validation", "test"):
            if channel in channels:
                scores = evaluate(outcome.model, hp, channels[channel].features,
                                  channels[channel].labels).items()
                metrics += [(channel, name, value) for name, value in scores]
                for name, value in scores:   # the real log: the scores, then the same as quality metrics
                    self.log(f"#{channel}_score (algo-1) : ('{log_name(name, hp)}', {value})")
                for name, value in scores:
                    kind = "loss" if name in ("objective_loss", "mse", "rmse", "absolute_loss") else "score"
                    self.log(f"#quality_metric: host=algo-1, {channel} {log_name(name, hp)} <{kind}>={value}")
        self.tick()
        _transition(job, "Uploading", "Uploading generated training model")
        self.upload(outcome.model.to_artifact())
        now = _now()
        job.final_metric_data_list = [{"MetricName": f"{channel}:{name}", "Value": float(value),
                                       "Timestamp": now}
                                      for channel, name, value in metrics if value == value]
        _finish(job, "Completed", None, self.lines)

    def check_budget(self, hp, data: Dataset) -> None:
        work = hp["epochs"] * data.size
        if work > WORK_BUDGET:
            raise JobFailure(f"ClientError: epochs ({hp['epochs']}) x training records ({data.size}) = "
                             f"{work:,} record passes, more than the emulator trains in one job "
                             f"({WORK_BUDGET:,}); the lesson trains 10 to 15 epochs")

    def read_channels(self) -> dict[str, Dataset]:
        configs = {c.get("ChannelName"): c for c in self.job.input_data_config or []}
        unknown = sorted(set(configs) - set(CHANNELS))
        if unknown:
            raise JobFailure("ClientError: Unable to initialize the algorithm: channel(s) "
                             f"{', '.join(unknown)} are not supported; linear-learner "
                             f"reads {', '.join(CHANNELS)}.")
        if "train" not in configs:
            raise JobFailure("ClientError: Unable to initialize the algorithm: the 'train' channel is "
                             "required. Pass it as estimator.fit({'train': s3_train_data}).")
        return {name: self.read_channel(name, config) for name, config in configs.items()}

    def read_channel(self, name: str, config: dict) -> Dataset:
        source = config.get("DataSource", {}).get("S3DataSource", {})
        url, kind = source.get("S3Uri", ""), source.get("S3DataType", "S3Prefix")
        try:
            if kind == "ManifestFile":
                objects = s3_access.manifest_objects(self.account_id, url, MAX_INPUT_BYTES)
            elif kind == "S3Prefix":
                bucket, prefix = s3_access.split_url(url)
                # a job reads only buckets in its own region (AWS fails it as below)
                in_region = s3_access.bucket_region(self.account_id, bucket) == self.region
                objects = [(key, body) for key, body, _ in
                           s3_access.list_objects(self.account_id, bucket, prefix, MAX_INPUT_BYTES)
                           if in_region]
            else:
                raise JobFailure(f"ClientError: S3DataType '{kind}' of channel '{name}' is not supported by "
                                 "linear-learner in the emulator; use S3Prefix or ManifestFile.")
        except KeyError:  # no such bucket or manifest: reported below like an empty prefix
            objects = []
        except ValueError as error:
            raise JobFailure(f"ClientError: Channel '{name}': {error}") from None
        if not objects:
            raise JobFailure(
                f'ClientError: No S3 objects found under S3 URL "{url}" given in input data source. '
                f"Please ensure that the bucket exists in the selected region ({self.region}), that objects "
                f"exist under that S3 prefix, and that the role \"{self.job.role_arn}\" has "
                "\"s3:ListBucket\" permissions on the bucket.")
        try:
            return read_channel(name, objects, config.get("ContentType"))
        except DataError as error:
            raise JobFailure(str(error)) from None

    def check_shapes(self, hp, channels: dict[str, Dataset]) -> None:
        width = channels["train"].features.shape[1]
        if hp["feature_dim"] != "auto" and hp["feature_dim"] != width:
            raise JobFailure(
                f"ClientError: The value of hyperparameter feature_dim ({hp['feature_dim']}) does not match "
                f"the number of features in the 'train' channel ({width}). Set feature_dim={width} (the "
                "number of columns of X).")
        for name, data in channels.items():
            if data.features.shape[1] != width:
                raise JobFailure(f"ClientError: Channel '{name}' has {data.features.shape[1]} features but "
                                 f"'train' has {width}; all channels must have the same features.")
            labels = data.labels
            if hp["predictor_type"] == "binary_classifier" and not set(labels.tolist()) <= {0.0, 1.0}:
                raise JobFailure(f"ClientError: Channel '{name}' has labels other than 0 and 1, which a "
                                 "binary_classifier needs. Encode the target as 0/1.")
            if hp["predictor_type"] == "multiclass_classifier" and (
                    (labels != labels.round()).any() or labels.min() < 0
                    or labels.max() >= hp["num_classes"]):
                raise JobFailure(f"ClientError: Channel '{name}' has labels outside 0..num_classes-1 "
                                 f"({hp['num_classes']} classes).")

    def upload(self, artifact: bytes) -> None:
        """Write the model and record it (server-side) as this trainer's: the grader scores and
        serves only artifacts found in `trained_models`."""
        output = (self.job.output_data_config or {}).get("S3OutputPath", "").rstrip("/")
        url = f"{output}/{self.job.training_job_name}/output/model.tar.gz"
        try:
            etag = s3_access.put_object(self.account_id, url, artifact)
        except (KeyError, ValueError):
            raise JobFailure(f"ClientError: Unable to upload the model to '{url}': the output bucket does "
                             "not exist or the path is not an s3:// URL. Check output_path.") from None
        self.account.trained_models.append({
            "job": self.job.training_job_name, "region": self.region, "url": url, "etag": etag,
            "sha256": hashlib.sha256(artifact).hexdigest(),
            "written_at": _now().isoformat(timespec="seconds")})
        self.job.model_artifacts = {"S3ModelArtifacts": url}


def _write_logs(account_id: str, region: str, job_name: str, lines: list[str]) -> None:
    """The algorithm's log in CloudWatch Logs, where the SDK streams it into the notebook."""
    backend = logs_backends[account_id][region]
    if LOG_GROUP not in backend.groups:
        backend.create_log_group(LOG_GROUP, {})
    stream = f"{job_name}/algo-1-{int(time.time())}"
    backend.ensure_log_stream(LOG_GROUP, stream)
    start = int(time.time() * 1000)
    events = [{"timestamp": start + i, "message": line} for i, line in enumerate(lines or ["(no output)"])]
    backend.put_log_events(LOG_GROUP, stream, events)
