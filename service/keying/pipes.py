"""Raw frames through pipes, at the least kernel cost: the keyer's plumbing to and from FFmpeg.

A 1080p frame is 3 MB in and 5 MB out, 30 times a second, and on a small VM the kernel's share of
moving it (copying into pipe pages it allocates, waking the other side every 64 KB) measured more
CPU than the keying itself. Three things cut it, each measured on the 10 s 1080p bench clip:

- pipes of 1 MB instead of 64 KB: a sixteenth of the wake-ups (context switches 169 000 -> 100 000);
- frames handed to the encoder by lending their pages (``vmsplice``) instead of copying them into
  the pipe: the kernel allocates no pipe pages, and the encoder's read copies straight from ours
  (1.6 GB through a pipe: 1.2 s of system CPU written, 0.3 s lent);
- buffers reused from a pool: a fresh 3-5 MB buffer per frame costs thousands of page faults.

The FFmpeg processes' own share (a 5 MB packet mapped and unmapped per raw frame) is cut by the
environment they run in: see ``ffmpeg.streaming_env``.
"""

from __future__ import annotations

import collections
import contextlib
import ctypes
import errno
import os
import queue

import numpy as np

try:
    import fcntl
except ImportError:  # not Unix: plain pipes
    fcntl = None

PIPE_BYTES = 1 << 20  # the most an unprivileged process may ask for (fs.pipe-max-size's default)
_FALLBACK_ERRORS = (errno.EINVAL, errno.ENOSYS, errno.EBADF)


def widen(stream) -> None:
    """Give the pipe behind ``stream`` PIPE_BYTES of buffer, where the system allows it."""
    with contextlib.suppress(OSError, AttributeError, ValueError):  # AttributeError: not Linux
        fcntl.fcntl(stream.fileno(), fcntl.F_SETPIPE_SZ, PIPE_BYTES)


class BufferPool:
    """Frame buffers handed back after use instead of allocated per frame."""

    def __init__(self, size: int) -> None:
        self.size = size
        self._free: queue.SimpleQueue[np.ndarray] = queue.SimpleQueue()

    def take(self) -> np.ndarray:
        try:
            return self._free.get_nowait()
        except queue.Empty:
            return np.empty(self.size, dtype=np.uint8)

    def give(self, buffer: np.ndarray) -> None:
        self._free.put(buffer)


def read_frames(stream, frame_bytes: int, frames: queue.Queue, pool: BufferPool) -> None:
    """Put each whole frame read from ``stream`` on ``frames``, then None (also on a short read)."""
    try:
        while True:
            buffer = pool.take()
            view, filled = memoryview(buffer), 0
            while filled < frame_bytes:
                count = stream.readinto(view[filled:])
                if not count:
                    break
                filled += count
            if filled < frame_bytes:
                break
            frames.put(buffer)
    finally:
        frames.put(None)


class _IoVec(ctypes.Structure):
    _fields_ = [("base", ctypes.c_void_p), ("length", ctypes.c_size_t)]


def _vmsplice_function():
    try:
        function = ctypes.CDLL(None, use_errno=True).vmsplice
    except (OSError, AttributeError):  # not Linux
        return None
    function.argtypes = [ctypes.c_int, ctypes.POINTER(_IoVec), ctypes.c_size_t, ctypes.c_uint]
    function.restype = ctypes.c_ssize_t
    return function


def _capacity(fd: int) -> int | None:
    """The pipe's size in bytes; None if ``fd`` is not a pipe (or the system cannot say)."""
    try:
        return fcntl.fcntl(fd, fcntl.F_GETPIPE_SZ)
    except (OSError, AttributeError):
        return None


class PageLender:
    """Writes buffers into a pipe by lending their pages; says when each may be written again.

    A lent page stays in the pipe until the reader has read it, so a buffer is not handed back
    until a pipe's worth of later bytes has gone in behind it (a pipe slot holds at most a page,
    so by then every slot has been read). Where ``vmsplice`` is missing (not Linux) or refused,
    it copies with ``write`` and hands each buffer back at once.
    """

    _vmsplice = staticmethod(_vmsplice_function())

    def __init__(self, stream) -> None:
        self._stream = stream
        self._fd = stream.fileno()
        self._capacity = _capacity(self._fd) if self._vmsplice else None
        self._lending = self._capacity is not None
        self._written = 0  # bytes lent so far
        self._lent: collections.deque[tuple[np.ndarray, int]] = collections.deque()  # (buffer, _written after it)

    def write(self, buffer: np.ndarray) -> list[np.ndarray]:
        """Write all of ``buffer``; returns the earlier buffers that are no longer in the pipe."""
        if self._lending and self._lend(buffer):
            self._written += buffer.nbytes
            returned = self._returned()
            self._lent.append((buffer, self._written))
            return returned
        self._stream.write(buffer.data)
        return [*self.still_lent(), buffer]

    def still_lent(self) -> list[np.ndarray]:
        """The buffers whose pages may still be in the pipe; keep them unchanged until the
        reader has exited."""
        lent = [buffer for buffer, _ in self._lent]
        self._lent.clear()
        return lent

    def _returned(self) -> list[np.ndarray]:
        """The lent buffers with a pipe's worth of bytes written behind them."""
        returned = []
        while self._lent and self._written - self._lent[0][1] >= self._capacity:
            returned.append(self._lent.popleft()[0])
        return returned

    def _lend(self, buffer: np.ndarray) -> bool:
        """Lend all of ``buffer`` to the pipe; False if the kernel refuses before any of it went in."""
        address, remaining = buffer.ctypes.data, buffer.nbytes
        while remaining:
            piece = _IoVec(address, remaining)
            count = self._vmsplice(self._fd, ctypes.byref(piece), 1, 0)
            if count < 0:
                code = ctypes.get_errno()
                if code == errno.EINTR:
                    continue
                if code in _FALLBACK_ERRORS and remaining == buffer.nbytes:
                    self._lending = False  # from now on, write copies
                    return False
                raise OSError(code, os.strerror(code))
            address += count
            remaining -= count
        return True
