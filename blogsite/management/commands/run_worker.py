"""``manage.py run_worker``: procrastinate's worker, started again whenever it stops without being asked.

procrastinate's own worker ends on the first error of its database
connection (a terminated backend, a restart of PostgreSQL): the error either
escapes, or stops one of its side tasks (heartbeat, periodic deferrer,
listener) and the worker then shuts down as if asked to. Here either is
followed by a new worker in the same process, after a pause that doubles up
to a ceiling, so one lost connection never takes the worker down; the jobs it
was running are recovered by the stalled-job sweep. Only SIGTERM or Ctrl-C
stops it for good, after its running jobs are finished (or given back).
"""

from __future__ import annotations

import asyncio
import logging
import signal
import time

from django.core.management.base import BaseCommand, CommandError
from django.db import close_old_connections
from procrastinate.contrib.django import app

from blogsite.effects import queue_is_durable

logger = logging.getLogger("procrastinate.supervised")

FIRST_PAUSE_SECONDS = 1.0
MAX_PAUSE_SECONDS = 30.0
STOP_SIGNALS = (signal.SIGTERM, signal.SIGINT)


class Command(BaseCommand):
    help = "Run a task worker (emails, publishing due articles, flushing views), restarted after any error."

    def add_arguments(self, parser) -> None:
        parser.add_argument("--name", default=None, help="The worker's name in the logs.")

    def handle(self, *args, name: str | None = None, **options) -> None:
        if not queue_is_durable():
            raise CommandError("No task queue: TASK_QUEUE=procrastinate (PostgreSQL) is what a worker serves.")
        with StopRequest() as stop:
            run_until_stopped(stop, name=name or "worker")


def run_until_stopped(stop: StopRequest, *, name: str) -> None:
    pause = FIRST_PAUSE_SECONDS
    while not stop.requested:
        started = time.monotonic()
        try:
            with app.replace_connector(app.connector.get_worker_connector()):
                asyncio.run(run_worker_once(stop, name=name))
            if stop.requested:
                return
            logger.error("The task worker stopped without being asked; starting it again in %.0f s.", pause)
        except Exception:
            logger.exception("The task worker stopped on an error; starting it again in %.0f s.", pause)
        finally:
            close_old_connections()
        if time.monotonic() - started > 60:
            pause = FIRST_PAUSE_SECONDS  # it had been running well: a new failure, not the same one again
        stop.sleep(pause)
        pause = min(pause * 2, MAX_PAUSE_SECONDS)


async def run_worker_once(stop: StopRequest, *, name: str) -> None:
    """One procrastinate worker, until it stops; a stop signal cancels it, which lets its jobs finish."""
    async with app.open_async():
        worker = asyncio.create_task(app.run_worker_async(name=name, install_signal_handlers=False))
        loop = asyncio.get_running_loop()

        def on_stop_signal() -> None:
            stop.requested = True
            worker.cancel()

        for signum in STOP_SIGNALS:
            loop.add_signal_handler(signum, on_stop_signal)
        try:
            await worker
        except asyncio.CancelledError:
            if not stop.requested:
                raise
        finally:
            for signum in STOP_SIGNALS:
                loop.remove_signal_handler(signum)


class StopRequest:
    """Whether SIGTERM/SIGINT came; between two runs of the worker, its handlers are these."""

    def __init__(self) -> None:
        self.requested = False

    def __enter__(self) -> StopRequest:
        self.previous = {signum: signal.signal(signum, self.request) for signum in STOP_SIGNALS}
        return self

    def __exit__(self, *exc_info) -> None:
        for signum, handler in self.previous.items():
            signal.signal(signum, handler)

    def request(self, signum, frame) -> None:
        self.requested = True

    def sleep(self, seconds: float) -> None:
        deadline = time.monotonic() + seconds
        while not self.requested and time.monotonic() < deadline:
            time.sleep(0.2)
