"""Articles' approved-comment counts, and the email to the article's author (the digest: test_digest.py)."""

import itertools

import pytest
from django.db import connection, transaction
from django.db.models.deletion import Collector
from django.test.utils import CaptureQueriesContext

from articles.models import Article
from blogsite.effects import queue_is_durable
from comments.digest import send_comment_digests_now
from comments.models import Comment
from comments.services import add_comment, approve_comment, reject_comment
from comments.tasks import notify_author_of_comment
from tests.conftest import assert_counters_exact
from tests.effects import queued_jobs, run_deferred_jobs
from tests.factories import ArticleFactory, CommentFactory, UserFactory

pytestmark = pytest.mark.django_db

APPROVED = Comment.Status.APPROVED
PENDING = Comment.Status.PENDING


def comment_count(article: Article) -> int:
    return Article.objects.get(pk=article.pk).comment_count


def test_a_signed_in_readers_comment_is_approved_and_counted_at_once(author, reader):
    article = ArticleFactory(author=author, status=Article.Status.PUBLISHED)
    comment = add_comment(article=article, user=reader, body="Great read.")
    assert comment.status == APPROVED
    assert comment_count(article) == 1


def test_a_guests_comment_waits_for_moderation():
    article = ArticleFactory(status=Article.Status.PUBLISHED)
    comment = add_comment(article=article, name="Guest", email="guest@example.com", body="Hi")
    assert comment.status == PENDING
    assert comment_count(article) == 0
    approve_comment(comment)
    assert comment_count(article) == 1
    reject_comment(comment)
    assert comment_count(article) == 0


def test_approving_twice_counts_once():
    comment = CommentFactory()
    approve_comment(comment)
    approve_comment(comment)
    stale = Comment.objects.get(pk=comment.pk)
    approve_comment(stale)
    assert comment_count(comment.article) == 1


def test_a_stale_copy_is_judged_against_the_stored_row():
    comment = CommentFactory(status=PENDING)
    stale = Comment.objects.get(pk=comment.pk)
    approve_comment(comment)
    stale.body = "Edited in an old admin form"
    stale.save()  # writes status=pending back: the approval is undone, and uncounted
    assert comment_count(comment.article) == 0
    assert_counters_exact()


def test_moving_an_approved_comment_to_another_article():
    comment = CommentFactory(status=APPROVED)
    other = ArticleFactory()
    comment.article = other
    comment.save()
    assert (comment_count(comment.article), comment_count(other)) == (1, 1)
    assert_counters_exact()


def test_deletes_single_bulk_and_cascading():
    article = ArticleFactory()
    comments = CommentFactory.create_batch(4, article=article, status=APPROVED)
    CommentFactory(article=article, status=PENDING)
    comments[0].delete()
    assert comment_count(article) == 3
    Comment.objects.filter(pk__in=[c.pk for c in comments[1:3]]).delete()
    assert comment_count(article) == 1
    article.delete()  # its comments go with it
    assert not Comment.objects.exists()
    assert_counters_exact()


def test_a_commenters_account_deletion_keeps_their_comments():
    user = UserFactory()
    article = ArticleFactory()
    add_comment(article=article, user=user, body="Still here")
    user.delete()
    assert Comment.objects.get().user is None
    assert comment_count(article) == 1


def test_a_pending_comment_emails_nobody_at_once_and_goes_in_the_next_digest(
    author, mailoutbox, django_capture_on_commit_callbacks
):
    article = ArticleFactory(author=author, title="On writing", status=Article.Status.PUBLISHED)
    with django_capture_on_commit_callbacks(execute=True):
        comment = add_comment(article=article, name="Guest", email="guest@example.com", body="Lovely <b>text</b>")
    run_deferred_jobs(notify_author_of_comment)
    assert mailoutbox == [] and queued_jobs(notify_author_of_comment) == []

    assert send_comment_digests_now() == 1
    [mail] = mailoutbox
    assert mail.to == [author.user.email]
    assert mail.subject == "1 comment awaits your approval"
    assert "On writing" in mail.body
    assert f"/admin/comments/comment/{comment.pk}/change/" in mail.body
    html = mail.alternatives[0][0]
    assert "Lovely &lt;b&gt;text&lt;/b&gt;" in html  # the commenter's HTML is escaped


def test_an_approved_comment_email_links_to_the_comment(author, reader, mailoutbox, django_capture_on_commit_callbacks):
    article = ArticleFactory(author=author, status=Article.Status.PUBLISHED)
    with django_capture_on_commit_callbacks(execute=True):
        comment = add_comment(article=article, user=reader, body="Hi")
    run_deferred_jobs(notify_author_of_comment)
    [mail] = mailoutbox
    assert f"#comment-{comment.pk}" in mail.body
    assert "/admin/" not in mail.body


def test_no_email_for_a_comment_on_ones_own_article(author, mailoutbox, django_capture_on_commit_callbacks):
    article = ArticleFactory(author=author, status=Article.Status.PUBLISHED)
    with django_capture_on_commit_callbacks(execute=True):
        add_comment(article=article, user=author.user, body="Thanks all")
    run_deferred_jobs(notify_author_of_comment)
    assert mailoutbox == []


def test_no_email_when_the_comment_is_rolled_back(author, reader, mailoutbox, django_capture_on_commit_callbacks):
    article = ArticleFactory(author=author)
    with django_capture_on_commit_callbacks(execute=True), pytest.raises(RuntimeError), transaction.atomic():
        add_comment(article=article, user=reader, body="Hi")
        add_comment(article=article, name="Guest", email="g@example.com", body="Hi")
        raise RuntimeError
    assert send_comment_digests_now() == 0
    assert queued_jobs(notify_author_of_comment) == [] and mailoutbox == []


def test_a_failing_email_backend_keeps_the_comment_and_is_logged(
    author, reader, settings, caplog, django_capture_on_commit_callbacks
):
    settings.EMAIL_BACKEND = "tests.failing_email.FailingEmailBackend"
    article = ArticleFactory(author=author)
    with django_capture_on_commit_callbacks(execute=True):
        comment = add_comment(article=article, user=reader, body="Hi")
    run_deferred_jobs(notify_author_of_comment)
    assert Comment.objects.filter(pk=comment.pk).exists()
    assert "SMTP server refused" in caplog.text
    if queue_is_durable():  # the email waits in the queue for the mail server to come back
        assert queued_jobs(notify_author_of_comment) == ["comments.tasks.notify_author_of_comment"]


def test_deleting_an_article_does_not_lock_or_count_its_comments_one_by_one(django_assert_max_num_queries):
    article = ArticleFactory(status=Article.Status.PUBLISHED)
    CommentFactory.create_batch(3, article=article, status=APPROVED)
    with django_assert_max_num_queries(20) as three:
        Article.objects.get(pk=article.pk).delete()
    bigger = ArticleFactory(status=Article.Status.PUBLISHED)
    CommentFactory.create_batch(30, article=bigger, status=APPROVED)
    with django_assert_max_num_queries(len(three.captured_queries)):
        Article.objects.get(pk=bigger.pk).delete()
    assert not Comment.objects.exists()
    assert_counters_exact()


def test_an_articles_comments_are_locked_in_one_read_before_the_article(django_assert_num_queries):
    # The order a moderator takes them in (comment, then the article's count):
    # the same order on both sides is what keeps the two from deadlocking.
    article = ArticleFactory(status=Article.Status.PUBLISHED)
    CommentFactory.create_batch(3, article=article, status=APPROVED)
    with CaptureQueriesContext(connection) as captured:
        Article.objects.get(pk=article.pk).delete()
    # The reads before the first DELETE (after it, the revisions' covers are read, unlocked).
    reads = itertools.takewhile(lambda query: not query["sql"].startswith("DELETE"), captured.captured_queries)
    locking = [q["sql"] for q in reads if q["sql"].startswith("SELECT")][1:]  # after the get()
    tables = [sql.split(" FROM ")[1].split()[0].strip('"') for sql in locking]
    # The Collector's read of the comments, then all of them locked at once, then the article
    # (its tags' links are read too, before and after: they lock nothing).
    tables = [table for table in tables if table in {"comments_comment", "articles_article"}]
    assert tables == ["comments_comment", "comments_comment", "articles_article"]
    assert "article_id" in locking[1] and locking[1].index("comments_comment") < locking[1].index("ORDER BY")


def test_a_comment_moved_away_after_its_old_article_collected_it_is_uncounted_where_it_is():
    # The delete of article A collected the comment; before it ran, someone
    # moved the comment to B. It is deleted (by primary key) from B, so B's
    # count must lose it.
    a, b = ArticleFactory(status=Article.Status.PUBLISHED), ArticleFactory(status=Article.Status.PUBLISHED)
    comment = CommentFactory(article=a, status=APPROVED)
    with transaction.atomic():
        collector = Collector(using="default", origin=a)
        collector.collect([a])
        moved = Comment.objects.get(pk=comment.pk)
        moved.article = b
        moved.save()
        assert Article.objects.get(pk=b.pk).comment_count == 1
        collector.delete()
    assert not Comment.objects.filter(pk=comment.pk).exists()
    assert Article.objects.get(pk=b.pk).comment_count == 0
    assert_counters_exact()


def test_moderating_a_comment_deleted_meanwhile_changes_nothing_and_raises_nothing():
    article = ArticleFactory(status=Article.Status.PUBLISHED)
    stale = CommentFactory(article=article, status=Comment.Status.PENDING)
    Article.objects.get(pk=article.pk).delete()  # the comment goes with it

    assert approve_comment(stale) is None
    assert reject_comment(stale) is None
    assert not Comment.objects.exists()
    assert_counters_exact()
