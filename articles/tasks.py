"""Flushing buffered views from the task worker.

A task that re-enqueues itself is the periodic job: start the chain once, e.g.
after a deploy, with ``flush_views_task.enqueue(repeat_every=60)``; each run
flushes, then enqueues the next run ``repeat_every`` seconds later (the
database backend honours ``run_after``; ``manage.py db_worker`` runs it). Two
chains would only flush twice as often: flushes are safe to run at once. A
backend that cannot defer (the immediate one) flushes once and logs that it
does not repeat; ``manage.py flush_views --loop SECONDS`` is the alternative
that needs no worker.
"""

from __future__ import annotations

import logging
from dataclasses import asdict
from datetime import timedelta

from django.utils import timezone
from django_tasks import task

from .view_counts import flush_views

logger = logging.getLogger(__name__)


@task()
def flush_views_task(repeat_every: float | None = None) -> dict[str, int]:
    """Flush once; with ``repeat_every`` (seconds), schedule the next run even when this one failed."""
    try:
        return asdict(flush_views())
    finally:
        if repeat_every:
            schedule_next_flush(repeat_every)


def schedule_next_flush(repeat_every: float) -> None:
    if not flush_views_task.get_backend().supports_defer:
        logger.warning("The task backend cannot run a task later: buffered views are flushed only when asked.")
        return
    run_after = timezone.now() + timedelta(seconds=repeat_every)
    flush_views_task.using(run_after=run_after).enqueue(repeat_every=repeat_every)
