"""Plays the SQS event source mapping: receive a batch, call the worker, delete what succeeded.

The events are built exactly as Lambda builds them. One deliberate difference: a failed message is
made visible again after ``retry_delay_s`` instead of the full visibility timeout, so a laptop
retries in seconds rather than hours (the redrive policy and DLQ are the real ones).
"""

from __future__ import annotations

import hashlib
import logging
import threading
import time
from collections.abc import Callable
from typing import Any

from local.shim import LambdaContext

logger = logging.getLogger("green-screen-remover.poller")
WAIT_TIME_S = 1


def to_lambda_record(message: dict, queue_arn: str, region: str) -> dict:
    attributes = message.get("Attributes", {})
    return {
        "messageId": message["MessageId"],
        "receiptHandle": message["ReceiptHandle"],
        "body": message["Body"],
        "attributes": {
            "ApproximateReceiveCount": attributes.get("ApproximateReceiveCount", "1"),
            "SentTimestamp": attributes.get("SentTimestamp", str(int(time.time() * 1000))),
            "SenderId": attributes.get("SenderId", "local"),
            "ApproximateFirstReceiveTimestamp": attributes.get(
                "ApproximateFirstReceiveTimestamp", str(int(time.time() * 1000))
            ),
        },
        "messageAttributes": {},
        "md5OfBody": message.get("MD5OfBody")
        or hashlib.md5(message["Body"].encode(), usedforsecurity=False).hexdigest(),
        "eventSource": "aws:sqs",
        "eventSourceARN": queue_arn,
        "awsRegion": region,
    }


class Poller:
    """``workers`` threads, each polling ``queue_url`` and invoking ``handler`` per batch."""

    def __init__(
        self,
        sqs: Any,
        queue_url: str,
        handler: Callable[[dict, Any], dict],
        *,
        region: str,
        batch_size: int = 1,
        workers: int = 1,
        function_timeout_s: float = 300,
        retry_delay_s: int = 2,
    ) -> None:
        self._sqs, self._queue_url, self._handler = sqs, queue_url, handler
        self._region = region
        self._batch_size, self._workers = batch_size, workers
        self._timeout_s, self._retry_delay_s = function_timeout_s, retry_delay_s
        self._queue_arn = sqs.get_queue_attributes(QueueUrl=queue_url, AttributeNames=["QueueArn"])["Attributes"][
            "QueueArn"
        ]
        self._stop = threading.Event()
        self._threads: list[threading.Thread] = []
        self.invocations = 0

    def start(self) -> None:
        for index in range(self._workers):
            thread = threading.Thread(target=self._loop, name=f"poller-{index}", daemon=True)
            thread.start()
            self._threads.append(thread)

    def stop(self, timeout_s: float = 30) -> None:
        self._stop.set()
        for thread in self._threads:
            thread.join(timeout=timeout_s)

    def _loop(self) -> None:
        while not self._stop.is_set():
            try:
                self.poll_once()
            except Exception:  # keep polling, as the event source mapping does
                logger.exception("poll failed")
                time.sleep(1)

    def poll_once(self) -> int:
        """Receive one batch and process it; return how many messages were received."""
        response = self._sqs.receive_message(
            QueueUrl=self._queue_url,
            MaxNumberOfMessages=self._batch_size,
            WaitTimeSeconds=WAIT_TIME_S,
            AttributeNames=["All"],
        )
        messages = response.get("Messages", [])
        if messages:
            self.invoke(messages)
        return len(messages)

    def invoke(self, messages: list[dict]) -> None:
        event = {"Records": [to_lambda_record(m, self._queue_arn, self._region) for m in messages]}
        context = LambdaContext(function_name="worker", timeout_s=self._timeout_s)
        self.invocations += 1
        try:
            result = self._handler(event, context) or {}
            failed = {item["itemIdentifier"] for item in result.get("batchItemFailures", [])}
        except Exception:  # an invocation error fails the whole batch, as in Lambda
            logger.exception("worker invocation failed")
            failed = {m["MessageId"] for m in messages}
        for message in messages:
            if message["MessageId"] in failed:
                self._retry_later(message)
            else:
                self._sqs.delete_message(QueueUrl=self._queue_url, ReceiptHandle=message["ReceiptHandle"])

    def _retry_later(self, message: dict) -> None:
        self._sqs.change_message_visibility(
            QueueUrl=self._queue_url, ReceiptHandle=message["ReceiptHandle"], VisibilityTimeout=self._retry_delay_s
        )
