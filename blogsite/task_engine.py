"""How blogsite runs procrastinate: what is retried, how failures are kept, how often periodic work runs.

procrastinate (PostgreSQL) was chosen for three things the project needs and
cannot get from django-tasks-db: a job deferred inside the writing
transaction, worker heartbeats that let another worker take over the jobs of
a dead one, and periodic tasks deferred once per period across every worker
(README, "Tasks and email").
"""

from __future__ import annotations

import logging
import smtplib
import traceback
from typing import Any

from django.conf import settings
from django.db import DatabaseError, InterfaceError, OperationalError, transaction
from procrastinate import App, JobContext, RetryDecision
from procrastinate.jobs import Job
from procrastinate.retry import BaseRetryStrategy

logger = logging.getLogger(__name__)

# Failures that a later attempt can outlive: the mail server or the database
# being away for a while. Anything else (a bug, a missing template) fails the
# job at once, for staff to see and retry once it is fixed.
TRANSIENT_ERRORS: tuple[type[BaseException], ...] = (
    smtplib.SMTPException,
    OSError,  # refused connections and timeouts (socket.timeout is an OSError)
    OperationalError,
    InterfaceError,
)


class BackoffOnTransientErrors(BaseRetryStrategy):
    """Exponential backoff with a ceiling, read from the settings when a job fails (so tests can shorten it)."""

    def get_retry_decision(self, *, exception: BaseException, job: Job) -> RetryDecision | None:
        if not isinstance(exception, TRANSIENT_ERRORS) or job.attempts + 1 >= settings.TASK_RETRY_ATTEMPTS:
            return None
        wait = min(settings.TASK_RETRY_FIRST_SECONDS * 2**job.attempts, settings.TASK_RETRY_MAX_SECONDS)
        return RetryDecision(retry_in={"seconds": wait})


RETRY_TRANSIENT_ERRORS = BackoffOnTransientErrors()


def every_seconds(seconds: int) -> str:
    """A cron expression (with procrastinate's sixth, seconds, field) for "every ``seconds`` seconds"."""
    if seconds < 1 or 60 % seconds:
        raise ValueError(f"A period must divide a minute evenly, not {seconds} s.")
    return f"* * * * * */{seconds}"


def record_task_failure(call_next: Any, context: JobContext, worker: Any) -> Any:
    """Sync task middleware: keep the error of every failed attempt, for the admin."""
    try:
        return call_next()
    except Exception as error:
        save_failure(context.job, error)
        raise


def save_failure(job: Job, error: BaseException) -> None:
    from .models import TaskFailure

    try:
        # Its own transaction: whatever the task wrote has been rolled back.
        with transaction.atomic():
            TaskFailure.objects.create(
                job_id=job.id,
                task_name=job.task_name,
                attempt=job.attempts + 1,
                error=f"{type(error).__name__}: {error}"[:2000],
                traceback="".join(traceback.format_exception(error)),
            )
    except DatabaseError:
        # The database is what failed: the worker's log (logger "procrastinate") has the traceback.
        logger.warning("Could not record the failure of job %s in the database.", job.id, exc_info=True)


def on_app_ready(app: App) -> None:
    """PROCRASTINATE_ON_APP_READY: add the failure record after Django's connection clean-up."""
    defaults = app.worker_defaults
    defaults["task_middleware"] = [*defaults.get("task_middleware", []), record_task_failure]


class RoutineTaskLogFilter(logging.Filter):
    """Keep the worker's log readable: drop the INFO lines of routine work, keep every error and retry.

    Periodic tasks run every few seconds; their "deferred", "starting" and
    "success" lines would bury the emails' outcomes and every failure.
    """

    ROUTINE_ACTIONS = frozenset(
        {
            "registering_periodic_task",
            "loading_blueprint",
            "periodic_task_deferred",
            "periodic_task_already_deferred",
            "skip_periodic_task_queueing_lock",
            "start_job",
            "jobs_deferred",  # each job's outcome is logged with its id; this line has none
        }
    )

    def filter(self, record: logging.LogRecord) -> bool:
        if record.levelno > logging.INFO:
            return True
        action = getattr(record, "action", None)
        if action in self.ROUTINE_ACTIONS:
            return False
        job = getattr(record, "job", None) or {}
        # A periodic task's success: it runs again in a few seconds anyway.
        return not (action == "job_success" and "timestamp" in job.get("task_kwargs", {}))
