"""Shared test helpers: decode outputs with alpha, wait for jobs, serve files over HTTP, read /proc."""

from __future__ import annotations

import contextlib
import functools
import http.server
import os
import re
import subprocess
import threading
import time
from contextlib import contextmanager
from pathlib import Path

import numpy as np
import requests

from service.keying.ffmpeg import ffmpeg_binary
from service.keying.probe import parse_probe_output

TERMINAL = {"DONE", "ERROR"}


def decode_rgba(path: Path) -> tuple[np.ndarray, str]:
    """Every frame as RGBA (libvpx decoder for WebM, so alpha is read back) and FFmpeg's log."""
    decoder = ["-c:v", "libvpx-vp9"] if path.suffix == ".webm" else []
    info = subprocess.run([ffmpeg_binary(), "-hide_banner", *decoder, "-i", str(path)], capture_output=True, text=True)
    shape = parse_probe_output(info.stderr)  # frames as decoded: upright if the stream is turned
    width, height = shape.width, shape.height
    raw = subprocess.run(
        [ffmpeg_binary(), "-v", "error", *decoder, "-i", str(path), "-f", "rawvideo", "-pix_fmt", "rgba", "-"],
        capture_output=True,
        check=True,
    ).stdout
    return np.frombuffer(raw, np.uint8).reshape(-1, height, width, 4), info.stderr


def duration_s(ffmpeg_log: str) -> float:
    h, m, s = re.search(r"Duration: (\d+):(\d+):([\d.]+)", ffmpeg_log).groups()
    return int(h) * 3600 + int(m) * 60 + float(s)


def wait_for_terminal(base_url: str, job_id: str, timeout_s: float = 120, headers: dict | None = None) -> dict:
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        status = requests.get(f"{base_url}/status/{job_id}", headers=headers or {}, timeout=10).json()
        if status["status"] in TERMINAL:
            return status
        time.sleep(0.2)
    raise AssertionError(f"job {job_id} not finished after {timeout_s} s: {status}")


class QuietHandler(http.server.SimpleHTTPRequestHandler):
    def log_message(self, *args) -> None:
        pass


@contextmanager
def serve_directory(directory: Path, handler=QuietHandler):
    """An HTTP server on loopback serving ``directory``; yields its base URL."""
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), functools.partial(handler, directory=str(directory)))
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_port}"
    finally:
        server.shutdown()


def _erode(mask: np.ndarray, radius: int) -> np.ndarray:
    """Keep pixels whose whole (2r+1)^2 neighbourhood is in ``mask`` (frames on axis 0)."""
    out = mask.copy()
    for dy in range(-radius, radius + 1):
        for dx in range(-radius, radius + 1):
            out &= np.roll(np.roll(mask, dy, axis=1), dx, axis=2)
    return out


def screen_and_subject_masks(rgba: np.ndarray, radius: int = 3) -> tuple[np.ndarray, np.ndarray]:
    """Clear-cut screen and subject pixels of a source clip (away from edges)."""
    r, g, b = (rgba[..., i].astype(int) for i in range(3))
    dominant = np.maximum(g, b) - np.maximum(np.minimum(g, b), r)
    screen = dominant > 40
    subject = dominant < 5
    return _erode(screen, radius), _erode(subject, radius)


def _children(pid: int) -> list[int]:
    found = []
    for task in os.listdir(f"/proc/{pid}/task"):
        with contextlib.suppress(OSError):
            found += [int(child) for child in Path(f"/proc/{pid}/task/{task}/children").read_text().split()]
    return found


def child_processes() -> set[int]:
    """This process's children, running or not yet reaped (Linux /proc)."""
    return set(_children(os.getpid()))


def _proportional_kb(pid: int) -> int:
    """A process's proportional set size: shared pages (the FFmpeg binary) counted once overall."""
    with contextlib.suppress(OSError):
        for line in Path(f"/proc/{pid}/smaps_rollup").read_text().splitlines():
            if line.startswith("Pss:"):
                return int(line.split()[1])
    return 0


def peak_memory_mb(command: list[str], interval_s: float = 0.01) -> float:
    """Run ``command`` to the end; the peak memory of it and all its child processes together."""
    process = subprocess.Popen(command)
    peak_kb = 0
    while process.poll() is None:
        tree, total_kb = [process.pid], 0
        while tree:
            pid = tree.pop()
            total_kb += _proportional_kb(pid)
            with contextlib.suppress(OSError):
                tree += _children(pid)
        peak_kb = max(peak_kb, total_kb)
        time.sleep(interval_s)
    assert process.returncode == 0, f"{command} exited with {process.returncode}"
    return peak_kb / 1024
