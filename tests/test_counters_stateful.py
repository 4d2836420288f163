"""Random sequences of every write the site can make; after each step every
counter must equal a fresh aggregate of the rows it counts.

Each run of the machine happens inside a savepoint that is rolled back at the
end, so runs start from an empty database on SQLite and on PostgreSQL alike.
"""

from __future__ import annotations

import datetime
import itertools

import pytest
from django.db import DatabaseError, transaction
from django.utils import timezone
from hypothesis import HealthCheck, settings
from hypothesis import strategies as st
from hypothesis.stateful import Bundle, RuleBasedStateMachine, consumes, invariant, rule, run_state_machine_as_test

from articles.forms import article_version
from articles.models import Article, ArticleRevision, ArticleTag, Category, Tag
from articles.revisions import restore_revision
from articles.services import publish_due_articles
from articles.signals import article_viewed
from articles.tags import merge_tags
from authors.models import Author
from comments.models import Comment
from comments.replies import can_be_answered, move_replies_with
from comments.services import add_comment, moderate_comment
from tests.conftest import (
    assert_audit_log_follows_every_status,
    assert_counters_exact,
    assert_latest_revisions_hold_the_content,
)
from tests.factories import UserFactory

statuses = st.sampled_from(Article.Status.values)
comment_statuses = st.sampled_from(Comment.Status.values)
# Few titles, so that slugs collide often.
titles = st.sampled_from(
    ["Hello", "Hello!", "hello", "Ünïcode", "???", ("A much longer title " * 10).strip()]
)  # 199 of 200 characters


def fetch(model, pk):
    return model._base_manager.filter(pk=pk).first()


class CounterMachine(RuleBasedStateMachine):
    authors = Bundle("authors")
    categories = Bundle("categories")
    articles = Bundle("articles")
    comments = Bundle("comments")
    tags = Bundle("tags")
    stale_copies = Bundle("stale_copies")

    def __init__(self) -> None:
        super().__init__()
        self._savepoint = transaction.atomic()
        self._savepoint.__enter__()
        self.views: dict[int, int] = {}
        self.category_numbers = itertools.count(1)
        self.tag_numbers = itertools.count(1)

    def teardown(self) -> None:
        transaction.set_rollback(True)
        self._savepoint.__exit__(None, None, None)

    # -- authors and categories ------------------------------------------------

    @rule(target=authors)
    def create_user(self) -> int:
        return UserFactory().author.pk

    @rule(author_pk=consumes(authors))
    def delete_user(self, author_pk: int) -> None:
        author = fetch(Author, author_pk)
        if author:
            author.user.delete()  # cascades to the author's articles and their comments

    @rule(target=categories)
    def create_category(self) -> int:
        # Names are unique; deleted categories must not free a number for reuse.
        return Category.objects.create(name=f"Category {next(self.category_numbers)}").pk

    @rule(category_pk=consumes(categories))
    def delete_category(self, category_pk: int) -> None:
        Category._base_manager.filter(pk=category_pk).delete()

    @rule(author_pk=authors, category_pk=categories)
    def save_stale_profiles(self, author_pk: int, category_pk: int) -> None:
        # Copies loaded before other writes; a full save must not write counters back.
        author, category = fetch(Author, author_pk), fetch(Category, category_pk)
        if author:
            author.article_count += 5
            author.bio = "edited"
            author.save()
        if category:
            category.article_count += 5
            category.save()

    # -- tags ------------------------------------------------------------------------

    @rule(target=tags)
    def create_tag(self) -> int:
        number = next(self.tag_numbers)
        return Tag.objects.create(name=f"Tag {number}", slug=f"tag-{number}").pk

    @rule(tag_pk=consumes(tags))
    def delete_tag(self, tag_pk: int) -> None:
        Tag._base_manager.filter(pk=tag_pk).delete()

    @rule(article_pk=articles, tag_pks=st.lists(tags, max_size=3), how=st.sampled_from(["add", "set", "from_tag"]))
    def tag_article(self, article_pk: int, tag_pks: list[int], how: str) -> None:
        article = fetch(Article, article_pk)
        present = list(Tag._base_manager.filter(pk__in=tag_pks))
        if article is None:
            return
        if how == "add":
            article.tags.add(*present)
        elif how == "set":
            article.tags.set(present)
        else:
            for tag in present:
                tag.articles.add(article)

    @rule(article_pk=articles, tag_pk=tags, how=st.sampled_from(["remove", "from_tag", "clear", "delete_links"]))
    def untag_article(self, article_pk: int, tag_pk: int, how: str) -> None:
        article, tag = fetch(Article, article_pk), fetch(Tag, tag_pk)
        if article is None or tag is None:
            return
        if how == "remove":
            article.tags.remove(tag)
        elif how == "from_tag":
            tag.articles.remove(article)
        elif how == "clear":
            article.tags.clear()
        else:
            ArticleTag.objects.filter(tag=tag).delete()

    @rule(tag_pk=tags, other_pk=tags)
    def merge_tags(self, tag_pk: int, other_pk: int) -> None:
        tag, other = fetch(Tag, tag_pk), fetch(Tag, other_pk)
        if tag and other and tag.pk != other.pk:
            merge_tags(tag, into=other)

    # -- articles ------------------------------------------------------------------

    @rule(target=articles, author_pk=authors, category_pk=st.none() | categories, status=statuses, title=titles)
    def create_article(self, author_pk: int, category_pk: int | None, status: str, title: str) -> int:
        if not Author._base_manager.filter(pk=author_pk).exists():
            return -1
        if category_pk is not None and not Category._base_manager.filter(pk=category_pk).exists():
            category_pk = None
        published_at = timezone.now() + datetime.timedelta(days=1) if status == Article.Status.SCHEDULED else None
        article = Article.objects.create(
            title=title,
            body="b",
            author_id=author_pk,
            category_id=category_pk,
            status=status,
            published_at=published_at,
        )
        return article.pk

    @rule(article_pk=articles, status=statuses, only_status=st.booleans())
    def change_status(self, article_pk: int, status: str, only_status: bool) -> None:
        article = fetch(Article, article_pk)
        if article:
            article.status = status
            article.save(update_fields=["status"] if only_status else None)

    @rule(article_pk=articles, category_pk=st.none() | categories)
    def move_category(self, article_pk: int, category_pk: int | None) -> None:
        article = fetch(Article, article_pk)
        if article and (category_pk is None or Category._base_manager.filter(pk=category_pk).exists()):
            article.category_id = category_pk
            article.save(update_fields=["category"])

    @rule(article_pk=articles, pick=st.integers(min_value=0, max_value=50))
    def restore_a_revision(self, article_pk: int, pick: int) -> None:
        article = fetch(Article, article_pk)
        if not article:
            return
        kept = list(ArticleRevision.objects.filter(id=article_pk).order_by("history_id"))
        revision = kept[pick % len(kept)]
        before = (article.status, article.published_at, article.comment_count, article.view_count)
        restore_revision(article, revision, version=article_version(article))
        after = fetch(Article, article_pk)
        # A restore is an edit of the content: never of the status, its date or a counter.
        assert (after.status, after.published_at, after.comment_count, after.view_count) == before

    @rule(article_pk=articles, author_pk=authors, category_pk=st.none() | categories, status=statuses)
    def move_and_change_status_at_once(
        self, article_pk: int, author_pk: int, category_pk: int | None, status: str
    ) -> None:
        article = fetch(Article, article_pk)
        if not article or not Author._base_manager.filter(pk=author_pk).exists():
            return
        if category_pk is not None and not Category._base_manager.filter(pk=category_pk).exists():
            return
        article.author_id, article.category_id, article.status = author_pk, category_pk, status
        article.save()

    @rule(target=stale_copies, article_pk=articles)
    def take_stale_copy(self, article_pk: int):
        return fetch(Article, article_pk)

    @rule(copy=consumes(stale_copies), status=statuses, retitle=st.booleans())
    def save_stale_copy(self, copy: Article | None, status: str, retitle: bool) -> None:
        if copy is None:
            return
        copy.status = status
        if retitle:
            copy.title = f"{copy.title[:190]} (edited)"
        if copy.category_id and not Category._base_manager.filter(pk=copy.category_id).exists():
            copy.category_id = None  # the category was deleted since the copy was taken
        if not Author._base_manager.filter(pk=copy.author_id).exists():
            return
        try:
            with transaction.atomic():
                copy.save()
        except DatabaseError:
            # The row was deleted since the copy was taken: the save must fail,
            # not resurrect it (and the invariant checks nothing moved).
            assert not Article._base_manager.filter(pk=copy.pk).exists()

    @rule(article_pk=consumes(articles))
    def delete_article(self, article_pk: int) -> None:
        article = fetch(Article, article_pk)
        if article:
            article.delete()

    @rule(status=statuses, author_pk=authors)
    def delete_many_articles(self, status: str, author_pk: int) -> None:
        Article.objects.filter(status=status, author_id=author_pk).delete()

    @rule(article_pk=articles, due=st.booleans())
    def schedule_then_publish_due(self, article_pk: int, due: bool) -> None:
        article = fetch(Article, article_pk)
        if article:
            article.status = Article.Status.SCHEDULED
            article.published_at = timezone.now() + datetime.timedelta(minutes=-1 if due else 60)
            article.save()
            publish_due_articles()

    @rule(article_pk=articles)
    def view(self, article_pk: int) -> None:
        article = fetch(Article, article_pk)
        if article:
            article_viewed.send(sender=Article, article=article, request=None)
            self.views[article.pk] = self.views.get(article.pk, 0) + 1

    # -- comments ------------------------------------------------------------------

    @rule(target=comments, article_pk=articles, status=comment_statuses)
    def add_comment(self, article_pk: int, status: str) -> int:
        if not Article._base_manager.filter(pk=article_pk).exists():
            return -1
        return Comment.objects.create(
            article_id=article_pk, name="n", email="e@example.com", body="b", status=status
        ).pk

    @rule(target=comments, parent_pk=comments, approved=st.booleans())
    def add_reply(self, parent_pk: int, approved: bool) -> int:
        # A reply, as the site stores it, to a shown comment; it is then
        # moderated, moved and deleted like any comment, its parent too.
        parent = fetch(Comment, parent_pk)
        if parent is None or parent.status != Comment.Status.APPROVED or not can_be_answered(parent):
            return -1
        reader = UserFactory() if approved else None
        reply = add_comment(
            article=parent.article, body="a reply", user=reader, name="g", email="g@example.com", parent=parent
        )
        return reply.pk

    @rule(comment_pk=comments, status=comment_statuses)
    def moderate(self, comment_pk: int, status: str) -> None:
        comment = fetch(Comment, comment_pk)
        if comment:
            moderate_comment(comment, status)

    @rule(comment_pk=comments, article_pk=articles)
    def move_comment(self, comment_pk: int, article_pk: int) -> None:
        comment = fetch(Comment, comment_pk)
        if comment and Article._base_manager.filter(pk=article_pk).exists():
            comment.article_id = article_pk
            comment.save()

    @rule(comment_pk=comments, article_pk=articles)
    def move_thread(self, comment_pk: int, article_pk: int) -> None:
        # As a moderator moves a comment in the admin: its replies go with it, in one transaction.
        comment = fetch(Comment, comment_pk)
        if comment and Article._base_manager.filter(pk=article_pk).exists():
            with transaction.atomic():
                comment.article_id = article_pk
                comment.save()
                move_replies_with(comment)

    @rule(comment_pk=consumes(comments))
    def delete_comment(self, comment_pk: int) -> None:
        comment = fetch(Comment, comment_pk)
        if comment:
            comment.delete()

    @rule(article_pk=articles, status=comment_statuses)
    def delete_many_comments(self, article_pk: int, status: str) -> None:
        Comment.objects.filter(article_id=article_pk, status=status).delete()

    # -- what must always hold ---------------------------------------------------------

    @invariant()
    def counters_equal_fresh_aggregates(self) -> None:
        assert_counters_exact()

    @invariant()
    def views_are_counted_and_never_lowered(self) -> None:
        stored = dict(Article._base_manager.filter(pk__in=self.views).values_list("pk", "view_count"))
        assert all(stored[pk] == count for pk, count in self.views.items() if pk in stored)

    @invariant()
    def the_latest_revision_holds_the_content(self) -> None:
        assert_latest_revisions_hold_the_content()

    @invariant()
    def the_audit_log_follows_every_status(self) -> None:
        assert_audit_log_follows_every_status()

    @invariant()
    def every_published_article_has_a_publication_date_and_slugs_are_unique(self) -> None:
        assert not Article.objects.published().filter(published_at__isnull=True).exists()
        assert not Article._base_manager.filter(slug="").exists()


@pytest.mark.django_db
def test_counters_stay_exact_under_random_operations():
    run_state_machine_as_test(
        CounterMachine,
        settings=settings(
            max_examples=40,
            stateful_step_count=40,
            deadline=None,
            suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much],
        ),
    )
