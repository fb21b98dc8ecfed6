"""Raw frames through pipes: lent pages reach the reader intact, whatever the writer does next."""

from __future__ import annotations

import ctypes
import ctypes.util
import fcntl
import os
import subprocess
import sys
import threading
import time
from pathlib import Path

import numpy as np
import pytest

from service.keying import engine, pipes
from service.keying.ffmpeg import MALLOC_TUNABLES, streaming_env

SCRIBBLE = 0xEE


def _read_all(fd: int, into: bytearray) -> None:
    time.sleep(0.2)  # let the writer run ahead, so lent pages wait in the pipe while it goes on
    with os.fdopen(fd, "rb") as stream:
        into.extend(stream.read())


def _send_scribbling(frames: list[np.ndarray]) -> tuple[bytes, int]:
    """Write ``frames`` through a widened pipe, overwriting every buffer the lender hands back
    (as the pool's next user does). Returns what the reader got and how many came back early."""
    read_end, write_end = os.pipe()
    received = bytearray()
    reader = threading.Thread(target=_read_all, args=(read_end, received))
    reader.start()
    handed_back = 0
    with os.fdopen(write_end, "wb") as stream:
        pipes.widen(stream)
        lender = pipes.PageLender(stream)
        for frame in frames:
            for done in lender.write(frame):
                done[:] = SCRIBBLE
                handed_back += 1
    reader.join(timeout=10)
    return bytes(received), handed_back


@pytest.mark.parametrize("frame_bytes", [5_184_000, 1_500_001, 10_000])  # 1080p, about a pipe, tiny
def test_lent_frames_arrive_intact_although_returned_buffers_are_overwritten(frame_bytes: int) -> None:
    rng = np.random.default_rng(frame_bytes)
    frames = [rng.integers(0, 255, frame_bytes, dtype=np.uint8) for _ in range(200 if frame_bytes < 50_000 else 6)]
    expected = b"".join(frame.tobytes() for frame in frames)

    received, handed_back = _send_scribbling(frames)

    assert received == expected
    assert handed_back > 0  # buffers do come back for reuse before the end


def test_a_stream_that_is_not_a_pipe_is_written_by_copying(tmp_path: Path) -> None:
    frames = [np.full(4096 * 3 + 5, value, np.uint8) for value in (1, 2, 3)]
    with (tmp_path / "frames.raw").open("wb") as stream:
        lender = pipes.PageLender(stream)
        returned = [lender.write(frame) for frame in frames]
    assert (tmp_path / "frames.raw").read_bytes() == b"".join(frame.tobytes() for frame in frames)
    assert [len(batch) for batch in returned] == [1, 1, 1]  # a copy frees each buffer at once


def test_pipes_are_widened_as_far_as_the_system_allows() -> None:
    read_end, write_end = os.pipe()
    with os.fdopen(read_end, "rb") as reader, os.fdopen(write_end, "wb") as writer:
        pipes.widen(writer)
        allowed = int(Path("/proc/sys/fs/pipe-max-size").read_text())
        assert fcntl.fcntl(reader.fileno(), fcntl.F_GETPIPE_SZ) == min(pipes.PIPE_BYTES, allowed)


def test_the_streaming_ffmpeg_processes_get_the_malloc_tunables(monkeypatch, clips, tmp_path: Path) -> None:
    tunables: dict[str, str] = {}
    real_popen = subprocess.Popen

    def recording_popen(args, **kwargs):
        role = "encoder" if "pipe:0" in args else "sampler" if "-skip_frame" in args else "decoder"
        tunables[role] = (kwargs.get("env") or {}).get("GLIBC_TUNABLES", "")
        return real_popen(args, **kwargs)

    monkeypatch.setenv("GLIBC_TUNABLES", "glibc.malloc.arena_max=2")
    monkeypatch.setattr(engine.subprocess, "Popen", recording_popen)
    engine.key_video(clips["silent"], tmp_path / "out.webm")

    expected = f"{MALLOC_TUNABLES}:glibc.malloc.arena_max=2"  # the caller's own setting comes last and wins
    assert tunables["decoder"] == tunables["encoder"] == expected == streaming_env()["GLIBC_TUNABLES"]


def test_a_reader_that_has_gone_is_a_broken_pipe_not_a_hang() -> None:
    read_end, write_end = os.pipe()
    os.close(read_end)
    with os.fdopen(write_end, "wb") as stream:
        lender = pipes.PageLender(stream)
        with pytest.raises(BrokenPipeError):
            lender.write(np.zeros(5_184_000, np.uint8))


def test_an_encoder_that_dies_fails_the_run_instead_of_hanging(monkeypatch, clips, tmp_path: Path) -> None:
    real_encoder = engine._encoder

    def dying_encoder(*args, **kwargs):
        process = real_encoder(*args, **kwargs)
        process.kill()
        return process

    monkeypatch.setattr(engine, "_encoder", dying_encoder)
    started = time.monotonic()
    with pytest.raises(RuntimeError, match="encoder failed"):
        engine.key_video(clips["silent"], tmp_path / "out.webm")
    assert time.monotonic() - started < 30


_MALLINFO_PROBE = """
import ctypes, sys
import numpy as np
from service.keying.ffmpeg import reuse_freed_memory

class MallInfo2(ctypes.Structure):
    _fields_ = [(name, ctypes.c_size_t) for name in (
        "arena", "ordblks", "smblks", "hblks", "hblkhd", "usmblks", "fsmblks", "uordblks", "fordblks", "keepcost")]

libc = ctypes.CDLL("libc.so.6")
libc.mallinfo2.restype = MallInfo2
applied = sys.argv[1] == "tuned" and reuse_freed_memory()
frame_sized = np.ones(16 << 20, np.uint8)  # a temporary as large as a 4K frame's plane
print(int(applied), libc.mallinfo2().hblkhd)
"""


def test_the_keying_process_takes_frame_sized_temporaries_from_its_heap() -> None:
    """Fresh pages for every temporary cost an edge-rich 1080p clip 3-5 ms of system CPU per frame."""
    libc = ctypes.CDLL(ctypes.util.find_library("c") or "libc.so.6")
    if not hasattr(libc, "mallinfo2"):
        pytest.skip("not glibc 2.33 or later")

    def mapped_bytes(mode: str) -> tuple[int, int]:
        done = subprocess.run([sys.executable, "-c", _MALLINFO_PROBE, mode], capture_output=True, text=True, check=True)
        applied, mapped = done.stdout.split()
        return int(applied), int(mapped)

    assert mapped_bytes("default")[1] >= 16 << 20  # glibc's default: mapped afresh, faulted in page by page
    applied, mapped = mapped_bytes("tuned")
    assert applied == 1 and mapped < 16 << 20


def test_key_video_tunes_its_own_allocator(monkeypatch, clips, tmp_path: Path) -> None:
    calls: list[bool] = []
    monkeypatch.setattr(engine, "reuse_freed_memory", lambda: calls.append(True) or True)
    engine.key_video(clips["silent"], tmp_path / "out.webm")
    assert calls
