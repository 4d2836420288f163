"""What a write causes: recorded with it, carried out once, never an error page for a saved write."""

from __future__ import annotations

import logging

import pytest
from django.db import DatabaseError
from django.test import Client
from django.urls import reverse

from blogsite import in_process_periodic
from blogsite.emails import send_once
from blogsite.in_process_periodic import run_once, site_periodic_tasks
from blogsite.models import EmailDelivery
from comments.models import Comment
from comments.tasks import notify_author_of_comment
from tests.effects import queued_jobs, run_deferred_jobs
from tests.factories import ArticleFactory

pytestmark = pytest.mark.django_db


def post_signed_in_comment(client, article, reader):
    # Approved at once, so its email is deferred with it (a guest's waits for the digest).
    client.force_login(reader)
    url = reverse("comment_create", kwargs={"slug": article.slug})
    return client.post(url, {"body": "Hello"})


def test_a_failing_task_after_commit_never_turns_the_saved_comment_into_an_error(
    client, reader, settings, monkeypatch, caplog, django_capture_on_commit_callbacks
):
    settings.TASK_QUEUE = "in-process"  # the path with an enqueue after commit: make run's
    article = ArticleFactory(status="published")

    def broken_task(**kwargs):
        raise RuntimeError("the task queue is broken")

    monkeypatch.setattr(notify_author_of_comment, "func", broken_task)
    with django_capture_on_commit_callbacks(execute=True):
        response = post_signed_in_comment(client, article, reader)

    assert response.status_code == 302  # the reader is told their comment was taken, as it was
    assert Comment.objects.filter(article=article).count() == 1
    (record,) = [r for r in caplog.records if r.name == "blogsite.effects"]
    assert record.levelno == logging.ERROR and "the task queue is broken" in record.exc_text


@pytest.mark.django_db(transaction=True)  # the request's own transaction must really roll back
def test_a_failing_defer_rolls_the_comment_back_with_it(client, reader, on_postgres, monkeypatch):
    # With the queue, the job is part of the write: both commit or neither does.
    article = ArticleFactory(status="published")

    def refused(**kwargs):
        raise DatabaseError("the queue's table is gone")

    monkeypatch.setattr(notify_author_of_comment, "defer", refused)
    client.raise_request_exception = False
    response = post_signed_in_comment(client, article, reader)

    assert response.status_code == 500
    assert not Comment.objects.exists() and queued_jobs(notify_author_of_comment) == []


def test_the_email_job_is_in_the_comments_own_transaction(on_postgres, author, reader):
    article = ArticleFactory(author=author, status="published")
    post_signed_in_comment(Client(), article, reader)
    comment = Comment.objects.get()
    assert queued_jobs(notify_author_of_comment) == [notify_author_of_comment.name]
    from procrastinate.contrib.django.models import ProcrastinateJob

    # The job names the comment (the task reads it when it runs), not a copy of it.
    assert ProcrastinateJob.objects.get(task_name=notify_author_of_comment.name).args == {"comment_id": comment.pk}


def test_send_once_sends_a_key_to_a_recipient_once(mailoutbox, author):
    from django.core.mail import EmailMessage

    def message() -> EmailMessage:
        return EmailMessage("Subject", "Body", to=["reader@example.com"])

    assert send_once(message(), key="test:1") is True
    assert send_once(message(), key="test:1") is False  # a retry finds it sent
    assert send_once(message(), key="test:2") is True
    assert len(mailoutbox) == 2
    assert mailoutbox[0].extra_headers["Message-ID"] != mailoutbox[1].extra_headers["Message-ID"]


def test_a_failed_send_leaves_no_delivery_so_the_retry_sends(settings, mailoutbox):
    from django.core.mail import EmailMessage

    settings.EMAIL_BACKEND = "tests.failing_email.FailingEmailBackend"
    with pytest.raises(Exception, match="refused"):
        send_once(EmailMessage("S", "B", to=["reader@example.com"]), key="test:3")
    assert not EmailDelivery.objects.exists()
    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
    assert send_once(EmailMessage("S", "B", to=["reader@example.com"]), key="test:3") is True


@pytest.mark.django_db(transaction=True)  # a real COMMIT, to lose
def test_a_commit_lost_after_the_server_accepted_is_recorded_again(mailoutbox, monkeypatch, caplog):
    from django.core.mail import EmailMessage
    from django.db import OperationalError, connection

    real_commit, lost = connection._commit, []

    def commit_lost_with_the_connection():
        if not lost:
            lost.append(True)
            raise OperationalError("server closed the connection unexpectedly")
        return real_commit()

    monkeypatch.setattr(connection, "_commit", commit_lost_with_the_connection)
    assert send_once(EmailMessage("S", "B", to=["reader@example.com"]), key="test:lost") is True

    assert lost and EmailDelivery.objects.filter(key="test:lost").count() == 1
    assert send_once(EmailMessage("S", "B", to=["reader@example.com"]), key="test:lost") is False  # the retry
    assert len(mailoutbox) == 1 and "after its commit was lost" in caplog.text


def test_a_retried_comment_job_sends_nothing_twice(author, mailoutbox, django_capture_on_commit_callbacks):
    article = ArticleFactory(author=author, status="published")
    with django_capture_on_commit_callbacks(execute=True):
        comment = Comment.objects.create(article=article, name="Guest", email="g@example.com", body="Hi")
    run_deferred_jobs(notify_author_of_comment)
    notify_author_of_comment(comment_id=comment.pk)  # the retry after a crash past the send
    assert len(mailoutbox) == 1


def test_make_run_runs_the_periodic_tasks_the_worker_would():
    names = {periodic.task.name for periodic in site_periodic_tasks()}
    assert names == {
        "articles.tasks.publish_due",
        "articles.tasks.flush_buffered_views",
        "comments.tasks.send_comment_digests",
    }


def test_make_runs_scheduler_runs_each_task_on_its_own_period(monkeypatch, settings):
    tasks = site_periodic_tasks()
    ran, clock = [], [1_000_000.0]
    monkeypatch.setattr(in_process_periodic.time, "time", lambda: clock[0])

    def sleep(seconds: float) -> None:
        clock[0] += seconds
        if clock[0] > 1_000_030:
            raise StopIteration  # half a minute of the thread's life is enough

    monkeypatch.setattr(in_process_periodic.time, "sleep", sleep)
    monkeypatch.setattr(in_process_periodic, "run_once", lambda periodic, at: ran.append((periodic.task.name, at)))
    with pytest.raises(StopIteration):
        in_process_periodic.run_forever(tasks)

    publish = [at for name, at in ran if name == "articles.tasks.publish_due"]
    flush = [at for name, at in ran if name == "articles.tasks.flush_buffered_views"]
    assert len(publish) == 30 // settings.PUBLISH_DUE_EVERY_SECONDS
    assert len(flush) == 30 // settings.FLUSH_VIEWS_EVERY_SECONDS
    assert all(at % settings.PUBLISH_DUE_EVERY_SECONDS == 0 for at in publish)  # on the cron's beat


def test_a_failing_periodic_round_in_process_is_logged_and_survived(monkeypatch, caplog):
    (publish,) = [p for p in site_periodic_tasks() if p.task.name == "articles.tasks.publish_due"]

    def broken(**kwargs):
        raise DatabaseError("database is locked")

    monkeypatch.setattr(publish.task, "func", broken)
    run_once(publish, timestamp=0)
    assert "database is locked" in caplog.text and "runs again at its next time" in caplog.text
