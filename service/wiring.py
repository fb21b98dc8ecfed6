"""Builds the objects the handlers use from settings and clients: the one composition root."""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache

from service.aws import clients
from service.config import Settings, settings
from service.fetch import Fetcher, FetchLimits
from service.jobs import JobStore
from service.queue import JobQueue
from service.storage import Storage
from service.urlpolicy import UrlPolicy, policy_from_settings


@dataclass(frozen=True)
class Services:
    settings: Settings

    @property
    def jobs(self) -> JobStore:
        return JobStore(clients().dynamodb, self.settings.require("jobs_table"), self.settings.job_retention_days)

    @property
    def queue(self) -> JobQueue:
        return JobQueue(clients().sqs, self.settings.require("job_queue_url"))

    @property
    def storage(self) -> Storage:
        return Storage(clients().s3, self.settings.input_bucket, self.settings.output_bucket)

    @property
    def url_policy(self) -> UrlPolicy:
        return policy_from_settings(self.settings)

    @property
    def fetcher(self) -> Fetcher:
        limits = FetchLimits(max_bytes=self.settings.max_input_bytes, total_timeout_s=self.settings.download_timeout_s)
        return Fetcher(self.url_policy, clients().s3, limits)


@lru_cache(maxsize=1)
def services() -> Services:
    return Services(settings())


def reset() -> None:
    """Forget cached settings and clients (the local stack and tests change the environment)."""
    from service import aws, config

    services.cache_clear()
    config.settings.cache_clear()
    aws.reset_clients()
