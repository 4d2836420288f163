"""``manage.py run_worker``: procrastinate's worker, started again whenever it stops on an error.

procrastinate's own worker ends on the first error of its database
connection (a terminated backend, a restart of PostgreSQL). Here it is run
again after a pause that doubles up to a ceiling, in the same process, so one
lost connection never takes the worker down; jobs it was running when its
connection died are recovered by the stalled-job sweep. SIGTERM or Ctrl-C
stops it for good, after its running jobs are finished (or given back).
"""

from __future__ import annotations

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


class Command(BaseCommand):
    help = "Run a task worker (emails, publishing due articles, flushing views), restarted after any error."

    def add_arguments(self, parser) -> None:
        parser.add_argument("--name", default=None, help="The worker's name in the logs.")

    def handle(self, *args, name: str | None = None, **options) -> None:
        if not queue_is_durable():
            raise CommandError("No task queue: TASK_QUEUE=procrastinate (PostgreSQL) is what a worker serves.")
        with StopRequest() as stop:
            self.run_until_stopped(stop, name=name or "worker")

    def run_until_stopped(self, stop: StopRequest, *, name: str) -> None:
        pause = FIRST_PAUSE_SECONDS
        while not stop.requested:
            started = time.monotonic()
            try:
                with app.replace_connector(app.connector.get_worker_connector()):
                    app.run_worker(name=name)
                return  # stopped by a signal: procrastinate handles SIGTERM and SIGINT while it runs
            except Exception:
                if time.monotonic() - started > 60:
                    pause = FIRST_PAUSE_SECONDS  # it had been running well: a new failure
                logger.exception("The task worker stopped on an error; starting it again in %.0f s.", pause)
            finally:
                close_old_connections()
            stop.sleep(pause)
            pause = min(pause * 2, MAX_PAUSE_SECONDS)


class StopRequest:
    """SIGTERM/SIGINT between two runs of the worker (during a run, procrastinate takes them)."""

    def __init__(self) -> None:
        self.requested = False

    def __enter__(self) -> StopRequest:
        self.previous = {signum: signal.signal(signum, self.request) for signum in (signal.SIGTERM, signal.SIGINT)}
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
