"""Markdown rendered once, when a body is saved: stored sanitised, printed as stored, re-rendered on demand."""

import importlib
import io
import re
from html.parser import HTMLParser
from types import SimpleNamespace
from typing import Any

import pytest
from django.apps import apps
from django.core.management import call_command
from django.db import connection
from django.test.utils import CaptureQueriesContext
from hypothesis import given, settings
from hypothesis import strategies as st
from markdown_it import MarkdownIt

from articles import markdown
from articles.markdown import render_comment, render_markdown
from articles.models import Article
from articles.services import publish_article
from comments.models import Comment
from comments.services import approve_comment
from tests.factories import ArticleFactory, CommentFactory

HOSTILE = (
    "# Title\n\nSome **bold** words.\n\n<script>alert('x')</script>\n\n"
    "[click](javascript:alert(1)) <img src=x onerror=alert(1)> ![pic](javascript:alert(2))"
)


def stored(row: Article | Comment) -> str:
    return type(row)._base_manager.values_list("body_html", flat=True).get(pk=row.pk)


def updates_of(queries: CaptureQueriesContext) -> list[str]:
    return [query["sql"] for query in queries.captured_queries if query["sql"].upper().startswith("UPDATE")]


def break_the_renderer(monkeypatch: pytest.MonkeyPatch) -> None:
    def render(self: MarkdownIt, text: str, env: Any = None) -> str:
        raise AssertionError("Markdown rendered where it should not be")

    monkeypatch.setattr(MarkdownIt, "render", render)


def without_tag(monkeypatch: pytest.MonkeyPatch, tag: str) -> None:
    """A change of the sanitiser's rules: ``tag`` is no longer allowed, in articles or comments."""
    monkeypatch.setattr(markdown, "_ALLOWED_TAGS", markdown._ALLOWED_TAGS - {tag})
    monkeypatch.setattr(markdown, "_COMMENT_TAGS", markdown._COMMENT_TAGS - {tag})


# --- saving renders ------------------------------------------------------------------


@pytest.mark.django_db
def test_saving_an_article_stores_its_rendered_body():
    article = ArticleFactory(body="Some **bold** text.")
    assert stored(article) == "<p>Some <strong>bold</strong> text.</p>\n" == render_markdown(article.body)


@pytest.mark.django_db
def test_saving_a_comment_stores_its_rendered_body_with_the_comment_rules():
    comment = CommentFactory(body="# Not a heading here\n\n[link](https://example.com)")
    assert stored(comment) == render_comment(comment.body)
    assert "<h1>" not in stored(comment) and 'rel="nofollow noopener noreferrer ugc"' in stored(comment)


@pytest.mark.django_db
@pytest.mark.parametrize("update_fields", [None, ["body"], ["title", "body"]])
def test_editing_an_article_renders_it_again(update_fields):
    article = ArticleFactory(body="before")
    article.body = "*after*"
    article.title = "Edited"
    article.save(update_fields=update_fields)
    assert stored(article) == "<p><em>after</em></p>\n"


@pytest.mark.django_db
def test_editing_a_comment_renders_it_again():
    comment = CommentFactory(body="before")
    comment.body = "*after*"
    comment.save(update_fields=["body"])
    assert stored(comment) == "<p><em>after</em></p>\n"


@pytest.mark.django_db
def test_a_status_only_save_neither_renders_nor_writes_the_html(monkeypatch):
    article = ArticleFactory(body="**draft**")
    comment = CommentFactory(article=article, body="**pending**")
    # Stored HTML that no longer matches the body: a status save must leave it as it is.
    Article.objects.filter(pk=article.pk).update(body_html="<p>as stored</p>")
    Comment.objects.filter(pk=comment.pk).update(body_html="<p>as stored</p>")
    break_the_renderer(monkeypatch)

    with CaptureQueriesContext(connection) as queries:
        publish_article(article)
        approve_comment(comment)

    assert updates_of(queries) and not any("body_html" in sql for sql in updates_of(queries))
    assert stored(article) == stored(comment) == "<p>as stored</p>"


@pytest.mark.django_db
def test_a_save_with_the_body_deferred_renders_nothing(monkeypatch):
    ArticleFactory(body="**kept**")
    article = Article.objects.defer("body").get()
    break_the_renderer(monkeypatch)
    article.title = "Only the title"
    article.save()
    assert stored(article) == "<p><strong>kept</strong></p>\n"


@pytest.mark.django_db
def test_bulk_created_rows_are_rendered_too():
    existing = ArticleFactory()
    [article] = Article.objects.bulk_create(
        [ArticleFactory.build(author=existing.author, category=existing.category, slug="bulk", body="**a**")]
    )
    [comment] = Comment.objects.bulk_create([CommentFactory.build(article=article, body="**c**")])
    assert stored(article) == "<p><strong>a</strong></p>\n"
    assert stored(comment) == "<p><strong>c</strong></p>\n"


# --- what is stored is sanitised ---------------------------------------------------------


class Tags(HTMLParser):
    def __init__(self, html: str) -> None:
        super().__init__()
        self.found: list[tuple[str, list[tuple[str, str | None]]]] = []
        self.feed(html)

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.found.append((tag, attrs))


def assert_runs_no_script(html: str) -> None:
    for tag, attrs in Tags(html).found:
        assert tag not in {"script", "style", "iframe", "object"}, html
        for name, value in attrs:
            assert not name.startswith("on"), html
            if name in {"href", "src"}:
                assert not (value or "").strip().lower().startswith(("javascript:", "data:", "vbscript:")), html


@pytest.mark.django_db
def test_stored_html_carries_no_script_tag_handler_or_javascript_link():
    article = ArticleFactory(body=HOSTILE)
    comment = CommentFactory(article=article, body=HOSTILE)
    assert_runs_no_script(stored(article))
    assert_runs_no_script(stored(comment))
    assert "&lt;script&gt;" in stored(article) and "<strong>bold</strong>" in stored(article)


PIECES = [
    *("<script>", "</script>", "<img src=x onerror=alert(1)>", "<a href='javascript:z'>", "</a>"),
    *("[a](javascript:alert(1))", "![i](javascript:y)", "[d](data:text/html,x)", "[v](JaVaScRiPt:x)"),
    *("<javascript:x>", "**b**", "\n\n", "`c`", "> q", "text ", "<", ">", '"', "'", "&"),
]


@settings(max_examples=200, deadline=None)
@given(st.lists(st.sampled_from(PIECES), max_size=30))
def test_no_body_renders_to_html_that_runs_script(parts):
    text = "".join(parts)
    assert_runs_no_script(render_markdown(text))
    assert_runs_no_script(render_comment(text))


# --- pages print what is stored ----------------------------------------------------------


@pytest.mark.django_db
def test_the_article_page_prints_the_stored_html_as_the_filters_rendered_it(client, monkeypatch):
    article = ArticleFactory(status=Article.Status.PUBLISHED, body=HOSTILE + "\n\n| a | b |\n|---|---|\n| 1 | 2 |")
    comment = CommentFactory(article=article, body=HOSTILE, status=Comment.Status.APPROVED)
    # What the templates printed when they rendered each body per request.
    article_body = f'<div class="article-body">{render_markdown(article.body)}</div>'
    comment_body = f'<div class="comment-body">{render_comment(comment.body)}</div>'
    break_the_renderer(monkeypatch)

    html = client.get(article.get_absolute_url()).content.decode()

    assert article_body in html and comment_body in html


@pytest.mark.django_db
def test_article_page_queries_do_not_grow_with_rendered_comments(client, django_assert_num_queries, monkeypatch):
    article = ArticleFactory(status=Article.Status.PUBLISHED, body="**body**")
    CommentFactory(article=article, status=Comment.Status.APPROVED, body="**one**")
    with CaptureQueriesContext(connection) as one:
        client.get(article.get_absolute_url())
    for n in range(20):
        CommentFactory(article=article, status=Comment.Status.APPROVED, body=f"*comment {n}*")
    break_the_renderer(monkeypatch)
    with django_assert_num_queries(len(one.captured_queries)):
        response = client.get(article.get_absolute_url())
    assert response.content.decode().count('<div class="comment-body">') == 21


# --- the migration and the command ----------------------------------------------------------


def run_data_migration(app_label: str, name: str) -> None:
    module = importlib.import_module(f"{app_label}.migrations.{name}")
    module.render_bodies(apps, SimpleNamespace(connection=connection))


@pytest.mark.django_db
def test_the_data_migrations_fill_rows_stored_before_the_column_existed():
    comment = CommentFactory(body="**c**")
    Article.objects.update(body_html="")
    Comment.objects.update(body_html="")
    run_data_migration("articles", "0005_render_article_bodies")
    run_data_migration("comments", "0003_render_comment_bodies")
    assert stored(comment.article) == render_markdown(comment.article.body)
    assert stored(comment) == "<p><strong>c</strong></p>\n"


def render_again(**options: Any) -> str:
    out = io.StringIO()
    call_command("render_markdown", stdout=out, **options)
    return out.getvalue()


@pytest.mark.django_db
def test_the_command_renders_everything_again_after_a_rule_change_and_says_how_many_changed(monkeypatch):
    bold = [ArticleFactory(body=f"**bold {n}**") for n in range(3)]
    plain = ArticleFactory(body="plain", category=bold[0].category, author=bold[0].author)
    comments = [CommentFactory(article=plain, body="**bold**"), CommentFactory(article=plain, body="plain")]
    for article in bold:
        publish_article(article)
    approve_comment(comments[0])
    before = {row["pk"]: row for row in Article.objects.values("pk", "updated_at", "view_count", "comment_count")}
    without_tag(monkeypatch, "strong")

    with CaptureQueriesContext(connection) as queries:
        output = render_again(batch_size=2)

    assert "articles: 3 row(s) re-rendered" in output and "comments: 1 row(s) re-rendered" in output
    assert "4 row(s) changed" in output
    assert stored(bold[0]) == "<p>bold 0</p>\n" and stored(comments[0]) == "<p>bold</p>\n"
    assert stored(plain) == "<p>plain</p>\n"
    # Only body_html is written: no counter, no updated_at, no other column.
    assert updates_of(queries)
    for sql in updates_of(queries):
        assert re.match(r'UPDATE "\w+" SET "body_html" = ', sql)
        assert not re.search(r'"(updated_at|view_count|comment_count|status|body)" =', sql)
    assert {
        row["pk"]: row for row in Article.objects.values("pk", "updated_at", "view_count", "comment_count")
    } == before
    assert "0 row(s) changed" in render_again()
