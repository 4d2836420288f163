from django.core.management.base import BaseCommand

from articles.view_counts import FlushResult, flush_views, view_buffer


class Command(BaseCommand):
    help = (
        "Move the article views buffered in Redis (VIEW_BUFFER_URL) into Article.view_count. A task worker "
        "(or, without one, runserver) does this every FLUSH_VIEWS_EVERY_SECONDS; this is the same flush, by hand."
    )

    def handle(self, *args, **options) -> None:
        if view_buffer() is None:
            self.stdout.write("View buffering is off (VIEW_BUFFER_URL is empty): views are counted in the database.")
            return
        self.report(flush_views())

    def report(self, result: FlushResult) -> None:
        message = f"{result.views} view(s) on {result.articles} article(s) in {result.batches} batch(es) flushed."
        if result.duplicates:
            message += f" {result.duplicates} batch(es) already applied were deleted."
        self.stdout.write(self.style.SUCCESS(message))
