"""Spam defence on the comment form: the honeypot, rate limits per IP and per account, comments held for moderation."""

import logging

import pytest
from django.urls import reverse

from articles.models import Article
from comments.digest import send_comment_digests_now
from comments.models import Comment
from comments.services import add_comment
from tests.conftest import FRAGMENTS, assert_counters_exact
from tests.effects import run_deferred_jobs
from tests.factories import ArticleFactory, CommentFactory

pytestmark = pytest.mark.django_db

GUEST = {"name": "Guest", "email": "guest@example.com", "body": "A thoughtful remark."}


def comment_url(article: Article) -> str:
    return reverse("comment_create", kwargs={"slug": article.slug})


@pytest.fixture
def article(author):
    return ArticleFactory(author=author, status=Article.Status.PUBLISHED)


# --- The honeypot ---------------------------------------------------------------------


def test_the_honeypot_is_in_the_form_hidden_from_people_keyboards_and_autofill(client, article):
    html = client.get(article.get_absolute_url()).content.decode()
    assert 'class="mb-3 comment-honeypot"' in html  # the wrapper, off screen by site.css
    assert '<span aria-hidden="true"><label for="id_website">' in html
    field = html[html.index('name="website"') - 200 : html.index('name="website"') + 200]
    assert 'tabindex="-1"' in field and 'autocomplete="off"' in field
    assert "style=" not in field  # a strict Content-Security-Policy allows no inline style


def test_a_filled_honeypot_stores_nothing_emails_nobody_and_looks_like_a_held_comment(
    client, article, mailoutbox, caplog, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True), caplog.at_level(logging.INFO, "comments"):
        response = client.post(comment_url(article), {**GUEST, "website": "http://spam.example"}, follow=True)
    assert response.status_code == 200
    assert "awaits moderation" in response.content.decode()
    assert not Comment.objects.exists()
    send_comment_digests_now()
    run_deferred_jobs()
    assert [m for m in mailoutbox if "comment" in m.subject.lower()] == []
    assert "honeypot filled" in caplog.text


def test_an_empty_honeypot_is_a_normal_comment(client, article):
    client.post(comment_url(article), {**GUEST, "website": ""})
    assert Comment.objects.get().status == Comment.Status.PENDING


# --- Rate limits ----------------------------------------------------------------------


def test_the_sixth_comment_in_a_minute_from_one_address_is_refused_with_the_text_kept(client, article):
    for n in range(5):
        assert client.post(comment_url(article), {**GUEST, "body": f"Comment {n}"}).status_code == 302
    response = client.post(comment_url(article), {**GUEST, "body": "The sixth, <kept> & sound"})
    html = response.content.decode()
    assert response.status_code == 429
    assert int(response["Retry-After"]) > 0
    assert "You are commenting too fast. Your comment is kept: post it in" in html
    assert "The sixth, &lt;kept&gt; &amp; sound</textarea>" in html
    assert 'value="guest@example.com"' in html
    assert Comment.objects.count() == 5


def test_another_address_may_still_comment(client, article):
    for n in range(6):
        client.post(comment_url(article), {**GUEST, "body": f"Comment {n}"})
    other = client.post(comment_url(article), GUEST, REMOTE_ADDR="203.0.113.9")
    assert other.status_code == 302 and Comment.objects.count() == 6


def test_an_account_is_limited_from_every_address(client, article, reader):
    client.force_login(reader)
    for n in range(5):
        assert client.post(comment_url(article), {"body": f"Hi {n}"}, REMOTE_ADDR=f"198.51.100.{n}").status_code == 302
    refused = client.post(comment_url(article), {"body": "From yet another address"}, REMOTE_ADDR="198.51.100.99")
    assert refused.status_code == 429 and "From yet another address" in refused.content.decode()
    assert Comment.objects.count() == 5
    assert_counters_exact()


def test_invalid_submissions_do_not_use_up_the_limit(client, article):
    for _ in range(10):
        assert client.post(comment_url(article), {**GUEST, "email": "not-an-email"}).status_code == 200
    assert client.post(comment_url(article), GUEST).status_code == 302


def test_an_x_forwarded_for_header_is_ignored_unless_the_proxies_are_trusted(client, article, settings):
    for n in range(5):
        client.post(comment_url(article), GUEST, HTTP_X_FORWARDED_FOR=f"192.0.2.{n}")
    # Forged headers do not make a client five clients.
    assert client.post(comment_url(article), GUEST, HTTP_X_FORWARDED_FOR="192.0.2.77").status_code == 429
    settings.TRUSTED_PROXIES = 1  # one proxy in front, which appends the address it saw
    assert client.post(comment_url(article), GUEST, HTTP_X_FORWARDED_FOR="forged, 192.0.2.77").status_code == 302


REDIS_DOWN = {
    "default": {"BACKEND": "blogsite.redis_cache.SharedClientRedisCache", "LOCATION": "redis://127.0.0.1:1/0"},
    "fragments": FRAGMENTS,
}


def test_with_the_cache_down_comments_are_taken_uncounted_and_it_is_logged(client, article, settings, caplog):
    settings.CACHES = REDIS_DOWN  # the settings fixture puts the real one back
    for n in range(7):
        assert client.post(comment_url(article), {**GUEST, "body": f"Comment {n}"}).status_code == 302
    assert Comment.objects.count() == 7
    assert "not counted: the cache is unavailable" in caplog.text


# --- Held for moderation --------------------------------------------------------------


def test_a_signed_in_readers_comment_with_three_links_is_held(client, article, reader):
    client.force_login(reader)
    body = "See https://a.example, [this](http://b.example) and www.c.example"
    response = client.post(comment_url(article), {"body": body}, follow=True)
    assert "awaits moderation" in response.content.decode()
    assert Comment.objects.get().status == Comment.Status.PENDING
    article.refresh_from_db()
    assert article.comment_count == 0
    assert_counters_exact()


def test_two_links_are_fine(article, reader):
    comment = add_comment(article=article, user=reader, body="https://a.example and https://b.example")
    assert comment.status == Comment.Status.APPROVED


def test_an_address_with_a_rejected_comment_is_held_even_signed_in(article, reader):
    CommentFactory(article=article, email=reader.email.upper(), status=Comment.Status.REJECTED)
    comment = add_comment(article=article, user=reader, body="Me again")
    assert comment.status == Comment.Status.PENDING
    assert_counters_exact()


def test_a_held_comment_counts_once_approved(article, reader):
    from comments.services import approve_comment

    comment = add_comment(article=article, user=reader, body="1 http://a 2 http://b 3 http://c")
    approve_comment(comment)
    article.refresh_from_db()
    assert article.comment_count == 1
    assert_counters_exact()
