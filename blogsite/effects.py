"""Recording what a write causes, so that it happens even if this process dies.

``defer_effect(task, **kwargs)`` is called inside the transaction of the write
that causes the effect (a comment's email, a publication's follower email):

* With the procrastinate queue (PostgreSQL, ``TASK_QUEUE=procrastinate``) the
  job is inserted through Django's own connection, in that transaction: the
  write and its effect commit together or not at all. A crash right after
  COMMIT leaves the job in the table for a worker; a rollback leaves no job.
* Without a queue (SQLite, ``make run``) the task runs in this process right
  after the commit, so the console shows the email at once. There is nothing
  durable then: a crash between COMMIT and the send loses the email, and a
  failure is logged, not retried. That is the development mode, said so in
  the README.

Tasks take ids and read the rows themselves: they may run in another process,
later, after the row changed or went away.
"""

from __future__ import annotations

import logging
from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from typing import Any

from django.conf import settings
from django.db import transaction

logger = logging.getLogger(__name__)

_discarding: ContextVar[bool] = ContextVar("blogsite_effects_discarded", default=False)


def queue_is_durable() -> bool:
    return settings.TASK_QUEUE == "procrastinate"


def defer_effect(task: Any, *, using: str | None = None, **kwargs: Any) -> None:
    """Make ``task(**kwargs)`` happen because of the write in progress on ``using``."""
    if _discarding.get():
        return
    if queue_is_durable():
        # One statement in the current transaction (procrastinate's
        # DjangoConnector runs it on connections["default"]).
        task.defer(**kwargs)
        return

    def run_after_commit() -> None:
        run_in_process(task, kwargs)

    transaction.on_commit(run_after_commit, using=using)


def run_in_process(task: Any, kwargs: dict[str, Any]) -> None:
    """Run a task's function here and now; a failure is logged with its traceback, never raised."""
    try:
        task(**kwargs)
    except Exception:
        # The write committed already: an error page would lie about it.
        logger.exception("Task %s(%s) failed (run in process: no retry).", task.name, kwargs)


@contextmanager
def effects_discarded() -> Iterator[None]:
    """Writes in the block cause nothing: demo content emails nobody about what nobody wrote."""
    token = _discarding.set(True)
    try:
        yield
    finally:
        _discarding.reset(token)
