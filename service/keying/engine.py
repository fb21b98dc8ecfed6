"""The streaming keyer: FFmpeg decodes, NumPy keys, FFmpeg encodes, all three at once.

One pass, no per-frame files. Frames travel as raw 4:2:0 planes through pipes; bounded queues
keep memory at a few frames whatever the video's length.
"""

from __future__ import annotations

import collections
import contextlib
import enum
import math
import os
import queue
import re
import subprocess
import threading
from collections.abc import Callable
from dataclasses import dataclass, replace
from pathlib import Path

import numpy as np

from service.errors import JobFailed, RetryableFailure
from service.keying import edges, enclosure, encoders, matte, outline, pipes, plate, ramps, unmix
from service.keying.ffmpeg import base_args, ffmpeg_binary, reuse_freed_memory, safe_input_args, streaming_env
from service.keying.options import KeyOptions
from service.keying.probe import VideoInfo, probe
from service.keying.temporal import AlphaSmoother

QUEUE_FRAMES = 4
KEYING_NICENESS = 10  # nice value of the keying thread and the decoder: they yield to the encoder
DETECTION_SAMPLES = 3
DETECTION_WIDTH = 480
SAMPLE_TIMEOUT_S = 60
# Peak memory of one keying run (decoder, frame buffers, keying and the VP9-with-alpha encoder,
# which dominates), measured from 720p to 4K: about 120 MB plus 225 bytes per pixel of frame,
# and up to about 40 MB more since the keying keeps freed memory for reuse (ffmpeg.reuse_freed_memory).
# With a margin; terraform/modules/functions checks max_pixels against the worker's memory with
# the same two numbers.
MEMORY_BASE_MB = 240
MEMORY_BYTES_PER_PIXEL = 256
ProgressCallback = Callable[[int, int], None]
Planes = tuple[np.ndarray, np.ndarray, np.ndarray]  # Y, U, V
# What FFmpeg's demuxers log when a file stops before its index or header says it should.
_ENDED_EARLY = re.compile(r"ended prematurely|partial file|truncat", re.IGNORECASE)


@dataclass(frozen=True)
class KeyResult:
    frames: int
    expected_frames: int
    key_color: str
    info: VideoInfo


@dataclass(frozen=True)
class FrameLayout:
    width: int
    height: int

    @property
    def chroma_shape(self) -> tuple[int, int]:
        return (self.height + 1) // 2, (self.width + 1) // 2

    @property
    def luma_bytes(self) -> int:
        return self.width * self.height

    @property
    def chroma_bytes(self) -> int:
        ch, cw = self.chroma_shape
        return ch * cw

    @property
    def frame_bytes(self) -> int:
        return self.luma_bytes + 2 * self.chroma_bytes

    def split(self, frame: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        y = frame[: self.luma_bytes].reshape(self.height, self.width)
        u = frame[self.luma_bytes : self.luma_bytes + self.chroma_bytes].reshape(self.chroma_shape)
        v = frame[self.luma_bytes + self.chroma_bytes :].reshape(self.chroma_shape)
        return y, u, v


def pixels_that_fit(memory_mb: int) -> int:
    """The largest frame, in pixels, one keying run can take within ``memory_mb`` of memory."""
    return max(0, (memory_mb - MEMORY_BASE_MB) * 2**20 // MEMORY_BYTES_PER_PIXEL)


class Cancelled(RetryableFailure):
    """The caller asked the engine to stop (e.g. the Lambda deadline is near)."""


class Sample(enum.Enum):
    """Which frame a detection sample at a time is."""

    KEYFRAME_AFTER = "the first keyframe at or after the time"
    KEYFRAME_BEFORE = "the last keyframe at or before it"
    EXACT = "the frame at the time, decoded from the keyframe before it"


def _decode_samples(path: Path, info: VideoInfo, keyframes_only: bool = True) -> list[Planes]:
    """A few full-resolution frames spread over the clip (full resolution keeps the real noise).

    ``keyframes_only``: each is the first keyframe at or after its time (so a sample costs one
    frame's decode however far into the clip it is), or, where there is none, the last one before
    it. Otherwise each is the frame at its time: slower, for clips whose keyframes all miss the
    screen (a fade from black in a clip with one keyframe). The samples are decoded at once.
    """
    layout = FrameLayout(info.width, info.height)
    offset = 0.0 if keyframes_only else 0.5  # the exact samples fall between the keyframe ones
    times = [info.duration_s * (index + offset) / DETECTION_SAMPLES for index in range(DETECTION_SAMPLES)]
    first_try = Sample.KEYFRAME_AFTER if keyframes_only else Sample.EXACT
    decoders = [_sample_decoder(path, info, at, first_try) for at in times]
    frames = []
    for at, decoder in zip(times, decoders, strict=True):
        raw = _read_sample(decoder)
        if len(raw) != layout.frame_bytes and first_try is Sample.KEYFRAME_AFTER:
            raw = _read_sample(_sample_decoder(path, info, at, Sample.KEYFRAME_BEFORE))
        if len(raw) == layout.frame_bytes:
            frames.append(layout.split(np.frombuffer(raw, dtype=np.uint8)))
    if not frames:
        raise JobFailed("input video cannot be decoded")
    return frames


def _read_sample(decoder: subprocess.Popen) -> bytes:
    try:
        raw, _ = decoder.communicate(timeout=SAMPLE_TIMEOUT_S)
    except subprocess.TimeoutExpired:
        decoder.kill()
        raw, _ = decoder.communicate()
    return raw


def _sample_decoder(path: Path, info: VideoInfo, at: float, sample: Sample) -> subprocess.Popen:
    to_yuv = _to_yuv(info)
    # A single keyframe decodes fastest on one thread (frame threads only add start-up latency).
    keyframe = ["-threads", "1", "-skip_frame", "nokey"] if sample is not Sample.EXACT else []
    if sample is Sample.KEYFRAME_BEFORE:
        keyframe.append("-noaccurate_seek")  # keep the keyframe the seek lands on, before the time
    return subprocess.Popen(
        [
            *base_args(ffmpeg_binary()), *keyframe,
            *(["-ss", f"{at:.3f}"] if at > 0 else []),  # a seek fails outright in a file with no index
            *safe_input_args(path),
            "-map", info.stream_map, *(["-vf", ",".join(to_yuv)] if to_yuv else []),
            # Passed on although stamped before the time (a constant-rate output would drop it).
            "-frames:v", "1", "-fps_mode", "passthrough", "-f", "rawvideo", "-pix_fmt", "yuv420p", "pipe:1",
        ],
        stdin=subprocess.DEVNULL, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL,
    )  # fmt: skip


def plan_matte(path: Path, info: VideoInfo, options: KeyOptions) -> tuple[matte.KeyColor, matte.MatteTables]:
    """Key colour (given or detected) and the clip's tables, tuned to its measured noise."""
    planes = _sample_planes(path, info, keyframes_only=True)
    if options.key_color:
        key = matte.key_color_from_hex(options.key_color, **_coding(info))
    else:
        try:
            key = _detect_key_color(planes)
        except ValueError:  # the keyframes may all miss the screen: look between them
            planes = _sample_planes(path, info, keyframes_only=False)
            try:
                key = _detect_key_color(planes)
            except ValueError as exc:
                raise JobFailed(str(exc)) from None
        key = replace(key, **_coding(info))  # found in the footage's levels: read as it codes them
    noise = _screen_noise(key, planes)
    # Screen the key leaves opaque (a hot spot) is keyed frame by frame against the screen around it
    # (see plate). Its spread would count as noise, and where that moves the clip points, key the
    # whole clip harder (glass over the screen too): the noise is measured again without it. Such
    # screen is found with the clip points the key alone has (the noisy ones key most of it).
    if matte.clip_points(options, noise) != matte.clip_points(options):
        rest = _without_off_key_screen(matte.build_tables(key, options), planes)
        if rest is not None:
            noise = _screen_noise(key, rest)
    # The clip points stay where the raw noise puts them: smoothing only takes out the speckle
    # they could not (grain is not always independent from sample to sample, so it may remove less
    # noise than it seems to, and the screen must not key any less fully than it did).
    return key, matte.build_tables(key, options, noise, smooth_chroma=noise > matte.SMOOTH_ABOVE_NOISE)


def _screen_noise(key: matte.KeyColor, planes: list[Planes]) -> float:
    return matte.screen_noise(key, *(np.stack([p[i] for p in planes]) for i in range(3)))


def _without_off_key_screen(tables: matte.MatteTables, planes: list[Planes]) -> list[Planes] | None:
    """The sampled ``planes`` with the plate's ``off_key`` screen made neutral (the noise does not
    count it); None if there is none."""
    key, rest, found = tables.key, [], False
    for y_small, u, v in planes:
        alpha = matte.look_up(tables, y_small, u, v).alpha
        off_key = plate.measure(y_small, u, v, alpha, (key.y, key.u, key.v), key).off_key_per_sample(u.shape)
        if off_key.any():
            u, v = np.where(off_key, np.uint8(128), u), np.where(off_key, np.uint8(128), v)
            found = True
        rest.append((y_small, u, v))
    return rest if found else None


def _sample_planes(path: Path, info: VideoInfo, keyframes_only: bool) -> list[Planes]:
    """The sampled frames at chroma resolution, every n-th sample: about DETECTION_WIDTH across,
    with each sample's own noise intact."""
    step = max(1, (info.width // 2) // DETECTION_WIDTH)
    return [
        (matte.luma_at_chroma_resolution(y, u.shape)[::step, ::step], u[::step, ::step], v[::step, ::step])
        for y, u, v in _decode_samples(path, info, keyframes_only)
    ]


def _detect_key_color(planes: list[Planes]) -> matte.KeyColor:
    return matte.detect_key_color(*(list(column) for column in zip(*planes, strict=True)))


def _coding(info: VideoInfo) -> dict[str, str | bool]:
    """How the decoded frames encode RGB: the matrix (untagged HD is BT.709, SD BT.601) and range."""
    matrix = "bt709" if (info.color_space or ("bt709" if info.height >= 720 else "")) == "bt709" else "bt601"
    return {"matrix": matrix, "full_range": info.color_range == "pc"}


def key_frame(
    tables: matte.MatteTables,
    layout: FrameLayout,
    frame: np.ndarray,
    out: np.ndarray,
    smoother: AlphaSmoother | None = None,
) -> None:
    """Key one yuv420p frame into ``out`` (yuva420p: Y, despilled U and V, alpha).

    ``smoother`` carries the matte from one frame of a clip to the next (see ``temporal``).
    """
    y, u, v = layout.split(frame)
    if tables.smooth_chroma:
        u, v = matte.smoothed_chroma(u), matte.smoothed_chroma(v)
    out_y, out_u, out_v = layout.split(out[: layout.frame_bytes])
    out_alpha = out[layout.frame_bytes :].reshape(layout.height, layout.width)
    y_small = matte.luma_at_chroma_resolution(y, layout.chroma_shape)
    fields = matte.look_up(tables, y_small, u, v)
    alpha_small = fields.alpha
    key = tables.key
    screen = plate.measure(y_small, u, v, alpha_small, (key.y, key.u, key.v), key)
    matte.rekey_off_key(tables, fields, alpha_small, y_small, u, v, screen)
    matte.judge_dark_samples_at(tables, fields, alpha_small, y_small, u, v, screen.darkest_per_sample(u.shape))
    filled = enclosure.fill_enclosed(alpha_small, enclosure.cell_size(u.shape[1]))
    matte.make_opaque(tables, fields, y_small, u, v, filled)
    ramps.soften_ramps(alpha_small, (y_small, u, v), screen)
    outline.soften_outline(alpha_small, (y_small, u, v), screen)
    fields.plane(matte.DESPILL_U, out=out_u)
    fields.plane(matte.DESPILL_V, out=out_v)
    unsettled = None
    if smoother:
        alpha_small, unsettled = smoother(alpha_small)
    blocks = edges.edge_blocks(alpha_small)
    edges.upsample_alpha(alpha_small, y_small, y, blocks, out=out_alpha)
    matte.finish_luma(tables, y, fields.luma_cut, out_y, blocks, unsettled)
    unmix.soft_pixels(tables, screen, (y, u, v), alpha_small, out_alpha, blocks, (out_y, out_u, out_v))


def _to_yuv(info: VideoInfo) -> list[str]:
    """Filters that make decoded frames the YUV that ``info``'s colour fields describe: an RGB
    source in BT.709 (FFmpeg would convert it with BT.601, which a player of HD video does not
    expect); YUV sources as they are."""
    return ["scale=out_color_matrix=bt709:out_range=tv", "format=yuv420p"] if info.rgb else []


def _decoder(path: Path, info: VideoInfo) -> subprocess.Popen:
    # Interlaced frames weave two moments together, so moving edges would key as combs:
    # deinterlace to one progressive frame per frame (frame count and rate unchanged).
    deinterlace = ["bwdif=mode=send_frame:parity=auto:deint=interlaced"] if info.interlaced else []
    # Raw frames carry no timestamps: the encoder spaces them evenly at the probed rate. Frames
    # that are not evenly spaced (phones in low light, screen and browser recordings, whose header
    # rate need not be their real one) are put on that rate's grid here, each by its own timestamp,
    # repeated or dropped where the rate strays; or the picture would drift from the sound. Evenly
    # spaced frames land one on each grid point, unchanged.
    on_the_grid = ["setpts=PTS-STARTPTS", f"fps={encoders.exact_frame_rate(info.fps)}"]
    # On the grid the frame count follows the timestamps, not the frames stored: a header that
    # claims less than its timestamps span (a 10 s file whose last frame is stamped an hour in)
    # would otherwise be keyed for the hour. The probe checked the claimed length against the limits.
    most_frames = info.frame_count_estimate + math.ceil(info.fps)
    decoder = subprocess.Popen(
        [
            *base_args(ffmpeg_binary()), "-xerror", *safe_input_args(path),
            "-map", info.stream_map, "-vf", ",".join([*deinterlace, *on_the_grid, *_to_yuv(info)]),
            "-fps_mode", "passthrough",
            "-frames:v", str(most_frames),
            "-f", "rawvideo", "-pix_fmt", "yuv420p", "pipe:1",
        ],
        stdin=subprocess.DEVNULL, stdout=subprocess.PIPE, stderr=subprocess.PIPE, env=streaming_env(),
    )  # fmt: skip
    _lower_priority(decoder.pid)  # as the keying does: see _on_a_yielding_thread
    pipes.widen(decoder.stdout)
    return decoder


def _encoder(source: Path, output: Path, info: VideoInfo, output_format: str) -> subprocess.Popen:
    audio = ["-map", "1:a:0", *encoders.audio_codec_args(output_format, info)] if info.has_audio else []
    encoder = subprocess.Popen(
        [
            *base_args(ffmpeg_binary()), "-y",
            "-f", "rawvideo", "-pix_fmt", "yuva420p", "-s", f"{info.width}x{info.height}",
            "-r", encoders.exact_frame_rate(info.fps), *encoders.color_args(info), "-i", "pipe:0",
            *safe_input_args(source),
            "-map", "0:v:0", *encoders.video_filter_args(info),
            *encoders.video_codec_args(output_format, threads=encoder_threads()),
            *audio, *encoders.container_args(output_format),
            f"file:{output.resolve()}",
        ],
        stdin=subprocess.PIPE, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, env=streaming_env(),
    )  # fmt: skip
    pipes.widen(encoder.stdin)
    return encoder


def encoder_threads() -> int:
    """Threads for the VP9 encoder: every core this process may use but one, and at least one.

    The keying and the decoder need a core of their own. Given both cores of a two-core machine,
    the encoder's two threads (which wait for each other row by row) stalled whenever the keying
    took one of them: a clean-screen 1080p clip took 5.0-5.9 s, with one thread 4.3-4.8 s in the
    same runs. Once the keying got cheaper the two were within noise (five paired runs: clean
    3.9-4.3 s against 3.9-4.9 s, grainy 6.5-8.2 s against 6.7-7.6 s), and one thread never lost
    clearly.
    """
    return max(1, usable_cores() - 1)


def usable_cores() -> int:
    """The cores this process may run on (its CPU affinity where the system has one)."""
    try:
        return len(os.sched_getaffinity(0))
    except AttributeError:  # not Linux
        return os.cpu_count() or 2


def _write_frames(stream, keyed: queue.Queue, errors: list[BaseException], pool: pipes.BufferPool) -> None:
    lender = pipes.PageLender(stream)
    try:
        while (frame := keyed.get()) is not None:
            for done in lender.write(frame):
                pool.give(done)
    except OSError as exc:
        errors.append(exc)
        while keyed.get() is not None:  # drain so the producer never blocks
            pass
    finally:
        with contextlib.suppress(OSError):
            stream.close()
        # Pages still in the pipe belong to these: the pool keeps them, unwritten now that the
        # keying is over, until the pipeline (and the encoder reading them) has finished.
        for lent in lender.still_lent():
            pool.give(lent)


def key_video(
    source: Path,
    output: Path,
    options: KeyOptions | None = None,
    info: VideoInfo | None = None,
    on_progress: ProgressCallback | None = None,
    should_stop: Callable[[], bool] | None = None,
) -> KeyResult:
    """Key ``source`` into ``output`` (WebM or MOV per ``options.format``) in one streaming pass.

    Example:
        >>> key_video(Path("in.mp4"), Path("out.webm"))  # doctest: +SKIP
        KeyResult(frames=300, ...)

    Raises:
        JobFailed: the input is not a usable video or breaks part-way.
        Cancelled: ``should_stop`` returned True before the end.
    """
    options = options or KeyOptions()
    reuse_freed_memory()
    # A first frame that does not decode fails the decoders below as clearly as the probe would.
    info = info or probe(source, decode_first_frame=False)
    layout = FrameLayout(info.width, info.height)
    # The first frames decode, and the encoder starts up, while the matte is planned. The encoder
    # writes nothing before its first frame, so stopping it on a failed plan leaves no file.
    decoding = _Decoding(source, info, layout)
    encoder = None
    try:
        encoder = _encoder(source, output, info, options.format)
        key, tables = plan_matte(source, info, options)
    except BaseException:
        if encoder:
            encoder.kill()
            encoder.wait()
        decoding.abandon()
        raise
    frames_done = _run_pipeline(decoding, encoder, tables, layout, info, on_progress, should_stop)
    return KeyResult(frames_done, info.frame_count_estimate, key.to_hex(), info)


class _Decoding:
    """The decoder process and the thread that reads its frames into a bounded queue."""

    def __init__(self, source: Path, info: VideoInfo, layout: FrameLayout) -> None:
        self.process = _decoder(source, info)
        self.frames: queue.Queue = queue.Queue(maxsize=QUEUE_FRAMES)
        self.buffers = pipes.BufferPool(layout.frame_bytes)
        self.log = _drain_in_background(self.process.stderr)
        self.reader = threading.Thread(
            target=pipes.read_frames,
            args=(self.process.stdout, layout.frame_bytes, self.frames, self.buffers),
            daemon=True,
        )
        self.reader.start()

    def abandon(self) -> None:
        """Stop decoding and let the reader reach the end of the stream and exit."""
        self.process.kill()
        while self.frames.get() is not None:
            pass
        self.reader.join(timeout=5)
        self.process.wait()


def _run_pipeline(decoding: _Decoding, encoder, tables, layout, info, on_progress, should_stop) -> int:
    keyed: queue.Queue = queue.Queue(maxsize=QUEUE_FRAMES)
    write_errors: list[BaseException] = []
    outputs = pipes.BufferPool(layout.frame_bytes + layout.luma_bytes)
    writer = threading.Thread(target=_write_frames, args=(encoder.stdin, keyed, write_errors, outputs), daemon=True)
    encoder_log = _drain_in_background(encoder.stderr)
    writer.start()
    total = info.frame_count_estimate
    frames_done = 0

    def key_all() -> None:
        nonlocal frames_done
        smoother = AlphaSmoother()
        while (frame := decoding.frames.get()) is not None:
            if should_stop and should_stop():
                raise Cancelled("stopped before the time limit; the job will be retried")
            out = outputs.take()
            key_frame(tables, layout, frame, out, smoother)
            decoding.buffers.give(frame)
            keyed.put(out)
            frames_done += 1
            if on_progress:
                on_progress(frames_done, max(total, frames_done))

    try:
        _on_a_yielding_thread(key_all)
    except BaseException:
        encoder.kill()
        encoder.wait()
        decoding.abandon()
        raise
    finally:
        keyed.put(None)
        writer.join()
        decoding.reader.join(timeout=5)
    return _finish(decoding, encoder, encoder_log, frames_done, info, write_errors)


def _on_a_yielding_thread(work: Callable[[], None]) -> None:
    """Run ``work`` on its own thread at a lower CPU priority; re-raise what it raises.

    On two cores the whole run is CPU-bound, and the encoder stalls whenever the keying or the
    decoder takes its core mid-frame; at a lower priority they run in its gaps instead. Which
    side waits varies: since the keying got cheaper the encoder is more often the one left
    waiting for frames (on the 1080p bench clips, 56-86 % of the writer's time). Measured, not
    reasoned: at nice 0 a clean-screen clip took 6.5-6.7 s where nice 10 took 5.4-5.7 s, and
    later, with one encoder thread, nice 0 for the keying or for both still lost in three
    paired runs per clip (grainy 8.87-9.62 s against 7.63-8.51 s).
    """
    failures: list[BaseException] = []

    def run() -> None:
        _lower_priority(threading.get_native_id())  # on Linux a thread id changes that thread only
        try:
            work()
        except BaseException as exc:  # handed to the calling thread, which re-raises it
            failures.append(exc)

    thread = threading.Thread(target=run, name="keying", daemon=True)
    thread.start()
    thread.join()
    if failures:
        raise failures[0]


def _lower_priority(process_or_thread_id: int) -> None:
    """Make a process (or, on Linux, a thread) yield to the encoder; never raise its priority."""
    with contextlib.suppress(OSError, AttributeError):
        current = os.getpriority(os.PRIO_PROCESS, process_or_thread_id)
        os.setpriority(os.PRIO_PROCESS, process_or_thread_id, max(current, KEYING_NICENESS))


def _finish(decoding: _Decoding, encoder, encoder_log, frames_done, info: VideoInfo, write_errors) -> int:
    decoder_rc, encoder_rc = decoding.process.wait(), encoder.wait()
    decoding.log.join()
    encoder_log.join()
    cut_short = _ENDED_EARLY.search("".join(decoding.log.lines))
    if decoder_rc != 0 or frames_done == 0 or cut_short:
        raise JobFailed(f"input video is corrupt or truncated (decoding stopped after {frames_done} frames)")
    # The header's duration is the longest stream's: with audio it only bounds the video's length.
    total = info.frame_count_estimate
    if (info.duration_from_video or not info.has_audio) and frames_done < total - max(2, total // 50):
        raise JobFailed(f"input video is truncated: {frames_done} of {total} frames could be decoded")
    if encoder_rc != 0 or write_errors:
        detail = "".join(list(encoder_log.lines)[-3:]).strip()
        raise RuntimeError(f"encoder failed (exit {encoder_rc}): {detail}")
    return frames_done


class _LogDrain(threading.Thread):
    """Reads a process's log as it comes, keeping the last lines (where the reason for an end is)."""

    def __init__(self, stream) -> None:
        super().__init__(daemon=True)
        self.stream = stream
        self.lines: collections.deque[str] = collections.deque(maxlen=200)

    def run(self) -> None:
        for line in iter(self.stream.readline, b""):
            self.lines.append(line.decode("utf-8", "replace"))


def _drain_in_background(stream) -> _LogDrain:
    drain = _LogDrain(stream)
    drain.start()
    return drain
