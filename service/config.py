"""Every environment variable the service reads, read here once into a frozen settings object.

Terraform sets each of these for the functions that need them; ``tests/infra`` checks that the
names below and the Terraform ``environment`` blocks agree. The one exception is the function's
memory size, which the Lambda runtime sets itself from the function's ``memory_size``.
"""

from __future__ import annotations

import ipaddress
import os
from collections.abc import Mapping
from dataclasses import dataclass, field
from functools import lru_cache

from service.errors import ConfigError

# Environment variable names: the one place the code spells them.
ENV_JOBS_TABLE = "JOBS_TABLE"
ENV_JOB_QUEUE_URL = "JOB_QUEUE_URL"
ENV_DEAD_LETTER_QUEUE_URL = "DEAD_LETTER_QUEUE_URL"
ENV_INPUT_BUCKET = "INPUT_BUCKET"
ENV_OUTPUT_BUCKET = "OUTPUT_BUCKET"
ENV_WORK_DIR = "WORK_DIR"
ENV_MAX_INPUT_BYTES = "MAX_INPUT_BYTES"
ENV_DOWNLOAD_TIMEOUT_S = "DOWNLOAD_TIMEOUT_S"
ENV_MAX_ATTEMPTS = "MAX_ATTEMPTS"
ENV_OUTPUT_URL_TTL_S = "OUTPUT_URL_TTL_S"
ENV_UPLOAD_URL_TTL_S = "UPLOAD_URL_TTL_S"
ENV_JOB_RETENTION_DAYS = "JOB_RETENTION_DAYS"
ENV_FETCH_ALLOW_HTTP = "FETCH_ALLOW_HTTP"
ENV_FETCH_ALLOWED_NETWORKS = "FETCH_ALLOWED_NETWORKS"
ENV_AUTH_MODE = "AUTH_MODE"
ENV_MAX_DURATION_S = "MAX_DURATION_S"
ENV_MAX_PIXELS = "MAX_PIXELS"
ENV_FFMPEG_PATH = "FFMPEG_PATH"
ENV_STALE_JOB_AFTER_S = "STALE_JOB_AFTER_S"
LAMBDA_MEMORY_SIZE = "AWS_LAMBDA_FUNCTION_MEMORY_SIZE"  # set by the Lambda runtime, not by Terraform

AUTH_MODES = ("none", "iam", "jwt", "api_key")


@dataclass(frozen=True)
class Settings:
    """Runtime configuration. Resource names are optional so each function needs only its own."""

    jobs_table: str | None = None
    job_queue_url: str | None = None
    dead_letter_queue_url: str | None = None
    input_bucket: str | None = None
    output_bucket: str | None = None
    work_dir: str = "/tmp"  # noqa: S108 - Lambda's only writable disk
    max_input_bytes: int = 2 * 1024**3
    download_timeout_s: float = 60.0
    max_attempts: int = 3
    output_url_ttl_s: int = 3600
    upload_url_ttl_s: int = 900
    job_retention_days: int = 30
    fetch_allow_http: bool = False
    fetch_allowed_networks: tuple[ipaddress.IPv4Network | ipaddress.IPv6Network, ...] = field(default_factory=tuple)
    auth_mode: str = "none"
    max_duration_s: float = 600.0
    max_pixels: int = 3840 * 2160
    ffmpeg_path: str | None = None
    stale_job_after_s: int = 6 * 3600
    memory_mb: int | None = None  # the function's memory on Lambda; None elsewhere

    def require(self, name: str) -> str:
        """Return a resource setting that must be present for the calling function."""
        value = getattr(self, name)
        if not value:
            env_name = _ENV_BY_FIELD[name]
            raise ConfigError(f"environment variable {env_name} is not set for this function")
        return value


_ENV_BY_FIELD = {
    "jobs_table": ENV_JOBS_TABLE,
    "job_queue_url": ENV_JOB_QUEUE_URL,
    "dead_letter_queue_url": ENV_DEAD_LETTER_QUEUE_URL,
    "input_bucket": ENV_INPUT_BUCKET,
    "output_bucket": ENV_OUTPUT_BUCKET,
}

# The names the service may read; tests compare this set with Terraform's environment blocks.
ALL_ENV_VARS = frozenset(
    value for name, value in globals().items() if name.startswith("ENV_") and isinstance(value, str)
)


def _int(env: Mapping[str, str], name: str, default: int, minimum: int = 1) -> int:
    raw = env.get(name)
    if raw is None or raw == "":
        return default
    try:
        value = int(raw)
    except ValueError:
        raise ConfigError(f"{name} must be an integer, got {raw!r}") from None
    if value < minimum:
        raise ConfigError(f"{name} must be at least {minimum}, got {value}")
    return value


def _bool(env: Mapping[str, str], name: str) -> bool:
    raw = env.get(name, "false").strip().lower()
    if raw not in {"true", "false", "1", "0", ""}:
        raise ConfigError(f"{name} must be true or false, got {raw!r}")
    return raw in {"true", "1"}


def _networks(env: Mapping[str, str], name: str) -> tuple:
    raw = env.get(name, "")
    try:
        return tuple(ipaddress.ip_network(part.strip()) for part in raw.split(",") if part.strip())
    except ValueError as exc:
        raise ConfigError(f"{name} must be a comma-separated list of CIDR blocks: {exc}") from None


def load_settings(env: Mapping[str, str] | None = None) -> Settings:
    """Read settings from ``env`` (default: ``os.environ``).

    Example:
        >>> load_settings({"JOBS_TABLE": "jobs"}).jobs_table
        'jobs'
    """
    env = os.environ if env is None else env
    auth_mode = env.get(ENV_AUTH_MODE, "none") or "none"
    if auth_mode not in AUTH_MODES:
        raise ConfigError(f"{ENV_AUTH_MODE} must be one of {', '.join(AUTH_MODES)}")
    return Settings(
        jobs_table=env.get(ENV_JOBS_TABLE) or None,
        job_queue_url=env.get(ENV_JOB_QUEUE_URL) or None,
        dead_letter_queue_url=env.get(ENV_DEAD_LETTER_QUEUE_URL) or None,
        input_bucket=env.get(ENV_INPUT_BUCKET) or None,
        output_bucket=env.get(ENV_OUTPUT_BUCKET) or None,
        work_dir=env.get(ENV_WORK_DIR) or "/tmp",  # noqa: S108 - Lambda's only writable disk
        max_input_bytes=_int(env, ENV_MAX_INPUT_BYTES, 2 * 1024**3),
        download_timeout_s=float(_int(env, ENV_DOWNLOAD_TIMEOUT_S, 60)),
        max_attempts=_int(env, ENV_MAX_ATTEMPTS, 3),
        output_url_ttl_s=_int(env, ENV_OUTPUT_URL_TTL_S, 3600),
        upload_url_ttl_s=_int(env, ENV_UPLOAD_URL_TTL_S, 900),
        job_retention_days=_int(env, ENV_JOB_RETENTION_DAYS, 30),
        fetch_allow_http=_bool(env, ENV_FETCH_ALLOW_HTTP),
        fetch_allowed_networks=_networks(env, ENV_FETCH_ALLOWED_NETWORKS),
        auth_mode=auth_mode,
        max_duration_s=float(_int(env, ENV_MAX_DURATION_S, 600)),
        max_pixels=_int(env, ENV_MAX_PIXELS, 3840 * 2160),
        ffmpeg_path=env.get(ENV_FFMPEG_PATH) or None,
        stale_job_after_s=_int(env, ENV_STALE_JOB_AFTER_S, 6 * 3600),
        memory_mb=_int(env, LAMBDA_MEMORY_SIZE, 0) or None,
    )


@lru_cache(maxsize=1)
def settings() -> Settings:
    """The process-wide settings, read once per Lambda container."""
    return load_settings()
