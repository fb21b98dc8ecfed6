"""Hostile media through the worker: every file ends the job in ERROR with a reason, FFmpeg never
opens anything but the downloaded file, and the work directory is empty afterwards."""

from __future__ import annotations

import json
import os
import subprocess
from pathlib import Path

import pytest

from service import wiring
from service.handlers import submit, worker
from service.keying.ffmpeg import ffmpeg_binary
from tests.events import FakeContext, api_event, get_status, sqs_event
from tests.helpers import serve_directory

FF = ffmpeg_binary()


def ffmpeg(*args: str) -> None:
    subprocess.run([FF, "-hide_banner", "-loglevel", "error", "-y", *args], check=True, timeout=120)


@pytest.fixture(scope="module")
def media(tmp_path_factory, clips) -> dict[str, Path]:
    """At least 15 hostile files, made at test time."""
    folder = tmp_path_factory.mktemp("hostile")
    good = clips["green"].read_bytes()
    files: dict[str, Path] = {}

    def write(name: str, data: bytes | str) -> None:
        path = folder / name
        path.write_bytes(data.encode() if isinstance(data, str) else data)
        files[name] = path

    write("empty.mp4", b"")
    write("random.mp4", os.urandom(200_000))
    write("text.mp4", "Lorem ipsum dolor sit amet\n" * 500)
    write("error-page.mp4", "<!doctype html><html><body><h1>404 Not Found</h1></body></html>\n" * 20)
    write("truncated.mp4", good[: len(good) // 3])
    write("zip.mp4", b"PK\x03\x04" + os.urandom(5000))
    # moov at the end (no faststart), then the tail cut off: the index is gone.
    moov_last = folder / "moov-last-src.mp4"
    ffmpeg("-i", str(clips["green"]), "-c", "copy", str(moov_last))
    write("moov-cut.mp4", moov_last.read_bytes()[: int(moov_last.stat().st_size * 0.9)])
    # A Matroska file (video and audio) whose second half never arrived.
    whole_mkv = folder / "whole.mkv"
    ffmpeg("-i", str(clips["green"]), "-c", "copy", str(whole_mkv))
    write("cut-with-audio.mkv", whole_mkv.read_bytes()[: int(whole_mkv.stat().st_size * 0.6)])
    # Corrupt data in the middle of an otherwise valid file.
    damaged = bytearray(good)
    for offset in range(len(damaged) // 2, len(damaged) // 2 + 40_000, 7):
        damaged[offset] ^= 0xFF
    write("damaged-middle.mp4", bytes(damaged))
    ffmpeg("-f", "lavfi", "-i", "sine=d=2", "-c:a", "aac", str(folder / "audio-only.mp4"))
    files["audio-only.mp4"] = folder / "audio-only.mp4"
    ffmpeg(
        "-f",
        "lavfi",
        "-i",
        "color=c=green:s=64x64",
        "-frames:v",
        "1",
        "-f",
        "image2",
        "-c:v",
        "png",
        str(folder / "still.png"),
    )
    write("still-image.mp4", (folder / "still.png").read_bytes())
    ffmpeg("-f", "lavfi", "-i", "color=c=green:s=64x64", "-frames:v", "1", "-f", "gif", str(folder / "still.gif"))
    files["still.gif"] = folder / "still.gif"  # GIFs are accepted when animated
    ffmpeg("-f", "lavfi", "-i", "color=c=green:s=64x64", "-frames:v", "1", "-f", "image2", "-c:v", "mjpeg",
           str(folder / "photo.jpg"))  # fmt: skip
    write("photo.mp4", (folder / "photo.jpg").read_bytes())
    ffmpeg(
        "-f",
        "lavfi",
        "-i",
        "color=c=green:s=12000x12000:d=0.2:r=5",
        "-c:v",
        "png",
        "-f",
        "matroska",
        str(folder / "huge.mkv"),
    )
    files["huge-dimensions.mkv"] = folder / "huge.mkv"
    ffmpeg("-f", "lavfi", "-i", "anullsrc=d=1", "-f", "lavfi", "-i", "sine=d=1", "-map", "0", "-c:a", "pcm_s16le",
           "-f", "matroska", str(folder / "no-video.mkv"))  # fmt: skip
    files["no-video.mkv"] = folder / "no-video.mkv"
    write("hls-local.mp4", f"#EXTM3U\n#EXT-X-TARGETDURATION:10\n#EXTINF:10,\n{clips['green']}\n#EXT-X-ENDLIST\n")
    write(
        "hls-remote.mp4",
        "#EXTM3U\n#EXT-X-TARGETDURATION:10\n#EXTINF:10,\nhttp://127.0.0.1:{sentinel}/seg.ts\n#EXT-X-ENDLIST\n",
    )
    write("concat-local.mp4", f"ffconcat version 1.0\nfile '{clips['green']}'\nfile '/etc/passwd'\n")
    write("concat-subfile.mp4", f"ffconcat version 1.0\nfile 'subfile,,start,0,end,0,,:{clips['green']}'\n")
    write("too-long.mp4", good)  # 2 s; the test lowers MAX_DURATION_S to 1
    return files


EXPECTED = {
    "empty.mp4": "not a video",
    "random.mp4": "not a video",
    "text.mp4": "not a video",
    "error-page.mp4": "not a video",
    "truncated.mp4": "truncated",
    "cut-with-audio.mkv": "truncated",
    "zip.mp4": "not a video",
    "moov-cut.mp4": "moov",
    "damaged-middle.mp4": "corrupt",
    "audio-only.mp4": "no video stream",
    "still-image.mp4": "PNG image, not a video",
    "still.gif": "still image",
    "photo.mp4": "JPEG image, not a video",
    "huge-dimensions.mkv": "12000x12000",
    "no-video.mkv": "no video stream",
    "hls-local.mp4": "not a video",
    "hls-remote.mp4": "not a video",
    "concat-local.mp4": "not a video",
    "concat-subfile.mp4": "not a video",
    "too-long.mp4": "limit is 1 s",
}


def test_the_corpus_is_big_enough():
    assert len(EXPECTED) >= 15


@pytest.fixture()
def work_dir(aws, tmp_path, monkeypatch):
    folder = tmp_path / "work"
    folder.mkdir()
    monkeypatch.setenv("WORK_DIR", str(folder))
    wiring.reset()
    return folder


@pytest.mark.parametrize("name", sorted(EXPECTED))
def test_hostile_file_ends_in_error_with_a_reason(name, media, aws, work_dir, monkeypatch):
    session, resources = aws
    if name == "too-long.mp4":
        monkeypatch.setenv("MAX_DURATION_S", "1")
        wiring.reset()
    path = media[name]
    if name == "hls-remote.mp4":
        with serve_directory(path.parent) as sentinel_url:  # a server that must not be contacted
            port = sentinel_url.rsplit(":", 1)[1]
            path.write_text(path.read_text().replace("{sentinel}", port))
    session.client("s3").upload_file(str(path), resources.names.input_bucket, name)
    body = json.dumps({"inputUrl": f"s3://{resources.names.input_bucket}/{name}"})
    job_id = json.loads(submit.handler(api_event("POST", "/submit", body))["body"])["jobId"]
    result = worker.handler(sqs_event(json.dumps({"jobId": job_id})), FakeContext())
    assert result == {"batchItemFailures": []}, "a bad file is a permanent failure, not a retry"
    status = get_status(job_id)[1]
    assert status["status"] == "ERROR", status
    assert EXPECTED[name] in status["error"], status["error"]
    assert "Traceback" not in status["error"]
    assert list(work_dir.iterdir()) == [], "the job's temp dir is removed"
    outputs = session.client("s3").list_objects_v2(Bucket=resources.names.output_bucket).get("KeyCount", 0)
    assert outputs == 0, "no half video is uploaded"
