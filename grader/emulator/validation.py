"""Request validation against botocore's own service models, so a malformed JSON request gets
the ValidationException AWS would give instead of reaching (and crashing) moto."""

from __future__ import annotations

import functools

import botocore.session
from botocore.exceptions import UnknownServiceError
from botocore.model import OperationNotFoundError
from botocore.validate import ParamValidator

_JSON_SERVICES = {"sagemaker": "sagemaker", "logs": "logs"}


@functools.lru_cache(maxsize=None)
def _service_model(service: str):
    return botocore.session.get_session().get_service_model(service)


def validation_problem(call) -> str | None:
    """AWS-style description of what is wrong with a JSON request, or None."""
    service = _JSON_SERVICES.get(call.service)
    if call.protocol != "json" or service is None:
        return None
    try:
        operation = _service_model(service).operation_model(call.operation)
    except (OperationNotFoundError, UnknownServiceError):
        return None
    if operation.input_shape is None:
        return None
    report = ParamValidator().validate(call.json(), operation.input_shape)
    return report.generate_report() if report.has_errors() else None
