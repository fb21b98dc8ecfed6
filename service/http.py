"""API Gateway HTTP API (payload format 2.0): parse requests, shape responses, map errors."""

from __future__ import annotations

import base64
import binascii
import json
import logging
from collections.abc import Callable
from typing import Any

from service.errors import BadRequest, PayloadTooLarge, ServiceError

MAX_BODY_BYTES = 16 * 1024
logger = logging.getLogger("green-screen-remover")


def json_response(status: int, body: dict, headers: dict[str, str] | None = None) -> dict[str, Any]:
    return {
        "statusCode": status,
        "headers": {"Content-Type": "application/json", "Cache-Control": "no-store", **(headers or {})},
        "body": json.dumps(body),
    }


def header(event: dict, name: str) -> str | None:
    """Header lookup; API Gateway v2 lower-cases header names."""
    return (event.get("headers") or {}).get(name.lower())


def json_body(event: dict, required: bool = True) -> dict:
    """The request body as a JSON object, or :class:`BadRequest` saying what is wrong with it."""
    raw = event.get("body")
    if raw is None or raw == "":
        if required:
            raise BadRequest("request body is missing; send a JSON object", code="missing_body")
        return {}
    if event.get("isBase64Encoded"):
        try:
            raw = base64.b64decode(raw, validate=True)
        except (binascii.Error, ValueError):
            raise BadRequest("request body is not valid base64", code="invalid_body") from None
    data = raw.encode() if isinstance(raw, str) else raw
    if len(data) > MAX_BODY_BYTES:
        raise PayloadTooLarge(f"request body is larger than {MAX_BODY_BYTES} bytes")
    try:
        parsed = json.loads(data)
    except (UnicodeDecodeError, json.JSONDecodeError):
        raise BadRequest("request body is not valid JSON", code="invalid_json") from None
    if not isinstance(parsed, dict):
        raise BadRequest("request body must be a JSON object", code="invalid_body")
    return parsed


def caller_identity(event: dict) -> str | None:
    """Who called, as API Gateway's authorizer (or the local shim's API key check) reports it."""
    authorizer = (event.get("requestContext") or {}).get("authorizer") or {}
    if "jwt" in authorizer:
        claims = authorizer["jwt"].get("claims") or {}
        return claims.get("sub") and f"jwt:{claims.get('iss', '')}#{claims['sub']}"
    if "iam" in authorizer:
        iam = authorizer["iam"]
        return iam.get("userArn") or iam.get("userId") or None
    if "lambda" in authorizer:
        principal = (authorizer["lambda"] or {}).get("principal")
        return principal and f"key:{principal}"
    return None


def handle(event: dict, route: Callable[[dict], dict[str, Any]]) -> dict[str, Any]:
    """Run ``route`` and turn any :class:`ServiceError` into its JSON error response."""
    try:
        return route(event)
    except ServiceError as exc:
        if exc.status >= 500:
            logger.error("request failed: %s", exc.message)
        return json_response(exc.status, exc.to_body())
    except Exception:
        logger.exception("unhandled error")
        return json_response(500, {"error": {"code": "internal_error", "message": "internal error; try again later"}})
