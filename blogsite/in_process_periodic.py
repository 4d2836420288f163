"""The periodic tasks of a site without a task worker (SQLite, ``make run``), run in a thread.

The schedule is the one the tasks declare with ``@app.periodic`` (the same
cron, read from procrastinate's registry), so publishing due articles and
flushing views happen on time under ``make run`` as they do under a worker.
Only the site's own (sync) tasks run here: the engine's async ones (recovering
jobs of dead workers) have no queue to look after.
"""

from __future__ import annotations

import heapq
import inspect
import logging
import threading
import time

from django.db import close_old_connections
from django.utils.module_loading import autodiscover_modules
from procrastinate.contrib.django import app
from procrastinate.periodic import PeriodicTask

logger = logging.getLogger(__name__)


def site_periodic_tasks() -> list[PeriodicTask]:
    autodiscover_modules("tasks")  # procrastinate's app does this only where it is installed
    tasks = app.periodic_registry.periodic_tasks.values()
    return [periodic for periodic in tasks if not inspect.iscoroutinefunction(periodic.task.func)]


def start_in_process_periodic_tasks() -> threading.Thread:
    thread = threading.Thread(target=run_forever, args=(site_periodic_tasks(),), name="periodic-tasks", daemon=True)
    thread.start()
    return thread


def run_forever(periodic_tasks: list[PeriodicTask]) -> None:
    # (next time, index): the soonest first. A round that overran its period
    # skips the times it missed instead of running them back to back.
    schedule = [(next_time(periodic, after=time.time()), index) for index, periodic in enumerate(periodic_tasks)]
    heapq.heapify(schedule)
    while True:
        at, index = heapq.heappop(schedule)
        time.sleep(max(0.0, at - time.time()))
        run_once(periodic_tasks[index], int(at))
        heapq.heappush(schedule, (next_time(periodic_tasks[index], after=max(at, time.time())), index))


def next_time(periodic: PeriodicTask, *, after: float) -> float:
    return periodic.croniter.get_next(float, start_time=after)


def run_once(periodic: PeriodicTask, timestamp: int) -> None:
    close_old_connections()
    try:
        periodic.task(timestamp=timestamp)
    except Exception:
        logger.exception("Periodic task %s failed; it runs again at its next time.", periodic.task.name)
    finally:
        close_old_connections()
