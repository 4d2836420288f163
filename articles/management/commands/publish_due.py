from django.core.management.base import BaseCommand

from articles.services import publish_due_articles


class Command(BaseCommand):
    help = (
        "Publish scheduled articles whose publication time has come. A task worker (or, without one, "
        "runserver) does this on its own every PUBLISH_DUE_EVERY_SECONDS; this is the same round, by hand."
    )

    def handle(self, *args, **options) -> None:
        # Each article is published in its own transaction, with its effects:
        # an interruption leaves the rest for the next round, never half of one.
        published = publish_due_articles()
        for article in published:
            self.stdout.write(f"Published {article.slug}")
        self.stdout.write(self.style.SUCCESS(f"{len(published)} article(s) published."))
