"""Replies: answering a comment, nested a few deep, moderated and counted like every comment."""

import re

import pytest
from django.urls import reverse

from articles.models import Article
from comments.models import Comment
from comments.replies import MAX_REPLY_DEPTH
from comments.services import add_comment, approve_comment, reject_comment
from comments.tasks import notify_commenter_of_reply
from tests.conftest import assert_counters_exact
from tests.effects import run_deferred_jobs
from tests.factories import ArticleFactory, CommentFactory

pytestmark = pytest.mark.django_db

APPROVED, PENDING = Comment.Status.APPROVED, Comment.Status.PENDING


@pytest.fixture
def article(author):
    return ArticleFactory(author=author, status=Article.Status.PUBLISHED, title="Counting things")


def post(client, article, **data):
    return client.post(reverse("comment_create", args=[article.slug]), {"body": "An answer.", **data})


def test_a_reader_answers_a_comment_and_the_reply_shows_under_it_counted(client, article, reader):
    first = CommentFactory(article=article, name="Ann", status=APPROVED)
    client.force_login(reader)

    page = client.get(article.get_absolute_url(), {"reply": first.pk}).content.decode()
    assert "Reply to Ann" in page and f'name="parent" value="{first.pk}"' in page

    response = post(client, article, parent=first.pk, body="I agree with Ann.")
    assert response.status_code == 302
    reply = Comment.objects.get(parent=first)
    assert (reply.depth, reply.status) == (1, APPROVED)
    html = client.get(article.get_absolute_url()).content.decode()
    thread = html.split(f'id="comment-{first.pk}"')[1]
    assert "I agree with Ann." in thread and 'class="comment-thread comment-reply"' in html
    assert Article.objects.get(pk=article.pk).comment_count == 2
    assert_counters_exact()


@pytest.mark.parametrize("case", ["other-article", "pending", "rejected", "missing", "too-deep"])
def test_a_reply_that_cannot_be_is_refused_with_its_text_kept(client, article, reader, case):
    parent = CommentFactory(article=article, status=APPROVED)
    if case == "other-article":
        parent = CommentFactory(article=ArticleFactory(status=Article.Status.PUBLISHED), status=APPROVED)
    elif case in ("pending", "rejected"):
        parent.status = case
        parent.save()
    elif case == "too-deep":
        for _ in range(MAX_REPLY_DEPTH):
            parent = add_comment(article=article, body="deeper", user=reader, parent=parent)
    target = 999999 if case == "missing" else parent.pk
    client.force_login(reader)
    before = Comment.objects.count()

    response = post(client, article, parent=target, body="My kept words.")

    assert response.status_code == 200
    errors = " ".join(response.context["comment_form"].non_field_errors())
    expected = {
        "other-article": "only answer a comment under this article",
        "pending": "not shown, so it cannot be answered",
        "rejected": "not shown, so it cannot be answered",
        "missing": "no longer there",
        "too-deep": f"Replies nest {MAX_REPLY_DEPTH} deep",
    }[case]
    assert expected in errors
    assert "My kept words." in response.content.decode()
    assert Comment.objects.count() == before


@pytest.mark.parametrize("reply", ["abc", "-1", "99999999999999999999", ""])
def test_a_bad_reply_address_shows_the_ordinary_form(client, article, reply):
    response = client.get(article.get_absolute_url(), {"reply": reply})

    assert response.status_code == 200
    assert "Leave a comment" in response.content.decode()


def test_the_deepest_comments_offer_no_reply_link(client, article, reader):
    comment = CommentFactory(article=article, status=APPROVED)
    for _ in range(MAX_REPLY_DEPTH):
        comment = add_comment(article=article, body="deeper", user=reader, parent=comment)

    html = client.get(article.get_absolute_url()).content.decode()

    assert html.count(">Reply<") == MAX_REPLY_DEPTH  # every level but the deepest


def test_replies_of_a_rejected_or_deleted_comment_stay_readable(client, article, reader):
    rejected, deleted = CommentFactory.create_batch(2, article=article, status=APPROVED)
    add_comment(article=article, body="Answer to the rejected one.", user=reader, parent=rejected)
    add_comment(article=article, body="Answer to the deleted one.", user=reader, parent=deleted)

    reject_comment(rejected)
    Comment.objects.get(pk=deleted.pk).delete()

    html = client.get(article.get_absolute_url()).content.decode()
    assert "A comment that is not shown." in html and "Answer to the rejected one." in html
    assert "in reply to a removed comment" in html and "Answer to the deleted one." in html
    assert Article.objects.get(pk=article.pk).comment_count == 2
    assert_counters_exact()


def test_a_commenter_who_asked_is_emailed_once_when_a_reply_is_shown(
    article, reader, mailoutbox, django_capture_on_commit_callbacks
):
    asked = CommentFactory(article=article, name="Ann", email="ann@example.com", status=APPROVED, notify_replies=True)
    silent = CommentFactory(article=article, email="bob@example.com", status=APPROVED)

    with django_capture_on_commit_callbacks(execute=True):
        guest_reply = add_comment(article=article, body="A guest answers.", name="Gus", email="g@x.org", parent=asked)
        add_comment(article=article, body="Nobody is told.", user=reader, parent=silent)
    run_deferred_jobs(notify_commenter_of_reply)
    assert [m.to for m in mailoutbox if "replied" in m.subject] == []  # the guest's reply waits for moderation

    with django_capture_on_commit_callbacks(execute=True):
        approve_comment(guest_reply)
        reject_comment(guest_reply)
        approve_comment(guest_reply)  # shown again: no second email
    run_deferred_jobs(notify_commenter_of_reply)

    [email] = [m for m in mailoutbox if "replied" in m.subject]
    assert email.to == ["ann@example.com"]
    assert email.subject == "Gus replied to your comment on “Counting things”"
    assert re.search(rf"#comment-{guest_reply.pk}\b", email.body) and "A guest answers." in email.body
