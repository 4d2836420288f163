"""The task engine's own periodic work: jobs of dead workers back in the queue, old jobs out of it."""

from __future__ import annotations

import logging

from asgiref.sync import sync_to_async
from django.conf import settings
from procrastinate import exceptions
from procrastinate.contrib.django import app

from .task_engine import every_seconds

logger = logging.getLogger(__name__)


# No ``lock``: a sweep whose own worker died must not keep the next sweep
# from running. The queueing lock only stops sweeps from piling up.
@app.periodic(cron=every_seconds(settings.TASK_RECOVERY_EVERY_SECONDS))
@app.task(queueing_lock="blogsite.recover_stalled_jobs")
async def recover_stalled_jobs(timestamp: int) -> int:
    """Queue again every job left "doing" by a worker whose heartbeat stopped (killed, frozen, cut off)."""
    stalled = await app.job_manager.get_stalled_jobs(seconds_since_heartbeat=settings.TASK_STALLED_AFTER_SECONDS)
    recovered = 0
    for job in stalled:
        try:
            await app.job_manager.retry_job(job)
        except exceptions.ConnectorException:
            continue  # finished, or recovered by another sweep, since it was read
        logger.warning("Job %s (%s) of a dead worker is queued again.", job.id, job.task_name)
        recovered += 1
    return recovered


@app.periodic(cron="17 3 * * *")  # daily, at a quiet hour
@app.task(queueing_lock="blogsite.remove_old_jobs")
async def remove_old_jobs(timestamp: int) -> None:
    """Succeeded jobs are kept a week for the admin; failed ones stay until staff retry them."""
    await app.job_manager.delete_old_jobs(nb_hours=7 * 24)
    await sync_to_async(forget_failures_of_removed_jobs)()


def forget_failures_of_removed_jobs() -> int:
    """The recorded errors of jobs that are gone (a retry that succeeded, then a week)."""
    from procrastinate.contrib.django.models import ProcrastinateJob

    from .models import TaskFailure

    deleted, _ = TaskFailure.objects.exclude(job_id__in=ProcrastinateJob.objects.values("id")).delete()
    return deleted
