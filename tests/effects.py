"""Carrying out, inside a test's transaction, the effects its writes recorded."""

from __future__ import annotations

import logging
from typing import Any

from django.db import connection, transaction

from blogsite.effects import queue_is_durable

logger = logging.getLogger(__name__)


def run_deferred_jobs(*tasks: Any) -> list[str]:
    """Run the jobs the test's writes deferred, oldest first; the task names of those that succeeded.

    On PostgreSQL the writes left job rows, uncommitted, in the test's
    transaction, where no worker can see them: they run here, in this process
    and transaction, and a job that succeeded leaves the queue. One that raises
    is logged and stays queued, as a worker would retry it. Only the jobs of
    ``tasks`` when given (the welcome emails that the fixtures' users deferred
    are seldom what a test is about). On SQLite there is no queue (the effects
    ran right after the commit, in ``django_capture_on_commit_callbacks``).
    """
    if not queue_is_durable():
        return []
    from procrastinate.contrib.django import app

    succeeded = []
    for job_id, task_name, kwargs in _todo(tasks):
        try:
            with transaction.atomic():  # a savepoint: a failed job's writes go, the test's stay
                app.tasks[task_name](**kwargs)
        except Exception:
            logger.exception("Job %s (%s) failed; it stays queued.", job_id, task_name)
            continue
        with connection.cursor() as cursor:
            cursor.execute("DELETE FROM procrastinate_jobs WHERE id = %s", [job_id])
        succeeded.append(task_name)
    return succeeded


def queued_jobs(*tasks: Any) -> list[str]:
    """The task names of the jobs waiting in the queue (none without one)."""
    return [task_name for _, task_name, _ in _todo(tasks)] if queue_is_durable() else []


def _todo(tasks: tuple[Any, ...]) -> list[tuple[int, str, dict]]:
    from procrastinate.contrib.django.models import ProcrastinateJob

    todo = ProcrastinateJob.objects.filter(status="todo").order_by("id")
    if tasks:
        todo = todo.filter(task_name__in=[task.name for task in tasks])
    return list(todo.values_list("id", "task_name", "args"))
