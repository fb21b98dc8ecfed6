from __future__ import annotations

import boto3
import pytest
from moto import mock_aws

from local.stack import REGION, bootstrap, handler_environment, stack_names
from service import wiring


@pytest.fixture()
def aws(monkeypatch):
    """moto's in-process AWS with the stack's resources and the handlers' environment set."""
    monkeypatch.delenv("AWS_ENDPOINT_URL", raising=False)
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "test")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "test")
    monkeypatch.setenv("AWS_DEFAULT_REGION", REGION)
    with mock_aws():
        session = boto3.session.Session(region_name=REGION)
        resources = bootstrap(session, stack_names())
        for name, value in handler_environment(resources, "127.0.0.0/8", allow_http=True).items():
            monkeypatch.setenv(name, value)
        wiring.reset()
        yield session, resources
    wiring.reset()


def api_event(
    method: str,
    path: str,
    body: str | None = None,
    path_parameters: dict | None = None,
    headers: dict | None = None,
    authorizer: dict | None = None,
) -> dict:
    """An API Gateway HTTP API payload-2.0 event, as AWS documents it."""
    route = "GET /status/{jobId}" if path.startswith("/status/") else f"{method} {path}"
    event = {
        "version": "2.0",
        "routeKey": route,
        "rawPath": path,
        "rawQueryString": "",
        "headers": {"content-type": "application/json", **(headers or {})},
        "requestContext": {
            "accountId": "123456789012",
            "apiId": "api-id",
            "domainName": "id.execute-api.eu-central-1.amazonaws.com",
            "http": {
                "method": method,
                "path": path,
                "protocol": "HTTP/1.1",
                "sourceIp": "203.0.113.7",
                "userAgent": "pytest",
            },
            "requestId": "id",
            "routeKey": route,
            "stage": "$default",
            "time": "25/Nov/2026:04:00:00 +0000",
            "timeEpoch": 1795579200000,
        },
        "isBase64Encoded": False,
    }
    if authorizer:
        event["requestContext"]["authorizer"] = authorizer
    if body is not None:
        event["body"] = body
    if path_parameters:
        event["pathParameters"] = path_parameters
    return event
