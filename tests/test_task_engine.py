"""What blogsite retries, how long it waits, and when it gives up."""

from __future__ import annotations

import datetime
import smtplib

import pytest
from django.db import OperationalError
from procrastinate.jobs import Job

from blogsite.task_engine import RETRY_TRANSIENT_ERRORS, every_seconds


def job(attempts: int) -> Job:
    return Job(id=1, queue="default", lock=None, queueing_lock=None, task_name="t", attempts=attempts)


@pytest.mark.parametrize(
    "error",
    [
        smtplib.SMTPServerDisconnected("gone"),
        ConnectionRefusedError(111, "refused"),
        TimeoutError(),
        OperationalError(),
    ],
)
def test_a_mail_server_or_database_away_is_retried_with_a_doubling_wait(error, settings):
    settings.TASK_RETRY_FIRST_SECONDS, settings.TASK_RETRY_MAX_SECONDS = 5, 600
    waits = []
    for attempts in range(10):
        decision = RETRY_TRANSIENT_ERRORS.get_retry_decision(exception=error, job=job(attempts))
        waits.append(round((decision.retry_at - datetime.datetime.now(datetime.UTC)).total_seconds()))
    assert waits == [5, 10, 20, 40, 80, 160, 320, 600, 600, 600]


def test_a_bug_fails_at_once_for_staff_to_see():
    decision = RETRY_TRANSIENT_ERRORS.get_retry_decision(exception=KeyError("no such template"), job=job(0))
    assert decision is None


def test_the_last_attempt_gives_up(settings):
    settings.TASK_RETRY_ATTEMPTS = 3
    error = ConnectionRefusedError(111, "refused")
    assert RETRY_TRANSIENT_ERRORS.get_retry_decision(exception=error, job=job(1)) is not None
    assert RETRY_TRANSIENT_ERRORS.get_retry_decision(exception=error, job=job(2)) is None  # the third attempt failed


def test_a_period_must_divide_a_minute():
    assert every_seconds(10) == "* * * * * */10"
    with pytest.raises(ValueError, match="divide a minute"):
        every_seconds(7)
