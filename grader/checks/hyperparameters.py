"""Hyperparameter checks on the graded training job, compared after normalising ("10" == "10.0")."""

from __future__ import annotations

from ..linear_learner.hyperparameters import normalise
from .evidence import Evidence
from .outcome import Outcome, failed, passed
from .training_data import decode_channel

OWN_CHECKS = ("feature_dim", "predictor_type")


def _job_hyperparameters(ev: Evidence):
    job = ev.graded_job()
    if job is None:
        return None, None, failed("no linear-learner training job found; create one with "
                                  "sagemaker.estimator.Estimator(...).fit()")
    return job, normalise(job.get("HyperParameters") or {}), None


def feature_dim(ev: Evidence) -> Outcome:
    job, hp, outcome = _job_hyperparameters(ev)
    if outcome:
        return outcome
    value = hp.get("feature_dim")
    records, _ = decode_channel(ev, "train")
    data_width = records.feature_dim if records is not None else int(ev.expected["feature_dim"])
    if value is None:
        return failed(f"feature_dim is not set; set_hyperparameters(feature_dim={data_width}, ...)")
    if value != str(data_width):
        return failed(f"feature_dim is {value} but each training record has {data_width} feature(s); set "
                      f"feature_dim={data_width}", feature_dim=value, data=data_width)
    return passed(f"feature_dim {value} matches the data", feature_dim=value)


def predictor_type(ev: Evidence) -> Outcome:
    job, hp, outcome = _job_hyperparameters(ev)
    if outcome:
        return outcome
    wanted, value = ev.expected["predictor_type"], hp.get("predictor_type")
    if value != wanted:
        return failed(f"predictor_type is {value!r}; this activity is a {wanted} (set predictor_type='{wanted}')",
                      predictor_type=value)
    return passed(f"predictor_type is {value}", predictor_type=value)


def other_hyperparameters(ev: Evidence) -> Outcome:
    job, hp, outcome = _job_hyperparameters(ev)
    if outcome:
        return outcome
    wanted = normalise({name: str(value) for name, value in ev.expected.get("hyperparameters", {}).items()
                        if name not in OWN_CHECKS})
    wrong = {name: hp.get(name) for name, value in wanted.items() if hp.get(name) != value}
    if wrong:
        listing = ", ".join(f"{name}={hp.get(name)!r} (expected {wanted[name]})" for name in wrong)
        return failed(f"hyperparameters differ from the lesson's: {listing}", differ=wrong, expected=wanted)
    return passed(f"hyperparameters as the lesson sets them: {', '.join(f'{k}={v}' for k, v in wanted.items())}",
                  hyperparameters=wanted)
