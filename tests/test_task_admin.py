"""The task queue in the admin, as staff use it: failed jobs with their errors, and retry."""

from __future__ import annotations

import pytest
from django.db import connection

from blogsite.models import TaskFailure

pytestmark = pytest.mark.django_db
JOBS_URL = "/admin/procrastinate/procrastinatejob/"


def job(status: str, task_name: str = "comments.tasks.notify_author_of_comment") -> int:
    """A job row as the engine leaves it (its models are read-only)."""
    with connection.cursor() as cursor:
        cursor.execute(
            "INSERT INTO procrastinate_jobs (queue_name, task_name, priority, args, status, attempts)"
            " VALUES ('default', %s, 0, '{}', %s, 1) RETURNING id",
            [task_name, status],
        )
        return cursor.fetchone()[0]


def fail(job_id: int, error: str) -> None:
    TaskFailure.objects.create(
        job_id=job_id, task_name="comments.tasks.notify_author_of_comment", attempt=1, error=error, traceback="Tb"
    )


def test_failed_jobs_are_listed_with_their_newest_error_in_one_query_per_page(
    on_postgres, admin_client, django_assert_max_num_queries
):
    for n in range(3):
        fail(job("failed"), f"ConnectionRefusedError: attempt of job {n}")
    with django_assert_max_num_queries(12) as few:
        admin_client.get(JOBS_URL + "?status__exact=failed")
    for n in range(3, 20):
        fail(job("failed"), f"ConnectionRefusedError: attempt of job {n}")
    with django_assert_max_num_queries(len(few.captured_queries)):
        page = admin_client.get(JOBS_URL + "?status__exact=failed").content.decode()
    assert page.count("ConnectionRefusedError: attempt of job") == 20


def test_a_jobs_page_shows_every_failed_attempt_escaped(on_postgres, admin_client):
    job_id = job("failed")
    fail(job_id, "<script>alert(1)</script>")
    page = admin_client.get(f"{JOBS_URL}{job_id}/change/").content.decode()
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in page and "<script>alert(1)" not in page


def test_retry_queues_failed_and_stuck_jobs_again_and_says_what_it_skipped(on_postgres, admin_client):
    failed, stuck, done = job("failed"), job("doing"), job("succeeded")
    response = admin_client.post(
        JOBS_URL, {"action": "retry_jobs", "_selected_action": [failed, stuck, done]}, follow=True
    )
    text = response.content.decode()
    assert "2 job(s) queued again." in text and "1 job(s) were neither failed nor stuck." in text
    with connection.cursor() as cursor:
        cursor.execute("SELECT id, status FROM procrastinate_jobs WHERE id >= %s ORDER BY id", [failed])
        assert cursor.fetchall() == [(failed, "todo"), (stuck, "todo"), (done, "succeeded")]


def test_the_daily_prune_forgets_the_errors_of_jobs_that_are_gone(on_postgres):
    from blogsite.tasks import forget_failures_of_removed_jobs

    kept = job("failed")
    fail(kept, "still failing")
    fail(kept + 1000, "of a job removed since")
    assert forget_failures_of_removed_jobs() == 1
    assert list(TaskFailure.objects.values_list("job_id", flat=True)) == [kept]
