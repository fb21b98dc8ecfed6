"""The job state machine: every transition conditional, leases, takeovers, no going backwards."""

from __future__ import annotations

import pytest

from service.jobs import DONE, ERROR, PENDING, PROCESSING, Job, JobStore, new_job_id


class Clock:
    def __init__(self) -> None:
        self.now = 1_000_000.0

    def __call__(self) -> float:
        return self.now


@pytest.fixture()
def store(aws):
    session, resources = aws
    clock = Clock()
    return JobStore(session.client("dynamodb"), resources.names.jobs_table, clock=clock), clock


def new_job(store: JobStore) -> Job:
    job = Job(job_id=new_job_id(), input_url="https://example.com/a.mp4")
    store.create(job)
    return job


def test_a_pending_job_is_claimed_with_attempt_one_and_a_lease(store):
    jobs, clock = store
    job = new_job(jobs)
    claimed = jobs.claim(job.job_id, lease_s=60)
    assert claimed.status == PROCESSING
    assert claimed.attempts == 1
    assert claimed.lease_until == clock.now + 60


def test_a_duplicate_delivery_while_leased_cannot_claim(store):
    jobs, _ = store
    job = new_job(jobs)
    assert jobs.claim(job.job_id, 60)
    assert jobs.claim(job.job_id, 60) is None


def test_a_delivery_after_the_lease_expired_takes_the_job_over(store):
    jobs, clock = store
    job = new_job(jobs)
    first = jobs.claim(job.job_id, 60)
    clock.now += 61
    second = jobs.claim(job.job_id, 60)
    assert second.attempts == first.attempts + 1
    assert jobs.mark_done(job.job_id, first.attempts, "jobs/x.webm") is None, "the old worker lost the job"
    assert jobs.mark_done(job.job_id, second.attempts, "jobs/x.webm").status == DONE


def test_a_done_job_never_moves_backwards(store):
    jobs, clock = store
    job = new_job(jobs)
    claimed = jobs.claim(job.job_id, 60)
    jobs.mark_done(job.job_id, claimed.attempts, "jobs/x.webm")
    clock.now += 10_000
    assert jobs.claim(job.job_id, 60) is None
    assert jobs.mark_error(job.job_id, "late failure") is None
    assert jobs.release(job.job_id, claimed.attempts, "late") is None
    assert jobs.get(job.job_id).status == DONE


def test_release_returns_the_job_for_another_attempt(store):
    jobs, _ = store
    job = new_job(jobs)
    claimed = jobs.claim(job.job_id, 60)
    released = jobs.release(job.job_id, claimed.attempts, "network down")
    assert released.status == PENDING
    assert jobs.claim(job.job_id, 60).attempts == 2


def test_heartbeat_publishes_progress_only_for_the_owner(store):
    jobs, _ = store
    job = new_job(jobs)
    claimed = jobs.claim(job.job_id, 60)
    assert jobs.heartbeat(job.job_id, claimed.attempts, 42, 60)
    assert jobs.get(job.job_id).progress == 42
    assert not jobs.heartbeat(job.job_id, claimed.attempts + 1, 50, 60)


def test_error_records_the_reason(store):
    jobs, _ = store
    job = new_job(jobs)
    claimed = jobs.claim(job.job_id, 60)
    finished = jobs.mark_error(job.job_id, "input is not a video", attempt=claimed.attempts)
    assert finished.status == ERROR
    assert finished.error == "input is not a video"


def test_creating_the_same_id_twice_fails(store):
    jobs, _ = store
    job = new_job(jobs)
    with pytest.raises(Exception, match="ConditionalCheckFailed"):
        jobs.create(job)


def test_delete_pending_only_removes_unstarted_jobs(store):
    jobs, _ = store
    job = new_job(jobs)
    jobs.delete_pending(job.job_id)
    assert jobs.get(job.job_id) is None
    other = new_job(jobs)
    jobs.claim(other.job_id, 60)
    jobs.delete_pending(other.job_id)
    assert jobs.get(other.job_id).status == PROCESSING
