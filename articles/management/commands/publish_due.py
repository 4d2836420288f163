import logging

from django.core.management.base import BaseCommand

from articles.models import Article
from articles.services import publish_due_articles
from blogsite.periodic import add_loop_argument, check_interval, run_every

logger = logging.getLogger("articles.services")


class Command(BaseCommand):
    help = "Publish scheduled articles whose publication time has come."

    def add_arguments(self, parser) -> None:
        add_loop_argument(parser, what="Look for due articles")

    def handle(self, *args, loop: float | None = None, **options) -> None:
        if loop is None:
            published = self.publish()
            self.stdout.write(self.style.SUCCESS(f"{len(published)} article(s) published."))
            return
        check_interval(loop)
        self.stdout.write(f"Publishing due articles every {loop:g} s; Ctrl-C stops.")
        run_every(self, loop, self.publish, logger=logger)

    def publish(self) -> list[Article]:
        # Each article is published in its own transaction: an interruption
        # leaves the rest for the next round, never half of one.
        published = publish_due_articles()
        for article in published:
            self.stdout.write(f"Published {article.slug}")
        return published
