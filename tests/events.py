"""Events as AWS delivers them, and a Lambda context, for calling handlers directly."""

from __future__ import annotations

import json


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


class FakeContext:
    def __init__(self, remaining_s: float = 300) -> None:
        self.remaining_s = remaining_s
        self.function_name = "worker"
        self.aws_request_id = "req"

    def get_remaining_time_in_millis(self) -> int:
        return int(self.remaining_s * 1000)


def sqs_event(*bodies: str, receive_count: int = 1) -> dict:
    """An SQS event as Lambda's event source mapping delivers it."""
    return {
        "Records": [
            {
                "messageId": f"m-{index}",
                "receiptHandle": f"r-{index}",
                "body": body,
                "attributes": {
                    "ApproximateReceiveCount": str(receive_count),
                    "SentTimestamp": "1795579200000",
                    "SenderId": "AIDAEXAMPLE",
                    "ApproximateFirstReceiveTimestamp": "1795579200001",
                },
                "messageAttributes": {},
                "md5OfBody": "0" * 32,
                "eventSource": "aws:sqs",
                "eventSourceARN": "arn:aws:sqs:eu-central-1:123456789012:green-screen-remover-jobs",
                "awsRegion": "eu-central-1",
            }
            for index, body in enumerate(bodies)
        ]
    }


def get_status(job_id: str, authorizer=None) -> tuple[int, dict]:
    from service.handlers import status

    event = api_event("GET", f"/status/{job_id}", path_parameters={"jobId": job_id}, authorizer=authorizer)
    response = status.handler(event)
    return response["statusCode"], json.loads(response["body"])
