"""How many SQL statements each counted write costs, stated and held.

The test transaction wraps every write, so the figures are the statements of
the write itself: no BEGIN/COMMIT. An email the write causes costs one
statement in the transaction on PostgreSQL (the deferred job), none on SQLite
(it runs after the commit, in the process).
`bench/writes.py` prints the same figures next to a naive strategy's.
"""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from articles.models import Article, Tag
from articles.services import publish_article
from articles.signals import article_viewed
from blogsite.effects import queue_is_durable
from comments.services import add_comment
from tests.factories import ArticleFactory, CategoryFactory

pytestmark = pytest.mark.django_db


def statement_kinds(queries) -> list[str]:
    kinds = []
    for query in queries.captured_queries:
        sql = query["sql"].upper()
        kind = sql.split(None, 1)[0]
        if kind == "SELECT" and " FOR UPDATE" in sql:
            kind = "SELECT FOR UPDATE"
        elif "PROCRASTINATE_DEFER_JOBS" in sql:
            kind = "DEFER JOB"
        kinds.append(kind)
    return kinds


def locked_select() -> str:
    # SQLite has no row locks: its writers are serialised by the database lock.
    return "SELECT FOR UPDATE" if connection.features.has_select_for_update else "SELECT"


def deferred_job() -> list[str]:
    """The statement that records an email with the write: a procrastinate job, on PostgreSQL."""
    return ["DEFER JOB"] if queue_is_durable() else []


def test_publishing_costs_a_locked_read_the_update_and_one_update_per_counter(author):
    article = ArticleFactory(author=author)
    draft = Article.objects.get(pk=article.pk)
    with CaptureQueriesContext(connection) as queries:
        publish_article(draft)
    # The stored row under lock, the article itself, then author and category
    # counts (in a fixed order, so two processes never deadlock on them) after
    # a read of its tags (each tag's count moves with it), the audit log's
    # entry, and the followers' email job.
    kinds = [locked_select(), "UPDATE", "SELECT", "UPDATE", "UPDATE", "INSERT", *deferred_job()]
    assert statement_kinds(queries) == kinds
    author.refresh_from_db()
    assert author.article_count == 1


def test_creating_a_published_article_costs_one_slug_read_the_insert_and_two_counter_updates_in_a_savepoint(author):
    category = CategoryFactory()
    with CaptureQueriesContext(connection) as queries:
        Article.objects.create(title="Fresh news", body="b", author=author, category=category, status="published")
    # A new row has no stored state to lock: its one SELECT is for the slug.
    # The savepoint lets a create that lost a slug race retry with another.
    # The second INSERT is its first revision (articles/revision_records.py),
    # the last its publication's entry in the audit log.
    kinds = ["SELECT", "SAVEPOINT", "INSERT", "INSERT", "UPDATE", "UPDATE", "INSERT", *deferred_job(), "RELEASE"]
    assert statement_kinds(queries) == kinds


def test_editing_a_published_article_without_a_transition_touches_no_counter(author):
    article = Article.objects.get(pk=ArticleFactory(author=author, status="published").pk)
    article.title = "A better title"
    with CaptureQueriesContext(connection) as queries:
        article.save()
    # The INSERT is the edit's revision, in the same transaction.
    assert statement_kinds(queries) == [locked_select(), "UPDATE", "INSERT"]


def test_moving_a_published_article_updates_both_categories_in_one_statement_each(author):
    article = Article.objects.get(pk=ArticleFactory(author=author, status="published").pk)
    article.category = CategoryFactory()
    with CaptureQueriesContext(connection) as queries:
        article.save()
    assert statement_kinds(queries) == [locked_select(), "UPDATE", "INSERT", "UPDATE", "UPDATE"]


def test_an_approved_comment_costs_the_insert_and_one_counter_update(author, reader):
    article = ArticleFactory(author=author, status="published")
    with CaptureQueriesContext(connection) as queries:
        add_comment(article=article, body="Well said.", user=reader)
    # The SELECT, before the transaction: has this address a rejected comment (comments/screening.py)?
    assert statement_kinds(queries) == ["SELECT", "INSERT", "UPDATE", *deferred_job()]


def test_a_guest_comment_costs_the_insert_alone(author):
    # Pending: it counts nothing and defers no email (the digest round finds its row).
    article = ArticleFactory(author=author, status="published")
    with CaptureQueriesContext(connection) as queries:
        add_comment(article=article, body="Well said.", name="Guest", email="guest@example.com")
    assert statement_kinds(queries) == ["INSERT"]


def test_a_view_costs_one_update():
    article = ArticleFactory(status="published")
    with CaptureQueriesContext(connection) as queries:
        article_viewed.send(sender=Article, article=article, request=None)
    assert statement_kinds(queries) == ["UPDATE"]


def test_tagging_a_published_article_costs_its_locked_read_the_links_and_one_update_per_tag(author):
    article = ArticleFactory(author=author, status="published")
    tags = [Tag.objects.create(name=f"Tag {n}", slug=f"tag-{n}") for n in range(3)]
    with CaptureQueriesContext(connection) as queries:
        article.tags.add(*tags)
    # Django's read of the links already there, the article locked, the links
    # made meanwhile read again under the lock, the INSERT of all three links,
    # then each tag's count.
    assert statement_kinds(queries) == ["SELECT", locked_select(), "SELECT", "INSERT", "UPDATE", "UPDATE", "UPDATE"]


def test_a_reply_costs_a_comment_and_the_locked_read_of_what_it_answers(author, reader):
    article = ArticleFactory(author=author, status="published")
    parent = add_comment(article=article, body="First.", user=reader)
    with CaptureQueriesContext(connection) as queries:
        add_comment(article=article, body="An answer.", user=reader, parent=parent)
    # As a comment (its rejected-history check, the INSERT, the article's
    # count), with the parent locked before the INSERT so that it cannot go
    # meanwhile; on PostgreSQL, two jobs: the parent's commenter's email (sent
    # only if they asked) and the author's.
    kinds = ["SELECT", locked_select(), "INSERT", "UPDATE", *deferred_job(), *deferred_job()]
    assert statement_kinds(queries) == kinds
