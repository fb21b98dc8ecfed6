"""The keying engine: one entry point, :func:`key_video`, used by the worker and the CLI."""

from service.keying.engine import Cancelled, KeyResult, key_video, pixels_that_fit
from service.keying.options import OUTPUT_CONTENT_TYPES, KeyOptions, parse_key_options
from service.keying.probe import ProbeLimits, VideoInfo, probe

__all__ = [
    "OUTPUT_CONTENT_TYPES",
    "Cancelled",
    "KeyOptions",
    "KeyResult",
    "ProbeLimits",
    "VideoInfo",
    "key_video",
    "parse_key_options",
    "pixels_that_fit",
    "probe",
]
