import logging
import signal
import time

from django.core.management.base import BaseCommand, CommandError
from django.db import close_old_connections

from articles.view_counts import FlushResult, flush_views, view_buffer

logger = logging.getLogger("articles.view_counts")


class Command(BaseCommand):
    help = "Move the article views buffered in Redis (VIEW_BUFFER_URL) into Article.view_count."

    def add_arguments(self, parser) -> None:
        parser.add_argument(
            "--loop",
            type=float,
            metavar="SECONDS",
            help="Flush every SECONDS until interrupted (the periodic flusher of a site that buffers views).",
        )

    def handle(self, *args, loop: float | None = None, **options) -> None:
        if loop is not None and loop <= 0:
            raise CommandError("--loop takes a number of seconds greater than 0.")
        if view_buffer() is None:
            self.stdout.write("View buffering is off (VIEW_BUFFER_URL is empty): views are counted in the database.")
            return
        if loop is None:
            self.report(flush_views())
            return
        self.stdout.write(f"Flushing buffered views every {loop:g} s; Ctrl-C stops.")
        # A supervisor (scripts/serve.sh) stops it with TERM: stop as on Ctrl-C.
        previous_handler = signal.signal(signal.SIGTERM, stop_on_signal)
        try:
            while True:
                self.flush_once_logging_errors()
                time.sleep(loop)
        except KeyboardInterrupt:
            # Safe at any point: an interrupted flush leaves its batch for the next one.
            self.stdout.write("Stopped.")
        finally:
            signal.signal(signal.SIGTERM, previous_handler)

    def flush_once_logging_errors(self) -> None:
        # A long-lived process: drop a connection the database closed, as a request would.
        close_old_connections()
        try:
            result = flush_views()
        except Exception:
            # Redis or the database is away for a moment: the batch stays and the next round retries it.
            logger.exception("Flushing buffered views failed; retrying at the next round.")
            return
        if result.batches or result.duplicates:
            self.report(result)

    def report(self, result: FlushResult) -> None:
        message = f"{result.views} view(s) on {result.articles} article(s) in {result.batches} batch(es) flushed."
        if result.duplicates:
            message += f" {result.duplicates} batch(es) already applied were deleted."
        self.stdout.write(self.style.SUCCESS(message))


def stop_on_signal(signum, frame) -> None:
    raise KeyboardInterrupt
