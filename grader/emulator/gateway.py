"""The emulator's front door: a WSGI app in front of moto that works out which account is
calling, refuses what moto could read differently from us (protocol.py), applies our handlers
where moto is missing or unfaithful, forwards the rest to moto, and writes every call to that
account's API log.

A log entry keeps what the client sent (`params`, informational only) apart from what the server
did (`operation` as moto executed it, `status`, and `facts` that handlers note from server-side
state); checks read only the server's side."""

from __future__ import annotations

import io
import time
import traceback
from collections.abc import Callable
from datetime import UTC, datetime

from ..aws_rules import OBJECT_WRITES
from . import quotas, validation
from .accounts import AccountRegistry, serving_account
from .protocol import Call, Response, error, identify, moto_internal

MAX_BODY_BYTES = 32 * 2**20       # one request (boto3 sends S3 uploads over 8 MB in 8 MB parts)
MAX_ACCOUNT_BYTES = 512 * 2**20   # every request of one account together (a run); course data is < 1 MB

Handler = Callable[["Exchange"], Response]
BOUND_ACCOUNT = "grader.account_id"   # WSGI environ key: the account of the socket the request came in on


class Exchange:
    """One request on its way through: the handler may refuse it, rewrite it, forward it to moto,
    or answer it itself."""

    def __init__(self, call: Call, account, environ: dict, moto_app):
        self.call, self.account = call, account
        self._environ, self._moto = environ, moto_app
        self.facts: dict = {}

    def forward(self, body: bytes | None = None) -> Response:
        body = self.call.body if body is None else body
        environ = dict(self._environ)
        environ["wsgi.input"] = io.BytesIO(body)
        environ["CONTENT_LENGTH"] = str(len(body))
        environ["HTTP_X_MOTO_ACCOUNT_ID"] = self.account.account_id
        captured = {}

        def start_response(status, headers, exc_info=None):
            captured["status"], captured["headers"] = int(status.split()[0]), list(headers)

        chunks = self._moto(environ, start_response)
        try:
            payload = b"".join(chunks)
        finally:
            if hasattr(chunks, "close"):
                chunks.close()
        return Response(captured["status"], captured["headers"], payload)

    def note(self, **facts) -> None:
        """Add server-side facts to this call's API log entry (for example how many records the
        endpoint scored); never copy a client's field here."""
        self.facts.update(facts)


class Gateway:
    def __init__(self, moto_app, accounts: AccountRegistry, handlers: dict[tuple[str, str], Handler]):
        self.moto_app, self.accounts, self.handlers = moto_app, accounts, handlers

    def __call__(self, environ, start_response):
        started = time.perf_counter()
        body = _read_body(environ)
        call = identify(environ, body or b"")
        account = self.accounts.for_access_key(call.access_key)
        bound = environ.get(BOUND_ACCOUNT)
        if bound is not None and (account is None or account.account_id != bound):
            account = None   # a run's socket serves that run's account only
        if moto_internal(call.path):
            response = error(call, 403, "AccessDenied",
                             "The emulator's control API is not available to clients.")
        elif account is None:
            response = error(call, 403, "InvalidClientTokenId",
                             "The security token included in the request is invalid: use the credentials the "
                             "grader gave this run (see `grader serve` for the environment).")
        elif not account.count_request(quotas.MAX_REQUESTS):   # not logged: the API log stays bounded too
            response = quotas.throttled(call)
        else:
            exchange = Exchange(call, account, environ, self.moto_app)
            if body is None or not account.receive(len(body), MAX_ACCOUNT_BYTES):
                limit = MAX_BODY_BYTES if body is None else MAX_ACCOUNT_BYTES
                response = error(call, 413, "RequestEntityTooLarge",
                                 f"The emulator accepts at most {limit // 2**20} MB "
                                 f"{'in one request' if body is None else 'from one run'}.")
            else:
                response = self._serve(exchange)
            account.record(_log_entry(call, response, started, exchange.facts))
        start_response(f"{response.status} {_reason(response.status)}", response.headers)
        return [response.body]

    def _serve(self, exchange: Exchange) -> Response:
        call = exchange.call
        refused = call.refusal or validation.refusal(call)
        if refused:
            return error(call, *refused)
        handler = self.handlers.get((call.service, call.operation), Exchange.forward)
        with serving_account(exchange.account.account_id):
            try:
                response = quotas.refusal(call, exchange.account.account_id) or handler(exchange)
            except Exception as failure:  # never let one request take the emulator down
                traceback.print_exc()
                return error(call, 400, "ValidationException",
                             f"The emulator could not process this {call.operation} request ({failure!r}); "
                             "check its parameters against the AWS API reference.")
        if call.service == "s3" and call.operation in OBJECT_WRITES and response.ok:
            # where the server stored the object (the bucket and key it routed the write to): the data
            # checks find a notebook's uploads by it even when no training job points to them
            exchange.note(Bucket=call.fields.get("Bucket"), Key=call.fields.get("Key"))
        if response.status >= 500 and response.error_code().startswith("HTTP"):
            # moto crashed without an AWS error: in practice a malformed or unsupported request
            return error(call, 400, "ValidationException",
                         f"The request could not be processed: {call.operation} received malformed or "
                         "missing parameters.")
        return response


def _read_body(environ) -> bytes | None:
    """The request body, or None (left unread) when it is larger than MAX_BODY_BYTES."""
    if environ.get("HTTP_TRANSFER_ENCODING", "").lower() == "chunked" or environ.get("wsgi.input_terminated"):
        body = environ["wsgi.input"].read(MAX_BODY_BYTES + 1)
    else:
        try:
            length = max(0, int(environ.get("CONTENT_LENGTH") or 0))
        except ValueError:
            length = 0
        if length > MAX_BODY_BYTES:
            return None
        body = environ["wsgi.input"].read(length) if length else b""
    if len(body) > MAX_BODY_BYTES:
        return None
    environ["wsgi.input"] = io.BytesIO(body)
    return body


def _log_entry(call: Call, response: Response, started: float, facts: dict) -> dict:
    return {
        "time": datetime.now(UTC).isoformat(timespec="milliseconds"),
        "service": call.service,
        "operation": call.operation,
        "region": call.region,
        "params": call.params,
        "facts": facts,
        "status": response.status,
        "error": response.error_code(),
        "duration_ms": round((time.perf_counter() - started) * 1000, 1),
    }


def _reason(status: int) -> str:
    from http import HTTPStatus

    try:
        return HTTPStatus(status).phrase
    except ValueError:
        return "Unknown"
