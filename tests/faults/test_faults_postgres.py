"""Every email exactly once while workers are killed, the mail server is down and connections are cut.

PostgreSQL only (the queue lives there), with real processes: `run_worker`
and gunicorn as the Procfile starts them, an SMTP server that counts what it
accepts, SIGKILL and pg_terminate_backend. Each test prints what it measured.
"""

from __future__ import annotations

import datetime
import re
import threading
import time
import urllib.error
import urllib.parse
import urllib.request
from collections import Counter
from http.cookiejar import CookieJar

import pytest
from django.contrib.auth.hashers import PBKDF2PasswordHasher
from django.utils import timezone

from articles.models import Article
from authors.services import follow_author
from blogsite.effects import effects_discarded
from blogsite.emails import message_id
from blogsite.models import EmailDelivery, TaskFailure
from comments.models import Comment
from comments.services import add_comment
from tests.factories import ArticleFactory, UserFactory, make_author

from .harness import (
    MailSink,
    SiteProcess,
    free_port,
    job_statuses,
    queue_report,
    terminate_other_backends,
    wait_until,
)
from .harness import site_environment as environment

FOLLOWERS_TASK = "authors.tasks.notify_followers_of_publication"
COMMENT_TASK = "comments.tasks.notify_author_of_comment"


@pytest.fixture
def site(on_postgres, transactional_db, tmp_path):
    """Starts site processes on demand and stops them all afterwards (conftest empties the queue)."""
    started: list[SiteProcess] = []
    sinks: list[MailSink] = []

    class Site:
        logs = tmp_path

        def worker(self, name: str, **env: str) -> SiteProcess:
            started.append(SiteProcess.worker(name, env, tmp_path))
            return started[-1]

        def web(self, port: int, **env: str) -> SiteProcess:
            started.append(SiteProcess.web(port, env, tmp_path))
            return started[-1]

        def mail_sink(self, port: int | None = None, **options) -> MailSink:
            sinks.append(MailSink(port, **options).start())
            return sinks[-1]

    yield Site()
    for process in started:
        process.stop()
    for sink in sinks:
        sink.stop()


def author_with_followers(count: int):
    with effects_discarded():  # the welcome emails are not what these tests count
        author = make_author(username="writer", email="writer@example.com")
        followers = [UserFactory(email=f"fan{i}@example.com") for i in range(count)]
        for follower in followers:
            follow_author(user=follower, author=author)
    return author, followers


READER_PASSWORD = "correct horse battery staple"


def signed_in_readers(count: int) -> list:
    """Readers whose comments are approved at once, so each is emailed on its own (a guest's waits for the digest)."""
    # Hashed as the site's processes check it: the suite's own hasher (MD5, for speed) is not in their settings.
    password = PBKDF2PasswordHasher().encode(READER_PASSWORD, PBKDF2PasswordHasher().salt())
    with effects_discarded():
        readers = [UserFactory(username=f"reader{i}", email=f"reader{i}@example.com") for i in range(count)]
    for reader in readers:
        reader.password = password
        reader.save(update_fields=["password"])
    return readers


def assert_each_once(sink: MailSink, expected: set[str]) -> None:
    ids = sink.ids()
    duplicates = {message: n for message, n in ids.items() if n > 1}
    print(f"  accepted {sum(ids.values())} message(s), {len(ids)} distinct, {len(duplicates)} sent twice")
    assert duplicates == {}
    assert set(ids) == expected


def test_a_worker_killed_in_the_middle_of_a_batch_loses_and_repeats_nothing(site):
    author, followers = author_with_followers(20)
    # Five accepted, then the sixth kept waiting for the server's answer: the kill lands there.
    sink = site.mail_sink(hold_after=5)
    env = environment(smtp_port=sink.port)
    article = ArticleFactory(author=author, status=Article.Status.DRAFT)
    article.status = Article.Status.PUBLISHED
    article.save()  # commits the publication and its followers' job together
    key = f"article-published:{article.pk}"

    first = site.worker("first", **env)
    wait_until(lambda: sink.waiting and EmailDelivery.objects.filter(key=key).count() == 5, timeout=30, what="5 sent")
    first.kill()
    killed_at, sent_before = time.monotonic(), sink.count()
    sink.release()
    site.worker("second", **env)  # the restart a supervisor does
    expected = {message_id(key, f.email) for f in followers}
    wait_until(lambda: set(sink.ids()) == expected, timeout=60, what="all 20 follower emails")
    print(f"\n  killed after {sent_before} of 20; the rest out {time.monotonic() - killed_at:.1f} s after the kill")

    time.sleep(1)  # room for a late duplicate to arrive
    assert_each_once(sink, expected)
    assert EmailDelivery.objects.filter(key=key).count() == 20
    wait_until(lambda: job_statuses(FOLLOWERS_TASK) == {"succeeded": 1}, timeout=10, what="the job succeeded")


def test_a_mail_server_that_is_down_delays_the_emails_and_drops_none(site):
    author, _ = author_with_followers(0)
    article = ArticleFactory(author=author, status=Article.Status.PUBLISHED)
    port = free_port()  # nothing listens there yet: every connection is refused
    site.worker("worker", **environment(smtp_port=port))
    comments = [add_comment(article=article, user=reader, body="Hi") for reader in signed_in_readers(3)]

    wait_until(lambda: TaskFailure.objects.count() >= 3, timeout=30, what="a refused attempt of each email")
    assert Comment.objects.count() == 3  # the comments stay, whatever the mail server does
    refused = TaskFailure.objects.first()
    assert "Connection refused" in refused.error and "smtplib" in refused.traceback

    sink = site.mail_sink(port)  # the mail server comes back
    expected = {message_id(f"comment:{c.pk}", author.user.email) for c in comments}
    wait_until(lambda: set(sink.ids()) == expected, timeout=30, what="the three comment emails")
    time.sleep(1)
    print(f"\n  {TaskFailure.objects.count()} refused attempt(s) before the mail server came back")
    assert_each_once(sink, expected)
    wait_until(lambda: job_statuses(COMMENT_TASK) == {"succeeded": 3}, timeout=10, what="three jobs succeeded")


def test_a_job_out_of_tries_is_shown_with_its_error_and_retried_from_the_admin(site, admin_client):
    author, _ = author_with_followers(0)
    article = ArticleFactory(author=author, status=Article.Status.PUBLISHED)
    port = free_port()
    site.worker("worker", **environment(smtp_port=port, TASK_RETRY_ATTEMPTS="2"))
    [reader] = signed_in_readers(1)
    comment = add_comment(article=article, user=reader, body="Hi")

    wait_until(lambda: job_statuses(COMMENT_TASK) == {"failed": 1}, timeout=30, what="the job failed for good")
    page = admin_client.get("/admin/procrastinate/procrastinatejob/?status__exact=failed").content.decode()
    assert "notify_author_of_comment" in page and "Connection refused" in page

    sink = site.mail_sink(port)
    from procrastinate.contrib.django.models import ProcrastinateJob

    job = ProcrastinateJob.objects.get(task_name=COMMENT_TASK)
    response = admin_client.post(
        "/admin/procrastinate/procrastinatejob/", {"action": "retry_jobs", "_selected_action": [job.pk]}, follow=True
    )
    assert "1 job(s) queued again." in response.content.decode()
    expected = {message_id(f"comment:{comment.pk}", author.user.email)}
    wait_until(lambda: set(sink.ids()) == expected, timeout=20, what="the retried email")
    assert_each_once(sink, expected)


def test_the_scheduler_killed_right_after_its_commit_still_delivers(site):
    author, followers = author_with_followers(3)
    # The mail server keeps every message waiting for its answer: the kill lands before any is accepted.
    sink = site.mail_sink(hold_after=0)
    env = environment(smtp_port=sink.port)
    due = ArticleFactory(
        author=author, status=Article.Status.SCHEDULED, published_at=timezone.now() + datetime.timedelta(seconds=1)
    )

    scheduler = site.worker("scheduler", **env)
    wait_until(
        lambda: Article.objects.filter(pk=due.pk, status=Article.Status.PUBLISHED).exists(),
        timeout=30,
        what="the periodic publication",
        every=0.02,
    )
    scheduler.kill()
    # The followers' job was committed with the publication, not kept in the dead process's memory.
    assert sum(job_statuses(FOLLOWERS_TASK).values()) == 1
    delivered_before_kill = sink.count()
    sink.release()

    site.worker("restarted", **environment(smtp_port=sink.port))
    expected = {message_id(f"article-published:{due.pk}", f.email) for f in followers}
    wait_until(lambda: set(sink.ids()) == expected, timeout=60, what="the followers' emails")
    time.sleep(1)
    print(f"\n  killed with {delivered_before_kill} of 3 follower emails accepted")
    assert_each_once(sink, expected)
    assert Article.objects.get(pk=due.pk).author.article_count == 1


# --- Connections cut under a write load ---------------------------------------------


class NoRedirects(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *args, **kwargs) -> None:
        return None  # a 302 is the answer we count, not a page to fetch


class Reader:
    """A reader with a browser's cookie jar: logs in, reads the article, posts comments through the form."""

    def __init__(self, base: str, article_path: str, answers: list[int] | None = None) -> None:
        self.base, self.article_path = base, article_path
        self.answers = answers if answers is not None else []  # every status, GETs and POSTs
        self.opener = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(CookieJar()), NoRedirects())

    def status_of(self, path: str, data: bytes | None = None) -> int:
        self.answers.append(status := self._status_of(path, data))
        return status

    def _status_of(self, path: str, data: bytes | None) -> int:
        try:
            with self.opener.open(self.base + path, data=data, timeout=20) as response:
                self.last_page = response.read().decode()
                return response.status
        except urllib.error.HTTPError as error:
            return error.code
        except (urllib.error.URLError, ConnectionError, TimeoutError):
            return 0  # not answering at all

    def log_in(self, username: str, password: str) -> int:
        if self.status_of("/accounts/login/") != 200:
            return 0
        token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', self.last_page)
        form = urllib.parse.urlencode(
            {"csrfmiddlewaretoken": token.group(1), "username": username, "password": password}
        )
        return self.status_of("/accounts/login/", form.encode())

    def comment(self, body: str) -> int:
        if self.status_of(self.article_path) != 200:
            return 0
        token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', self.last_page)
        form = f"csrfmiddlewaretoken={token.group(1)}&body={body}"
        return self.status_of(self.article_path + "comments/", form.encode())


def test_cut_database_connections_under_load_lose_no_email_and_the_site_keeps_answering(site, settings):
    author, _ = author_with_followers(0)
    article = ArticleFactory(author=author, status=Article.Status.PUBLISHED)
    sink = site.mail_sink()
    port = free_port()
    # Signed-in readers, each comment emailed on its own; no rate limit: this is a load, not a flood.
    readers = signed_in_readers(3)
    env = environment(smtp_port=sink.port, RATE_LIMITS="0")
    web = site.web(port, **env)
    worker = site.worker("worker", **env)
    base = f"http://127.0.0.1:{port}"
    wait_until(lambda: Reader(base, "/").status_of("/") == 200, timeout=30, what="the site answering")

    statuses: list[int] = []  # of the comment posts
    answers: list[int] = []  # of every request
    stop = threading.Event()

    def write_load(reader: Reader, reader_index: int) -> None:
        n = 0
        while not stop.is_set():
            n += 1
            statuses.append(reader.comment(f"load-{reader_index}-{n}"))

    logged_in = [Reader(base, article.get_absolute_url(), answers) for _ in readers]
    assert [reader.log_in(user.username, READER_PASSWORD) for reader, user in zip(logged_in, readers, strict=True)] == [
        302
    ] * 3
    threads = [threading.Thread(target=write_load, args=(reader, i)) for i, reader in enumerate(logged_in)]
    for thread in threads:
        thread.start()
    terminated = 0
    for _ in range(8):
        time.sleep(0.6)
        terminated += terminate_other_backends()
    stop.set()
    for thread in threads:
        thread.join()

    assert web.alive() and worker.alive()  # nothing died of it
    assert Reader(base, "/").status_of(article.get_absolute_url()) == 200
    expected = {message_id(f"comment:{pk}", author.user.email) for pk in Comment.objects.values_list("pk", flat=True)}
    wait_until(
        lambda: set(sink.ids()) >= expected,
        timeout=60,
        what="an email for every saved comment",
        explain=lambda: f"missing: {len(expected - set(sink.ids()))}\n" + queue_report(web, worker),
    )
    time.sleep(1)
    errors = answers.count(500)
    logged = web.output().count("Internal Server Error:")
    print(
        f"\n  {len(answers)} requests ({len(statuses)} comment posts), {terminated} backends terminated: "
        f"{statuses.count(302)} comments saved (302), {errors} HTTP 500 ({logged} logged with a traceback), "
        f"{len(expected)} comments stored; every answer: {dict(Counter(answers))}"
    )
    assert statuses.count(302) <= len(expected)  # every post that said "saved" was saved
    assert_each_once(sink, expected)
    assert logged >= errors  # no 500 without its traceback in the log
