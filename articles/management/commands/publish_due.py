from django.core.management.base import BaseCommand

from articles.services import publish_due_articles


class Command(BaseCommand):
    help = "Publish scheduled articles whose publication time has come."

    def handle(self, *args, **options) -> None:
        published = publish_due_articles()
        for article in published:
            self.stdout.write(f"Published {article.slug}")
        self.stdout.write(self.style.SUCCESS(f"{len(published)} article(s) published."))
