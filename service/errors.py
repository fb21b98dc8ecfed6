"""The error model: a stable code, a message a person can act on, and one HTTP status per class."""

from __future__ import annotations


class ServiceError(Exception):
    """Base class: ``code`` is stable for clients, ``message`` says what to send instead."""

    status = 500
    code = "internal_error"

    def __init__(self, message: str, code: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        if code:
            self.code = code

    def to_body(self) -> dict:
        return {"error": {"code": self.code, "message": self.message}}


class BadRequest(ServiceError):
    status = 400
    code = "bad_request"


class Unauthorized(ServiceError):
    status = 401
    code = "unauthorized"


class NotFound(ServiceError):
    status = 404
    code = "not_found"


class PayloadTooLarge(ServiceError):
    status = 413
    code = "payload_too_large"


class TooManyRequests(ServiceError):
    status = 429
    code = "too_many_requests"


class ConfigError(ServiceError):
    status = 500
    code = "configuration_error"


class JobFailed(Exception):
    """A job cannot succeed however often it is retried (bad input, refused URL, ...)."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


class RetryableFailure(Exception):
    """A job may succeed on another attempt (network, throttling, deadline)."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason
