"""InvokeEndpoint: predictions from the endpoint's own model artifact
(endpoint -> endpoint config -> model -> ModelDataUrl), in linear-learner's formats."""

from __future__ import annotations

import threading

from moto.sagemaker.models import sagemaker_backends

from ..linear_learner.inference import PayloadError, check_width, format_predictions, parse_payload
from ..linear_learner.model import LinearModel
from . import s3_access
from .protocol import Response, error


class ModelCache:
    """Loaded models by artifact URL and ETag, so repeated invocations skip the S3 read."""

    def __init__(self):
        self._models: dict[tuple[str, str, str], LinearModel] = {}
        self._lock = threading.Lock()

    def load(self, account_id: str, url: str) -> LinearModel:
        body, etag = s3_access.get_object(account_id, url)
        key = (account_id, url, etag)
        with self._lock:
            if key not in self._models:
                self._models[key] = LinearModel.from_artifact(body)
            return self._models[key]


def _model_error(exchange, message: str) -> Response:
    account = exchange.account.account_id
    name = exchange.call.params["EndpointName"]
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


def invoke_endpoint(exchange, cache: ModelCache) -> Response:
    call, account = exchange.call, exchange.account
    name = call.params["EndpointName"]
    backend = sagemaker_backends[account.account_id][call.region]
    endpoint = backend.endpoints.get(name)
    if endpoint is None:
        return error(call, 400, "ValidationError", f"Endpoint {name} of account {account.account_id} not found.")
    if endpoint.endpoint_status != "InService":
        return error(call, 400, "ValidationError",
                     f"Endpoint {name} of account {account.account_id} is not in service (status "
                     f"{endpoint.endpoint_status}).")
    url = _model_url(backend, endpoint)
    try:
        model = cache.load(account.account_id, url) if url else None
    except (KeyError, ValueError):
        model = None
    if model is None:
        return _model_error(exchange, f"the model artifact {url or '(none)'} could not be loaded; deploy a model "
                                      "trained by a completed linear-learner job")
    try:
        rows = parse_payload(call.body, call.headers.get("content-type"))
        check_width(model, rows)
        exchange.note(Records=int(rows.shape[0]), Features=int(rows.shape[1]))
        body, content_type = format_predictions(model.predict(rows), call.headers.get("accept"))
    except PayloadError as problem:
        return _model_error(exchange, str(problem))
    variant = endpoint.production_variants[0].get("VariantName", "AllTraffic")
    return Response(200, [("Content-Type", content_type), ("x-Amzn-Invoked-Production-Variant", variant)], body)
