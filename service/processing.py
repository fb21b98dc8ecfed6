"""What the worker does with one job: claim, fetch, probe, key, upload, finish.

Failures end the job in ERROR with a reason a person can act on. Retryable ones give the job back
and re-raise so SQS delivers it again, until the last attempt, which also ends in ERROR (and the
message then moves to the DLQ).
"""

from __future__ import annotations

import logging
import shutil
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass, replace
from pathlib import Path

from botocore.exceptions import BotoCoreError, ClientError

from service.config import Settings
from service.errors import JobFailed, RetryableFailure
from service.jobs import Job, JobStore
from service.keying import OUTPUT_CONTENT_TYPES, KeyOptions, ProbeLimits, key_video, pixels_that_fit, probe
from service.storage import output_key
from service.wiring import Services

logger = logging.getLogger("green-screen-remover")
# Time kept back from the Lambda deadline for the upload and the final status write: 30 s, or a
# fifth of the whole budget for short timeouts.
DEADLINE_MARGIN_S = 30.0
DEADLINE_MARGIN_FRACTION = 0.2
PROGRESS_INTERVAL_S = 2.0
LEASE_GRACE_S = 10.0
# After this much keying the finish is forecast from the speed so far; a job that would overshoot
# the time left by FORECAST_SLACK is ended for good (a retry would hit the same limit).
FORECAST_AFTER_S = 20.0
FORECAST_SLACK = 1.25


@dataclass
class Delivery:
    """One SQS delivery of a job message."""

    job_id: str
    receive_count: int
    remaining_s: Callable[[], float]


class ProgressPublisher:
    """Writes progress and renews the lease at most every ``PROGRESS_INTERVAL_S`` seconds."""

    def __init__(self, jobs: JobStore, job: Job, delivery: Delivery) -> None:
        self._jobs, self._job, self._delivery = jobs, job, delivery
        self._last = 0.0

    def __call__(self, frames_done: int, frames_total: int) -> None:
        now = time.monotonic()
        if now - self._last < PROGRESS_INTERVAL_S:
            return
        self._last = now
        percent = min(99, int(100 * frames_done / max(1, frames_total)))
        lease_s = self._delivery.remaining_s() + LEASE_GRACE_S
        if not self._jobs.heartbeat(self._job.job_id, self._job.attempts, percent, lease_s):
            raise RetryableFailure("job was taken over by another worker")


class FinishForecast:
    """Ends a job that, at the speed measured so far, cannot finish before the time limit.

    Without it such a job is stopped near the deadline, retried from the start and stopped
    again, attempt after attempt, before it ends in ERROR; this ends it once, early, saying why.
    """

    def __init__(self, time_left_s: Callable[[], float], reserve_s: float) -> None:
        self._time_left_s, self._reserve_s = time_left_s, reserve_s
        self._budget_s = time_left_s()

    def __call__(self, frames_done: int, frames_total: int) -> None:
        left_s = self._time_left_s()
        spent_s = self._budget_s - left_s
        if spent_s < FORECAST_AFTER_S or frames_done == 0:
            return
        needed_s = spent_s / frames_done * max(0, frames_total - frames_done)
        if needed_s > FORECAST_SLACK * (left_s - self._reserve_s):
            raise JobFailed(
                f"at the {frames_done / spent_s:.1f} frames/s measured, its {frames_total:,} frames need about "
                f"{_spoken(spent_s + needed_s)}; the worker has {_spoken(self._budget_s)} per job: "
                "shorten the video or lower its resolution"
            )


def _spoken(seconds: float) -> str:
    return f"{seconds:.0f} s" if seconds < 120 else f"{seconds / 60:.0f} min"


def _every(*callbacks: Callable[[int, int], None]) -> Callable[[int, int], None]:
    def call_all(frames_done: int, frames_total: int) -> None:
        for callback in callbacks:
            callback(frames_done, frames_total)

    return call_all


def _human_reason(exc: BaseException) -> str:
    if isinstance(exc, JobFailed | RetryableFailure):
        return exc.reason
    if isinstance(exc, ClientError):
        return f"AWS error: {exc.response.get('Error', {}).get('Code', 'unknown')}"
    if isinstance(exc, BotoCoreError):
        return f"AWS connection problem: {exc}"
    return f"internal error ({type(exc).__name__})"


def process_delivery(delivery: Delivery, services: Services) -> None:
    """Handle one delivery. Returns when the message may be deleted; raises to have it retried."""
    jobs = services.jobs
    job = jobs.claim(delivery.job_id, lease_s=delivery.remaining_s() + LEASE_GRACE_S)
    if job is None:
        _explain_skip(jobs, delivery.job_id)
        return
    try:
        _run(job, delivery, services)
    except JobFailed as exc:
        logger.info("job %s failed: %s", job.job_id, exc.reason)
        jobs.mark_error(job.job_id, exc.reason, attempt=job.attempts)
    except Exception as exc:
        _handle_retryable(job, delivery, services, exc)
        raise


def _handle_retryable(job: Job, delivery: Delivery, services: Services, exc: Exception) -> None:
    reason = _human_reason(exc)
    attempts = max(delivery.receive_count, job.attempts)
    if not isinstance(exc, RetryableFailure):
        logger.exception("job %s attempt %d failed unexpectedly", job.job_id, attempts)
    if attempts >= services.settings.max_attempts:
        services.jobs.mark_error(job.job_id, f"gave up after {attempts} attempts: {reason}", attempt=job.attempts)
    else:
        services.jobs.release(job.job_id, job.attempts, reason)


def _explain_skip(jobs: JobStore, job_id: str) -> None:
    current = jobs.get(job_id)
    if current is None:
        logger.warning("message for unknown job %s acknowledged", job_id)
    elif current.is_finished:
        logger.info("job %s already %s; duplicate delivery acknowledged", job_id, current.status)
    else:
        logger.info("job %s is leased by another worker; duplicate delivery acknowledged", job_id)


def probe_limits(settings: Settings) -> ProbeLimits:
    """The configured limits, with frames no larger than what fits in this function's memory."""
    limits = ProbeLimits(max_pixels=settings.max_pixels, max_duration_s=settings.max_duration_s)
    fits = pixels_that_fit(settings.memory_mb) if settings.memory_mb else settings.max_pixels
    if fits < settings.max_pixels:
        return replace(
            limits, max_pixels=fits, max_pixels_reason=f"what fits in this worker's {settings.memory_mb} MB of memory"
        )
    return limits


def _run(job: Job, delivery: Delivery, services: Services) -> None:
    settings = services.settings
    options = KeyOptions.model_validate(job.options)
    margin_s = min(DEADLINE_MARGIN_S, DEADLINE_MARGIN_FRACTION * delivery.remaining_s())
    work_dir = Path(tempfile.mkdtemp(prefix=f"job-{job.job_id}-", dir=settings.work_dir))
    try:
        source = work_dir / "input"
        services.fetcher.fetch(job.input_url, source)
        info = probe(source, probe_limits(settings))
        output = work_dir / f"output.{options.format}"
        key_video(
            source,
            output,
            options,
            info=info,
            on_progress=_every(
                FinishForecast(delivery.remaining_s, reserve_s=margin_s),
                ProgressPublisher(services.jobs, job, delivery),
            ),
            should_stop=lambda: delivery.remaining_s() < margin_s,
        )
        source.unlink()  # free /tmp before the upload needs nothing but the output
        key = output_key(job.job_id, options.format)
        services.storage.upload_output(output, key, OUTPUT_CONTENT_TYPES[options.format])
        if services.jobs.mark_done(job.job_id, job.attempts, key) is None:
            logger.warning("job %s finished but was no longer ours; result left for the owner", job.job_id)
    finally:
        shutil.rmtree(work_dir, ignore_errors=True)
