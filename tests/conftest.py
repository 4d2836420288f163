import os

import pytest
import redis
from django.core.cache import cache, caches
from django.db import connection

from articles.models import Article, ArticleRevision
from articles.recount import find_drift
from articles.revision_records import CONTENT_FIELDS
from articles.revisions import attname
from articles.services import publish_article
from audit.models import AuditEntry
from blogsite import page_cache
from blogsite.effects import queue_is_durable
from comments.models import Comment
from tests.factories import ArticleFactory, CategoryFactory, UserFactory, make_author


def assert_counters_exact() -> None:
    """Every counter equals a fresh aggregate of the rows it counts."""
    drift = [str(d) for d in find_drift()]
    assert drift == [], "\n".join(drift)


def assert_latest_revisions_hold_the_content() -> None:
    """Every change of content made a revision in its own transaction: each article's latest holds it.

    A category's deletion included, though Django empties its articles'
    category by an UPDATE without save() (articles.receivers keeps theirs).
    """
    latest = {}
    for revision in ArticleRevision.objects.order_by("history_id"):
        latest[revision.id] = revision
    for article in Article._base_manager.all():
        revision = latest[article.pk]
        kept = tuple(getattr(revision, attname(name)) for name in CONTENT_FIELDS)
        now = tuple(getattr(article, attname(name)) for name in CONTENT_FIELDS)
        assert kept == now, article.pk


def assert_audit_log_follows_every_status() -> None:
    """Every status move left its entry in its own transaction: the newest entry of each row names its status.

    An article with no entry has been a draft since it was created; a
    comment's entries start at its first moderation.
    """
    newest_article, newest_comment = {}, {}
    entries = AuditEntry.objects.filter(article__isnull=False).order_by("pk")
    for article_id, comment_number, after in entries.values_list("article_id", "comment_number", "after"):
        if comment_number is None:
            newest_article[article_id] = after
        else:
            newest_comment[comment_number] = after
    for pk, status in Article._base_manager.values_list("pk", "status"):
        assert newest_article.get(pk, Article.Status.DRAFT) == status, pk
    for pk, status in Comment._base_manager.filter(pk__in=newest_comment).values_list("pk", "status"):
        assert newest_comment[pk] == status, pk


@pytest.fixture
def author(db):
    return make_author(username="alice", first_name="Alice")


@pytest.fixture
def reader(db):
    return make_author(username="bob").user


@pytest.fixture
def on_postgres(db):
    if connection.vendor != "postgresql":
        pytest.skip("needs PostgreSQL: this is the SQLite pass")


@pytest.fixture(autouse=True)
def _media_root(settings, tmp_path):
    # Uploads from tests never land in the project's media/ folder.
    settings.MEDIA_ROOT = tmp_path / "media"


@pytest.fixture(autouse=True)
def _fast_password_hashing(settings):
    # PBKDF2's deliberate slowness is for attackers, not for a test suite.
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


@pytest.fixture(autouse=True)
def _views_counted_in_the_database(settings):
    # Tests that buffer views in Redis say so (tests/articles/test_view_counts.py);
    # the rest count them in the row, whatever REDIS_URL the shell has.
    settings.VIEW_BUFFER_URL = ""


@pytest.fixture(autouse=True)
def _no_cards_from_another_test():
    # A listing's cards are kept in the process's memory (articles/cards.py).
    caches["fragments"].clear()


@pytest.fixture(autouse=True)
def _no_rate_limit_counts_from_another_test():
    # The limits count in the default cache (this process's memory here): one
    # test's posts must not push the next one over a limit.
    cache.clear()


@pytest.fixture(autouse=True)
def _live_pages(settings):
    # The page cache is invalidated after commit, and a test's transaction never
    # commits: the suite reads live pages. tests/test_page_cache.py turns it on.
    settings.PAGE_CACHE_SECONDS = 0


# The "fragments" alias the listings' cards use stays as the settings have it.
FRAGMENTS = {"BACKEND": "django.core.cache.backends.locmem.LocMemCache", "LOCATION": "fragments"}
LOCMEM = {
    "default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache", "LOCATION": "page-cache-tests"},
    "fragments": FRAGMENTS,
}


@pytest.fixture
def page_cache_on(settings):
    """The page cache on, in this process's memory (tests/test_page_cache.py; articles/shared_part.py)."""
    settings.CACHES = LOCMEM
    settings.PAGE_CACHE_SECONDS = 60
    # Idempotent (dispatch_uid): the suite passes whether or not an AppConfig already did it.
    page_cache.register()
    cache.clear()
    yield
    cache.clear()


@pytest.fixture
def site(django_capture_on_commit_callbacks):
    """One published article in a category by an author, committed as the site would."""
    category = CategoryFactory(name="Gardening")
    author = UserFactory(username="ada", first_name="Ada").author
    with django_capture_on_commit_callbacks(execute=True):
        article = ArticleFactory(title="Tomatoes in May", author=author, category=category)
        publish_article(article)
    return article


PROCRASTINATE_TABLES = (
    "procrastinate_events",
    "procrastinate_periodic_defers",
    "procrastinate_jobs",
    "procrastinate_workers",
)


@pytest.fixture(autouse=True)
def _empty_queue_after_real_commits(request, django_db_blocker):
    # procrastinate's tables are not Django's (unmanaged): the flush after a
    # transactional test leaves the jobs it committed, for the next test to find.
    yield
    marker = request.node.get_closest_marker("django_db")
    committed = "transactional_db" in request.fixturenames or (marker and marker.kwargs.get("transaction"))
    if committed and connection.vendor == "postgresql" and queue_is_durable():
        with django_db_blocker.unblock(), connection.cursor() as cursor:
            cursor.execute(f"TRUNCATE {', '.join(PROCRASTINATE_TABLES)}")


def require_redis(url: str) -> None:
    """Skip a test that needs the Redis at ``url`` when it is away; under CI=true, fail instead.

    CI must never go green without the tests of view buffering and the shared page cache.
    """
    try:
        redis.Redis.from_url(url, socket_connect_timeout=1).ping()
    except redis.RedisError as error:
        message = f"needs Redis at {url}: {error}"
        if os.environ.get("CI", "").strip().lower() in {"1", "true", "yes"}:
            pytest.fail(message)
        pytest.skip(message)
