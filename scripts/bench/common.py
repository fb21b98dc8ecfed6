"""Shared by the benchmarks: run FFmpeg, decode to RGBA, time commands."""

from __future__ import annotations

import subprocess
import time
from pathlib import Path

import numpy as np

from service.keying.encoders import video_codec_args
from service.keying.ffmpeg import ffmpeg_binary

FF = ffmpeg_binary()
BT709 = ["-colorspace", "bt709", "-color_primaries", "bt709", "-color_trc", "bt709", "-color_range", "tv"]
# The encoder settings our engine uses for WebM (its own function), so baselines and the floor are
# compared fairly; the thread count is the caller's choice.
VP9_REALTIME = video_codec_args("webm", threads=2)


def run_ffmpeg(*args: str) -> None:
    subprocess.run([FF, "-hide_banner", "-loglevel", "error", "-y", *args], check=True)


def timed(action) -> float:
    start = time.perf_counter()
    action()
    return time.perf_counter() - start


def decode_rgba(path: Path, width: int, height: int) -> np.ndarray:
    decoder = ["-c:v", "libvpx-vp9"] if path.suffix == ".webm" else []
    raw = subprocess.run(
        [FF, "-v", "error", *decoder, "-i", str(path), "-f", "rawvideo", "-pix_fmt", "rgba", "-"],
        capture_output=True,
        check=True,
    ).stdout
    return np.frombuffer(raw, np.uint8).reshape(-1, height, width, 4)
