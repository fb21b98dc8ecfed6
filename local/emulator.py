"""The AWS endpoint for the local stack: an embedded moto server, or LocalStack when configured."""

from __future__ import annotations

import os
import socket
from dataclasses import dataclass

import boto3

LOCALSTACK_VARIABLES = ("LOCALSTACK_HOST", "EDGE_PORT", "USE_LOCALSTACK")


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def configured_endpoint() -> str | None:
    """``AWS_ENDPOINT_URL``, or the LocalStack edge URL that ``localstack-client`` derives."""
    if os.environ.get("AWS_ENDPOINT_URL"):
        return os.environ["AWS_ENDPOINT_URL"]
    if any(os.environ.get(name) for name in LOCALSTACK_VARIABLES):
        from localstack_client.config import get_service_endpoint

        return get_service_endpoint("s3")
    return None


@dataclass
class Emulator:
    endpoint: str
    _server: object | None = None

    @property
    def embedded(self) -> bool:
        return self._server is not None

    def stop(self) -> None:
        if self._server is not None:
            self._server.stop()
            self._server = None


def start_emulator(endpoint: str | None = None) -> Emulator:
    """Use ``endpoint`` (or the configured one); otherwise start moto's server on a free port."""
    endpoint = endpoint or configured_endpoint()
    if endpoint:
        return Emulator(endpoint)
    from moto.server import ThreadedMotoServer

    port = free_port()
    server = ThreadedMotoServer(ip_address="127.0.0.1", port=port, verbose=False)
    server.start()
    return Emulator(f"http://127.0.0.1:{port}", server)


def point_process_at(endpoint: str, region: str) -> boto3.session.Session:
    """Make every boto3 client in this process (the handlers' too) use ``endpoint``."""
    os.environ["AWS_ENDPOINT_URL"] = endpoint
    os.environ.setdefault("AWS_ACCESS_KEY_ID", "test")
    os.environ.setdefault("AWS_SECRET_ACCESS_KEY", "test")
    os.environ["AWS_DEFAULT_REGION"] = region
    os.environ["AWS_REGION"] = region
    return boto3.session.Session(region_name=region)
