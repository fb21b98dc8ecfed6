"""The ``greenscreen`` command as a user runs it: separate processes talking HTTP."""

from __future__ import annotations

import os
import subprocess
import sys
import time
from pathlib import Path

import pytest
import requests

from local.emulator import free_port
from tests.helpers import decode_rgba

pytestmark = pytest.mark.slow
CLI = [sys.executable, "-m", "local.cli"]


def run(*args: str, timeout: float = 120) -> subprocess.CompletedProcess:
    return subprocess.run([*CLI, *args], capture_output=True, text=True, timeout=timeout, check=False)


def test_key_command_keys_a_local_file_without_aws(clips, tmp_path):
    output = tmp_path / "keyed.mov"
    result = run("key", str(clips["green"]), str(output), "--strength", "0.6")
    assert result.returncode == 0, result.stderr
    frames, log = decode_rgba(output)
    assert "prores" in log and frames[..., 3].min() == 0


def test_key_command_rejects_bad_options_and_bad_files(clips, tmp_path):
    bad_option = run("key", str(clips["green"]), str(tmp_path / "x.webm"), "--strength", "3")
    assert bad_option.returncode == 2 and "strength" in bad_option.stderr
    text = tmp_path / "text.mp4"
    text.write_text("not a video")
    bad_file = run("key", str(text), str(tmp_path / "y.webm"))
    assert bad_file.returncode == 1 and "not a video" in bad_file.stderr


@pytest.fixture(scope="module")
def served_api():
    port = free_port()
    env = {k: v for k, v in os.environ.items() if k != "AWS_ENDPOINT_URL"}
    process = subprocess.Popen(
        [*CLI, "serve", "--port", str(port)], stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, env=env
    )
    base_url = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        try:
            if requests.get(f"{base_url}/health", timeout=1).ok:
                break
        except requests.ConnectionError:
            time.sleep(0.2)
    else:
        process.kill()
        pytest.fail(f"serve did not start: {process.stdout.read()}")
    yield base_url
    process.terminate()
    process.wait(timeout=30)


def test_submit_uploads_a_local_file_waits_and_downloads(served_api, clips, tmp_path):
    output = tmp_path / "result.webm"
    result = run("submit", str(clips["green"]), "--api", served_api, "--out", str(output))
    assert result.returncode == 0, result.stderr
    assert Path(result.stdout.strip()) == output
    assert decode_rgba(output)[0][..., 3].min() == 0


def test_submit_exits_non_zero_with_the_jobs_error(served_api, clip_server):
    result = run("submit", f"{clip_server}/no-such-file.mp4", "--api", served_api, "--wait")
    assert result.returncode == 1
    assert "ERROR" in result.stderr and "HTTP 404" in result.stderr
