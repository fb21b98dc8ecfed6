"""A Flask app that plays API Gateway: HTTP in, the payload-2.0 event out, the handler's answer back.

Like SAM CLI's local API, it holds no business logic. What it adds is what API Gateway itself
would add: an optional authorizer (a static API key standing in for IAM/JWT) and throttling.
"""

from __future__ import annotations

import base64
import hmac
import threading
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime

from flask import Flask, Response, request

from service.handlers import status, submit, uploads
from service.http import json_response

API_GATEWAY_MAX_BODY_BYTES = 10 * 1024 * 1024
Handler = Callable[[dict, object], dict]

# Route key, Flask rule, handler: the same table Terraform's api module declares.
ROUTES: tuple[tuple[str, str, Handler], ...] = (
    ("POST /submit", "/submit", submit.handler),
    ("GET /status/{jobId}", "/status/<jobId>", status.handler),
    ("POST /uploads", "/uploads", uploads.handler),
)
_TEXT_TYPES = ("application/json", "text/", "application/x-www-form-urlencoded")


@dataclass
class LambdaContext:
    """The parts of the Lambda context object the handlers use."""

    function_name: str
    timeout_s: float
    aws_request_id: str = field(default_factory=lambda: str(uuid.uuid4()))
    _started: float = field(default_factory=time.monotonic)

    def get_remaining_time_in_millis(self) -> int:
        return max(0, int((self.timeout_s - (time.monotonic() - self._started)) * 1000))


class RateLimiter:
    """Token bucket per client, like API Gateway's stage throttling (rate per second, burst)."""

    def __init__(self, rate_per_s: float, burst: int) -> None:
        self._rate, self._burst = rate_per_s, burst
        self._buckets: dict[str, tuple[float, float]] = {}
        self._lock = threading.Lock()

    def allow(self, client: str) -> bool:
        now = time.monotonic()
        with self._lock:
            tokens, last = self._buckets.get(client, (float(self._burst), now))
            tokens = min(self._burst, tokens + (now - last) * self._rate)
            allowed = tokens >= 1.0
            self._buckets[client] = (tokens - 1.0 if allowed else tokens, now)
            return allowed


def build_event(route_key: str, path_parameters: dict[str, str], authorizer: dict | None) -> dict:
    """The API Gateway HTTP API (payload format 2.0) event for the current Flask request."""
    now = datetime.now(UTC)
    raw_body = request.get_data()
    is_text = (request.mimetype or "").startswith(_TEXT_TYPES) or not raw_body
    headers: dict[str, str] = {}
    for name, value in request.headers.items():
        key = name.lower()
        headers[key] = f"{headers[key]},{value}" if key in headers else value
    context = {
        "accountId": "000000000000",
        "apiId": "local",
        "domainName": request.host,
        "domainPrefix": request.host.split(".")[0],
        "http": {
            "method": request.method,
            "path": request.path,
            "protocol": request.environ.get("SERVER_PROTOCOL", "HTTP/1.1"),
            "sourceIp": request.remote_addr or "127.0.0.1",
            "userAgent": request.headers.get("User-Agent", ""),
        },
        "requestId": str(uuid.uuid4()),
        "routeKey": route_key,
        "stage": "$default",
        "time": now.strftime("%d/%b/%Y:%H:%M:%S +0000"),
        "timeEpoch": int(now.timestamp() * 1000),
    }
    if authorizer:
        context["authorizer"] = authorizer
    event = {
        "version": "2.0",
        "routeKey": route_key,
        "rawPath": request.path,
        "rawQueryString": request.query_string.decode("latin-1"),
        "headers": headers,
        "requestContext": context,
        "isBase64Encoded": not is_text,
    }
    if request.args:
        event["queryStringParameters"] = {k: ",".join(request.args.getlist(k)) for k in request.args}
    if path_parameters:
        event["pathParameters"] = path_parameters
    if raw_body:
        event["body"] = raw_body.decode("utf-8", "replace") if is_text else base64.b64encode(raw_body).decode()
    return event


def to_flask_response(result: dict) -> Response:
    body = result.get("body") or ""
    data = base64.b64decode(body) if result.get("isBase64Encoded") else body.encode()
    response = Response(data, status=result.get("statusCode", 200))
    for name, value in (result.get("headers") or {}).items():
        response.headers[name] = value
    return response


def _error(status_code: int, code: str, message: str) -> Response:
    return to_flask_response(json_response(status_code, {"error": {"code": code, "message": message}}))


def create_app(api_keys: dict[str, str] | None = None, rate_limiter: RateLimiter | None = None) -> Flask:
    """The shim. ``api_keys`` maps a key to its principal; without it the API is open (auth ``none``)."""
    app = Flask("green-screen-remover-shim")
    app.config["MAX_CONTENT_LENGTH"] = API_GATEWAY_MAX_BODY_BYTES

    def authorize() -> tuple[dict | None, Response | None]:
        if not api_keys:
            return None, None
        presented = request.headers.get("x-api-key", "")
        for key, principal in api_keys.items():
            if hmac.compare_digest(presented.encode(), key.encode()):
                return {"lambda": {"principal": principal}}, None
        return None, _error(401, "unauthorized", "missing or invalid x-api-key header")

    def make_view(route_key: str, handler: Handler) -> Callable[..., Response]:
        def view(**path_parameters: str) -> Response:
            authorizer, refusal = authorize()
            if refusal is not None:
                return refusal
            client = (authorizer or {}).get("lambda", {}).get("principal") or request.remote_addr or "?"
            if rate_limiter and not rate_limiter.allow(client):
                return _error(429, "too_many_requests", "rate limit exceeded; slow down and retry")
            event = build_event(route_key, path_parameters, authorizer)
            context = LambdaContext(function_name=route_key, timeout_s=30)
            return to_flask_response(handler(event, context))

        view.__name__ = route_key.replace(" ", "_").replace("/", "_").replace("{", "").replace("}", "")
        return view

    for route_key, rule, handler in ROUTES:
        method = route_key.split(" ")[0]
        app.add_url_rule(rule, view_func=make_view(route_key, handler), methods=[method])

    @app.get("/health")
    def health() -> dict:
        return {"ok": True}

    @app.errorhandler(404)
    def not_found(_exc) -> Response:
        return _error(404, "not_found", "no such route; see the README for the API")

    @app.errorhandler(405)
    def wrong_method(_exc) -> Response:
        return _error(405, "method_not_allowed", "method not allowed on this route")

    @app.errorhandler(413)
    def too_large(_exc) -> Response:
        return _error(413, "payload_too_large", "request body too large")

    return app
