from django.core.management.base import BaseCommand

from articles.markdown import render_comment, render_markdown, rerender_stored_html
from articles.models import Article
from blogsite.page_cache import invalidate_pages
from comments.models import Comment


class Command(BaseCommand):
    help = (
        "Render every article and comment body to HTML again, after a change to the Markdown or "
        "sanitiser rules (articles/markdown.py); writes body_html only, and only where it changed."
    )

    def add_arguments(self, parser) -> None:
        parser.add_argument("--batch-size", type=int, default=500, help="Rows read, rendered and written at a time.")

    def handle(self, *args, batch_size: int, **options) -> None:
        articles = rerender_stored_html(Article._base_manager.all(), render_markdown, batch_size=batch_size)
        comments = rerender_stored_html(Comment._base_manager.all(), render_comment, batch_size=batch_size)
        if articles or comments:
            # bulk_update sends no signal, so nothing else retires the cached pages.
            invalidate_pages()
        self.stdout.write(f"articles: {articles} row(s) re-rendered")
        self.stdout.write(f"comments: {comments} row(s) re-rendered")
        self.stdout.write(self.style.SUCCESS(f"Markdown rendered again; {articles + comments} row(s) changed."))
