"""Nothing lost, nothing stuck, nothing done twice: faults injected into the running local stack."""

from __future__ import annotations

import http.server
import json
import os
import subprocess
import sys
import threading
import time
from collections import Counter
from concurrent.futures import ThreadPoolExecutor

import pytest
import requests
from botocore.exceptions import EndpointConnectionError

from local.runtime import LocalOptions, LocalRuntime
from service import processing
from service.aws import clients
from service.jobs import Job, JobStore
from service.reconcile import reconcile
from service.wiring import services
from tests.helpers import TERMINAL, wait_for_terminal

pytestmark = pytest.mark.slow


def submit(base_url: str, url: str) -> str:
    response = requests.post(f"{base_url}/submit", json={"inputUrl": url}, timeout=10)
    assert response.status_code == 202, response.text
    return response.json()["jobId"]


def statuses(base_url: str, job_ids: list[str]) -> Counter:
    return Counter(requests.get(f"{base_url}/status/{j}", timeout=10).json()["status"] for j in job_ids)


def queue_depth(runtime: LocalRuntime, url: str) -> int:
    attributes = runtime.session.client("sqs").get_queue_attributes(
        QueueUrl=url, AttributeNames=["ApproximateNumberOfMessages", "ApproximateNumberOfMessagesNotVisible"]
    )["Attributes"]
    return int(attributes["ApproximateNumberOfMessages"]) + int(attributes["ApproximateNumberOfMessagesNotVisible"])


@pytest.fixture()
def counted_keying(monkeypatch):
    """Counts keying runs per job (input path names the job's temp dir)."""
    runs: Counter = Counter()
    real = processing.key_video

    def counting(source, output, *args, **kwargs):
        runs[source.parent.name.split("-", 1)[1].rsplit("-", 1)[0]] += 1
        return real(source, output, *args, **kwargs)

    monkeypatch.setattr(processing, "key_video", counting)
    return runs


@pytest.fixture()
def quiet_stack():
    """A stack with no worker running yet, fast retries and a short stand-in Lambda timeout."""
    runtime = LocalRuntime(LocalOptions(workers=0, retry_delay_s=1, worker_timeout_s=4)).start()
    yield runtime
    runtime.stop()


@pytest.fixture()
def patient_stack():
    """Like quiet_stack, but with a timeout no loaded machine reaches: every keying run is a real duplicate."""
    runtime = LocalRuntime(LocalOptions(workers=0, retry_delay_s=1, worker_timeout_s=120)).start()
    yield runtime
    runtime.stop()


def test_two_workers_claiming_one_job_at_the_same_instant_never_both_win(quiet_stack):
    """The embedded emulator makes conditional writes atomic, as DynamoDB does (moto alone does not)."""
    jobs = services().jobs
    job_ids = [f"race-{index}" for index in range(300)]
    for job_id in job_ids:
        jobs.create(Job(job_id=job_id, input_url="https://example.com/v.mp4"))
    with ThreadPoolExecutor(8) as pool:
        pairs = [(pool.submit(jobs.claim, j, 60), pool.submit(jobs.claim, j, 60)) for j in job_ids]
        winners = [sum(claim.result() is not None for claim in pair) for pair in pairs]
    assert winners == [1] * len(job_ids)


def test_the_same_message_delivered_twice_at_once_is_processed_once(patient_stack, clip_server, counted_keying):
    quiet_stack = patient_stack
    job_id = submit(quiet_stack.base_url, f"{clip_server}/green.mp4")
    quiet_stack.session.client("sqs").send_message(
        QueueUrl=quiet_stack.resources.job_queue_url, MessageBody=json.dumps({"jobId": job_id})
    )
    quiet_stack.start_worker(workers=2)
    assert wait_for_terminal(quiet_stack.base_url, job_id)["status"] == "DONE"
    time.sleep(1)
    assert counted_keying[job_id] == 1
    assert queue_depth(quiet_stack, quiet_stack.resources.job_queue_url) == 0


def test_transient_aws_failures_are_retried_until_they_recover(quiet_stack, clip_server, counted_keying):
    failures = {"s3:PutObject": 7, "dynamodb:UpdateItem": 7}  # more than botocore's own 5 attempts
    lock = threading.Lock()

    def flaky(event_name: str, **kwargs):
        operation = event_name.split(".", 1)[1].replace(".", ":")
        with lock:
            if failures.get(operation, 0) > 0:
                failures[operation] -= 1
                raise EndpointConnectionError(endpoint_url="injected fault")

    for client in (clients().s3, clients().dynamodb):
        client.meta.events.register("before-send", flaky)
    job_ids = [submit(quiet_stack.base_url, f"{clip_server}/green.mp4") for _ in range(3)]
    quiet_stack.start_worker()
    results = [wait_for_terminal(quiet_stack.base_url, j, timeout_s=180) for j in job_ids]
    assert failures == {"s3:PutObject": 0, "dynamodb:UpdateItem": 0}, "the faults were injected"
    assert [r["status"] for r in results] == ["DONE"] * 3, results
    assert queue_depth(quiet_stack, quiet_stack.resources.job_queue_url) == 0
    assert queue_depth(quiet_stack, quiet_stack.resources.dead_letter_queue_url) == 0


class Unavailable(http.server.BaseHTTPRequestHandler):
    def do_GET(self) -> None:
        self.send_response(503)
        self.end_headers()

    def log_message(self, *args) -> None:
        pass


def test_jobs_that_always_fail_end_in_error_and_fill_the_dlq(quiet_stack):
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Unavailable)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        job_ids = [submit(quiet_stack.base_url, f"http://127.0.0.1:{server.server_port}/v{i}.mp4") for i in range(4)]
        quiet_stack.start_worker(workers=2)
        results = [wait_for_terminal(quiet_stack.base_url, j, timeout_s=120) for j in job_ids]
    finally:
        server.shutdown()
    assert all(r["status"] == "ERROR" for r in results)
    assert all(r["error"] == "gave up after 3 attempts: input URL returned HTTP 503" for r in results), results
    deadline = time.monotonic() + 30  # SQS moves a message to the DLQ on the receive after the last attempt
    while queue_depth(quiet_stack, quiet_stack.resources.dead_letter_queue_url) < 4 and time.monotonic() < deadline:
        time.sleep(0.5)
    assert queue_depth(quiet_stack, quiet_stack.resources.dead_letter_queue_url) == 4
    assert queue_depth(quiet_stack, quiet_stack.resources.job_queue_url) == 0


def test_reconciler_finishes_dead_lettered_and_stale_jobs(quiet_stack, clip_server):
    sqs = quiet_stack.session.client("sqs")
    resources = quiet_stack.resources
    jobs = JobStore(clients().dynamodb, resources.names.jobs_table)
    lost = submit(quiet_stack.base_url, f"{clip_server}/green.mp4")
    dead = submit(quiet_stack.base_url, f"{clip_server}/green.mp4")
    sqs.purge_queue(QueueUrl=resources.job_queue_url)  # both messages are lost ...
    sqs.send_message(
        QueueUrl=resources.dead_letter_queue_url, MessageBody=json.dumps({"jobId": dead})
    )  # ... one dead-lettered
    report = reconcile(jobs, sqs, resources.dead_letter_queue_url, stale_after_s=3600)
    assert report.dead_lettered == [dead] and report.stale == []
    report = reconcile(jobs, sqs, resources.dead_letter_queue_url, stale_after_s=0)
    assert report.stale == [lost]
    final = {j: requests.get(f"{quiet_stack.base_url}/status/{j}", timeout=10).json() for j in (lost, dead)}
    assert final[dead]["status"] == final[lost]["status"] == "ERROR"
    assert "dead-lettered" in final[dead]["error"] and "without being processed" in final[lost]["error"]


class SlowVideo(http.server.BaseHTTPRequestHandler):
    """Serves a clip; the first request stalls half-way (the worker is killed meanwhile)."""

    body = b""
    first = threading.Event()

    def do_GET(self) -> None:
        self.send_response(200)
        self.send_header("Content-Length", str(len(self.body)))
        self.end_headers()
        half = len(self.body) // 2
        self.wfile.write(self.body[:half])
        if not SlowVideo.first.is_set():
            SlowVideo.first.set()
            time.sleep(6)
        self.wfile.write(self.body[half:])

    def log_message(self, *args) -> None:
        pass


def start_worker_process(endpoint: str, timeout_s: int) -> subprocess.Popen:
    env = {k: v for k, v in os.environ.items() if not k.startswith("AWS_ENDPOINT")}
    return subprocess.Popen(
        [
            sys.executable,
            "-m",
            "local.cli",
            "worker",
            "--endpoint",
            endpoint,
            "--timeout",
            str(timeout_s),
            "--retry-delay",
            "1",
        ],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )


def test_a_worker_killed_mid_job_is_taken_over_after_its_lease(quiet_stack, clips):
    SlowVideo.body = clips["green"].read_bytes()
    SlowVideo.first.clear()
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), SlowVideo)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    endpoint = quiet_stack.emulator.endpoint
    try:
        job_id = submit(quiet_stack.base_url, f"http://127.0.0.1:{server.server_port}/v.mp4")
        first = start_worker_process(endpoint, timeout_s=4)
        assert SlowVideo.first.wait(30), "the worker never started downloading"
        status = requests.get(f"{quiet_stack.base_url}/status/{job_id}", timeout=10).json()
        assert status["status"] == "PROCESSING"
        first.kill()  # SIGKILL: no cleanup, no status write, the message is not deleted
        first.wait()
        second = start_worker_process(endpoint, timeout_s=4)
        try:
            final = wait_for_terminal(quiet_stack.base_url, job_id, timeout_s=90)
        finally:
            second.kill()
    finally:
        server.shutdown()
    assert final["status"] == "DONE", final
    assert queue_depth(quiet_stack, quiet_stack.resources.job_queue_url) == 0


def test_burst_of_200_submits_every_job_finishes_and_counts_match(clips, tmp_path):
    from local.samples import make_clip
    from tests.helpers import serve_directory

    make_clip(tmp_path / "tiny.mp4", width=64, height=48, seconds=0.4, fps=10, audio=False)
    runtime = LocalRuntime(LocalOptions(workers=2, retry_delay_s=1)).start()
    try:
        with serve_directory(tmp_path) as files:
            urls = [f"{files}/tiny.mp4" if i % 5 else f"{files}/missing-{i}.mp4" for i in range(200)]
            urls += ["ftp://example.com/x.mp4"] * 10  # refused at submit: never queued

            def send(url: str) -> tuple[int, str | None]:
                response = requests.post(f"{runtime.base_url}/submit", json={"inputUrl": url}, timeout=30)
                return response.status_code, response.json().get("jobId")

            with ThreadPoolExecutor(max_workers=20) as pool:
                answers = list(pool.map(send, urls))
            job_ids = [job for code, job in answers if code == 202]
            assert len(job_ids) == 200 and sum(code == 400 for code, _ in answers) == 10
            deadline = time.monotonic() + 400
            while time.monotonic() < deadline:
                counts = statuses(runtime.base_url, job_ids)
                if sum(counts[s] for s in TERMINAL) == len(job_ids):
                    break
                time.sleep(2)
    finally:
        runtime.stop()
    assert counts == Counter({"DONE": 160, "ERROR": 40}), counts
