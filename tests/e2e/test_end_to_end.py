"""The whole service over sockets: shim -> handlers -> moto server -> poller -> worker -> FFmpeg."""

from __future__ import annotations

import time
from pathlib import Path

import pytest
import requests

from tests.helpers import decode_rgba, duration_s, screen_and_subject_masks, serve_directory, wait_for_terminal

pytestmark = pytest.mark.slow


def submit(stack, input_url: str, **options) -> str:
    body = {"inputUrl": input_url, **({"options": options} if options else {})}
    response = requests.post(f"{stack.base_url}/submit", json=body, timeout=10)
    assert response.status_code == 202, response.text
    assert response.json()["status"] == "PENDING"
    return response.json()["jobId"]


def download(url: str, path: Path) -> Path:
    response = requests.get(url, timeout=30)
    assert response.status_code == 200
    path.write_bytes(response.content)
    return path


def assert_transparent_copy_of(output: Path, source: Path) -> None:
    """Alpha plane present, same frames and duration, screen transparent, subject opaque."""
    keyed, keyed_log = decode_rgba(output)
    original, original_log = decode_rgba(source)
    assert "yuva420p" in keyed_log or "yuva444p" in keyed_log, keyed_log
    assert keyed.shape[0] == original.shape[0]
    assert abs(duration_s(keyed_log) - duration_s(original_log)) < 0.1
    screen, subject = screen_and_subject_masks(original)
    alpha = keyed[..., 3].astype(float)
    assert screen.sum() > 0 and subject.sum() > 0
    assert alpha[screen].mean() < 6, "screen pixels must be transparent"
    assert alpha[subject].mean() > 249, "subject pixels must stay opaque"


def test_http_url_job_is_keyed_and_downloadable(stack, clips, clip_server, tmp_path):
    job_id = submit(stack, f"{clip_server}/green.mp4")
    status = wait_for_terminal(stack.base_url, job_id)
    assert status["status"] == "DONE", status
    assert status["progress"] == 100
    assert status["error"] is None
    assert set(status) >= {
        "jobId",
        "inputUrl",
        "status",
        "outputUrl",
        "createdAt",
        "updatedAt",
        "error",
        "options",
        "progress",
    }
    response = requests.get(status["outputUrl"], timeout=30)
    assert response.headers["Content-Type"] == "video/webm"
    output = download(status["outputUrl"], tmp_path / "out.webm")
    assert_transparent_copy_of(output, clips["green"])


def test_output_url_is_presigned_fresh_on_each_request(stack, clip_server):
    job_id = submit(stack, f"{clip_server}/green.mp4")
    first = wait_for_terminal(stack.base_url, job_id)
    time.sleep(1.1)  # X-Amz-Date has one-second resolution
    second = requests.get(f"{stack.base_url}/status/{job_id}", timeout=10).json()
    assert "X-Amz-Signature=" in first["outputUrl"]
    assert "X-Amz-Expires=3600" in first["outputUrl"]
    assert second["outputUrl"].split("?")[0] == first["outputUrl"].split("?")[0]
    assert second["outputUrl"] != first["outputUrl"], "a new URL is signed for every status request"


def test_s3_input_in_the_input_bucket(stack, clips, tmp_path):
    s3 = stack.session.client("s3")
    s3.upload_file(str(clips["green"]), stack.resources.names.input_bucket, "direct/green.mp4")
    job_id = submit(stack, f"s3://{stack.resources.names.input_bucket}/direct/green.mp4", format="mov")
    status = wait_for_terminal(stack.base_url, job_id)
    assert status["status"] == "DONE", status
    assert status["outputUrl"].split("?")[0].endswith(".mov")
    output = download(status["outputUrl"], tmp_path / "out.mov")
    assert_transparent_copy_of(output, clips["green"])


def test_upload_then_submit(stack, clips, tmp_path):
    target = requests.post(f"{stack.base_url}/uploads", json={"filename": "my clip.mp4"}, timeout=10).json()
    assert target["inputUrl"].startswith(f"s3://{stack.resources.names.input_bucket}/uploads/")
    put = requests.put(target["uploadUrl"], data=clips["green"].read_bytes(), headers=target["headers"], timeout=30)
    assert put.status_code == 200
    job_id = submit(stack, target["inputUrl"])
    status = wait_for_terminal(stack.base_url, job_id)
    assert status["status"] == "DONE", status
    assert_transparent_copy_of(download(status["outputUrl"], tmp_path / "up.webm"), clips["green"])


@pytest.fixture()
def hostile_files(tmp_path, clips):
    (tmp_path / "notes.mp4").write_text("this is a text file, not a video\n" * 50)
    data = clips["green"].read_bytes()
    (tmp_path / "truncated.mp4").write_bytes(data[: len(data) // 2])
    with serve_directory(tmp_path) as base_url:
        yield base_url


@pytest.mark.parametrize(
    ("name", "reason"),
    [
        ("missing.mp4", "HTTP 404"),
        ("notes.mp4", "not a video"),
        ("truncated.mp4", "truncated"),
    ],
)
def test_bad_inputs_end_in_error_with_a_reason(stack, hostile_files, name, reason):
    job_id = submit(stack, f"{hostile_files}/{name}")
    status = wait_for_terminal(stack.base_url, job_id)
    assert status["status"] == "ERROR"
    assert reason in status["error"], status["error"]
    assert status["outputUrl"] is None
