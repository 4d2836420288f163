import logging

from django.core.management.base import BaseCommand

from articles.view_counts import FlushResult, flush_views, view_buffer
from blogsite.periodic import add_loop_argument, check_interval, run_every

logger = logging.getLogger("articles.view_counts")


class Command(BaseCommand):
    help = "Move the article views buffered in Redis (VIEW_BUFFER_URL) into Article.view_count."

    def add_arguments(self, parser) -> None:
        add_loop_argument(parser, what="Flush the buffered views")

    def handle(self, *args, loop: float | None = None, **options) -> None:
        if loop is not None:
            check_interval(loop)
        if view_buffer() is None:
            self.stdout.write("View buffering is off (VIEW_BUFFER_URL is empty): views are counted in the database.")
            return
        if loop is None:
            self.report(flush_views())
            return
        self.stdout.write(f"Flushing buffered views every {loop:g} s; Ctrl-C stops.")
        # Interrupting a flush anywhere is safe: its batch is left for the next one.
        run_every(self, loop, self.flush_quietly, logger=logger)

    def flush_quietly(self) -> None:
        result = flush_views()
        if result.batches or result.duplicates:
            self.report(result)

    def report(self, result: FlushResult) -> None:
        message = f"{result.views} view(s) on {result.articles} article(s) in {result.batches} batch(es) flushed."
        if result.duplicates:
            message += f" {result.duplicates} batch(es) already applied were deleted."
        self.stdout.write(self.style.SUCCESS(message))
