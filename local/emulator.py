"""The AWS endpoint for the local stack: an embedded moto server, or LocalStack when configured."""

from __future__ import annotations

import os
import socket
import threading
from collections.abc import Callable, Iterable
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


def atomic_dynamodb(app: Callable) -> Callable:
    """WSGI middleware: one DynamoDB request at a time.

    moto checks a ConditionExpression and applies the write as separate steps, so two
    concurrent requests can both pass the same condition (two workers both claiming a job).
    DynamoDB makes each conditional write atomic; serialising DynamoDB calls gives the local
    stack the same guarantee. S3 and SQS (long polls) stay concurrent.
    """
    lock = threading.Lock()

    def serve(environ: dict, start_response: Callable) -> Iterable[bytes]:
        if not environ.get("HTTP_X_AMZ_TARGET", "").startswith("DynamoDB_"):
            return app(environ, start_response)
        with lock:
            return list(app(environ, start_response))

    return serve


class EmbeddedMotoServer:
    """moto's server app on a background thread, with DynamoDB writes made atomic."""

    def __init__(self, host: str, port: int) -> None:
        self.host, self.port = host, port
        self._server = None
        self._thread: threading.Thread | None = None

    def start(self) -> None:
        from moto.moto_server.werkzeug_app import DomainDispatcherApplication, MotoRequestHandler, create_backend_app
        from werkzeug.serving import make_server

        app = atomic_dynamodb(DomainDispatcherApplication(create_backend_app))
        self._server = make_server(self.host, self.port, app, threaded=True, request_handler=MotoRequestHandler)
        self._thread = threading.Thread(target=self._server.serve_forever, name="moto", daemon=True)
        self._thread.start()

    def stop(self) -> None:
        if self._server is not None:
            self._server.shutdown()
            self._thread.join()
            self._server = None


def start_emulator(endpoint: str | None = None) -> Emulator:
    """Use ``endpoint`` (or the configured one); otherwise start moto's server on a free port."""
    endpoint = endpoint or configured_endpoint()
    if endpoint:
        return Emulator(endpoint)
    port = free_port()
    server = EmbeddedMotoServer("127.0.0.1", port)
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
