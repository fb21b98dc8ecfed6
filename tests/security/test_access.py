"""Who may use the API: API-key identity (standing in for IAM/JWT), ownership of jobs, rate limits."""

from __future__ import annotations

import pytest
import requests

from local.runtime import LocalOptions, LocalRuntime

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def guarded():
    runtime = LocalRuntime(
        LocalOptions(workers=0, api_keys={"key-alice": "alice", "key-bob": "bob"}, auth_mode="api_key")
    ).start()
    yield runtime
    runtime.stop()


def test_requests_without_a_valid_key_are_refused(guarded):
    body = {"inputUrl": "https://videos.example.com/a.mp4"}
    assert requests.post(f"{guarded.base_url}/submit", json=body, timeout=10).status_code == 401
    wrong = requests.post(f"{guarded.base_url}/submit", json=body, headers={"x-api-key": "nope"}, timeout=10)
    assert wrong.status_code == 401
    assert wrong.json()["error"]["code"] == "unauthorized"


def test_a_job_is_visible_only_to_the_caller_who_made_it(guarded):
    alice, bob = {"x-api-key": "key-alice"}, {"x-api-key": "key-bob"}
    made = requests.post(
        f"{guarded.base_url}/submit", json={"inputUrl": "https://v.example.com/a.mp4"}, headers=alice, timeout=10
    )
    assert made.status_code == 202
    job_id = made.json()["jobId"]
    assert requests.get(f"{guarded.base_url}/status/{job_id}", headers=alice, timeout=10).status_code == 200
    assert requests.get(f"{guarded.base_url}/status/{job_id}", headers=bob, timeout=10).status_code == 404


def test_idempotency_keys_are_per_caller(guarded):
    def submit(key: str) -> str:
        headers = {"x-api-key": key, "Idempotency-Key": "same-key"}
        body = {"inputUrl": "https://v.example.com/a.mp4"}
        return requests.post(f"{guarded.base_url}/submit", json=body, headers=headers, timeout=10).json()["jobId"]

    assert submit("key-alice") == submit("key-alice") != submit("key-bob")


def test_the_shim_rate_limits_each_client():
    runtime = LocalRuntime(LocalOptions(workers=0, rate_limit_per_s=1, rate_limit_burst=3)).start()
    try:
        codes = [requests.get(f"{runtime.base_url}/status/not-a-job", timeout=10).status_code for _ in range(8)]
    finally:
        runtime.stop()
    assert codes[:3] == [400, 400, 400]
    assert 429 in codes[3:]
