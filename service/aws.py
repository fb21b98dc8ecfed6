"""boto3 clients, built in one place.

boto3 honours ``AWS_ENDPOINT_URL`` natively, so pointing the whole service at moto or LocalStack
is an environment setting, not a code path.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache
from typing import Any

import boto3
from botocore.config import Config

# Adaptive retries absorb throttling; the signature version makes presigned URLs work in every region.
_CLIENT_CONFIG = Config(
    retries={"max_attempts": 5, "mode": "adaptive"},
    signature_version="s3v4",
    connect_timeout=5,
    read_timeout=30,
)


@dataclass(frozen=True)
class AwsClients:
    dynamodb: Any
    sqs: Any
    s3: Any


@lru_cache(maxsize=1)
def clients() -> AwsClients:
    """Clients shared by every invocation of a warm Lambda container."""
    session = boto3.session.Session()
    return AwsClients(
        dynamodb=session.client("dynamodb", config=_CLIENT_CONFIG),
        sqs=session.client("sqs", config=_CLIENT_CONFIG),
        s3=session.client("s3", config=_CLIENT_CONFIG),
    )


def reset_clients() -> None:
    """Forget cached clients (the local stack calls this after changing the endpoint)."""
    clients.cache_clear()
