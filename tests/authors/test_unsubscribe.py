"""The way out of follower email: a link and a one-click header in every message, no login needed."""

import re
import time

import pytest
from django.core import signing
from django.test import Client
from django.urls import reverse

from articles.models import Article
from articles.services import publish_article
from audit.models import AuditEntry
from authors.models import Follow
from authors.services import follow_author
from authors.tasks import notify_followers_of_publication
from authors.unsubscribe import SALT, UnsubscribeLink
from tests.effects import run_deferred_jobs
from tests.factories import ArticleFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def follower_email(author, reader, mailoutbox, django_capture_on_commit_callbacks):
    """The email a follower gets when ``author`` publishes."""
    follow_author(user=reader, author=author)
    with django_capture_on_commit_callbacks(execute=True):
        publish_article(ArticleFactory(author=author, status=Article.Status.DRAFT, title="Fresh"))
    run_deferred_jobs(notify_followers_of_publication)
    [message] = mailoutbox
    return message


def link_in(message) -> str:
    [url] = re.findall(r"Stop these emails: (\S+)", message.body)
    return url.removeprefix("http://testserver")


def test_every_follower_email_carries_the_link_and_the_one_click_headers(follower_email, settings):
    url = re.search(r"Stop these emails: (\S+)", follower_email.body).group(1)
    assert url.startswith(f"{settings.SITE_URL}/unsubscribe/")
    assert follower_email.extra_headers["List-Unsubscribe"] == f"<{url}>"
    assert follower_email.extra_headers["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
    html = follower_email.alternatives[0][0]
    assert f'href="{url}"' in html and "Stop these emails" in html


def test_opening_the_link_unfollows_nobody_the_button_does(follower_email, client, author, reader, settings):
    path = link_in(follower_email).removeprefix(settings.SITE_URL)

    page = client.get(path)  # a mail scanner opens every link: nothing may change
    assert page.status_code == 200
    assert "Stop email about Alice" in page.content.decode()
    assert Follow.objects.filter(follower=reader, author=author).exists()
    assert page["Cache-Control"].startswith("max-age=0")

    done = client.post(path)
    assert "You no longer follow Alice" in done.content.decode()
    assert not Follow.objects.filter(follower=reader, author=author).exists()
    # Nobody was logged in: the unfollow is the site's, with the link's path.
    entry = AuditEntry.objects.get(action=AuditEntry.Action.UNFOLLOW)
    assert (entry.source, entry.path, entry.actor) == ("site", path, None)


def test_a_mail_clients_one_click_post_unsubscribes_without_a_csrf_token(follower_email, author, reader, settings):
    path = link_in(follower_email).removeprefix(settings.SITE_URL)
    response = Client(enforce_csrf_checks=True).post(
        path, "List-Unsubscribe=One-Click", content_type="application/x-www-form-urlencoded"
    )

    assert response.status_code == 200
    assert not Follow.objects.filter(follower=reader, author=author).exists()


def test_the_confirmation_follows_again_and_a_replayed_link_is_harmless(
    follower_email, client, author, reader, settings
):
    path = link_in(follower_email).removeprefix(settings.SITE_URL)
    client.post(path)

    again = client.post(path)  # the same link, used twice
    assert again.status_code == 200 and "You no longer follow Alice" in again.content.decode()

    followed = client.post(path, {"follow": "1"})
    assert "You follow Alice again" in followed.content.decode()
    assert Follow.objects.filter(follower=reader, author=author).count() == 1


@pytest.mark.parametrize(
    "token",
    [
        "nonsense",
        "",
        signing.dumps([1, 2], salt="another.purpose"),
        signing.dumps({"follower": 1}, salt=SALT),
        signing.dumps(["1", "2"], salt=SALT),
        "x" * 5000,
    ],
    ids=["garbage", "empty-ish", "other-salt", "not-a-pair", "not-ids", "huge"],
)
def test_a_forged_or_broken_link_is_refused_with_a_page_and_changes_nothing(client, author, reader, token):
    follow_author(user=reader, author=author)

    response = client.post(f"/unsubscribe/{token or '%20'}/")

    assert response.status_code == 400
    assert "This unsubscribe link does not work" in response.content.decode()
    assert Follow.objects.filter(follower=reader, author=author).exists()


def test_a_tampered_link_is_refused(client, author, reader):
    follow_author(user=reader, author=author)
    token = UnsubscribeLink(follower_id=reader.pk, author_id=author.pk).token()
    other = UnsubscribeLink(follower_id=reader.pk + 1, author_id=author.pk).token()
    forged = other.split(":")[0] + ":" + token.split(":", 1)[1]  # another payload, this one's signature

    assert client.post(reverse("unsubscribe", kwargs={"token": forged})).status_code == 400
    assert Follow.objects.filter(follower=reader, author=author).exists()


def test_an_expired_link_says_so_and_changes_nothing(client, author, reader, settings, monkeypatch):
    follow_author(user=reader, author=author)
    long_ago = time.time() - (settings.UNSUBSCRIBE_LINK_DAYS + 1) * 86400
    with monkeypatch.context() as patched:
        patched.setattr(signing.time, "time", lambda: long_ago)
        token = UnsubscribeLink(follower_id=reader.pk, author_id=author.pk).token()

    response = client.post(reverse("unsubscribe", kwargs={"token": token}))

    assert response.status_code == 410
    assert "This unsubscribe link has expired" in response.content.decode()
    assert Follow.objects.filter(follower=reader, author=author).exists()


def test_a_link_for_an_account_deleted_since_says_no_more_email_will_come(client, author, reader):
    token = UnsubscribeLink(follower_id=reader.pk, author_id=author.pk).token()
    reader.delete()

    response = client.get(reverse("unsubscribe", kwargs={"token": token}))

    assert response.status_code == 200
    assert "No more email will come from this link" in response.content.decode()


def test_the_dashboard_says_how_many_followers_each_email_reached(follower_email, client, author):
    client.force_login(author.user)

    html = client.get(reverse("dashboard")).content.decode()

    row = next(line for line in html.split("<tr>") if ">Fresh</a>" in line)
    assert re.findall(r'<td class="text-end counter">(\d+)</td>', row) == ["0", "0", "1"]
