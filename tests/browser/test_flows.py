"""What a user sees, end to end, in a real browser: signing up and publishing, commenting and moderation,
scheduled publication, and the email a follower receives.

Form fields are found by the names the forms' contract gives (``[name=title]``), and by their label where
Django itself writes it (the login forms); every assertion is about what the page shows, except the email.
"""

from __future__ import annotations

import datetime
import re
import uuid
from collections.abc import Iterator
from typing import Any

import pytest
import redis
from django.core.management import call_command
from django.utils import timezone

from articles.models import Article
from articles.view_counts import pending_views
from authors.services import follow_author
from comments.models import Comment
from tests.browser.conftest import unavailable
from tests.conftest import require_redis
from tests.factories import ArticleFactory, UserFactory, make_author

try:
    from playwright.sync_api import Page, expect
except ImportError:
    unavailable("Playwright is not installed: pip install -r requirements-browser.txt", module=True)

pytestmark = pytest.mark.browser

PASSWORD = "correct horse battery staple"  # tests.factories.UserFactory's
REDIS_BACKEND = "blogsite.redis_cache.SharedClientRedisCache"
# The page cache tests' Redis databases (tests/test_page_cache_front.py): the same server, as make serve has it.
BROWSER_CACHE_URL = "redis://127.0.0.1:6379/14"
BROWSER_BUFFER_URL = "redis://127.0.0.1:6379/15"


def visit(page: Page, path: str) -> None:
    """Open ``path`` on the live server; the page must answer (after redirects) without an error status."""
    response = page.goto(path)
    assert response is not None, f"GET {path}: no response"
    assert response.ok, f"GET {path}: {response.status} at {response.url}"


def submit(page: Page, field_name: str) -> None:
    """Press the submit button of the form that holds the field named ``field_name``."""
    form = page.locator("form", has=page.locator(f"[name={field_name}]"))
    form.locator("button[type=submit], input[type=submit]").first.click()


def log_in_with_form(page: Page, username: str, password: str) -> None:
    visit(page, "/accounts/login/")
    page.get_by_label("Username").fill(username)
    page.get_by_label("Password").fill(password)
    page.get_by_role("button", name="Log in").click()
    expect(page.get_by_role("button", name="Log out")).to_be_visible()


def write_article(page: Page, *, title: str, body: str, status: str) -> None:
    visit(page, "/write/")
    page.locator("[name=title]").fill(title)
    page.locator("[name=body]").fill(body)
    page.locator("[name=status]").select_option(status)
    submit(page, "title")
    # Saved: the form is gone, and the article page or the dashboard names the article.
    expect(page).not_to_have_url(re.compile(r"/write/$"))
    expect(page.locator("main")).to_contain_text(title)


def test_sign_up_write_and_publish(page: Page, live_server: Any) -> None:
    visit(page, "/accounts/signup/")
    page.locator("[name=username]").fill("nora")
    page.locator("[name=email]").fill("nora@example.com")
    page.locator("[name=first_name]").fill("Nora")
    page.locator("[name=password1]").fill("a long and unusual passphrase 42")
    page.locator("[name=password2]").fill("a long and unusual passphrase 42")
    submit(page, "password1")
    expect(page).not_to_have_url(re.compile(r"/accounts/signup/$"))

    # Signed in by the sign-up itself.
    expect(page.get_by_role("button", name="Log out")).to_be_visible()

    title = "Notes from a first morning"
    write_article(page, title=title, body="It *begins* here.", status="published")

    visit(page, "/")
    expect(page.get_by_role("link", name=title)).to_be_visible()

    visit(page, "/authors/nora/")
    expect(page.get_by_role("heading", level=1)).to_have_text("Nora")
    expect(page.locator("main")).to_contain_text(re.compile(r"\b1 published article\b"))
    expect(page.get_by_role("link", name=title)).to_be_visible()

    # Back another day: out, and in again through the login form.
    page.get_by_role("button", name="Log out").click()
    expect(page.get_by_role("button", name="Log out")).to_have_count(0)
    log_in_with_form(page, "nora", "a long and unusual passphrase 42")
    visit(page, "/dashboard/")
    expect(page.locator("main")).to_contain_text(title)


def test_guest_comment_waits_for_moderation_then_shows(page: Page, new_context: Any, live_server: Any) -> None:
    article = ArticleFactory(title="On moderation", status=Article.Status.PUBLISHED)
    staff = UserFactory(username="editor", is_staff=True, is_superuser=True)
    comment_text = "A guest's first thought on this."

    visit(page, f"/articles/{article.slug}/")
    page.locator("[name=name]").fill("Guest Reader")
    page.locator("[name=email]").fill("guest@example.com")
    page.locator("[name=body]").fill(comment_text)
    submit(page, "body")

    expect(page.locator("main")).to_contain_text(re.compile("awaits moderation", re.IGNORECASE))
    visit(page, f"/articles/{article.slug}/")
    expect(page.get_by_text(comment_text)).to_have_count(0)
    expect(page.get_by_role("heading", name="0 comments")).to_be_visible()

    # Staff, in a browser of their own, approve it from the admin's comment list.
    staff_page = new_context().new_page()
    visit(staff_page, "/admin/")
    staff_page.get_by_label("Username").fill(staff.username)
    staff_page.get_by_label("Password").fill(PASSWORD)
    staff_page.get_by_role("button", name="Log in").click()
    visit(staff_page, "/admin/comments/comment/")
    row = staff_page.get_by_role("row").filter(has_text="Guest Reader")
    row.get_by_role("checkbox").check()
    staff_page.locator("select[name=action]").select_option(label="Approve selected comments")
    staff_page.get_by_role("button", name="Go").click()
    expect(staff_page.get_by_text("1 comment(s) approved.")).to_be_visible()
    assert Comment.objects.get(article=article).status == Comment.Status.APPROVED

    page.reload()
    expect(page.get_by_text(comment_text)).to_be_visible()
    expect(page.get_by_role("heading", name="1 comment", exact=True)).to_be_visible()


@pytest.fixture(params=["in memory", "on Redis"])
def page_cache_and_views(request: Any, settings: Any) -> Iterator[None]:
    """The page cache in this process's memory, views in the row; or both on Redis, as make serve has them.

    On Redis the live server's front (tests/browser/conftest.py) finds the page and counts its view in one
    Lua script (blogsite/page_cache_front.py).
    """
    settings.PAGE_CACHE_SECONDS = 60  # shared with the live server, which runs in this process
    if request.param == "in memory":
        settings.CACHES = {**settings.CACHES, "default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}
        settings.VIEW_BUFFER_URL = ""
        yield
        return
    require_redis(BROWSER_CACHE_URL)
    settings.CACHES = {**settings.CACHES, "default": {"BACKEND": REDIS_BACKEND, "LOCATION": BROWSER_CACHE_URL}}
    settings.VIEW_BUFFER_URL = BROWSER_BUFFER_URL
    settings.VIEW_BUFFER_PREFIX = f"test:browser:{uuid.uuid4().hex}"
    redis.Redis.from_url(BROWSER_CACHE_URL).flushdb()
    yield
    redis.Redis.from_url(BROWSER_CACHE_URL).flushdb()
    buffer = redis.Redis.from_url(BROWSER_BUFFER_URL)
    leftovers = list(buffer.scan_iter(f"{settings.VIEW_BUFFER_PREFIX}:*"))
    if leftovers:
        buffer.delete(*leftovers)


def test_two_readers_comment_from_the_cached_article_page(page: Page, new_context: Any, page_cache_and_views) -> None:
    article = ArticleFactory(title="Cached and commented", status=Article.Status.PUBLISHED)
    first, second = page, new_context().new_page()

    for reader, name in ((first, "First Reader"), (second, "Second Reader")):
        response = reader.goto(f"/articles/{article.slug}/")
        assert response is not None and response.ok
        if reader is second:
            assert response.headers.get("x-page-cache") == "hit"  # the page the first reader's visit cached
        reader.locator("[name=name]").fill(name)
        reader.locator("[name=email]").fill("reader@example.com")
        reader.locator("[name=body]").fill(f"A thought from {name}.")
        submit(reader, "body")
        expect(reader.locator("main")).to_contain_text(re.compile("awaits moderation", re.IGNORECASE))

    assert sorted(Comment.objects.values_list("name", flat=True)) == ["First Reader", "Second Reader"]
    # Each read it twice, once from the cache: before commenting, and where the comment led back to.
    stored = Article.objects.get(pk=article.pk).view_count
    assert stored + pending_views([article.pk]).get(article.pk, 0) == 4


def test_two_signed_in_readers_comment_on_the_article_shared_between_them(
    page: Page, new_context: Any, settings: Any
) -> None:
    settings.CACHES = {**settings.CACHES, "default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}
    settings.PAGE_CACHE_SECONDS = 60  # the article's shared part on, as make serve runs it
    article = ArticleFactory(title="Shared and signed in", status=Article.Status.PUBLISHED)
    readers = [(page, UserFactory(username="grace", first_name="Grace"))]
    readers.append((new_context().new_page(), UserFactory(username="linus", first_name="Linus")))

    for reader, user in readers:
        log_in_with_form(reader, user.username, PASSWORD)
        visit(reader, f"/articles/{article.slug}/")
        expect(reader.get_by_text(f"Commenting as {user.first_name}")).to_be_visible()
        reader.locator("[name=body]").fill(f"{user.first_name} was here.")
        submit(reader, "body")
        expect(reader.get_by_role("alert")).to_contain_text("Your comment is published.")
        expect(reader.locator("#comments")).to_contain_text(f"{user.first_name} was here.")

    # The first reader's next visit shows both comments, and their own name only.
    first = readers[0][0]
    visit(first, f"/articles/{article.slug}/")
    expect(first.locator("#comments")).to_contain_text("Linus was here.")
    expect(first.get_by_role("navigation", name="Main")).to_contain_text("grace")
    expect(first.get_by_role("navigation", name="Main")).not_to_contain_text("linus")
    expect(first.get_by_role("alert")).to_have_count(0)
    # Two reads each (the visit, and the page their comment led back to), and the first reader's last.
    assert Article.objects.get(pk=article.pk).view_count == 5


def test_an_article_scheduled_in_the_form_appears_once_publish_due_runs(
    page: Page, new_context: Any, live_server: Any, log_in_as: Any
) -> None:
    author = make_author(username="planner", first_name="Pia")
    log_in_as(author.user)
    title = "Tomorrow's news, today"
    planned = timezone.localtime() + datetime.timedelta(minutes=5)

    visit(page, "/write/")
    page.locator("[name=title]").fill(title)
    page.locator("[name=body]").fill("Written now, read later.")
    page.locator("[name=status]").select_option("scheduled")
    # A scheduled article needs its date: the form says so next to the field and keeps the input.
    submit(page, "title")
    expect(page.locator("[name=published_at]")).to_have_class(re.compile(r"\bis-invalid\b"))
    expect(page.locator("[name=title]")).to_have_value(title)
    page.locator("[name=published_at]").fill(planned.strftime("%Y-%m-%dT%H:%M"))
    submit(page, "title")
    expect(page).not_to_have_url(re.compile(r"/write/$"))

    visit(page, "/dashboard/")
    expect(page.locator("main")).to_contain_text(title)
    article = Article.objects.get(title=title)
    assert article.status == Article.Status.SCHEDULED

    # Readers do not see it yet, and publish_due leaves it alone before its time.
    reader = new_context().new_page()  # a signed-out reader, in a browser of their own
    visit(reader, "/")
    expect(reader.get_by_role("link", name=title)).to_have_count(0)
    call_command("publish_due")
    visit(reader, "/")
    expect(reader.get_by_role("link", name=title)).to_have_count(0)

    # Its time comes: only published_at moves (status is never set with update(), which bypasses the receivers).
    Article.objects.filter(pk=article.pk).update(published_at=timezone.now() - datetime.timedelta(seconds=1))
    call_command("publish_due")

    visit(reader, "/")
    expect(reader.get_by_role("link", name=title)).to_be_visible()
    visit(reader, "/authors/planner/")
    expect(reader.locator("main")).to_contain_text(re.compile(r"\b1 published article\b"))


def test_follower_is_emailed_when_an_author_publishes(
    page: Page, live_server: Any, log_in_as: Any, mailoutbox: list
) -> None:
    follower = UserFactory(username="fan", email="fan@example.com")
    author = make_author(username="writer", first_name="Wren")
    follow_author(user=follower, author=author)
    mailoutbox.clear()  # welcome emails of the two new users

    log_in_as(author.user)
    title = "Something for my followers"
    write_article(page, title=title, body="Fresh from the desk.", status="published")

    # The live server runs in this process (immediate tasks backend), so its outbox is this one.
    assert len(mailoutbox) == 1, [(message.subject, message.recipients()) for message in mailoutbox]
    message = mailoutbox[0]
    assert message.recipients() == [follower.email]
    assert title in message.subject or title in message.body


def test_the_honeypot_is_not_seen_not_reached_by_tab_and_a_real_comment_goes_through(page: Page) -> None:
    article = ArticleFactory(title="On honey", status=Article.Status.PUBLISHED)
    visit(page, f"/articles/{article.slug}/")

    honeypot = page.locator("[name=website]")
    expect(honeypot).to_have_count(1)
    expect(honeypot).not_to_be_in_viewport()  # off screen, whatever the page's scroll
    box = honeypot.bounding_box()
    assert box is not None and box["x"] < 0  # laid out (no display:none), but far to the left
    # Not in the accessibility tree: a screen reader never offers it.
    expect(page.get_by_role("textbox", name=re.compile("Leave this field empty"))).to_have_count(0)
    # The keyboard goes from the comment to the reply-email box and on to the button, never to the honeypot.
    page.locator("[name=body]").focus()
    page.keyboard.press("Tab")
    expect(page.get_by_label("Email me when someone replies")).to_be_focused()
    page.keyboard.press("Tab")
    expect(page.get_by_role("button", name="Post comment")).to_be_focused()

    page.locator("[name=name]").fill("Careful Reader")
    page.locator("[name=email]").fill("careful@example.com")
    page.locator("[name=body]").fill("A person wrote this.")
    submit(page, "body")
    expect(page.locator("main")).to_contain_text(re.compile("awaits moderation", re.IGNORECASE))
    assert Comment.objects.get(article=article).body == "A person wrote this."
