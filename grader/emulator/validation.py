"""Request validation against botocore's own service models, so a request gets the error AWS
would give instead of reaching (and crashing, or being stored by) moto.

botocore's ParamValidator checks types, required members and minimum lengths; AWS also enforces
each string's maximum length and regular expression (names of training jobs, endpoints, models,
notebook instances, IAM users, groups, roles and policies...), which moto does not. The patterns
are AWS's published ones, from the same models (Java regexes, matched whole, ASCII classes).
"""

from __future__ import annotations

import functools
import re
import warnings

import botocore.session
from botocore.model import OperationNotFoundError
from botocore.validate import ParamValidator

_MODELS = {"sagemaker": "sagemaker", "logs": "logs", "iam": "iam", "sts": "sts"}
_SHOWN_CHARS = 100


@functools.cache
def _service_model(service: str):
    return botocore.session.get_session().get_service_model(service)


@functools.cache
def _pattern(source: str) -> re.Pattern | None:
    """AWS's pattern as a Python regex, or None for the few written in Java-only syntax."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        try:
            return re.compile(source, re.ASCII)
        except re.error:
            return None


def refusal(call) -> tuple[int, str, str] | None:
    """(status, code, message) AWS would answer a JSON or query request with, or None when valid:
    an operation the service does not have, or parameters that break its model."""
    service = _MODELS.get(call.service)
    if service is None:
        return None
    model = _service_model(service)
    json_protocol = call.protocol == "json"
    try:
        operation = model.operation_model(call.operation)
    except OperationNotFoundError:
        return (400, "UnknownOperationException" if json_protocol else "InvalidAction",
                f"{call.operation[:100]} is not an operation of {model.service_name}.")
    if operation.input_shape is None:
        return None
    if json_protocol:
        report = ParamValidator().validate(call.fields, operation.input_shape)
        if report.has_errors():
            return 400, "ValidationException", report.generate_report()
        problems = _constraint_problems(operation.input_shape, call.fields, "")
    else:   # query: the top-level members are flat parameters of the same names
        members = operation.input_shape.members
        problems = [problem for name, value in call.fields.items() if name in members
                    for problem in _constraint_problems(members[name], value, _member_path("", name))]
    if not problems:
        return None
    return (400, "ValidationException" if json_protocol else "ValidationError",
            f"{len(problems)} validation error{'s' if len(problems) > 1 else ''} detected: "
            f"{'; '.join(problems[:5])}")


def _member_path(parent: str, name: str) -> str:
    member = name[:1].lower() + name[1:]
    return f"{parent}.{member}" if parent else member


def _constraint_problems(shape, value, path: str) -> list[str]:
    if shape.type_name == "string" and isinstance(value, str):
        return _string_problems(shape.metadata, value, path)
    problems = []
    if shape.type_name == "structure" and isinstance(value, dict):
        for name, member in shape.members.items():
            if name in value:
                problems += _constraint_problems(member, value[name], _member_path(path, name))
    elif shape.type_name == "list" and isinstance(value, list):
        for index, item in enumerate(value, 1):
            problems += _constraint_problems(shape.member, item, f"{path}.{index}.member")
    elif shape.type_name == "map" and isinstance(value, dict):
        for key, item in value.items():
            problems += _constraint_problems(shape.key, key, f"{path}.key")
            problems += _constraint_problems(shape.value, item, f"{path}.value")
    return problems


def _string_problems(metadata: dict, value: str, path: str) -> list[str]:
    shown = value[:_SHOWN_CHARS].encode("unicode_escape").decode("ascii")
    problems = []
    if "max" in metadata and len(value) > metadata["max"]:
        problems.append(f"Value '{shown}' at '{path}' failed to satisfy constraint: Member must have length "
                        f"less than or equal to {metadata['max']}")
    pattern = _pattern(metadata["pattern"]) if "pattern" in metadata else None
    if pattern is not None and not pattern.fullmatch(value):
        problems.append(f"Value '{shown}' at '{path}' failed to satisfy constraint: Member must satisfy "
                        f"regular expression pattern: {metadata['pattern']}")
    return problems
