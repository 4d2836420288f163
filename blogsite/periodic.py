"""Running a management command's job every N seconds, as a long-lived process.

``flush_views --loop`` and ``publish_due --loop`` are the periodic jobs that
``make serve`` starts beside gunicorn. Both must survive a database or Redis
that is away for a moment, and stop cleanly on Ctrl-C or on the TERM their
supervisor (``scripts/serve.sh``) sends.
"""

from __future__ import annotations

import logging
import signal
import time
from argparse import ArgumentParser
from collections.abc import Callable

from django.core.management.base import BaseCommand, CommandError
from django.db import close_old_connections


def add_loop_argument(parser: ArgumentParser, *, what: str) -> None:
    parser.add_argument(
        "--loop", type=float, metavar="SECONDS", help=f"{what} every SECONDS until interrupted (as `make serve` does)."
    )


def check_interval(seconds: float) -> None:
    if seconds <= 0:
        raise CommandError("--loop takes a number of seconds greater than 0.")


def run_every(command: BaseCommand, seconds: float, job: Callable[[], None], *, logger: logging.Logger) -> None:
    """Run ``job`` now and then every ``seconds`` until interrupted; a failing round is logged and retried."""
    previous_handler = signal.signal(signal.SIGTERM, _stop_on_signal)
    try:
        while True:
            # A long-lived process: drop a connection the database closed, as a request would.
            close_old_connections()
            try:
                job()
            except Exception:
                logger.exception("A periodic round of %s failed; retrying at the next round.", command.__module__)
            time.sleep(seconds)
    except KeyboardInterrupt:
        command.stdout.write("Stopped.")
    finally:
        signal.signal(signal.SIGTERM, previous_handler)


def _stop_on_signal(signum, frame) -> None:
    raise KeyboardInterrupt
