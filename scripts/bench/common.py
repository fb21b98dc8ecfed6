"""Shared by the benchmarks: run FFmpeg, decode to RGBA, time commands."""

from __future__ import annotations

import subprocess
import time
from pathlib import Path

import numpy as np

from service.keying.ffmpeg import ffmpeg_binary

FF = ffmpeg_binary()
BT709 = ["-colorspace", "bt709", "-color_primaries", "bt709", "-color_trc", "bt709", "-color_range", "tv"]
# The encoder settings our engine uses for WebM, so baselines and the floor are compared fairly.
VP9_REALTIME = [
    "-c:v", "libvpx-vp9", "-pix_fmt", "yuva420p", "-deadline", "realtime", "-cpu-used", "8", "-row-mt", "1",
    "-tile-columns", "2", "-threads", "2", "-crf", "30", "-b:v", "0", "-auto-alt-ref", "0", "-lag-in-frames", "0",
]  # fmt: skip


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
