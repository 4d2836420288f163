"""Pending comments reach their author in one email per round (comments/digest.py), exactly once."""

import pytest
from django.urls import reverse

from articles.models import Article
from blogsite.models import EmailDelivery
from comments import digest
from comments.digest import send_comment_digests_now
from comments.models import Comment, CommentDigest
from comments.services import add_comment, approve_comment
from comments.tasks import send_comment_digests
from tests.conftest import assert_counters_exact
from tests.factories import ArticleFactory, make_author

pytestmark = pytest.mark.django_db


def guest_comment(article: Article, n: int = 0) -> Comment:
    return add_comment(article=article, name=f"Guest {n}", email=f"guest{n}@example.com", body=f"Comment number {n}")


@pytest.fixture
def article(author):
    return ArticleFactory(author=author, status=Article.Status.PUBLISHED, title="On writing")


def test_thirty_guest_comments_posted_in_a_row_are_one_email(client, article, author, mailoutbox, settings):
    settings.RATE_LIMITS = {**settings.RATE_LIMITS, "comment": []}  # a busy article, not a flood
    url = reverse("comment_create", kwargs={"slug": article.slug})
    for n in range(30):
        client.post(url, {"name": f"Guest {n}", "email": f"g{n}@example.com", "body": f"Comment number {n}"})
    assert mailoutbox == []

    assert send_comment_digests(timestamp=0) == 1  # the periodic task's round
    [mail] = mailoutbox
    assert mail.to == [author.user.email] and mail.subject == "30 comments await your approval"
    assert all(f"Comment number {n}\n" in mail.body for n in range(30))
    assert_counters_exact()


def test_a_round_tells_each_author_only_of_what_is_new(article, author, mailoutbox):
    other = ArticleFactory(author=make_author(username="carol"), status=Article.Status.PUBLISHED)
    guest_comment(article, 1)
    guest_comment(other, 2)
    assert send_comment_digests_now() == 2
    assert sorted(m.to[0] for m in mailoutbox) == ["alice@example.com", "carol@example.com"]

    assert send_comment_digests_now() == 0  # nothing new: nobody hears again
    guest_comment(article, 3)
    assert send_comment_digests_now() == 1
    assert "Comment number 3" in mailoutbox[-1].body and "Comment number 1" not in mailoutbox[-1].body
    assert len(mailoutbox) == 3


def test_comments_moderated_before_the_email_are_left_out(article, mailoutbox):
    approved, waiting = guest_comment(article, 1), guest_comment(article, 2)
    digest.file_untold_comments()
    approve_comment(approved)
    send_comment_digests_now()
    [mail] = mailoutbox
    assert "Comment number 2" in mail.body and "Comment number 1" not in mail.body
    assert f"/admin/comments/comment/{waiting.pk}/change/" in mail.body
    assert "?status__exact=pending" in mail.body


def test_a_digest_with_nothing_left_pending_sends_nothing_and_is_done(article, mailoutbox):
    comment = guest_comment(article)
    digest.file_untold_comments()
    approve_comment(comment)
    assert send_comment_digests_now() == 0
    assert mailoutbox == [] and not CommentDigest.objects.filter(sent_at__isnull=True).exists()


def test_authors_hear_nothing_of_their_own_comments_and_approved_ones_are_not_in_a_digest(
    article, author, reader, mailoutbox
):
    add_comment(article=article, user=author.user, body="1 http://a 2 http://b 3 http://c")  # held, but theirs
    add_comment(article=article, user=reader, body="Approved at once")  # emailed at once instead
    assert send_comment_digests_now() == 0
    assert [m for m in mailoutbox if "await" in m.subject] == []


def test_a_round_killed_after_filing_is_sent_by_the_next_round_once(article, mailoutbox, monkeypatch):
    guest_comment(article, 1)

    def killed(digest_row):
        raise SystemExit("worker killed")

    monkeypatch.setattr(digest, "send_digest", killed)
    with pytest.raises(SystemExit):
        send_comment_digests_now()
    assert mailoutbox == [] and CommentDigest.objects.count() == 1
    monkeypatch.undo()

    guest_comment(article, 2)  # arrived meanwhile: its own, new digest
    assert send_comment_digests_now() == 2
    assert ["Comment number 1" in m.body for m in mailoutbox] == [True, False]


def test_a_round_killed_after_the_send_does_not_send_it_again(article, mailoutbox, monkeypatch):
    guest_comment(article)
    [filed] = digest.file_untold_comments()
    real_send_once = digest.send_once

    def sent_then_killed(message, *, key):
        real_send_once(message, key=key)
        raise SystemExit("worker killed before marking the digest sent")

    monkeypatch.setattr(digest, "send_once", sent_then_killed)
    with pytest.raises(SystemExit):
        send_comment_digests_now()
    monkeypatch.undo()

    assert send_comment_digests_now() == 0  # send_once finds the delivery: only marked now
    assert len(mailoutbox) == 1
    assert EmailDelivery.objects.filter(key=filed.email_key).count() == 1
    assert CommentDigest.objects.get().sent_at is not None


def test_a_failing_mail_server_keeps_the_digest_for_the_retry(article, settings, mailoutbox):
    guest_comment(article)
    settings.EMAIL_BACKEND = "tests.failing_email.FailingEmailBackend"
    with pytest.raises(Exception, match="refused"):
        send_comment_digests_now()
    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
    assert send_comment_digests_now() == 1
    assert CommentDigest.objects.count() == 1


def test_the_demo_sites_pending_comments_email_nobody(mailoutbox):
    from django.core.management import call_command

    call_command("seed_demo", verbosity=0)
    assert Comment.objects.pending().exists()
    mailoutbox.clear()
    assert send_comment_digests_now() == 0 and mailoutbox == []
