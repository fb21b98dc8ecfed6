"""Where the FFmpeg binary is, and the input arguments that keep it on the local file.

FFmpeg never sees a URL: the fetcher has already downloaded the input, and FFmpeg may open only
``file:`` paths, with demuxers limited to real video containers, so a playlist or concat list
disguised as a video cannot make it read other files or hosts.
"""

from __future__ import annotations

import ctypes
import os
import shutil
from functools import lru_cache
from pathlib import Path

from service.config import settings

# The Lambda layer puts the binary here (see scripts/build_layer.py).
LAMBDA_LAYER_FFMPEG = "/opt/bin/ffmpeg"

# Demuxers for real video containers; everything else (hls, concat, image2, subfile, ...) is refused.
ALLOWED_DEMUXERS = (
    "mov,mp4,m4a,3gp,3g2,mj2",
    "matroska,webm",
    "avi",
    "mpegts",
    "flv",
    "mxf",
    "mpeg",
    "gif",  # animated GIFs (stickers, memes); the demuxer reads nothing but the file
)


@lru_cache(maxsize=1)
def ffmpeg_binary() -> str:
    """The FFmpeg to run: ``FFMPEG_PATH``, the Lambda layer's, imageio-ffmpeg's, or ``PATH``'s."""
    configured = settings().ffmpeg_path
    if configured:
        return configured
    if os.path.exists(LAMBDA_LAYER_FFMPEG):
        return LAMBDA_LAYER_FFMPEG
    try:
        import imageio_ffmpeg

        return imageio_ffmpeg.get_ffmpeg_exe()
    except (ImportError, RuntimeError):
        found = shutil.which("ffmpeg")
        if not found:
            raise RuntimeError("no FFmpeg binary found; set FFMPEG_PATH") from None
        return found


def safe_input_args(path: Path, video_decoder: str | None = None) -> list[str]:
    """Arguments that open ``path`` as a local video file and nothing else."""
    args = [
        "-protocol_whitelist",
        "file",
        "-format_whitelist",
        ",".join(ALLOWED_DEMUXERS),
    ]
    if video_decoder:
        args += ["-c:v", video_decoder]
    # "file:" stops a name such as "concat:..." or "http:..." from being read as a protocol.
    return [*args, "-i", f"file:{path.resolve()}"]


# FFmpeg reading raw frames allocates every frame's packet anew (5 MB at 1080p with alpha), and
# glibc maps an allocation that large afresh and unmaps it when freed: on the bench clip that was
# one mmap and munmap per frame and about 1 s of the encoder's system CPU per 300 frames. At
# glibc's highest mmap threshold (32 MB) such buffers come from the heap and are reused, and a
# heap is not given back to the system until this much of it is free. Other C libraries ignore
# the variable.
MMAP_THRESHOLD, TRIM_THRESHOLD = 32 << 20, 256 << 20
MALLOC_TUNABLES = f"glibc.malloc.mmap_threshold={MMAP_THRESHOLD}:glibc.malloc.trim_threshold={TRIM_THRESHOLD}"
_M_TRIM_THRESHOLD, _M_MMAP_THRESHOLD = -1, -3  # mallopt's parameter numbers (malloc.h)


@lru_cache(maxsize=1)
def reuse_freed_memory() -> bool:
    """The same for this process, whose keying makes frame-sized NumPy temporaries every frame.

    Tunables are read when a process starts, so here it is ``mallopt``. With glibc's defaults each
    of those came from fresh pages, zeroed by the kernel: on an edge-rich 1080p clip about 2 200
    page faults and 3-5 ms of system CPU per frame, against 11-13 ms of keying. The price is up
    to about 40 MB kept (see engine.MEMORY_BASE_MB). Returns whether it applied (not on other C
    libraries or systems).
    """
    try:
        libc = ctypes.CDLL(None)  # the symbols already loaded, the C library's among them
        return bool(libc.mallopt(_M_MMAP_THRESHOLD, MMAP_THRESHOLD) and libc.mallopt(_M_TRIM_THRESHOLD, TRIM_THRESHOLD))
    except (OSError, AttributeError):
        return False


def streaming_env() -> dict[str, str]:
    """The environment for FFmpeg processes that stream raw frames (the caller's tunables win)."""
    env = dict(os.environ)
    env["GLIBC_TUNABLES"] = ":".join(filter(None, (MALLOC_TUNABLES, env.get("GLIBC_TUNABLES"))))
    return env


def base_args(binary: str) -> list[str]:
    return [binary, "-hide_banner", "-nostdin", "-loglevel", "error"]
