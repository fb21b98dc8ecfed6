"""The job queue: one message per job, carrying only what the worker needs to find the job."""

from __future__ import annotations

import json
from typing import Any

from service.errors import BadRequest


class JobQueue:
    def __init__(self, sqs: Any, queue_url: str) -> None:
        self._sqs = sqs
        self._url = queue_url

    def send(self, job_id: str, input_url: str) -> None:
        self._sqs.send_message(QueueUrl=self._url, MessageBody=encode_message(job_id, input_url))


def encode_message(job_id: str, input_url: str) -> str:
    return json.dumps({"jobId": job_id, "inputUrl": input_url})


def decode_message(body: str) -> str:
    """The job id from a queue message body; :class:`BadRequest` when the body is not ours."""
    try:
        message = json.loads(body)
    except (TypeError, json.JSONDecodeError):
        raise BadRequest("queue message is not JSON") from None
    job_id = message.get("jobId") if isinstance(message, dict) else None
    if not isinstance(job_id, str) or not job_id:
        raise BadRequest("queue message has no jobId")
    return job_id
