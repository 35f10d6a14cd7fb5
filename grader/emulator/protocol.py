"""Reading an AWS request off the wire exactly as moto will read it (service, region, operation,
parameters, caller), refusing any request that moto could read differently from us, and writing
AWS-shaped responses and errors for the protocols the course's services use.

The API log and our handlers must be about the operation moto really executes: a JSON request whose
X-Amz-Target names one operation while an ``Action`` in its URL makes moto perform another would
otherwise be logged (and corrected) as the first and executed as the second. So each service gets
the one protocol AWS defines for it, and every other place moto looks for an operation, a region or
a bucket must be empty or agree. What moto reads, and in which order, is taken from moto 5.2
(``BaseResponse.setup_class`` and ``_get_action``, ``DomainDispatcherApplication``, ``S3Response``).
"""

from __future__ import annotations

import json
import re
import uuid
from dataclasses import dataclass, field
from urllib.parse import parse_qsl

_SECRET_NAME = re.compile(r"^(?!.*Required$).*(password|secret|token)", re.I)   # not PasswordResetRequired
_INVOCATION_PATH = re.compile(r"^/endpoints/([^/]+)/invocations$")
_MAX_PARAM_CHARS = 200

# The services the emulator offers (by signing name) and the protocol AWS defines for each.
# Organizations and EC2 (DescribeRegions) are there for staff tools (the audit, live snapshots) that
# the emulator stands in for; EC2 speaks the query protocol.
PROTOCOLS = {"iam": "query", "sts": "query", "s3": "rest-xml", "sagemaker": "json", "logs": "json",
             "organizations": "json", "ec2": "query"}
JSON_TARGET_PREFIXES = {"sagemaker": "SageMaker", "logs": "Logs_20140328",
                        "organizations": "AWSOrganizationsV20161128"}
RUNTIME = "sagemaker-runtime"   # InvokeEndpoint: signed as "sagemaker", told apart by its path

_OPERATION_NAME = re.compile(r"^[A-Z][A-Za-z0-9]*$")
_LOOPBACK_HOST = re.compile(r"^(?:127(?:\.\d{1,3}){3}|localhost|\[::1\])(?::\d{1,5})?$", re.I)
_URL_REGION = re.compile(r"\.(?P<region>[^.]+)\.amazonaws\.com")          # moto: BaseResponse.region_regex
_AGENT_REGION = re.compile(r"region/(?P<region>[a-z]{2}-[a-z]+-\d{1})")    # moto: region_from_useragent_regex
_FORM = "application/x-www-form-urlencoded"
# moto routes by path alone
_MOTO_OWN_PATHS = ("/moto-api", "/latest/meta-data/", "/latest/api/", "/favicon.ico")


@dataclass
class Call:
    """One request, as the API log and the handlers see it. `fields` are the parameters exactly as
    moto will read them (the JSON body, or the query form); `params` their scalar, redacted copy for
    the API log; `refusal` is (status, code, message) when the request is refused."""

    method: str
    path: str
    query: dict[str, str]
    headers: dict[str, str]
    body: bytes
    access_key: str | None
    region: str
    service: str
    operation: str
    protocol: str  # json, query, rest-xml or rest-json
    fields: dict = field(default_factory=dict)
    params: dict = field(default_factory=dict)
    refusal: tuple[int, str, str] | None = None


@dataclass
class Response:
    status: int
    headers: list[tuple[str, str]]
    body: bytes

    @property
    def ok(self) -> bool:
        return self.status < 300

    def error_code(self) -> str | None:
        if self.ok:
            return None
        for header, value in self.headers:
            if header.lower() == "x-amzn-errortype":
                return value.split(":")[0]
        text = self.body[:4000].decode("utf-8", "replace")
        match = (re.search(r"<Code>([^<]+)</Code>", text)
                 or re.search(r'"__type"\s*:\s*"(?:[^"#]*#)?([^"]+)"', text))
        return match.group(1) if match else f"HTTP{self.status}"


class _Refused(Exception):
    def __init__(self, status: int, code: str, message: str):
        super().__init__(message)
        self.refusal = (status, code, message)


def identify(environ: dict, body: bytes) -> Call:
    """The request as moto will execute it; `call.refusal` is set when moto could read it otherwise."""
    method = environ.get("REQUEST_METHOD", "GET")
    path = environ.get("PATH_INFO", "") or "/"   # the WSGI server has already percent-decoded it
    query_pairs = parse_qsl(environ.get("QUERY_STRING", ""), keep_blank_values=True)
    headers = {k[5:].replace("_", "-").lower(): v for k, v in environ.items() if k.startswith("HTTP_")}
    if environ.get("CONTENT_TYPE"):
        headers["content-type"] = environ["CONTENT_TYPE"]
    access_key, region, service = _signature(headers.get("authorization", ""))
    query = {}
    for name, value in query_pairs:   # the first value counts, as in werkzeug's request.args
        query.setdefault(name, value)
    call = Call(method, path, query, headers, body, access_key, region, service, operation="",
                protocol=PROTOCOLS.get(service, "query"))
    try:
        _check_envelope(call, environ)
        if service == "sagemaker" and _INVOCATION_PATH.match(path):
            operation, fields = _runtime_operation(call, query_pairs)
        else:
            operation, fields = _READERS[call.protocol](call, query_pairs)
        call.operation, call.fields, call.params = operation, fields, _redact(_scalar_params(fields))
    except _Refused as refused:
        call.refusal = refused.refusal
        call.operation = call.operation or f"{method} {path}"[:100]
    return call


def moto_internal(path: str) -> bool:
    """A path moto serves from its own control or metadata apps, whoever signs the request."""
    return path.startswith(_MOTO_OWN_PATHS)


def _signature(authorization: str) -> tuple[str | None, str, str]:
    """(access key, region, service) from a SigV4 Authorization header, split exactly as moto's
    DomainDispatcherApplication splits it; (None, "us-east-1", "unknown") when it cannot be."""
    try:
        scope = authorization.split(",")[0].split()[1]
        credential, _, region, service, _ = scope.split("/")
    except (IndexError, ValueError):
        return None, "us-east-1", "unknown"
    if not credential.startswith("Credential=") or not region or not service:
        return None, "us-east-1", "unknown"
    return credential.removeprefix("Credential=") or None, region, service.lower()


def _check_envelope(call: Call, environ: dict) -> None:
    """What every request must agree on, whatever its protocol: service, host, region, encoding."""
    if call.service not in PROTOCOLS:
        raise _Refused(400, "UnrecognizedService", f"The emulator does not offer the '{call.service}' "
                                                   f"service; it offers {', '.join(sorted(PROTOCOLS))}.")
    host = call.headers.get("host", "")
    if not _LOOPBACK_HOST.match(host):
        raise _Refused(400, "InvalidRequest", f"Host '{host[:100]}' is not the emulator's loopback address; "
                                              "send requests to the endpoint URL the grader gave this run.")
    raw_target = " ".join((environ.get("RAW_URI") or environ.get("REQUEST_URI") or "", call.path,
                           environ.get("QUERY_STRING", "")))
    named = {match.group("region") for match in _URL_REGION.finditer(raw_target)}
    named |= {match.group("region") for match in _AGENT_REGION.finditer(call.headers.get("user-agent", ""))}
    if named - {call.region}:
        raise _Refused(400, "AuthorizationHeaderMalformed",
                       f"The request names region '{sorted(named - {call.region})[0]}' but is signed for "
                       f"'{call.region}'; a request is for one region.")
    if "action" in call.headers:
        raise _Refused(400, "InvalidRequest", "An 'Action' HTTP header is not part of any AWS protocol.")
    if call.service != "s3" and "gzip" in call.headers.get("content-encoding", "").lower():
        raise _Refused(400, "InvalidRequest", "Compressed request bodies are not accepted by the emulator.")


def _json_operation(call: Call, query_pairs: list) -> tuple[str, dict]:
    """JSON protocol: POST / with the operation in X-Amz-Target and nowhere else."""
    prefix = JSON_TARGET_PREFIXES[call.service]
    target = call.headers.get("x-amz-target", "")
    operation = target.removeprefix(f"{prefix}.") if target.startswith(f"{prefix}.") else ""
    if not _OPERATION_NAME.match(operation):
        raise _Refused(400, "UnknownOperationException",
                       f"X-Amz-Target '{target[:100]}' does not name a {prefix} operation.")
    call.operation = operation
    if call.method != "POST" or call.path != "/" or query_pairs:
        raise _Refused(400, "UnknownOperationException",
                       f"A {prefix} request is POST / with its operation in X-Amz-Target only; this one also "
                       f"has {'a query string' if query_pairs else f'{call.method} {call.path[:100]}'}.")
    if not call.headers.get("content-type", "").startswith("application/x-amz-json-"):
        raise _Refused(400, "SerializationException",
                       f"A {prefix} request has Content-Type application/x-amz-json-1.1.")
    payload = json_object(call.body)
    if payload is None:
        raise _Refused(400, "SerializationException", "The request body is not a JSON object.")
    # moto reads a body that holds no form and no query string as a query string too (Action first)
    if "Action" in dict(parse_qsl(call.body.decode("utf-8", "replace"), keep_blank_values=True)):
        raise _Refused(400, "UnknownOperationException",
                       f"The body of this {operation} request also names an Action; send one operation.")
    return operation, payload


def _query_operation(call: Call, query_pairs: list) -> tuple[str, dict]:
    """Query protocol: Action and parameters in a form body or in the URL, never in both or twice."""
    if "x-amz-target" in call.headers:
        raise _Refused(400, "InvalidAction", "A query-protocol request names its operation in Action, not in "
                                             "X-Amz-Target.")
    is_form = call.headers.get("content-type", "").lower().startswith(_FORM)
    if call.body and not is_form:
        raise _Refused(400, "InvalidRequest", f"A query-protocol request body must be {_FORM}.")
    form_pairs = parse_qsl(call.body.decode("utf-8", "replace"), keep_blank_values=True) if call.body else []
    if form_pairs and query_pairs:
        raise _Refused(400, "InvalidRequest",
                       "Send the parameters in the form body or in the URL, not in both.")
    pairs = form_pairs or query_pairs
    names = [name for name, _ in pairs]
    repeated = sorted({name for name in names if names.count(name) > 1})
    if repeated:
        raise _Refused(400, "InvalidRequest", f"Parameter '{repeated[0]}' is given more than once.")
    params = dict(pairs)
    operation = params.pop("Action", "")
    params.pop("Version", None)
    if call.path != "/" or not _OPERATION_NAME.match(operation):
        raise _Refused(400, "InvalidAction", f"The request names no valid Action ({operation[:100]!r}) or is "
                                             "not sent to /.")
    return operation, params


def _s3_operation(call: Call, query_pairs: list) -> tuple[str, dict]:
    """REST-XML (S3): the operation moto's S3Response picks from the method, path, sub-resources
    and headers, in moto's own order."""
    if "x-amz-target" in call.headers:
        raise _Refused(400, "InvalidRequest", "S3 requests do not carry X-Amz-Target.")
    if call.path.startswith("//"):
        raise _Refused(400, "InvalidURI", "The request path has an empty bucket name.")
    bucket, _, key = call.path.lstrip("/").partition("/")
    present = {name for name, _ in query_pairs}
    if not bucket:
        operation = "ListBuckets"   # moto lists the buckets for any method on /
    elif not key:
        operation = _bucket_operation(call.method, present, call.query)
    else:
        operation = _key_operation(call.method, present, call.headers, call.body)
    if operation is None:
        raise _Refused(400, "NotImplemented", f"{call.method} on {'an object' if key else 'a bucket'} with "
                                              "these parameters is not supported by the emulator.")
    return operation, {k: v for k, v in (("Bucket", bucket), ("Key", key)) if v}


# moto's S3Response dispatch for bucket requests: the first sub-resource present decides.
_BUCKET_SUBRESOURCES = {
    "GET": (("object-lock", "GetObjectLockConfiguration"), ("uploads", "ListMultipartUploads"),
            ("location", "GetBucketLocation"), ("lifecycle", "GetBucketLifecycleConfiguration"),
            ("versioning", "GetBucketVersioning"), ("policyStatus", "GetBucketPolicyStatus"),
            ("policy", "GetBucketPolicy"), ("website", "GetBucketWebsite"), ("acl", "GetBucketAcl"),
            ("tagging", "GetBucketTagging"), ("logging", "GetBucketLogging"), ("cors", "GetBucketCors"),
            ("notification", "GetBucketNotificationConfiguration"),
            ("accelerate", "GetBucketAccelerateConfiguration"), ("publicAccessBlock", "GetPublicAccessBlock"),
            ("inventory", "GetBucketInventoryConfiguration"), ("versions", "ListObjectVersions"),
            ("encryption", "GetBucketEncryption"), ("list-type", "ListObjectsV2"),
            ("replication", "GetBucketReplication"), ("ownershipControls", "GetBucketOwnershipControls")),
    "PUT": (("object-lock", "PutObjectLockConfiguration"), ("versioning", "PutBucketVersioning"),
            ("lifecycle", "PutBucketLifecycleConfiguration"), ("policy", "PutBucketPolicy"),
            ("acl", "PutBucketAcl"), ("tagging", "PutBucketTagging"), ("website", "PutBucketWebsite"),
            ("cors", "PutBucketCors"), ("logging", "PutBucketLogging"),
            ("notification", "PutBucketNotificationConfiguration"),
            ("accelerate", "PutBucketAccelerateConfiguration"), ("publicAccessBlock", "PutPublicAccessBlock"),
            ("encryption", "PutBucketEncryption"), ("replication", "PutBucketReplication"),
            ("ownershipControls", "PutBucketOwnershipControls"),
            ("inventory", "PutBucketInventoryConfiguration")),
    "DELETE": (("policy", "DeleteBucketPolicy"), ("tagging", "DeleteBucketTagging"),
               ("website", "DeleteBucketWebsite"), ("cors", "DeleteBucketCors"),
               ("lifecycle", "DeleteBucketLifecycle"), ("publicAccessBlock", "DeletePublicAccessBlock"),
               ("encryption", "DeleteBucketEncryption"), ("replication", "DeleteBucketReplication"),
               ("ownershipControls", "DeleteBucketOwnershipControls")),
}
_BUCKET_DEFAULTS = {"GET": "ListObjects", "PUT": "CreateBucket", "DELETE": "DeleteBucket",
                    "HEAD": "HeadBucket"}


def _bucket_operation(method: str, present: set, query: dict) -> str | None:
    if method == "POST":
        return "DeleteObjects" if "delete" in present else "PostObject"
    for name, operation in _BUCKET_SUBRESOURCES.get(method, ()):
        if name == "list-type" and query.get(name) != "2" or name != "list-type" and name not in present:
            continue
        if operation == "GetBucketInventoryConfiguration" and "id" not in present:
            return "ListBucketInventoryConfigurations"
        return operation
    return _BUCKET_DEFAULTS.get(method)


def _key_operation(method: str, present: set, headers: dict, body: bytes) -> str | None:
    copying = "x-amz-copy-source" in headers
    if method == "GET":
        order = (("uploadId", "ListParts"), ("acl", "GetObjectAcl"), ("tagging", "GetObjectTagging"),
                 ("legal-hold", "GetObjectLegalHold"), ("attributes", "GetObjectAttributes"))
        return next((operation for name, operation in order if name in present), "GetObject")
    if method == "PUT":
        if {"uploadId", "partNumber"} <= present:
            return "UploadPartCopy" if copying else "UploadPart"
        order = (("retention", "PutObjectRetention"), ("legal-hold", "PutObjectLegalHold"),
                 ("acl", "PutObjectAcl"), ("tagging", "PutObjectTagging"))
        return next((operation for name, operation in order if name in present),
                    "CopyObject" if copying else "PutObject")
    if method == "HEAD":
        return "HeadObject"
    if method == "DELETE":
        return "AbortMultipartUpload" if "uploadId" in present else (
            "DeleteObjectTagging" if "tagging" in present else "DeleteObject")
    if method == "POST":
        if not body and "uploads" in present:
            return "CreateMultipartUpload"
        order = (("uploadId", "CompleteMultipartUpload"), ("restore", "RestoreObject"),
                 ("select", "SelectObjectContent"))
        return next((operation for name, operation in order if name in present), None)
    return None


def _runtime_operation(call: Call, query_pairs: list) -> tuple[str, dict]:
    """InvokeEndpoint (answered by the emulator itself, never by moto)."""
    call.service, call.protocol = RUNTIME, "rest-json"
    if call.method != "POST" or "x-amz-target" in call.headers or query_pairs:
        raise _Refused(400, "ValidationError", "InvokeEndpoint is POST /endpoints/<name>/invocations with no "
                                               "X-Amz-Target and no query string.")
    params = {"EndpointName": _INVOCATION_PATH.match(call.path).group(1),
              "ContentType": call.headers.get("content-type", ""), "Accept": call.headers.get("accept", "")}
    return "InvokeEndpoint", params


_READERS = {"json": _json_operation, "query": _query_operation, "rest-xml": _s3_operation}


def json_object(body: bytes) -> dict | None:
    """The body as a JSON object ({} when empty), or None when it is not one."""
    try:
        value = json.loads(body or b"{}")
    except (ValueError, RecursionError):
        return None
    return value if isinstance(value, dict) else None


def _scalar_params(payload: dict) -> dict:
    return {k: v for k, v in payload.items() if isinstance(v, (str, int, float, bool))}


def _redact(params: dict) -> dict:
    out = {}
    for key, value in params.items():
        if _SECRET_NAME.search(key):
            out[key] = "<redacted>"
        elif isinstance(value, str) and len(value) > _MAX_PARAM_CHARS:
            out[key] = value[:_MAX_PARAM_CHARS] + "..."
        else:
            out[key] = value
    return out


def error(call: Call, status: int, code: str, message: str, **extra: str) -> Response:
    """An error in the shape the caller's protocol expects, so botocore raises a normal ClientError."""
    request_id = str(uuid.uuid4())
    if call.protocol in ("json", "rest-json"):
        payload = json.dumps({"__type": code, "message": message, "Message": message, **extra}).encode()
        return Response(status, [("Content-Type", "application/x-amz-json-1.1"), ("x-amzn-ErrorType", code),
                                 ("x-amzn-RequestId", request_id)], payload)
    from xml.sax.saxutils import escape

    details = "".join(f"<{k}>{escape(v)}</{k}>" for k, v in extra.items())
    if call.protocol == "rest-xml":
        xml = (f"<?xml version='1.0' encoding='UTF-8'?><Error><Code>{code}</Code>"
               f"<Message>{escape(message)}</Message>{details}<RequestId>{request_id}</RequestId></Error>")
    else:
        kind = "Sender" if status < 500 else "Receiver"
        xml = (f"<ErrorResponse><Error><Type>{kind}</Type><Code>{code}</Code>"
               f"<Message>{escape(message)}</Message>{details}</Error>"
               f"<RequestId>{request_id}</RequestId></ErrorResponse>")
    return Response(status, [("Content-Type", "text/xml"), ("x-amzn-RequestId", request_id)], xml.encode())
