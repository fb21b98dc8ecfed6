from __future__ import annotations

from pathlib import Path

import boto3
import pytest
from moto import mock_aws

from local.samples import SCREEN_BLUE, make_clip
from local.stack import REGION, bootstrap, handler_environment, stack_names
from service import wiring
from tests.helpers import serve_directory


@pytest.fixture(scope="session")
def clips(tmp_path_factory) -> dict[str, Path]:
    """Tiny clips generated once per test session with FFmpeg's lavfi."""
    folder = tmp_path_factory.mktemp("clips")
    return {
        "green": make_clip(folder / "green.mp4"),
        "blue": make_clip(folder / "blue.mp4", screen=SCREEN_BLUE),
        "silent": make_clip(folder / "silent.mp4", audio=False),
    }


@pytest.fixture(scope="session")
def clip_server(clips):
    """Serves the clip folder over HTTP on loopback."""
    with serve_directory(clips["green"].parent) as base_url:
        yield base_url


@pytest.fixture(scope="module")
def stack():
    """The whole local stack (embedded moto server, shim, worker) over real sockets."""
    from local.runtime import LocalOptions, LocalRuntime

    runtime = LocalRuntime(LocalOptions(workers=2, retry_delay_s=1)).start()
    yield runtime
    runtime.stop()


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
