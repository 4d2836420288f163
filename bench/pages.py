"""SQL queries per public page, at 10 and at 1,000 published articles: the count must not grow.

Run from the repository root::

    .venv/bin/python bench/pages.py [--sizes 10,1000]

Every page of the site is requested with Django's test client and its queries
counted with ``CaptureQueriesContext``, first with 10 published articles, then
again after the site has grown to 1,000 (and the measured article's approved
comments from 1 to 100, the author's and the category's lists to 200 each).
Anonymous pages are counted live (the page cache off), and again as a repeated
anonymous request with the page cache on. The database is a throwaway one:
PostgreSQL (created and dropped here) when the server answers, else a
temporary SQLite file. The script writes its section of
``docs/benchmarks.md`` and exits 1 if any page's count grows with the site.
"""

from __future__ import annotations

import argparse
import datetime
import os
import platform
import sys
import tempfile
from collections.abc import Iterator
from contextlib import ExitStack, contextmanager, suppress
from dataclasses import dataclass
from pathlib import Path

import psycopg

REPO_ROOT = Path(__file__).resolve().parent.parent
if str(REPO_ROOT) not in sys.path:
    sys.path.insert(0, str(REPO_ROOT))

# Importable only once the repository root is on sys.path.
from bench.common import (  # noqa: E402
    POSTGRES_SERVER_URL,
    SMOKE,
    command_line,
    markdown_table,
    reflowed,
    section_markers,
    throwaway_postgres_database,
    write_section,
)

SECTION_START, SECTION_END = section_markers(__file__)
AUTHORS = 5
CATEGORIES = 5
PASSWORD = "bench-password"
# A smoke run (BENCH_SMOKE=1) grows the site only to a second page of articles.
DEFAULT_SIZES = "10,20" if SMOKE else "10,1000"


# --------------------------------------------------------------------------
# The throwaway database, chosen before Django reads the settings
# --------------------------------------------------------------------------


def close_django_connections() -> None:
    from django.db import connections

    connections.close_all()


@contextmanager
def throwaway_database() -> Iterator[str]:
    """Yields a DATABASE_URL: a new PostgreSQL database, or a temporary SQLite file."""
    with ExitStack() as stack:
        try:
            url = stack.enter_context(throwaway_postgres_database("bench_pages", before_drop=close_django_connections))
        except psycopg.Error as error:
            print(f"PostgreSQL at {POSTGRES_SERVER_URL} cannot be used ({str(error).strip()}): SQLite instead.")
            directory = stack.enter_context(tempfile.TemporaryDirectory(prefix="bench-pages-"))
            url = f"sqlite:///{Path(directory) / 'pages.sqlite3'}"
        yield url


def configure_environment(database_url: str) -> None:
    os.environ["DJANGO_SETTINGS_MODULE"] = "blogsite.settings"
    os.environ["DATABASE_URL"] = database_url
    os.environ["EMAIL_BACKEND"] = "django.core.mail.backends.dummy.EmailBackend"  # email plays no part in reading
    os.environ["DEBUG"] = "1"
    for name in ("REDIS_URL", "VIEW_BUFFER_URL"):  # local-memory cache; views counted in the row
        os.environ.pop(name, None)


# --------------------------------------------------------------------------
# The site, grown in steps
# --------------------------------------------------------------------------


@dataclass
class Site:
    authors: list
    categories: list
    reader: object
    newest: object = None  # the article whose page is measured
    published: int = 0


def build_site() -> Site:
    from django.contrib.auth import get_user_model

    from articles.models import Category
    from authors.models import Author, Follow

    users = get_user_model().objects
    authors = [
        Author.objects.get(user=users.create_user(f"author{i}", f"author{i}@example.com", PASSWORD, first_name=f"A{i}"))
        for i in range(AUTHORS)
    ]
    reader = users.create_user("reader", "reader@example.com", PASSWORD)
    Follow.objects.create(follower=reader, author=authors[0])
    categories = [Category.objects.create(name=f"Category {i}") for i in range(CATEGORIES)]
    return Site(authors=authors, categories=categories, reader=reader)


def grow_to(site: Site, published: int) -> None:
    """Add published articles (and comments on the newest) up to ``published``, then recount."""
    from django.utils import timezone

    from articles.models import Article
    from articles.recount import recount_all
    from comments.models import Comment

    start = timezone.now() - datetime.timedelta(days=published)
    # bulk_create skips the receivers; recount_all() settles every counter afterwards,
    # as DESIGN.md allows.
    Article.objects.bulk_create(
        Article(
            title=f"Bench article {number}",
            slug=f"bench-article-{number}",
            author=site.authors[number % AUTHORS],
            category=site.categories[number % CATEGORIES],
            excerpt=f"What article {number} is about.",
            body="Some *Markdown* body with a [link](https://example.com).\n\n" * 20,
            status=Article.Status.PUBLISHED,
            published_at=start + datetime.timedelta(hours=number),
        )
        for number in range(site.published, published)
    )
    site.published = published
    site.newest = Article.objects.published().order_by("-published_at").first()
    comments_wanted = max(1, published // 10)
    existing = site.newest.comments.count()
    Comment.objects.bulk_create(
        Comment(article=site.newest, user=site.reader, name="reader", body=f"Comment {i}", status="approved")
        for i in range(existing, comments_wanted)
    )
    recount_all()


# --------------------------------------------------------------------------
# Counting
# --------------------------------------------------------------------------


@dataclass(frozen=True)
class Page:
    label: str
    url: str
    signed_in: str = ""  # "" anonymous, else "reader" or "author"
    cacheable: bool = False


def pages(site: Site) -> list[Page]:
    from django.urls import NoReverseMatch, reverse

    author = site.newest.author.user.get_username()
    category = site.newest.category.slug
    listing = [
        Page("home", "/", cacheable=True),
        Page("home, page 2", "/?page=2", cacheable=True),
        Page("article", site.newest.get_absolute_url()),
        Page("category", f"/categories/{category}/", cacheable=True),
        Page("author", f"/authors/{author}/", cacheable=True),
        Page("search", "/search/?q=article"),
        Page("feed", "/feed/", cacheable=True),
        Page("category feed", f"/feed/categories/{category}/", cacheable=True),
        Page("author feed", f"/feed/authors/{author}/", cacheable=True),
        Page("sitemap", "/sitemap.xml", cacheable=True),
        Page("robots.txt", "/robots.txt"),
        Page("log in", "/accounts/login/"),
        Page("sign up", "/accounts/signup/"),
    ]
    with suppress(NoReverseMatch):  # the baseline view of bench/load.py
        listing.append(Page("healthz", reverse("healthz")))
    signed_in = [
        Page("home", "/", signed_in="reader"),
        Page("article", site.newest.get_absolute_url(), signed_in="reader"),
        Page("author (followed)", f"/authors/{author}/", signed_in="reader"),
        Page("search", "/search/?q=article", signed_in="reader"),
        Page("dashboard", "/dashboard/", signed_in="author"),
        Page("write", "/write/", signed_in="author"),
    ]
    return listing + signed_in


def count_queries(client, url: str) -> int:
    from django.db import connection, reset_queries
    from django.test.utils import CaptureQueriesContext

    reset_queries()
    with CaptureQueriesContext(connection) as captured:
        response = client.get(url)
    if response.status_code != 200:
        raise AssertionError(f"{url} answered {response.status_code}")
    return len(captured.captured_queries)


def measure(site: Site) -> dict[tuple[str, str], dict[str, int | None]]:
    from django.core.cache import cache
    from django.test import Client, override_settings

    users = {"reader": site.reader, "author": site.newest.author.user}
    results = {}
    for page in pages(site):
        client = Client()
        if page.signed_in:
            client.force_login(users[page.signed_in])
        with override_settings(PAGE_CACHE_SECONDS=0):
            client.get(page.url)  # warm: the first request of a process loads content types and such
            live = count_queries(client, page.url)
        repeated = None
        if page.cacheable:
            cache.clear()
            with override_settings(PAGE_CACHE_SECONDS=60):
                client.get(page.url)
                repeated = count_queries(client, page.url)
            cache.clear()
        results[(page.signed_in or "anonymous", page.label)] = {"live": live, "cached": repeated}
    return results


# --------------------------------------------------------------------------
# Reporting
# --------------------------------------------------------------------------


def results_table(sizes: list[int], results: dict[int, dict]) -> tuple[str, list[str]]:
    headers = ["who", "page", *(f"{size:,} articles" for size in sizes), "growth", "repeated, page cache on"]
    rows, grown = [], []
    for key in results[sizes[0]]:
        counts = [results[size][key]["live"] for size in sizes]
        growth = "—" if len(set(counts)) == 1 else f"+{counts[-1] - counts[0]}"
        if growth != "—":
            grown.append(f"{key[0]} {key[1]}: {counts}")
        cached = {results[size][key]["cached"] for size in sizes}
        cached_cell = "" if cached == {None} else " / ".join(str(c) for c in sorted(cached))
        rows.append([key[0], key[1], *(str(c) for c in counts), growth, cached_cell])
    return markdown_table(headers, rows, right_aligned=set(range(2, len(headers)))), grown


def section(table: str, database: str, sizes: list[int], argv: list[str]) -> str:
    import django

    today = datetime.datetime.now(datetime.UTC).date().isoformat()
    explanation = f"""\
Every statement `CaptureQueriesContext` records for one GET with Django's test
client, after a first GET of the same page (so one-off loads such as content
types are not counted), on {database}. The site is measured at
{" and ".join(f"{s:,}" for s in sizes)} published articles (5 authors, 5
categories; the measured article carries a tenth as many approved comments, 1
then 100): a page whose count grows with the site has a query per row
somewhere. *Live* counts are with the page cache off; *repeated, page cache
on* is the second anonymous request for a page that `blogsite/page_cache.py`
caches (0: served from the cache, not even a session lookup). Signed-in pages
are never cached: their count includes the session and user lookups. The
article page includes the view count's UPDATE (views counted in the row:
`VIEW_BUFFER_URL` unset)."""
    parts = [
        SECTION_START,
        "## Reads: SQL queries per page",
        f"Made by `{command_line(__file__, argv)}` on {today}, Python {platform.python_version()}, "
        f"Django {django.get_version()}.",
        reflowed(explanation),
        table,
        SECTION_END,
    ]
    return "\n\n".join(parts) + "\n"


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", default=DEFAULT_SIZES, help="published-article counts, comma-separated, ascending")
    args = parser.parse_args(argv)
    sizes = sorted({int(size) for size in args.sizes.split(",")})
    with throwaway_database() as database_url:
        configure_environment(database_url)
        import django

        django.setup()
        from django.core.management import call_command
        from django.db import connection

        call_command("migrate", interactive=False, verbosity=0)
        database = (
            f"PostgreSQL {connection.cursor().connection.info.server_version // 10000} (a throwaway database)"
            if connection.vendor == "postgresql"
            else "SQLite (a temporary file)"
        )
        site = build_site()
        results = {}
        for size in sizes:
            grow_to(site, size)
            results[size] = measure(site)
        table, grown = results_table(sizes, results)
    print(table)
    write_section(__file__, section(table, database, sizes, argv))
    if grown:
        print("Query counts grew with the site:\n  " + "\n  ".join(grown), file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
