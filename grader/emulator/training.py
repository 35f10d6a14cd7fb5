"""Training jobs that really train: moto records the job, this module runs linear-learner on the
channels' S3 data in a background thread and writes status, metrics, logs and the model back.

A failed job looks failed everywhere (Describe, List, Search), because the fields are written on
moto's own job record.
"""

from __future__ import annotations

import re
import time
import traceback
from concurrent.futures import ThreadPoolExecutor
from datetime import datetime, timezone

from moto.logs.models import logs_backends
from moto.sagemaker.models import sagemaker_backends

from ..linear_learner import hyperparameters
from ..linear_learner.algorithm import Dataset, log_name, train
from ..linear_learner.data import DataError, read_channel
from ..linear_learner.metrics import evaluate
from . import s3_access
from .accounts import serving_account

LOG_GROUP = "/aws/sagemaker/TrainingJobs"
SUPPORTED_ALGORITHMS = ("linear-learner",)
CHANNELS = ("train", "validation", "test")
_IMAGE_REPOSITORY = re.compile(r"^(?:[^/]+/)*([^/:@]+)(?:[:@].*)?$")
# As the real algorithm's log names them (see log_name): "test absolute_loss_objective <loss>=...",
# "test binary_f_1.000 <score>=...".
_LOG_PATTERNS = {"objective_loss": "\\S+_objective", "binary_f_beta": "binary_f_\\S+"}
METRIC_DEFINITIONS = [
    {"Name": f"{channel}:{metric}",
     "Regex": f"#quality_metric: host=\\S+, (?:epoch=\\S+, )?{channel} {_LOG_PATTERNS.get(metric, metric)} <\\S+>=(\\S+)"}
    for channel in ("train", "validation", "test")
    for metric in ("objective_loss", "mse", "rmse", "absolute_loss", "binary_classification_accuracy",
                   "precision", "recall", "binary_f_beta", "roc_auc_score", "multiclass_accuracy",
                   "multiclass_top_k_accuracy", "macro_precision", "macro_recall", "macro_f_beta")
]


class JobFailure(Exception):
    """Ends a job as Failed; str() is its FailureReason."""


def image_repository(image: str) -> str:
    match = _IMAGE_REPOSITORY.match(image or "")
    return match.group(1) if match else ""


def _now():
    return datetime.now(timezone.utc)


class TrainingService:
    """Runs training jobs off the request threads, so the emulator keeps answering."""

    def __init__(self, workers: int = 2):
        self._pool = ThreadPoolExecutor(workers, thread_name_prefix="training")

    def start(self, account_id: str, region: str, job_name: str) -> None:
        job = sagemaker_backends[account_id][region].training_jobs[job_name]
        now = _now()
        job.training_job_status, job.secondary_status = "InProgress", "Starting"
        job.training_start_time = job.training_end_time = job.model_artifacts = None
        job.final_metric_data_list = []
        job.secondary_status_transitions = [
            {"Status": "Starting", "StartTime": now, "StatusMessage": "Preparing the instances for training"}]
        job.algorithm_specification["MetricDefinitions"] = METRIC_DEFINITIONS
        self._pool.submit(self._run, account_id, region, job)

    def shutdown(self) -> None:
        self._pool.shutdown(wait=True, cancel_futures=True)

    def _run(self, account_id: str, region: str, job) -> None:
        log_lines: list[str] = []
        with serving_account(account_id):
            try:
                _Job(account_id, region, job, log_lines).run()
            except JobFailure as failure:
                _finish(job, "Failed", str(failure), log_lines)
            except Exception as error:  # an emulator bug must still end the job, visibly
                log_lines.append(traceback.format_exc())
                _finish(job, "Failed", f"InternalServerError: the emulator failed while training: {error!r}",
                        log_lines)
            finally:
                _write_logs(account_id, region, job.training_job_name, log_lines)


def _transition(job, status: str, message: str) -> None:
    now = _now()
    if job.secondary_status_transitions:
        job.secondary_status_transitions[-1]["EndTime"] = now
    job.secondary_status_transitions.append({"Status": status, "StartTime": now, "StatusMessage": message})
    job.secondary_status = status
    job.last_modified_time = now


def _finish(job, status: str, failure_reason: str | None, log_lines: list[str]) -> None:
    now = _now()
    if job.training_start_time is None:
        job.training_start_time = now
    job.training_end_time = now
    seconds = max(1, int(round((now - job.training_start_time).total_seconds())))
    job.training_time_in_seconds = job.billable_time_in_seconds = seconds
    if failure_reason:
        job.failure_reason = failure_reason
        job.model_artifacts = None
        log_lines.append(failure_reason)
        _transition(job, "Failed", "Training job failed")
    else:
        _transition(job, "Completed", "Training job completed")
    job.secondary_status_transitions[-1]["EndTime"] = now
    job.training_job_status = status  # last: pollers see a finished job only once it is complete


class _Job:
    def __init__(self, account_id, region, job, log_lines):
        self.account_id, self.region, self.job, self.lines = account_id, region, job, log_lines

    def log(self, line: str) -> None:
        stamp = datetime.now().strftime("%m/%d/%Y %H:%M:%S")
        self.lines.append(f"[{stamp} INFO 140000000000000] {line}")

    def run(self) -> None:
        job = self.job
        image = job.algorithm_specification.get("TrainingImage") or job.algorithm_specification.get("AlgorithmName", "")
        if image_repository(image) not in SUPPORTED_ALGORITHMS:
            raise JobFailure(
                f"ClientError: The emulator runs only SageMaker's built-in algorithms {', '.join(SUPPORTED_ALGORITHMS)}; "
                f"training image '{image}' is not one of them. Use "
                "sagemaker.image_uris.retrieve('linear-learner', region) (or get_image_uri(region, 'linear-learner')).")
        try:
            hp = hyperparameters.parse(job.hyper_parameters or {})
        except hyperparameters.HyperparameterError as error:
            raise JobFailure(str(error)) from None
        self.log(f"Final configuration: { {k: v for k, v in hp.items()} }")
        _transition(job, "Downloading", "Downloading input data")
        channels = self.read_channels()
        self.check_shapes(hp, channels)
        _transition(job, "Training", "Training image download completed. Training in progress.")
        job.training_start_time = _now()
        self.log(f"Training {hp['num_models'] if hp['num_models'] != 'auto' else 32} models on "
                 f"{channels['train'].size} records with {channels['train'].features.shape[1]} features")
        outcome = train(hp, channels["train"], channels.get("validation"), log=self.log)
        metrics = [("train", "objective_loss", evaluate(outcome.model, hp, channels["train"].features,
                                                         channels["train"].labels)["objective_loss"])]
        for channel in ("validation", "test"):
            if channel in channels:
                scores = evaluate(outcome.model, hp, channels[channel].features, channels[channel].labels).items()
                metrics += [(channel, name, value) for name, value in scores]
                for name, value in scores:   # the real log: the scores, then the same as quality metrics
                    self.log(f"#{channel}_score (algo-1) : ('{log_name(name, hp)}', {value})")
                for name, value in scores:
                    kind = "loss" if name in ("objective_loss", "mse", "rmse", "absolute_loss") else "score"
                    self.log(f"#quality_metric: host=algo-1, {channel} {log_name(name, hp)} <{kind}>={value}")
        _transition(job, "Uploading", "Uploading generated training model")
        self.upload(outcome.model.to_artifact())
        now = _now()
        job.final_metric_data_list = [{"MetricName": f"{channel}:{name}", "Value": float(value), "Timestamp": now}
                                      for channel, name, value in metrics if value == value]
        _finish(job, "Completed", None, self.lines)

    def read_channels(self) -> dict[str, Dataset]:
        configs = {c.get("ChannelName"): c for c in self.job.input_data_config or []}
        unknown = sorted(set(configs) - set(CHANNELS))
        if unknown:
            raise JobFailure(f"ClientError: Unable to initialize the algorithm: channel(s) {', '.join(unknown)} are not "
                             f"supported; linear-learner reads {', '.join(CHANNELS)}.")
        if "train" not in configs:
            raise JobFailure("ClientError: Unable to initialize the algorithm: the 'train' channel is required. "
                             "Pass it as estimator.fit({'train': s3_train_data}).")
        return {name: self.read_channel(name, config) for name, config in configs.items()}

    def read_channel(self, name: str, config: dict) -> Dataset:
        source = config.get("DataSource", {}).get("S3DataSource", {})
        url, kind = source.get("S3Uri", ""), source.get("S3DataType", "S3Prefix")
        try:
            if kind == "ManifestFile":
                objects = s3_access.manifest_objects(self.account_id, url)
            elif kind == "S3Prefix":
                bucket, prefix = s3_access.split_url(url)
                # a job reads only buckets in its own region (AWS fails it as below)
                in_region = s3_access.bucket_region(self.account_id, bucket) == self.region
                objects = [(key, body) for key, body, _ in s3_access.list_objects(self.account_id, bucket, prefix)
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
                f'ClientError: No S3 objects found under S3 URL "{url}" given in input data source. Please ensure that '
                f"the bucket exists in the selected region ({self.region}), that objects exist under that S3 prefix, "
                f"and that the role \"{self.job.role_arn}\" has \"s3:ListBucket\" permissions on the bucket.")
        try:
            return read_channel(name, objects, config.get("ContentType"))
        except DataError as error:
            raise JobFailure(str(error)) from None

    def check_shapes(self, hp, channels: dict[str, Dataset]) -> None:
        width = channels["train"].features.shape[1]
        if hp["feature_dim"] != "auto" and hp["feature_dim"] != width:
            raise JobFailure(
                f"ClientError: The value of hyperparameter feature_dim ({hp['feature_dim']}) does not match the number "
                f"of features in the 'train' channel ({width}). Set feature_dim={width} (the number of columns of X).")
        for name, data in channels.items():
            if data.features.shape[1] != width:
                raise JobFailure(f"ClientError: Channel '{name}' has {data.features.shape[1]} features but 'train' "
                                 f"has {width}; all channels must have the same features.")
            labels = data.labels
            if hp["predictor_type"] == "binary_classifier" and not set(labels.tolist()) <= {0.0, 1.0}:
                raise JobFailure(f"ClientError: Channel '{name}' has labels other than 0 and 1, which a "
                                 "binary_classifier needs. Encode the target as 0/1.")
            if hp["predictor_type"] == "multiclass_classifier" and (
                    (labels != labels.round()).any() or labels.min() < 0 or labels.max() >= hp["num_classes"]):
                raise JobFailure(f"ClientError: Channel '{name}' has labels outside 0..num_classes-1 "
                                 f"({hp['num_classes']} classes).")

    def upload(self, artifact: bytes) -> None:
        output = (self.job.output_data_config or {}).get("S3OutputPath", "").rstrip("/")
        url = f"{output}/{self.job.training_job_name}/output/model.tar.gz"
        try:
            s3_access.put_object(self.account_id, url, artifact)
        except (KeyError, ValueError):
            raise JobFailure(f"ClientError: Unable to upload the model to '{url}': the output bucket does not exist "
                             "or the path is not an s3:// URL. Check output_path.") from None
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
