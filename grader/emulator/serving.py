"""Endpoints: InvokeEndpoint predicts from the endpoint's own model artifact
(endpoint -> endpoint config -> model -> ModelDataUrl), in linear-learner's formats.

The API log gets what the server did, never what the client claimed: how many records the model
scored, which artifact it was (URL and SHA-256), and which training job wrote it (None when the
emulator's trainer did not: an artifact uploaded by the notebook still predicts, but it earns
nothing).
"""

from __future__ import annotations

import hashlib
import threading

from moto.sagemaker.models import sagemaker_backends

from ..linear_learner.inference import PayloadError, check_shape, format_predictions, parse_payload
from ..linear_learner.model import MAX_ARTIFACT_BYTES, LinearModel
from . import s3_access
from .protocol import Response, error

MAX_PAYLOAD_BYTES = 6 * 2**20   # AWS's limit for one InvokeEndpoint request


class ModelCache:
    """Loaded models (and their artifact's SHA-256) by artifact URL and ETag, so repeated
    invocations skip parsing the artifact; only the most recently used are kept (one emulator serves
    every submission of a batch worker)."""

    KEPT = 8

    def __init__(self):
        self._models: dict[tuple[str, str, str], tuple[LinearModel, str]] = {}
        self._lock = threading.Lock()

    def load(self, account_id: str, url: str) -> tuple[LinearModel, str]:
        """(model, sha256); KeyError when the object is missing, ValueError when it is not a model."""
        body, etag = s3_access.get_object(account_id, url, MAX_ARTIFACT_BYTES)
        key = (account_id, url, etag)
        with self._lock:
            loaded = self._models.pop(key, None) or (LinearModel.from_artifact(body),
                                                     hashlib.sha256(body).hexdigest())
            self._models[key] = loaded   # last in the order: the most recently used
            while len(self._models) > self.KEPT:
                self._models.pop(next(iter(self._models)))
            return loaded


def _model_error(exchange, message: str) -> Response:
    account = exchange.account.account_id
    name = exchange.call.fields["EndpointName"]
    return error(exchange.call, 424, "ModelError",
                 f'Received client error (400) from primary with message "{message}". See '
                 f"/aws/sagemaker/Endpoints/{name} in account {account} for more information.",
                 OriginalStatusCode="400")


def _model_url(backend, endpoint) -> str | None:
    config = backend.endpoint_configs.get(endpoint.endpoint_config_name)
    if config is None or not config.production_variants:
        return None
    model = backend._models.get(config.production_variants[0].get("ModelName"))
    if model is None:
        return None
    container = model.primary_container or (model.containers[0] if model.containers else {})
    return (container or {}).get("ModelDataUrl")


def _provenance(exchange, cache: ModelCache, url: str | None):
    """(model or None, facts about the artifact): its URL, hash and the training job that wrote it."""
    account = exchange.account
    try:
        model, sha256 = cache.load(account.account_id, url) if url else (None, None)
    except (KeyError, ValueError):
        return None, {"ModelDataUrl": url}
    trained = account.trained_model(sha256)
    return model, {"ModelDataUrl": url, "ModelSha256": sha256,
                   "TrainingJob": trained["job"] if trained else None}


def create_endpoint(exchange, cache: ModelCache) -> Response:
    """Forward to moto; note the endpoint it created and the model behind it."""
    response = exchange.forward()
    if response.ok:
        call = exchange.call
        backend = sagemaker_backends[exchange.account.account_id][call.region]
        endpoint = backend.endpoints.get(call.fields["EndpointName"])
        if endpoint is not None:
            _, facts = _provenance(exchange, cache, _model_url(backend, endpoint))
            exchange.note(EndpointName=endpoint.endpoint_name,
                          EndpointConfigName=endpoint.endpoint_config_name, **facts)
    return response


def invoke_endpoint(exchange, cache: ModelCache) -> Response:
    call, account = exchange.call, exchange.account
    name = call.fields["EndpointName"]
    backend = sagemaker_backends[account.account_id][call.region]
    endpoint = backend.endpoints.get(name)
    if endpoint is None:
        return error(call, 400, "ValidationError",
                     f"Endpoint {name} of account {account.account_id} not found.")
    if endpoint.endpoint_status != "InService":
        return error(call, 400, "ValidationError",
                     f"Endpoint {name} of account {account.account_id} is not in service (status "
                     f"{endpoint.endpoint_status}).")
    if len(call.body) > MAX_PAYLOAD_BYTES:
        return error(call, 413, "ValidationError", f"Request payload is {len(call.body):,} bytes; "
                                                   f"InvokeEndpoint accepts at most {MAX_PAYLOAD_BYTES:,} "
                                                   "(6 MB).")
    url = _model_url(backend, endpoint)
    model, facts = _provenance(exchange, cache, url)
    if model is None:
        return _model_error(exchange, f"the model artifact {url or '(none)'} could not be loaded; deploy a "
                                      "model trained by a completed linear-learner job")
    try:
        rows = parse_payload(call.body, call.headers.get("content-type"))
        check_shape(model, rows)
        body, content_type = format_predictions(model.predict(rows), call.headers.get("accept"))
    except PayloadError as problem:
        return _model_error(exchange, str(problem))
    exchange.note(EndpointName=name, Records=int(rows.shape[0]), Features=int(rows.shape[1]), **facts)
    variant = endpoint.production_variants[0].get("VariantName", "AllTraffic")
    return Response(200, [("Content-Type", content_type), ("x-Amzn-Invoked-Production-Variant", variant)],
                    body)
