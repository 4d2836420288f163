"""recount_counters, check_counters and publish_due, as an operator runs them."""

import datetime
import io
import time

import pytest
from django.core.management import CommandError, call_command
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone
from procrastinate.contrib.django import app

from articles.models import Article, Category
from articles.signals import article_published
from articles.tasks import publish_due
from authors.models import Author
from authors.tasks import notify_followers_of_publication
from comments.models import Comment
from tests.conftest import assert_counters_exact
from tests.effects import run_deferred_jobs
from tests.factories import ArticleFactory, CategoryFactory, CommentFactory, make_author

pytestmark = pytest.mark.django_db


def break_counters(extra: int) -> None:
    """Drift made the way the receivers cannot see: QuerySet.update() bypasses signals."""
    Author.objects.update(article_count=extra)
    Category.objects.update(article_count=extra)
    Article.objects.update(comment_count=extra)


def make_site(articles: int) -> None:
    category = CategoryFactory()
    author = make_author()
    for i in range(articles):
        article = ArticleFactory(author=author, category=category, status="published" if i % 2 else "draft")
        CommentFactory(article=article, status="approved")


def run(command: str) -> tuple[int, str]:
    out = io.StringIO()
    try:
        call_command(command, stdout=out)
    except CommandError as error:
        return error.returncode, out.getvalue() + str(error)
    return 0, out.getvalue()


def test_check_counters_exits_0_when_exact():
    make_site(3)
    code, output = run("check_counters")
    assert code == 0 and "All counters are exact" in output


def test_check_counters_prints_each_drifted_row_and_exits_1():
    make_site(2)
    author = Author.objects.get()
    Author.objects.update(article_count=5)
    code, output = run("check_counters")
    assert code == 1
    assert f"authors.Author.article_count of Author {author.pk} ({author}): stored 5, true 1" in output
    assert "1 counter(s) drifted" in output


def test_check_counters_reads_each_counted_table_once_however_many_rows_drifted():
    for _ in range(6):
        ArticleFactory(author=make_author(), status=Article.Status.PUBLISHED)
    Author.objects.update(article_count=9)
    Category.objects.update(article_count=9)
    with CaptureQueriesContext(connection) as queries:
        code, output = run("check_counters")
    assert code == 1 and "12 counter(s) drifted" in output
    # Authors, categories, tags and articles' comment counts: one read each.
    assert len(queries.captured_queries) == 4


def test_recount_repairs_everything_and_zeroes_parents_with_no_children_left():
    make_site(4)
    empty_category, idle_author = CategoryFactory(), make_author()
    break_counters(extra=9)
    code, output = run("recount_counters")
    assert code == 0 and "were wrong" in output
    assert_counters_exact()
    assert Category.objects.get(pk=empty_category.pk).article_count == 0
    assert Author.objects.get(pk=idle_author.pk).article_count == 0


@pytest.mark.parametrize("articles", [2, 20])
def test_recount_issues_one_update_per_counted_table_whatever_the_row_count(articles):
    make_site(articles)
    break_counters(extra=7)
    with CaptureQueriesContext(connection) as queries:
        call_command("recount_counters", stdout=io.StringIO())
    updates = [q["sql"] for q in queries.captured_queries if q["sql"].startswith("UPDATE")]
    assert len(updates) == 4
    assert len(queries.captured_queries) <= 6  # the 4 updates, and savepoint bookkeeping at most
    assert_counters_exact()


def test_recount_on_exact_counters_changes_nothing():
    make_site(3)
    _, output = run("recount_counters")
    assert "0 row(s) were wrong" in output


def test_publish_due_publishes_what_is_due_and_counts_it(author, django_capture_on_commit_callbacks):
    now = timezone.now()
    due = ArticleFactory(author=author, status="scheduled", published_at=now - datetime.timedelta(minutes=1))
    later = ArticleFactory(author=author, status="scheduled", published_at=now + datetime.timedelta(days=1))
    sent = []
    article_published.connect(
        lambda sender, article, **kw: sent.append(article.pk),
        sender=Article,
        weak=False,
        dispatch_uid="test-publish-due",
    )
    try:
        with django_capture_on_commit_callbacks(execute=True):
            code, output = run("publish_due")
            run("publish_due")  # a second run finds nothing left to do
    finally:
        article_published.disconnect(sender=Article, dispatch_uid="test-publish-due")
    assert code == 0 and f"Published {due.slug}" in output and "1 article(s) published" in output
    assert Article.objects.get(pk=due.pk).status == "published"
    assert Article.objects.get(pk=later.pk).status == "scheduled"
    assert sent == [due.pk]
    assert Author.objects.get(pk=author.pk).article_count == 1
    assert_counters_exact()


def test_publish_due_notifies_followers(author, reader, mailoutbox, django_capture_on_commit_callbacks):
    from authors.services import follow_author

    follow_author(user=reader, author=author)
    ArticleFactory(author=author, status="scheduled", published_at=timezone.now() - datetime.timedelta(seconds=1))
    with django_capture_on_commit_callbacks(execute=True):
        run("publish_due")
    run_deferred_jobs(notify_followers_of_publication)
    assert [m.to for m in mailoutbox] == [[reader.email]]


def test_the_periodic_publish_task_publishes_what_falls_due(
    author, reader, mailoutbox, settings, django_capture_on_commit_callbacks
):
    from authors.services import follow_author

    follow_author(user=reader, author=author)
    due = ArticleFactory(author=author, status="scheduled", published_at=timezone.now() - datetime.timedelta(seconds=1))
    ArticleFactory(author=author, status="scheduled", published_at=timezone.now() + datetime.timedelta(days=1))

    with django_capture_on_commit_callbacks(execute=True):
        assert publish_due(timestamp=int(time.time())) == [due.slug]
    run_deferred_jobs(notify_followers_of_publication)

    assert Author.objects.get(pk=author.pk).article_count == 1
    assert [m.to for m in mailoutbox] == [[reader.email]]
    (periodic,) = [p for p in app.periodic_registry.periodic_tasks.values() if p.task is publish_due]
    assert periodic.cron == f"* * * * * */{settings.PUBLISH_DUE_EVERY_SECONDS}"
    assert_counters_exact()


def test_moderation_through_the_admin_actions_keeps_counts(admin_client):
    article = ArticleFactory(status="draft")
    comments = CommentFactory.create_batch(3, article=article)
    admin_client.post(
        "/admin/comments/comment/",
        {"action": "approve", "_selected_action": [c.pk for c in comments]},
    )
    assert Article.objects.get(pk=article.pk).comment_count == 3
    admin_client.post("/admin/articles/article/", {"action": "publish", "_selected_action": [article.pk]})
    assert Article.objects.get(pk=article.pk).status == "published"
    assert Comment.objects.approved().count() == 3
    assert_counters_exact()
