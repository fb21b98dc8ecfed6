"""Probe an input with FFmpeg before keying: is it a video we can and may process?"""

from __future__ import annotations

import re
import subprocess
from dataclasses import dataclass, replace
from pathlib import Path

from service.errors import JobFailed
from service.keying.ffmpeg import ALLOWED_DEMUXERS, base_args, ffmpeg_binary, safe_input_args

PROBE_TIMEOUT_S = 30
_DURATION = re.compile(r"Duration: (\d+):(\d\d):(\d\d(?:\.\d+)?)")
_VIDEO = re.compile(r"Stream #0:(\d+)[^:]*: Video: (\w+)([^\n]*)")
_SIZE = re.compile(r", (\d{1,6})x(\d{1,6})")
_FPS = re.compile(r", ([\d.]+)(k?) (?:fps|tbr)")
_PIXFMT = re.compile(r"^[^,]*, ?([a-z0-9_]+)(?:\(([^)]*)\))?")
_AUDIO = re.compile(r"Stream #0:\d+[^:]*: Audio: ([^\n]*)")
_START = re.compile(r", start (-?\d+(?:\.\d+)?)")
_SAR = re.compile(r"\[SAR (\d{1,5}):(\d{1,5}) DAR")
_ROTATION = re.compile(r"rotation of (-?\d+(?:\.\d+)?) degrees", re.IGNORECASE)
_STILL_CODECS = {"png", "mjpeg", "bmp", "gif", "webp", "jpeg2000", "tiff"}  # image codecs: cover art, stills
# Pixel formats that store R, G and B (PNG and QuickTime Animation in MOV, GIF, RGB H.264 or VP9);
# the engine decodes them to BT.709 limited-range YUV (see VideoInfo.rgb).
_RGB_FORMATS = ("rgb", "bgr", "gbr", "argb", "abgr", "0rgb", "0bgr", "x2rgb", "x2bgr", "pal8")
# What a file's first bytes say when it is an image, not a video: (offset, signature, name).
_IMAGE_SIGNATURES = (
    (0, b"\x89PNG", "a PNG image"),
    (0, b"\xff\xd8\xff", "a JPEG image"),
    (8, b"WEBP", "a WebP image"),
    (0, b"BM", "a BMP image"),
    (0, b"II*\x00", "a TIFF image"),
    (0, b"MM\x00*", "a TIFF image"),
    (8, b"heic", "a HEIC photo"),
    (8, b"heix", "a HEIC photo"),
    (8, b"mif1", "a HEIF image"),
    (8, b"avif", "an AVIF image"),
)
_LOSSLESS_AUDIO = {"flac", "alac", "wavpack", "truehd", "mlp", "tta"}
_DEEP_SAMPLE_FORMATS = {"s32", "s32p", "s64", "s64p", "flt", "fltp", "dbl", "dblp"}
_COLOR_WORDS = {
    "primaries": ("bt709", "bt470bg", "smpte170m", "bt2020"),
    "transfer": ("bt709", "smpte170m", "bt2020-10", "arib-std-b67", "smpte2084"),
}


@dataclass(frozen=True)
class VideoInfo:
    """What the engine needs to know about an input; ``width`` and ``height`` are as displayed
    (a phone clip stored landscape with a 90-degree display matrix is portrait here, as FFmpeg
    decodes it upright)."""

    width: int
    height: int
    fps: float
    duration_s: float
    codec: str
    pix_fmt: str
    has_audio: bool
    # The colour of the frames as the engine decodes them: the source's own tags, except for RGB.
    color_range: str | None = None
    color_space: str | None = None
    color_primaries: str | None = None
    color_transfer: str | None = None
    sample_aspect: tuple[int, int] | None = None  # pixel shape when not square (anamorphic footage)
    stream_index: int = 0  # the file's stream that is the video (not cover art or a thumbnail track)
    # True when duration_s was measured on the video stream itself. The header's duration is the
    # longest stream's, so with audio it may run past the video's last frame.
    duration_from_video: bool = False
    interlaced: bool = False  # two fields per frame, a moment apart (broadcast and camcorder 1080i)
    audio_lead_s: float = 0.0  # how long the (first) audio stream plays before the first picture
    # Lossless audio deeper than 16 bits (24-bit PCM from a recorder, FLAC, ALAC): MOV keeps 24.
    audio_24_bit: bool = False
    # An RGB source is decoded to BT.709 limited-range YUV (FFmpeg's default would be BT.601), and
    # its colour fields say so: an RGB matrix tag does not describe YUV frames.
    rgb: bool = False

    @property
    def stream_map(self) -> str:
        """FFmpeg's ``-map`` specifier for the video stream."""
        return f"0:{self.stream_index}"

    @property
    def frame_count_estimate(self) -> int:
        return max(1, round(self.duration_s * self.fps))


@dataclass(frozen=True)
class ProbeLimits:
    max_pixels: int = 3840 * 2160
    max_fps: float = 120.0
    max_duration_s: float = 600.0
    max_pixels_reason: str = ""  # why the pixel limit is what it is, when it is not the configured one


def _describe_failure(stderr: str, head: bytes = b"") -> str:
    lowered = stderr.lower()
    if head[4:8] == b"ftyp":  # starts like an MP4 but FFmpeg cannot open it: cut off
        return "input is not a complete MP4 (its index, the 'moov' atom, is missing: truncated upload?)"
    if "invalid data found" in lowered or ("format" in lowered and "not on whitelist" in lowered):
        return "input is not a video (FFmpeg does not recognise the file format)"
    if "end of file" in lowered or "truncat" in lowered:
        return "input video is truncated"
    return "input is not a readable video"


def _parse_color(details: str) -> dict[str, str | None]:
    words = [w.strip() for w in details.split(",")] if details else []
    color_range = next((w for w in words if w in {"tv", "pc"}), None)
    matrix = next(
        (w.split("/")[0] for w in words if w.split("/")[0] in {"bt709", "bt470bg", "smpte170m", "bt2020nc"}), None
    )
    primaries = transfer = None
    for word in words:
        if "/" in word:  # FFmpeg prints "space/primaries/transfer" when they differ
            parts = word.split("/")
            if len(parts) == 3:
                matrix, primaries, transfer = parts
    if matrix and not primaries:
        primaries = matrix if matrix in _COLOR_WORDS["primaries"] else None
        transfer = matrix if matrix in _COLOR_WORDS["transfer"] else None
    return {
        "color_range": color_range,
        "color_space": matrix,
        "color_primaries": primaries,
        "color_transfer": transfer,
    }


def _rgb_as_decoded(color: dict[str, str | None]) -> dict[str, str | None]:
    """The colour of an RGB source's frames once decoded to YUV (untagged RGB is taken as sRGB)."""
    known = {name: value for name, value in color.items() if value not in {None, "unknown"}}
    return {
        "color_range": "tv",
        "color_space": "bt709",
        "color_primaries": known.get("color_primaries", "bt709"),
        "color_transfer": known.get("color_transfer", "iec61966-2-1"),
    }


def parse_probe_output(stderr: str, head: bytes = b"") -> VideoInfo:
    """Turn ``ffmpeg -i`` output into :class:`VideoInfo`; raise :class:`JobFailed` when unusable.

    ``head`` is the file's first bytes: they tell a photo from a video, and an MP4 signature FFmpeg
    cannot open means a cut-off MP4.
    """
    image = next((name for at, sign, name in _IMAGE_SIGNATURES if head[at : at + len(sign)] == sign), None)
    if image:  # checked first: FFmpeg opens some (HEIF is an MP4-like box file) as a one-frame "video"
        raise JobFailed(f"input is {image}, not a video")
    if "Input #0" not in stderr:
        raise JobFailed(_describe_failure(stderr, head))
    video, audio = _main_video_stream(stderr), _AUDIO.search(stderr)
    if not video:
        kind = "audio only" if audio else "no video stream"
        raise JobFailed(f"input has no video stream ({kind})")
    codec, details = video.group(2), video.group(3)
    stream_section = stderr[video.end() :].split("Stream #", 1)[0]
    size = _SIZE.search(details)
    fps = _FPS.search(details)
    if not size or not fps:
        raise JobFailed("input video stream has no usable size or frame rate")
    pix = _PIXFMT.match(details)
    color = _parse_color(pix.group(2) if pix and pix.group(2) else "")
    rgb = bool(pix) and (pix.group(1).startswith(_RGB_FORMATS) or color["color_space"] == "gbr")
    duration = _DURATION.search(stderr)
    duration_s = (
        int(duration.group(1)) * 3600 + int(duration.group(2)) * 60 + float(duration.group(3)) if duration else 0.0
    )
    fps_value = float(fps.group(1)) * (1000 if fps.group(2) else 1)
    width, height = int(size.group(1)), int(size.group(2))
    sample_aspect = _sample_aspect(details)
    if _quarter_turned(stream_section):
        width, height = height, width  # FFmpeg's decoder turns the frames upright (phone footage)
        sample_aspect = sample_aspect[::-1] if sample_aspect else None
    return VideoInfo(
        width=width,
        height=height,
        fps=fps_value,
        duration_s=duration_s,
        codec=codec,
        pix_fmt=pix.group(1) if pix else "unknown",
        has_audio=bool(audio),
        audio_24_bit=bool(audio) and _deep_lossless(audio.group(1)),
        audio_lead_s=max(0.0, _start_s(details) - _start_s(audio.group(1))) if audio else 0.0,
        sample_aspect=sample_aspect,
        stream_index=int(video.group(1)),
        interlaced=bool(pix and pix.group(2) and "first" in pix.group(2)),  # "top first", "bottom first"
        rgb=rgb,
        **(_rgb_as_decoded(color) if rgb else color),
    )


def _main_video_stream(stderr: str) -> re.Match | None:
    """The stream to key: moving video over cover art and thumbnails, then the largest frame.

    FFmpeg's own ``0:v:0`` is simply the first video stream, which in some files is a cover
    image or a small preview track; keying that would key the wrong picture.
    """

    def rank(video: re.Match) -> tuple[bool, bool, int]:
        size = _SIZE.search(video.group(3))
        area = int(size.group(1)) * int(size.group(2)) if size else 0
        still = video.group(2) in _STILL_CODECS or "(attached pic)" in video.group(3)
        return not still, "(default)" in video.group(3), area

    streams = list(_VIDEO.finditer(stderr))
    return max(streams, key=rank) if streams else None  # max keeps the first of equals


def _deep_lossless(audio_details: str) -> bool:
    """Whether an audio stream is lossless and deeper than 16 bits ("pcm_s24le (lpcm), 96000 Hz,
    stereo, s32 (24 bit)"); lossy codecs decode to float, which 16 bits hold as well."""
    words = [word.strip().split(" ")[0] for word in audio_details.split(",")]
    lossless = words[0].startswith("pcm_") or words[0] in _LOSSLESS_AUDIO
    return lossless and any(word in _DEEP_SAMPLE_FORMATS for word in words[1:])


def _start_s(stream_details: str) -> float:
    """When a stream starts: FFmpeg prints it only when it is not 0 (MPEG-TS from camcorders and
    broadcast often starts its audio before its first picture)."""
    start = _START.search(stream_details)
    return float(start.group(1)) if start else 0.0


def _sample_aspect(details: str) -> tuple[int, int] | None:
    found = _SAR.search(details)
    if not found:
        return None
    numerator, denominator = int(found.group(1)), int(found.group(2))
    return (numerator, denominator) if numerator and denominator and numerator != denominator else None


def _quarter_turned(stream_section: str) -> bool:
    """Whether the stream's display matrix turns it by 90 or 270 degrees."""
    rotation = _ROTATION.search(stream_section)
    return bool(rotation) and round(float(rotation.group(1))) % 180 == 90


def check_limits(info: VideoInfo, limits: ProbeLimits) -> None:
    if info.codec in _STILL_CODECS and info.duration_s <= 0.05:
        raise JobFailed(f"input is a still image ({info.codec}), not a video")
    if info.width < 2 or info.height < 2:
        raise JobFailed(f"input video is {info.width}x{info.height}; it must be at least 2x2")
    if info.width * info.height > limits.max_pixels:
        reason = f" ({limits.max_pixels_reason})" if limits.max_pixels_reason else ""
        raise JobFailed(
            f"input video is {info.width}x{info.height}; the limit is {limits.max_pixels:,} pixels per frame{reason}"
        )
    if not 0 < info.fps <= limits.max_fps:
        raise JobFailed(f"input frame rate {info.fps:g} fps is outside 0-{limits.max_fps:g} fps")
    if info.duration_s <= 0:
        raise JobFailed("input video has no duration (empty or broken file)")
    if info.duration_s > limits.max_duration_s:
        raise JobFailed(f"input video is {info.duration_s:.0f} s long; the limit is {limits.max_duration_s:.0f} s")


def _ffmpeg(args: list[str], doing: str) -> subprocess.CompletedProcess:
    """Run FFmpeg on the input with the probe's time limit; a file that holds it up is refused."""
    try:
        return subprocess.run(
            [*base_args(ffmpeg_binary()), *args],
            capture_output=True, text=True, errors="replace", timeout=PROBE_TIMEOUT_S, check=False,
        )  # fmt: skip
    except subprocess.TimeoutExpired:
        raise JobFailed(f"input video: {doing} took over {PROBE_TIMEOUT_S} s") from None


def _measured_duration(path: Path, info: VideoInfo) -> float:
    """The video stream's length from reading its packets (no decoding): frames over frame rate,
    or the last packet's time if that is later."""
    result = _ffmpeg(
        [*safe_input_args(path), "-map", info.stream_map, "-c", "copy", "-f", "null", "-progress", "pipe:1",
         "-nostats", "-"],
        "measuring its length",
    )  # fmt: skip
    progress = dict(re.findall(r"^(\w+)=(\S+)$", result.stdout, re.MULTILINE))  # the last value of each key wins
    frames = int(progress.get("frame", "0") or 0)
    end_us = progress.get("out_time_us", "0")
    end_s = int(end_us) / 1e6 if end_us.isdigit() else 0.0
    return max(frames / info.fps if info.fps > 0 else 0.0, end_s)


def probe(path: Path, limits: ProbeLimits | None = None, decode_first_frame: bool = True) -> VideoInfo:
    """Read the container header, check it against ``limits`` and (unless told not to) decode the
    first frame."""
    # The header is printed at the default log level, so this one call raises the level back.
    header = _ffmpeg(["-loglevel", "info", *safe_input_args(path)], "reading its header")
    with path.open("rb") as handle:
        head = handle.read(12)
    info = parse_probe_output(header.stderr, head)
    if info.duration_s <= 0:  # live recordings (a browser's MediaRecorder WebM) carry no duration
        info = replace(info, duration_s=_measured_duration(path, info), duration_from_video=True)
    check_limits(info, limits or ProbeLimits())
    if not decode_first_frame:
        return info
    first_frame = _ffmpeg(
        ["-xerror", *safe_input_args(path), "-map", info.stream_map, "-frames:v", "1", "-f", "null", "-"],
        "decoding its first frame",
    )
    if first_frame.returncode != 0:
        raise JobFailed("input video is truncated or corrupt: its first frame cannot be decoded")
    return info


__all__ = ["ALLOWED_DEMUXERS", "ProbeLimits", "VideoInfo", "check_limits", "parse_probe_output", "probe"]
