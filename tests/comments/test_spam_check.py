"""The optional spam checker (comments/spam_check.py) and the Akismet client, against a fake server."""

import threading
import time
import urllib.parse
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest
from django.urls import reverse

from articles.models import Article
from comments.models import Comment
from comments.spam_check import Verdict
from tests.conftest import assert_counters_exact
from tests.factories import ArticleFactory

pytestmark = pytest.mark.django_db

GUEST = {"name": "Guest", "email": "guest@example.com", "body": "Buy cheap things"}


class FakeAkismet(BaseHTTPRequestHandler):
    answer = "false"
    delay = 0.0
    received: list[dict[str, list[str]]] = []

    def do_POST(self):
        length = int(self.headers["Content-Length"])
        type(self).received.append(urllib.parse.parse_qs(self.rfile.read(length).decode()))
        time.sleep(type(self).delay)
        body = type(self).answer.encode()
        self.send_response(200)
        self.send_header("Content-Length", str(len(body)))
        if type(self).answer == "invalid":
            self.send_header("X-akismet-debug-help", "Empty api_key")
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args):
        pass


@pytest.fixture
def akismet(settings):
    FakeAkismet.answer, FakeAkismet.delay, FakeAkismet.received = "false", 0.0, []
    server = ThreadingHTTPServer(("127.0.0.1", 0), FakeAkismet)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    settings.COMMENT_SPAM_CHECKER = "comments.akismet.check_with_akismet"
    settings.AKISMET_API_KEY = "test-key"
    settings.AKISMET_URL = f"http://127.0.0.1:{server.server_port}/1.1/comment-check?key={{key}}"
    settings.COMMENT_SPAM_CHECK_TIMEOUT = 0.5
    yield FakeAkismet
    server.shutdown()
    server.server_close()


def post(client, article, body=GUEST["body"], **headers):
    url = reverse("comment_create", kwargs={"slug": article.slug})
    return client.post(url, {**GUEST, "body": body}, follow=True, **headers)


@pytest.fixture
def article(author):
    return ArticleFactory(author=author, status=Article.Status.PUBLISHED)


def test_off_by_default(settings, client, article):
    assert settings.COMMENT_SPAM_CHECKER is None
    post(client, article)
    assert Comment.objects.get().status == Comment.Status.PENDING


def test_akismet_is_sent_the_comment_and_where_it_came_from(client, article, akismet):
    post(client, article, HTTP_USER_AGENT="TestBrowser/1", HTTP_REFERER="http://x.example/")
    [fields] = akismet.received
    assert fields["api_key"] == ["test-key"] and fields["comment_type"] == ["comment"]
    assert fields["user_ip"] == ["127.0.0.1"] and fields["user_agent"] == ["TestBrowser/1"]
    assert fields["comment_author_email"] == ["guest@example.com"]
    assert fields["comment_content"] == ["Buy cheap things"]
    assert fields["permalink"][0].endswith(article.get_absolute_url())


def test_spam_is_kept_as_rejected_and_the_reader_is_told_what_a_held_comment_is(client, article, akismet, mailoutbox):
    akismet.answer = "true"
    response = post(client, article)
    assert "awaits moderation" in response.content.decode()
    assert Comment.objects.get().status == Comment.Status.REJECTED
    assert_counters_exact()


def test_ham_from_a_signed_in_reader_is_approved(client, article, akismet, reader):
    client.force_login(reader)
    post(client, article)
    assert Comment.objects.get().status == Comment.Status.APPROVED
    assert akismet.received[0]["comment_author_email"] == [reader.email]


@pytest.mark.parametrize("failure", ["invalid", "timeout", "down"])
def test_a_checker_that_fails_holds_the_comment_and_never_loses_it(
    client, article, akismet, reader, settings, caplog, failure
):
    if failure == "invalid":
        akismet.answer = "invalid"  # a wrong key
    elif failure == "timeout":
        akismet.delay = 1.0
    else:
        settings.AKISMET_URL = "http://127.0.0.1:1/comment-check"
    client.force_login(reader)
    response = post(client, article)
    assert response.status_code == 200 and "awaits moderation" in response.content.decode()
    assert Comment.objects.get().status == Comment.Status.PENDING
    assert "the comment is held" in caplog.text
    assert_counters_exact()


def test_any_callable_can_be_the_checker(client, article, settings):
    settings.COMMENT_SPAM_CHECKER = "tests.comments.test_spam_check.says_spam_if_it_sells"
    post(client, article)
    post(client, article, body="A kind word")
    assert list(Comment.objects.order_by("pk").values_list("status", flat=True)) == ["rejected", "pending"]


def says_spam_if_it_sells(submission) -> Verdict:
    return Verdict.SPAM if "Buy" in submission.body else Verdict.HAM
