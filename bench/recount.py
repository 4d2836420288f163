# Django models can be imported only after django.setup(), which must come after the environment is set.
# ruff: noqa: E402
"""Recounting every counter at scale: `recount_counters` against a naive per-row recount.

Run from the repository root::

    .venv/bin/python bench/recount.py [--articles 100000] [--comments 1000000] [--explain]

The parent process creates a throwaway PostgreSQL database, runs this script
again in a child process (``--measure-into``) whose ``DATABASE_URL`` names it,
drops the database, prints the tables and rewrites its own section of
``docs/benchmarks.md``. The child migrates the database, fills it with bulk SQL
(``INSERT … SELECT generate_series(…)``: no ORM, no receivers), sets every
counter to a wrong value with one UPDATE per counted table, and measures:

1. ``manage.py recount_counters`` as shipped, with every statement captured
   (it must be one UPDATE per counted table), then again with nothing to repair;
2. a naive per-row recount, the way tutorials write it (for each row: a COUNT
   query, then ``row.save(update_fields=[…])``), on the same data; when it
   would take longer than ``--naive-budget`` seconds, it runs on the first
   ``--naive-sample`` articles and the article figure is extrapolated linearly;
3. ``find_drift()`` and ``manage.py check_counters`` with every counter wrong
   (they must find all of it) and after the recount (they must find nothing).

Figures, never assertions about speed: it fails only when an operation itself
goes wrong (a statement count other than one per table, drift left behind or
not found).
"""

from __future__ import annotations

import argparse
import datetime
import io
import json
import os
import platform
import sys
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

REPO_ROOT = Path(__file__).resolve().parent.parent
# Run as a script, Python puts bench/ on sys.path, not the project.
if str(REPO_ROOT) not in sys.path:
    sys.path.insert(0, str(REPO_ROOT))
os.environ["DJANGO_SETTINGS_MODULE"] = "blogsite.settings"
os.environ["EMAIL_BACKEND"] = "django.core.mail.backends.dummy.EmailBackend"  # nothing here is meant to send email

import django

django.setup()

from django.core.management import call_command
from django.core.management.base import CommandError
from django.db import connection, models, reset_queries, transaction
from django.db.models.signals import post_save, pre_save
from django.test.utils import CaptureQueriesContext

import articles.receivers
from articles.models import Article, ArticleTag, Category, Tag
from articles.recount import counted_columns, find_drift
from authors.models import Author
from bench.common import (
    SMOKE,
    command_line,
    markdown_table,
    measure_in_throwaway_database,
    section_markers,
    write_section,
)
from comments.models import Comment

SECTION_START, SECTION_END = section_markers(__file__)

DEFAULT_ARTICLES = 100_000
DEFAULT_COMMENTS = 1_000_000
DEFAULT_AUTHORS = 1_000
DEFAULT_CATEGORIES = 50
READERS = 1_000  # users who comment without writing
DEFAULT_NAIVE_BUDGET = 120.0  # seconds the naive recount of articles may take before it is extrapolated
DEFAULT_NAIVE_SAMPLE = 5_000
if SMOKE:
    # A smoke run (BENCH_SMOKE=1): a small site, a budget of 0 s so that the naive
    # recount takes the extrapolating path, as it does at full size, and --explain.
    DEFAULT_ARTICLES, DEFAULT_COMMENTS, DEFAULT_AUTHORS, DEFAULT_CATEGORIES, READERS = 200, 2_000, 10, 3, 20
    DEFAULT_NAIVE_BUDGET, DEFAULT_NAIVE_SAMPLE = 0.0, 50
# No real counter comes near this: every scrambled row is wrong, the worst case for a repair.
SCRAMBLED = 1_000_000_000
SEED = 0.42

TAGS_PER_CATEGORY = 10
ARTICLE_MIX = (("published", 0.70), ("draft", 0.15), ("scheduled", 0.05), ("archived", 0.10))
COMMENT_MIX = (("approved", 0.80), ("pending", 0.12), ("rejected", 0.08))

TRANSACTION_CONTROL = {"BEGIN", "COMMIT", "ROLLBACK", "SAVEPOINT", "RELEASE"}


# --------------------------------------------------------------------------
# Data, in the child process: bulk SQL only
# --------------------------------------------------------------------------


def table(model: type[models.Model]) -> str:
    return connection.ops.quote_name(model._meta.db_table)


def status_case(mix: tuple[tuple[str, float], ...], draw: str) -> str:
    """``CASE WHEN draw < 0.70 THEN 'published' WHEN …`` over cumulative shares."""
    branches, cumulative = [], 0.0
    for status, share in mix[:-1]:
        cumulative += share
        branches.append(f"WHEN {draw} < {cumulative:.4f} THEN '{status}'")
    return f"CASE {' '.join(branches)} ELSE '{mix[-1][0]}' END"


def generate(articles: int, comments: int, authors: int, categories: int) -> None:
    """Users, authors, categories, articles, comments, tags and taggings, counters at 0, in seven statements.

    Skewed like a real site: a few authors write most articles and a few
    articles draw most comments (``random()²`` picks low indexes more often);
    5% of articles have no category; comments are on published or archived
    articles, 60% by a signed-in user, the rest by guests; there are ten tags
    per category, and each article has up to three, a few tags on most
    articles; rows are inserted in no particular order, as they arrive on a site.
    """
    user, author, category = table(Author._meta.get_field("user").related_model), table(Author), table(Category)
    article, comment, tag, tagging = table(Article), table(Comment), table(Tag), table(ArticleTag)
    with connection.cursor() as cursor:
        cursor.execute("SELECT setseed(%s)", [SEED])
        cursor.execute(
            f"""
            INSERT INTO {user} (password, is_superuser, username, first_name, last_name, email,
                                is_staff, is_active, date_joined)
            SELECT '!', false, kind || '-' || i, 'First' || i, 'Last' || i, kind || i || '@example.com',
                   false, true, now() - i * interval '1 hour'
            FROM (SELECT 'bench-author' AS kind, i FROM generate_series(1, %(authors)s) AS i
                  UNION ALL
                  SELECT 'bench-reader', i FROM generate_series(1, %(readers)s) AS i) AS people
            """,
            {"authors": authors, "readers": READERS},
        )
        cursor.execute(
            f"""
            INSERT INTO {author} (bio, avatar, article_count, user_id)
            SELECT '', '', 0, id FROM {user} WHERE username LIKE %s ORDER BY id
            """,
            ["bench-author-%"],
        )
        cursor.execute(
            f"""
            INSERT INTO {category} (name, slug, description, article_count)
            SELECT 'Category ' || i, 'category-' || i, '', 0 FROM generate_series(1, %(categories)s) AS i
            """,
            {"categories": categories},
        )
        cursor.execute(
            f"""
            INSERT INTO {article} (title, slug, excerpt, body, cover, status, published_at, created_at, updated_at,
                                   view_count, comment_count, author_id, category_id)
            SELECT 'Article ' || i, 'article-' || i, '', 'The *Markdown* body of article ' || i || '.', '',
                   drawn.status,
                   CASE drawn.status WHEN 'draft' THEN NULL
                                     WHEN 'scheduled' THEN now() + drawn.age / 100
                                     ELSE now() - drawn.age + interval '1 hour' END,
                   now() - drawn.age, now() - drawn.age, 0, 0,
                   a.ids[1 + floor(power(random(), 2) * cardinality(a.ids))::int],
                   CASE WHEN random() < 0.05 THEN NULL
                        ELSE c.ids[1 + floor(power(random(), 1.5) * cardinality(c.ids))::int] END
            FROM generate_series(1, %(articles)s) AS i
            CROSS JOIN (SELECT array_agg(id ORDER BY id) AS ids FROM {author}) AS a
            CROSS JOIN (SELECT array_agg(id ORDER BY id) AS ids FROM {category}) AS c
            CROSS JOIN LATERAL (
                SELECT {status_case(ARTICLE_MIX, "draw")} AS status, random() * interval '1800 days' AS age
                FROM (SELECT random() + i * 0 AS draw) AS d  -- i: drawn anew for every row
            ) AS drawn
            """,
            {"articles": articles},
        )
        cursor.execute(
            f"""
            INSERT INTO {comment} (name, email, body, status, created_at, article_id, user_id)
            SELECT 'Reader ' || (i %% 5000), 'reader' || (i %% 5000) || '@example.com', 'Nice article.',
                   {status_case(COMMENT_MIX, "d.draw")},
                   now() - random() * interval '1500 days',
                   p.ids[1 + floor(power(random(), 2) * cardinality(p.ids))::int],
                   CASE WHEN random() < 0.6 THEN u.ids[1 + floor(random() * cardinality(u.ids))::int] END
            FROM generate_series(1, %(comments)s) AS i
            CROSS JOIN (SELECT array_agg(id ORDER BY id) AS ids FROM {article}
                        WHERE status IN ('published', 'archived')) AS p
            CROSS JOIN (SELECT array_agg(id ORDER BY id) AS ids FROM {user}) AS u
            CROSS JOIN LATERAL (SELECT random() + i * 0 AS draw) AS d
            """,
            {"comments": comments},
        )
        cursor.execute(
            f"""
            INSERT INTO {tag} (name, slug, article_count)
            SELECT 'Tag ' || i, 'tag-' || i, 0 FROM generate_series(1, %(tags)s) AS i
            """,
            {"tags": categories * TAGS_PER_CATEGORY},
        )
        cursor.execute(
            f"""
            INSERT INTO {tagging} (article_id, tag_id)
            SELECT DISTINCT a.id, t.ids[1 + floor(power(random(), 2) * cardinality(t.ids))::int]
            FROM {article} AS a
            CROSS JOIN (SELECT array_agg(id ORDER BY id) AS ids FROM {tag}) AS t
            CROSS JOIN LATERAL generate_series(1, (a.id %% 4)::int) AS n
            """,
            {},
        )


def vacuum_analyze() -> None:
    # What autovacuum does on a live site: statistics, and visibility maps for index-only scans.
    with connection.cursor() as cursor:
        cursor.execute("VACUUM ANALYZE")


def scramble() -> dict[str, int]:
    """Every counter wrong, one UPDATE per counted table; returns the rows changed per column."""
    changed = {}
    with connection.cursor() as cursor:
        for column in counted_columns():
            name = connection.ops.quote_name(column.model._meta.get_field(column.field).column)
            cursor.execute(f"UPDATE {table(column.model)} SET {name} = %s + id %% 1000", [SCRAMBLED])
            changed[column.label] = cursor.rowcount
    return changed


def row_counts() -> dict[str, Any]:
    def by_status(model: type[models.Model]) -> dict[str, int]:
        rows = model._base_manager.order_by().values_list("status").annotate(n=models.Count("*"))
        return dict(sorted(rows, key=lambda row: -row[1]))

    user_model = Author._meta.get_field("user").related_model
    return {
        "users": user_model._base_manager.count(),
        "authors": Author._base_manager.count(),
        "categories": Category._base_manager.count(),
        "tags": Tag._base_manager.count(),
        "taggings": ArticleTag._base_manager.count(),
        "articles": by_status(Article),
        "comments": by_status(Comment),
    }


# --------------------------------------------------------------------------
# Measuring, in the child process
# --------------------------------------------------------------------------


def statement_kind(statement: str) -> str:
    words = statement.split(None, 1)
    return words[0].upper() if words else "?"


def captured(action: Callable[[], Any]) -> tuple[Any, list[dict[str, Any]], float]:
    """The action's result, its statements (sql, seconds) and its wall time."""
    # With DEBUG on, the query log is a bounded deque: once full, its length no
    # longer grows and CaptureQueriesContext would see nothing. Empty it first.
    reset_queries()
    with CaptureQueriesContext(connection) as capture:
        started = time.perf_counter()
        result = action()
        seconds = time.perf_counter() - started
    statements = [{"sql": query["sql"], "seconds": float(query["time"])} for query in capture.captured_queries]
    return result, statements, seconds


def data_statements(statements: list[dict[str, Any]]) -> list[dict[str, Any]]:
    return [statement for statement in statements if statement_kind(statement["sql"]) not in TRANSACTION_CONTROL]


def measure_recount(expected: dict[str, int]) -> dict[str, Any]:
    """``manage.py recount_counters``: one UPDATE per counted table, the expected rows repaired."""
    output = io.StringIO()
    _, statements, seconds = captured(lambda: call_command("recount_counters", stdout=output))
    updates = data_statements(statements)
    if [statement_kind(statement["sql"]) for statement in updates] != ["UPDATE"] * len(counted_columns()):
        kinds = [statement_kind(statement["sql"]) for statement in statements]
        raise AssertionError(f"recount_counters is not one UPDATE per counted table: {kinds}")
    repaired = {}
    for line in output.getvalue().splitlines():
        label, _, rest = line.partition(": ")
        if rest.endswith("row(s) repaired"):
            repaired[label] = int(rest.split()[0])
    if repaired != expected:
        raise AssertionError(f"recount_counters repaired {repaired}, expected {expected}")
    tables = [
        {"label": column.label, "sql": update["sql"], "seconds": update["seconds"], "repaired": repaired[column.label]}
        for column, update in zip(counted_columns(), updates, strict=True)
    ]
    return {
        "seconds": seconds,
        "statements": len(statements),
        "kinds": statement_sequence(statements),
        "tables": tables,
    }


def measure_drift_checks(expected: int) -> dict[str, Any]:
    """``find_drift()`` and ``check_counters``, which must report exactly ``expected`` drifted rows."""
    found, find_statements, find_seconds = captured(lambda: sum(1 for _ in find_drift()))

    def check() -> int:
        output = io.StringIO()
        try:
            call_command("check_counters", stdout=output)
        except CommandError as error:
            if not expected:
                raise AssertionError(f"check_counters failed with no drift: {error}") from error
        else:
            if expected:
                raise AssertionError("check_counters passed with drifted counters")
        return sum(1 for line in output.getvalue().splitlines() if " of " in line and "stored" in line)

    printed, check_statements, check_seconds = captured(check)
    if found != expected or printed != expected:
        raise AssertionError(f"expected {expected} drifted rows; find_drift gave {found}, check_counters {printed}")
    return {
        "drifted": expected,
        "find_drift": {"seconds": find_seconds, "statements": len(data_statements(find_statements))},
        "check_counters": {"seconds": check_seconds, "statements": len(data_statements(check_statements))},
    }


def statement_sequence(statements: list[dict[str, Any]]) -> str:
    """``BEGIN · UPDATE ×3 · COMMIT``: the kinds in order, runs folded."""
    runs: list[list[Any]] = []
    for kind in (statement_kind(statement["sql"]) for statement in statements):
        if runs and runs[-1][0] == kind:
            runs[-1][1] += 1
        else:
            runs.append([kind, 1])
    return " · ".join(kind if count == 1 else f"{kind} ×{count}" for kind, count in runs)


@contextmanager
def counting_statements() -> Iterator[list[int]]:
    """A one-item list holding how many statements ran: no capture of their text, cheap enough for 200,000."""
    count = [0]

    def wrapper(execute, sql, params, many, context):
        count[0] += 1
        return execute(sql, params, many, context)

    with connection.execute_wrapper(wrapper):
        yield count


# The project's receivers on Article saves: the naive recount is a tutorial's
# code and runs without them (they would lock each row in a transaction of its
# own and compute transitions that a counter-only save never has).
ARTICLE_SAVE_RECEIVERS = (
    (pre_save, "articles.judge_article_save"),
    (post_save, "articles.count_article_save"),
)


@contextmanager
def without_article_save_receivers() -> Iterator[None]:
    try:
        for signal, uid in ARTICLE_SAVE_RECEIVERS:
            if not signal.disconnect(sender=Article, dispatch_uid=uid):
                raise RuntimeError(f"{uid} was not connected: ARTICLE_SAVE_RECEIVERS is out of date")
        yield
    finally:
        articles.receivers.register()


def naive_recount_rows(rows: models.QuerySet, field: str, count: Callable[[Any], int]) -> None:
    """The tutorial's loop: a COUNT per row, then save the row back."""
    for row in rows:
        setattr(row, field, count(row))
        # Model.save, because blogsite's CountedModel.save refuses, by design, to
        # write counter columns: this is the tutorial's ``row.save(update_fields=[field])``.
        models.Model.save(row, update_fields=[field])


def timed_naive(rows: models.QuerySet, field: str, count: Callable[[Any], int]) -> dict[str, Any]:
    with counting_statements() as statements:
        started = time.perf_counter()
        naive_recount_rows(rows, field, count)
        seconds = time.perf_counter() - started
    return {"seconds": seconds, "statements": statements[0]}


def count_published(relation: str) -> Callable[[Any], int]:
    return lambda row: getattr(row, relation).filter(status=Article.Status.PUBLISHED).count()


def count_approved_comments(article: Article) -> int:
    return article.comments.filter(status=Comment.Status.APPROVED).count()


def measure_naive(articles: int, budget: float, sample: int) -> dict[str, Any]:
    """Authors and categories in full; articles in full if the sample says it fits the budget."""
    results: dict[str, Any] = {}
    with without_article_save_receivers():
        results["authors.Author.article_count"] = {
            "rows": Author._base_manager.count(),
            **timed_naive(Author.objects.order_by("pk"), "article_count", count_published("articles")),
        }
        results["articles.Category.article_count"] = {
            "rows": Category._base_manager.count(),
            **timed_naive(Category.objects.order_by("pk"), "article_count", count_published("articles")),
        }
        results["articles.Tag.article_count"] = {
            "rows": Tag._base_manager.count(),
            **timed_naive(Tag.objects.order_by("pk"), "article_count", count_published("articles")),
        }
        ordered = Article.objects.order_by("pk")
        sample = min(sample, articles)
        first = timed_naive(ordered[:sample], "comment_count", count_approved_comments)
        projected = first["seconds"] * articles / sample
        if sample == articles or projected <= budget:
            rest = timed_naive(ordered[sample:], "comment_count", count_approved_comments)
            measured = {
                "rows": articles,
                "seconds": first["seconds"] + rest["seconds"],
                "statements": first["statements"] + rest["statements"],
                "extrapolated_from": None,
            }
        else:
            measured = {
                "rows": articles,
                "seconds": projected,
                # The SELECT of the rows is one statement however many there are.
                "statements": 1 + (first["statements"] - 1) * articles // sample,
                "extrapolated_from": {"rows": sample, **first},
            }
        results["articles.Article.comment_count"] = measured
    # The rows it went through are right now; with a sample, the others are still scrambled.
    left = articles - (sample if measured["extrapolated_from"] else articles)
    drifted = sum(1 for _ in find_drift())
    if drifted != left:
        raise AssertionError(f"the naive recount left {drifted} drifted rows, expected {left}")
    return results


def explain(statements: list[str]) -> list[str]:
    """EXPLAIN (ANALYZE, BUFFERS) of each statement, rolled back."""
    plans = []
    for statement in statements:
        with transaction.atomic(), connection.cursor() as cursor:
            cursor.execute(f"EXPLAIN (ANALYZE, BUFFERS) {statement}")
            plans.append("\n".join(row[0] for row in cursor.fetchall()))
            transaction.set_rollback(True)
    return plans


def database_label() -> str:
    with connection.cursor() as cursor:
        cursor.execute("SHOW server_version")
        return f"PostgreSQL {cursor.fetchone()[0].split()[0]}"


def measure_this_database(args: argparse.Namespace) -> dict[str, Any]:
    if connection.vendor != "postgresql":
        raise RuntimeError(f"bench/recount.py measures PostgreSQL, not {connection.vendor}")
    phases: dict[str, float] = {}

    @contextmanager
    def phase(name: str) -> Iterator[None]:
        started = time.perf_counter()
        yield
        phases[name] = time.perf_counter() - started

    with phase("migrate"):
        call_command("migrate", interactive=False, verbosity=0)
    with phase("generate"), transaction.atomic():
        generate(args.articles, args.comments, args.authors, args.categories)
    with phase("vacuum analyze"):
        vacuum_analyze()
    counts = row_counts()
    with phase("scramble"):
        scrambled = scramble()
    total = sum(scrambled.values())
    with phase("drift checks, scrambled"):
        drift_scrambled = measure_drift_checks(total)
    with phase("recount"):
        recount = measure_recount(scrambled)
    with phase("drift checks, exact"):
        drift_exact = measure_drift_checks(0)
    with phase("recount, nothing wrong"):
        recount_idle = measure_recount(dict.fromkeys(scrambled, 0))
    scramble()
    with phase("naive"):
        naive = measure_naive(args.articles, args.naive_budget, args.naive_sample)
    plans: list[str] = []
    if args.explain:
        with phase("explain"):
            scramble()
            plans = explain([entry["sql"] for entry in recount["tables"]])
            call_command("recount_counters", stdout=io.StringIO())
            plans += explain([entry["sql"] for entry in recount_idle["tables"]])
    return {
        "database": database_label(),
        "counts": counts,
        "scrambled": scrambled,
        "recount": recount,
        "recount_idle": recount_idle,
        "drift_scrambled": drift_scrambled,
        "drift_exact": drift_exact,
        "naive": naive,
        "naive_budget": args.naive_budget,
        "phases": phases,
        "plans": plans,
    }


# --------------------------------------------------------------------------
# Reporting
# --------------------------------------------------------------------------


def per_second(rows: int, seconds: float) -> str:
    return f"{rows / seconds:,.0f}" if seconds > 0 else "—"


def ratio(naive: float, blogsite: float) -> str:
    return f"{naive / blogsite:,.1f}" if blogsite > 0 else "—"


def main_table(result: dict[str, Any]) -> str:
    headers = [
        "counter",
        "rows",
        "blogsite statements",
        "blogsite s",
        "blogsite rows/s",
        "naive statements",
        "naive s",
        "naive rows/s",
        "naive / blogsite (time)",
        "blogsite s, nothing wrong",
    ]
    rows, totals = [], {"rows": 0, "blogsite": 0.0, "naive": 0.0, "naive statements": 0, "idle": 0.0}
    for entry, idle in zip(result["recount"]["tables"], result["recount_idle"]["tables"], strict=True):
        naive = result["naive"][entry["label"]]
        mark = " *" if naive.get("extrapolated_from") else ""
        rows.append(
            [
                entry["label"],
                f"{entry['repaired']:,}",
                "1",
                f"{entry['seconds']:.2f}",
                per_second(entry["repaired"], entry["seconds"]),
                f"{naive['statements']:,}{mark}",
                f"{naive['seconds']:.2f}{mark}",
                per_second(naive["rows"], naive["seconds"]),
                ratio(naive["seconds"], entry["seconds"]),
                f"{idle['seconds']:.2f}",
            ]
        )
        totals["rows"] += entry["repaired"]
        totals["blogsite"] += entry["seconds"]
        totals["naive"] += naive["seconds"]
        totals["naive statements"] += naive["statements"]
        totals["idle"] += idle["seconds"]
    recount, idle = result["recount"], result["recount_idle"]
    rows.append(
        [
            f"all (`recount_counters`: {recount['kinds']})",
            f"{totals['rows']:,}",
            str(recount["statements"]),
            f"{recount['seconds']:.2f}",
            per_second(totals["rows"], recount["seconds"]),
            f"{totals['naive statements']:,}",
            f"{totals['naive']:.2f}",
            per_second(totals["rows"], totals["naive"]),
            ratio(totals["naive"], recount["seconds"]),
            f"{idle['seconds']:.2f}",
        ]
    )
    return markdown_table(headers, rows, right_aligned=set(range(1, len(headers))))


def drift_table(result: dict[str, Any]) -> str:
    headers = ["check", "counters", "drifted rows found", "statements", "seconds"]
    rows = []
    for state, key in (("every counter wrong", "drift_scrambled"), ("after the recount", "drift_exact")):
        check = result[key]
        for name in ("find_drift", "check_counters"):
            label = "`find_drift()`" if name == "find_drift" else "`manage.py check_counters`"
            rows.append(
                [
                    label,
                    state,
                    f"{check['drifted']:,}",
                    str(check[name]["statements"]),
                    f"{check[name]['seconds']:.2f}",
                ]
            )
    return markdown_table(headers, rows, right_aligned={2, 3, 4})


def describe_counts(counts: dict[str, Any]) -> str:
    def mix(by_status: dict[str, int]) -> str:
        return ", ".join(f"{count:,} {status}" for status, count in by_status.items())

    return (
        f"{counts['users']:,} users, {counts['authors']:,} authors, {counts['categories']:,} categories, "
        f"{counts['tags']:,} tags on {counts['taggings']:,} taggings, "
        f"{sum(counts['articles'].values()):,} articles ({mix(counts['articles'])}), "
        f"{sum(counts['comments'].values()):,} comments ({mix(counts['comments'])})"
    )


def naive_note(result: dict[str, Any]) -> str:
    articles = result["naive"]["articles.Article.comment_count"]
    sample = articles.get("extrapolated_from")
    if not sample:
        return f"The naive recount ran in full on every row (under the {result['naive_budget']:.0f} s budget)."
    return (
        f"\\* **Extrapolated.** The naive recount of articles would take more than the "
        f"{result['naive_budget']:.0f} s budget, so it ran on the first {sample['rows']:,} articles "
        f"({sample['statements']:,} statements in {sample['seconds']:.2f} s) and its time and statements are that "
        f"sample scaled linearly to {articles['rows']:,} articles; authors, categories and tags ran in full."
    )


def phases_line(result: dict[str, Any], wall: float) -> str:
    phases = ", ".join(f"{name} {seconds:.1f} s" for name, seconds in result["phases"].items())
    return f"Whole run {wall:.0f} s on {os.cpu_count()} cores: {phases}."


EXPLANATION = """\
**What is measured.** A throwaway database is migrated and filled with bulk
SQL (`INSERT … SELECT generate_series(…)`, no ORM, no receivers; a few
authors write most articles and a few articles draw most comments, and rows
arrive in no particular order), then `VACUUM ANALYZE` runs, as autovacuum
would on a live site. Every counter is then set to a wrong value (one UPDATE
per counted table), the worst case for a repair: every row must be rewritten.

**blogsite** is `manage.py recount_counters` as shipped, its statements
captured with `CaptureQueriesContext` (the run fails unless they are one
UPDATE per counted table, in one transaction, repairing exactly the scrambled
rows); the seconds per counter are PostgreSQL's, as Django logs them. “Nothing
wrong” is the same command run again right after: the same three statements,
which now only read, since the `WHERE` leaves out every row already right.

**naive** is a per-row recount the way tutorials write it, on the same data
re-scrambled: for each author, category and tag, `row.articles.filter(
status="published").count()`, for each article `article.comments.filter(
status="approved").count()`, each followed by `row.save(update_fields=[…])`
(Django's `Model.save`, since blogsite's own `save()` never writes a counter;
the project's article receivers disconnected while it runs), every statement
in autocommit: a SELECT of the rows, then a COUNT and an UPDATE per row.

**Drift checks.** `find_drift()` and `manage.py check_counters` (which prints
each drifted row) with every counter wrong must find every row; after the
recount they must find none. Statements exclude BEGIN/COMMIT.
"""


def recount_section(result: dict[str, Any], argv: list[str], wall: float) -> str:
    today = datetime.datetime.now(datetime.UTC).date().isoformat()
    made_by = (
        f"Made by `{command_line(__file__, argv)}` on {today}, {result['database']} (a throwaway database, dropped "
        f"afterwards), Python {platform.python_version()}, Django {django.get_version()}. "
        f"Data: {describe_counts(result['counts'])}."
    )
    parts = [
        SECTION_START,
        "## Recount: repairing every counter at scale",
        made_by,
        EXPLANATION.strip(),
        "### `recount_counters` against a naive per-row recount",
        main_table(result),
        naive_note(result),
        "### Drift checks",
        drift_table(result),
        phases_line(result, wall),
        SECTION_END,
    ]
    return "\n\n".join(parts) + "\n"


# --------------------------------------------------------------------------
# Entry point
# --------------------------------------------------------------------------


def parse_args(argv: list[str]) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--articles", type=int, default=DEFAULT_ARTICLES, help="articles to generate")
    parser.add_argument("--comments", type=int, default=DEFAULT_COMMENTS, help="comments to generate")
    parser.add_argument("--authors", type=int, default=DEFAULT_AUTHORS, help="authors to generate")
    parser.add_argument("--categories", type=int, default=DEFAULT_CATEGORIES, help="categories to generate")
    parser.add_argument(
        "--naive-budget",
        type=float,
        default=DEFAULT_NAIVE_BUDGET,
        help="seconds the naive recount of articles may take; beyond, it is extrapolated from a sample",
    )
    parser.add_argument("--naive-sample", type=int, default=DEFAULT_NAIVE_SAMPLE, help="articles in that sample")
    parser.add_argument(
        "--explain", action="store_true", default=SMOKE, help="also print EXPLAIN ANALYZE of the recount"
    )
    parser.add_argument("--no-write", action="store_true", help="print the tables, leave docs/benchmarks.md alone")
    parser.add_argument("--measure-into", type=Path, help=argparse.SUPPRESS)  # the child process
    args = parser.parse_args(argv)
    for name in ("articles", "comments", "authors", "categories", "naive_sample"):
        if getattr(args, name) < 1:
            parser.error(f"--{name.replace('_', '-')} must be at least 1")
    return args


def report(argv: list[str]) -> int:
    started = time.perf_counter()
    child_argv = [argument for argument in argv if argument != "--no-write"]
    result = measure_in_throwaway_database(__file__, "bench_recount", argv)
    if result is None:
        return 1
    wall = time.perf_counter() - started
    print(f"\n{result['database']}: {describe_counts(result['counts'])}\n")
    print(main_table(result))
    print(f"\n{naive_note(result)}\n")
    print(drift_table(result))
    print(f"\n{phases_line(result, wall)}")
    for plan in result["plans"]:
        print(f"\n{plan}")
    if "--no-write" not in argv:
        write_section(__file__, recount_section(result, child_argv, wall))
    return 0


def main(argv: list[str]) -> int:
    args = parse_args(argv)
    if args.measure_into:
        args.measure_into.write_text(json.dumps(measure_this_database(args)))
        return 0
    return report(argv)


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
