from __future__ import annotations

from pathlib import Path

import pytest

from local.samples import SCREEN_BLUE, make_clip
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
