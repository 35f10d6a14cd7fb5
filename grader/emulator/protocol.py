"""Reading an AWS request off the wire (service, operation, caller, parameters) and writing
AWS-shaped responses and errors for the three protocols the course's services use."""

from __future__ import annotations

import json
import re
import uuid
from dataclasses import dataclass, field
from urllib.parse import parse_qsl, unquote

_CREDENTIAL = re.compile(r"Credential=([^/,\s]+)/\d{8}/([^/]+)/([^/]+)/aws4_request")
_SECRET_NAME = re.compile(r"^(?!.*Required$).*(password|secret|token)", re.I)   # not PasswordResetRequired
_INVOCATION_PATH = re.compile(r"^/endpoints/([^/]+)/invocations$")
_MAX_PARAM_CHARS = 200


@dataclass
class Call:
    """One request, as the API log and the handlers see it."""

    method: str
    path: str
    query: dict[str, str]
    headers: dict[str, str]
    body: bytes
    access_key: str | None
    region: str
    service: str
    operation: str
    protocol: str  # json, query or rest-xml
    params: dict = field(default_factory=dict)

    def json(self) -> dict:
        """The JSON body, or {} when it is absent or not an object (moto then reports the error)."""
        return json_object(self.body) or {}


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
        match = re.search(r"<Code>([^<]+)</Code>", text) or re.search(r'"__type"\s*:\s*"(?:[^"#]*#)?([^"]+)"', text)
        return match.group(1) if match else f"HTTP{self.status}"


def identify(environ: dict, body: bytes) -> Call:
    method = environ.get("REQUEST_METHOD", "GET")
    path = unquote(environ.get("PATH_INFO", "") or "/")
    query = dict(parse_qsl(environ.get("QUERY_STRING", ""), keep_blank_values=True))
    headers = {k[5:].replace("_", "-").lower(): v for k, v in environ.items() if k.startswith("HTTP_")}
    if environ.get("CONTENT_TYPE"):
        headers["content-type"] = environ["CONTENT_TYPE"]
    presigned = f"Credential={query['X-Amz-Credential']}" if "X-Amz-Credential" in query else ""
    match = _CREDENTIAL.search(headers.get("authorization", "") or presigned)
    access_key, region, service = match.groups() if match else (None, "us-east-1", "unknown")
    target = headers.get("x-amz-target")
    if target:
        operation, protocol = target.split(".")[-1], "json"
        params = _scalar_params(json_object(body) or {})
    elif service == "sagemaker" and _INVOCATION_PATH.match(path):
        service, operation, protocol = "sagemaker-runtime", "InvokeEndpoint", "json"
        params = {"EndpointName": _INVOCATION_PATH.match(path).group(1),
                  "ContentType": headers.get("content-type", ""), "Accept": headers.get("accept", "")}
    elif service == "s3":
        operation, protocol = _s3_operation(method, path, query, headers), "rest-xml"
        bucket, _, key = path.lstrip("/").partition("/")
        params = {k: v for k, v in (("Bucket", bucket), ("Key", key)) if v}
    else:
        form = dict(parse_qsl(body.decode("utf-8", "replace"))) if method == "POST" else {}
        form.update(query)
        operation, protocol = form.get("Action", f"{method} {path}"), "query"
        params = {k: v for k, v in form.items() if k not in ("Action", "Version")}
    return Call(method, path, query, headers, body, access_key, region, service, operation, protocol,
                _redact(params))


def json_object(body: bytes) -> dict | None:
    """The body as a JSON object ({} when empty), or None when it is not one."""
    try:
        value = json.loads(body or b"{}")
    except ValueError:
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


_S3_BUCKET_SUBRESOURCES = ("location", "policy", "acl", "tagging", "versioning", "cors", "lifecycle", "encryption",
                           "website", "logging", "notification", "publicAccessBlock", "ownershipControls")


def _s3_operation(method: str, path: str, query: dict, headers: dict) -> str:
    bucket, _, key = path.lstrip("/").partition("/")
    if not bucket:
        return "ListBuckets"
    if not key:
        sub = next((s for s in _S3_BUCKET_SUBRESOURCES if s in query), None)
        verb = {"GET": "Get", "PUT": "Put", "DELETE": "Delete"}.get(method, method.title())
        if sub:
            name = "Location" if sub == "location" else sub[0].upper() + sub[1:]
            return f"{verb}Bucket{name}"
        if method == "POST" and "delete" in query:
            return "DeleteObjects"
        if method == "GET":
            return "ListMultipartUploads" if "uploads" in query else (
                "ListObjectsV2" if query.get("list-type") == "2" else "ListObjects")
        return {"PUT": "CreateBucket", "DELETE": "DeleteBucket", "HEAD": "HeadBucket"}.get(method, method)
    if method == "PUT":
        if "partNumber" in query:
            return "UploadPart"
        return "CopyObject" if "x-amz-copy-source" in headers else ("PutObjectTagging" if "tagging" in query else "PutObject")
    if method == "POST":
        return "CreateMultipartUpload" if "uploads" in query else (
            "CompleteMultipartUpload" if "uploadId" in query else "PostObject")
    if method == "DELETE":
        return "AbortMultipartUpload" if "uploadId" in query else "DeleteObject"
    if method == "HEAD":
        return "HeadObject"
    return "GetObjectTagging" if "tagging" in query else "GetObject"


def error(call: Call, status: int, code: str, message: str, **extra: str) -> Response:
    """An error in the shape the caller's protocol expects, so botocore raises a normal ClientError."""
    request_id = str(uuid.uuid4())
    if call.protocol == "json":
        payload = json.dumps({"__type": code, "message": message, "Message": message, **extra}).encode()
        return Response(status, [("Content-Type", "application/x-amz-json-1.1"), ("x-amzn-ErrorType", code),
                                 ("x-amzn-RequestId", request_id)], payload)
    from xml.sax.saxutils import escape

    details = "".join(f"<{k}>{escape(v)}</{k}>" for k, v in extra.items())
    if call.protocol == "rest-xml":
        xml = (f"<?xml version='1.0' encoding='UTF-8'?><Error><Code>{code}</Code><Message>{escape(message)}</Message>"
               f"{details}<RequestId>{request_id}</RequestId></Error>")
    else:
        kind = "Sender" if status < 500 else "Receiver"
        xml = (f"<ErrorResponse><Error><Type>{kind}</Type><Code>{code}</Code><Message>{escape(message)}</Message>"
               f"{details}</Error><RequestId>{request_id}</RequestId></ErrorResponse>")
    return Response(status, [("Content-Type", "text/xml"), ("x-amzn-RequestId", request_id)], xml.encode())
