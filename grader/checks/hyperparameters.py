"""Hyperparameter checks on the graded training job, compared after normalising ("10" == "10.0")."""

from __future__ import annotations

from ..linear_learner.hyperparameters import normalise
from .evidence import NO_JOB, Evidence
from .outcome import Outcome, failed, passed
from .training_data import decode_channel

OWN_CHECKS = ("feature_dim", "predictor_type")
DEFAULT = "default"   # in `hyperparameters_not_asked`: the course's notebook leaves it unset


def _job_hyperparameters(ev: Evidence):
    job = ev.graded_job()
    if job is None:
        return None, None, failed(NO_JOB)
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
        return failed(f"predictor_type is {value!r}; this activity is a {wanted} "
                      f"(set predictor_type='{wanted}')",
                      predictor_type=value)
    return passed(f"predictor_type is {value}", predictor_type=value)


def other_hyperparameters(ev: Evidence) -> Outcome:
    """The hyperparameters the lesson asks for (beyond feature_dim and predictor_type, checked on their
    own) have its values. Values the lesson does not ask for (`hyperparameters_not_asked`: what the
    course's own notebooks used) cost nothing: differences are shown as information."""
    job, hp, outcome = _job_hyperparameters(ev)
    if outcome:
        return outcome
    asked = _wanted(ev, "hyperparameters", leave_out=OWN_CHECKS)
    wrong = {name: hp.get(name) for name, value in asked.items() if hp.get(name) != value}
    if wrong:
        listing = ", ".join(f"{name}={hp.get(name)!r} (expected {asked[name]})" for name in wrong)
        return failed(f"hyperparameters differ from the lesson's: {listing}", differ=wrong, expected=asked)
    checked = (f"as the lesson sets them: {', '.join(f'{k}={v}' for k, v in asked.items())}" if asked
               else "the lesson asks for no other values")
    course = _wanted(ev, "hyperparameters_not_asked")
    different = {name: hp.get(name, DEFAULT) for name, value in course.items()
                 if hp.get(name, DEFAULT) != value}
    info = ("; for information (not graded), the course's notebook uses "
            + ", ".join(f"{name}={course[name]} (yours: {value})" for name, value in different.items())
            if different else "")
    return passed(f"hyperparameters {checked}{info}", hyperparameters=asked, not_asked=different)


def _wanted(ev: Evidence, table: str, leave_out: tuple[str, ...] = ()) -> dict[str, str]:
    return normalise({name: str(value) for name, value in ev.expected.get(table, {}).items()
                      if name not in leave_out})
