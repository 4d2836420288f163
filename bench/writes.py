# Django models can be imported only after django.setup(), which must come after the environment is set.
# ruff: noqa: E402
"""SQL statements per write operation: blogsite's receivers against a naive strategy.

Run from the repository root (``make bench`` does exactly this)::

    .venv/bin/python bench/writes.py [--repetitions N] [--show-sql]

The parent process runs the whole measurement once per database, each time in
a child process (this script again, with ``--measure-into``) whose
``DATABASE_URL`` names a fresh database: a temporary SQLite file, then a
throwaway PostgreSQL database created and dropped here. Each child migrates
its database, measures both strategies and writes JSON; the parent prints the
tables and rewrites its own section of ``docs/benchmarks.md``.

Figures, never assertions: nothing here fails because a number moved. It fails
only when an operation itself goes wrong (a wrong slug, a drifted counter).
"""

from __future__ import annotations

import argparse
import datetime
import json
import os
import platform
import statistics
import sys
import tempfile
import time
from collections.abc import Callable, Iterator
from contextlib import AbstractContextManager, contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Protocol

REPO_ROOT = Path(__file__).resolve().parent.parent
# Run as a script, Python puts bench/ on sys.path, not the project.
if str(REPO_ROOT) not in sys.path:
    sys.path.insert(0, str(REPO_ROOT))
os.environ["DJANGO_SETTINGS_MODULE"] = "blogsite.settings"
# Email is enqueued to the dummy backend by both strategies: the task is kept in
# memory and never run, so no email statement is counted for either.
os.environ["TASKS_BACKEND"] = "dummy"

import django

django.setup()

import psycopg
from django.contrib.auth import get_user_model
from django.contrib.auth.models import AbstractBaseUser
from django.core.management import call_command
from django.db import connection, models, reset_queries
from django.db.models.signals import post_delete, post_save, pre_delete, pre_save
from django.dispatch import Signal
from django.dispatch.dispatcher import _make_id
from django.test.utils import CaptureQueriesContext
from django.utils import timezone
from django.utils.text import slugify

import articles.receivers
import comments.receivers
from articles.models import Article, Category
from articles.recount import find_drift
from articles.services import publish_article
from articles.signals import article_viewed
from authors.models import Author
from authors.tasks import notify_followers_of_publication
from bench.common import (
    DOC_PATH,
    POSTGRES_SERVER_URL,
    MeasurementFailed,
    command_line,
    markdown_table,
    measure_in_subprocess,
    section_markers,
    throwaway_postgres_database,
    write_section,
)
from comments.models import Comment
from comments.services import add_comment
from comments.tasks import notify_author_of_comment

SECTION_START, SECTION_END = section_markers(__file__)
DOC_HEADER = """# Benchmarks

Figures measured by the scripts in `bench/`, never timed assertions: nothing
fails when a figure moves. Each section is written by the script named in its
markers, and only that section is replaced when the script runs again; new
sections (load figures, queries per page) go between markers of their own.
"""

DEFAULT_REPETITIONS = 5
COLLISION_COUNTS = (0, 10, 100)
COMMENTS_ON_DELETED_ARTICLE = 10
BODY = "Some *Markdown* body."
COMMENT_BODY = "Nice article."


# --------------------------------------------------------------------------
# The two strategies
# --------------------------------------------------------------------------


class Strategy(Protocol):
    name: str

    def active(self) -> AbstractContextManager[None]: ...
    def create_article(self, **fields: Any) -> Article: ...
    def publish(self, article: Article) -> None: ...
    def save(self, article: Article) -> None: ...
    def delete(self, article: Article) -> None: ...
    def comment(self, article: Article, user: AbstractBaseUser) -> Comment: ...
    def view(self, article: Article) -> None: ...


class Blogsite:
    """The project as its views, admin and commands use it: its receivers and services."""

    name = "blogsite"

    @contextmanager
    def active(self) -> Iterator[None]:
        require_project_receivers()
        yield

    def create_article(self, **fields: Any) -> Article:
        return Article.objects.create(**fields)

    def publish(self, article: Article) -> None:
        publish_article(article)

    def save(self, article: Article) -> None:
        article.save()

    def delete(self, article: Article) -> None:
        article.delete()

    def comment(self, article: Article, user: AbstractBaseUser) -> Comment:
        return add_comment(article=article, user=user, body=COMMENT_BODY)

    def view(self, article: Article) -> None:
        # What ArticleDetailView does for each view of a published article.
        article_viewed.send(sender=Article, article=article, request=None)


class Naive:
    """The way a typical tutorial does it, on the same models and data.

    Its model has no custom ``save()``: Django's own ``Model.save`` writes the
    row, bypassing blogsite's overrides (slug retry, counter-column guard,
    ``transaction.atomic``), and the project's receivers are disconnected while
    it runs. No transaction anywhere: every statement commits on its own.
    """

    name = "naive"

    def active(self) -> AbstractContextManager[None]:
        return naive_receivers_instead_of_the_projects()

    def create_article(self, **fields: Any) -> Article:
        article = Article(**fields)
        self.save(article)
        return article

    def publish(self, article: Article) -> None:
        article.status = Article.Status.PUBLISHED
        self.save(article)

    def save(self, article: Article) -> None:
        if not article.slug:
            article.slug = naive_unique_slug(article.title)
        # The extra SELECT that detects transitions: a plain read, no row lock,
        # so another process may change the row between it and the UPDATE.
        before = Article.objects.get(pk=article.pk) if article.pk else None
        if article.is_published and article.published_at is None:
            article.published_at = timezone.now()
        models.Model.save(article)
        naive_count_articles(before, article)
        if article.is_published and not (before and before.is_published):
            # Inside the save rather than after commit, as tutorials do.
            notify_followers_of_publication.enqueue(article.pk)

    def delete(self, article: Article) -> None:
        # The naive post_delete receivers connected by active() do the counting.
        article.delete()

    def comment(self, article: Article, user: AbstractBaseUser) -> Comment:
        comment = Comment(
            article=article,
            user=user,
            name=user.get_full_name() or user.get_username(),
            email=user.email,
            body=COMMENT_BODY,
            status=Comment.Status.APPROVED,  # signed in: approved at once, as blogsite does
        )
        models.Model.save(comment)
        naive_add_to_counter(Article, article.pk, "comment_count", +1)
        notify_author_of_comment.enqueue(comment.pk)
        return comment

    def view(self, article: Article) -> None:
        # The tutorial's ``article.views += 1; article.save()`` in the view.
        article.view_count += 1
        self.save(article)


def naive_unique_slug(title: str) -> str:
    """A query per candidate: ``base``, ``base-2``, ``base-3``… until one is free."""
    base = slugify(title, allow_unicode=True) or "article"
    candidate, number = base, 1
    while Article.objects.filter(slug=candidate).exists():
        number += 1
        candidate = f"{base}-{number}"
    return candidate


def naive_add_to_counter(model: type[models.Model], pk: int, field: str, amount: int) -> None:
    """Read the parent row, change its count in Python, save it back (read-modify-write)."""
    row = model._default_manager.get(pk=pk)
    setattr(row, field, getattr(row, field) + amount)
    # Model.save, because blogsite's CountedModel.save refuses, by design, to
    # write counter columns: this is the tutorial's ``row.save(update_fields=[field])``.
    models.Model.save(row, update_fields=[field])


def naive_count_articles(before: Article | None, after: Article | None) -> None:
    """Move the published counts of the author and category from ``before`` to ``after``.

    A transition test, not a blind +1: an edit that keeps the article published
    under the same author and category changes no counter.
    """
    was_published = before is not None and before.is_published
    is_published = after is not None and after.is_published
    for model, attname in ((Author, "author_id"), (Category, "category_id")):
        old = getattr(before, attname) if was_published else None
        new = getattr(after, attname) if is_published else None
        if old == new:
            continue
        if old is not None:
            naive_add_to_counter(model, old, "article_count", -1)
        if new is not None:
            naive_add_to_counter(model, new, "article_count", +1)


def naive_count_deleted_article(sender: type[Article], instance: Article, **kwargs: Any) -> None:
    # Trusts the in-memory copy being deleted: no read of the stored row.
    naive_count_articles(instance, None)


def naive_count_deleted_comment(sender: type[Comment], instance: Comment, **kwargs: Any) -> None:
    if instance.status == Comment.Status.APPROVED:
        naive_add_to_counter(Article, instance.article_id, "comment_count", -1)


# (signal, sender, dispatch_uid) of every project receiver that counts or
# judges a write: see register() in articles/receivers.py and comments/receivers.py.
PROJECT_RECEIVERS: tuple[tuple[Signal, type[models.Model], str], ...] = (
    (pre_save, Article, "articles.judge_article_save"),
    (post_save, Article, "articles.count_article_save"),
    (pre_delete, Article, "articles.judge_article_delete"),
    (post_delete, Article, "articles.count_article_delete"),
    (article_viewed, Article, "articles.count_view"),
    (pre_save, Comment, "comments.judge_comment_save"),
    (post_save, Comment, "comments.count_comment_save"),
    (pre_delete, Comment, "comments.judge_comment_delete"),
    (post_delete, Comment, "comments.count_comment_delete"),
)
NAIVE_RECEIVERS: tuple[tuple[Signal, type[models.Model], Callable[..., None], str], ...] = (
    (post_delete, Article, naive_count_deleted_article, "bench.naive_count_deleted_article"),
    (post_delete, Comment, naive_count_deleted_comment, "bench.naive_count_deleted_comment"),
)


def is_connected(signal: Signal, sender: type[models.Model], dispatch_uid: str) -> bool:
    # Signal keeps (dispatch_uid, id of sender) as each receiver's lookup key.
    key = (dispatch_uid, _make_id(sender))
    return any(receiver[0] == key for receiver in signal.receivers)


def require_project_receivers() -> None:
    missing = [uid for signal, sender, uid in PROJECT_RECEIVERS if not is_connected(signal, sender, uid)]
    if missing:
        raise RuntimeError(f"Project receivers not connected: {', '.join(missing)}")


@contextmanager
def naive_receivers_instead_of_the_projects() -> Iterator[None]:
    """Swap the project's counting receivers for the naive ones, and always swap back."""
    try:
        for signal, sender, uid in PROJECT_RECEIVERS:
            if not signal.disconnect(sender=sender, dispatch_uid=uid):
                # Measuring both strategies at once would be worse than stopping.
                raise RuntimeError(f"{uid} was not connected: PROJECT_RECEIVERS is out of date")
        for signal, sender, receiver, uid in NAIVE_RECEIVERS:
            signal.connect(receiver, sender=sender, dispatch_uid=uid)
        yield
    finally:
        for signal, sender, _receiver, uid in NAIVE_RECEIVERS:
            signal.disconnect(sender=sender, dispatch_uid=uid)
        articles.receivers.register()
        comments.receivers.register()
        require_project_receivers()


# --------------------------------------------------------------------------
# The operations
# --------------------------------------------------------------------------


@dataclass(frozen=True)
class World:
    """The rows every operation shares, created once per database."""

    author: Author
    reader: AbstractBaseUser
    category: Category
    other_category: Category

    def article_fields(self, title: str, **overrides: Any) -> dict[str, Any]:
        return {
            "title": title,
            "author": self.author,
            "category": self.category,
            "body": BODY,
            "status": Article.Status.DRAFT,
            **overrides,
        }


def build_world() -> World:
    users = get_user_model().objects
    author_user = users.create_user("bench-author", email="author@example.com", first_name="Ada")
    reader = users.create_user("bench-reader", email="reader@example.com", first_name="Rea")
    return World(
        author=Author.objects.get(user=author_user),
        reader=reader,
        category=Category.objects.create(name="Bench home"),
        other_category=Category.objects.create(name="Bench elsewhere"),
    )


Action = Callable[[], object]
# Creates, unmeasured, the rows an operation needs; returns the operation itself.
Prepare = Callable[[Strategy, World, str], Action]


@dataclass(frozen=True)
class Operation:
    label: str
    prepare: Prepare


def fresh(article: Article) -> Article:
    # An edit starts from a copy the view has just loaded, not from the
    # instance that created the row (its related objects are not cached).
    return Article.objects.get(pk=article.pk)


def stored_published_article(strategy: Strategy, world: World, tag: str) -> Article:
    created = strategy.create_article(**world.article_fields(f"Published {tag}", status=Article.Status.PUBLISHED))
    return fresh(created)


def occupy_slugs(world: World, title: str, count: int) -> str:
    """Store ``count`` drafts holding ``base``, ``base-2``… ``base-<count>``; return base."""
    base = slugify(title, allow_unicode=True)
    slugs = [base, *(f"{base}-{number}" for number in range(2, count + 1))][:count]
    # bulk_create bypasses the receivers; drafts count nothing, so no counter drifts.
    Article.objects.bulk_create([Article(**world.article_fields(title, slug=slug)) for slug in slugs])
    return base


def prepare_create_draft(strategy: Strategy, world: World, tag: str) -> Action:
    return lambda: strategy.create_article(**world.article_fields(f"Draft {tag}"))


def prepare_create_with_collisions(collisions: int) -> Prepare:
    def prepare(strategy: Strategy, world: World, tag: str) -> Action:
        title = f"Collision {tag}"
        base = occupy_slugs(world, title, collisions)
        expected = f"{base}-{collisions + 1}" if collisions else base

        def create() -> None:
            article = strategy.create_article(**world.article_fields(title))
            if article.slug != expected:
                raise AssertionError(f"{strategy.name} gave slug {article.slug!r}, expected {expected!r}")

        return create

    return prepare


def prepare_publish(strategy: Strategy, world: World, tag: str) -> Action:
    article = fresh(strategy.create_article(**world.article_fields(f"To publish {tag}")))
    return lambda: strategy.publish(article)


def prepare_move_category(strategy: Strategy, world: World, tag: str) -> Action:
    article = stored_published_article(strategy, world, tag)

    def move() -> None:
        article.category = world.other_category
        strategy.save(article)

    return move


def prepare_edit_title(strategy: Strategy, world: World, tag: str) -> Action:
    article = stored_published_article(strategy, world, tag)

    def edit() -> None:
        article.title = f"{article.title} (edited)"
        strategy.save(article)

    return edit


def prepare_delete_published(strategy: Strategy, world: World, tag: str) -> Action:
    article = stored_published_article(strategy, world, tag)
    return lambda: strategy.delete(article)


def prepare_delete_published_with_comments(strategy: Strategy, world: World, tag: str) -> Action:
    article = stored_published_article(strategy, world, tag)
    for _ in range(COMMENTS_ON_DELETED_ARTICLE):
        strategy.comment(article, world.reader)
    article = fresh(article)
    return lambda: strategy.delete(article)


def prepare_comment(strategy: Strategy, world: World, tag: str) -> Action:
    article = stored_published_article(strategy, world, tag)
    return lambda: strategy.comment(article, world.reader)


def prepare_view(strategy: Strategy, world: World, tag: str) -> Action:
    article = stored_published_article(strategy, world, tag)
    return lambda: strategy.view(article)


OPERATIONS: tuple[Operation, ...] = (
    Operation("create draft", prepare_create_draft),
    *(
        Operation(f"create with {count} title collisions", prepare_create_with_collisions(count))
        for count in COLLISION_COUNTS
    ),
    Operation("publish", prepare_publish),
    Operation("move category while published", prepare_move_category),
    Operation("edit title (published)", prepare_edit_title),
    Operation("delete published", prepare_delete_published),
    Operation(
        f"delete published with {COMMENTS_ON_DELETED_ARTICLE} approved comments", prepare_delete_published_with_comments
    ),
    Operation("comment (signed-in reader)", prepare_comment),
    Operation("view", prepare_view),
)


# --------------------------------------------------------------------------
# Measuring, in the child process
# --------------------------------------------------------------------------


@dataclass(frozen=True)
class Sample:
    statements: list[str]
    seconds: float


def run_captured(action: Action) -> Sample:
    # With DEBUG on, the query log is a bounded deque: once full, its length no
    # longer grows and CaptureQueriesContext would see nothing. Empty it first.
    reset_queries()
    with CaptureQueriesContext(connection) as captured:
        started = time.perf_counter()
        action()
        seconds = time.perf_counter() - started
    return Sample([query["sql"] for query in captured.captured_queries], seconds)


TRANSACTION_CONTROL = {"BEGIN", "COMMIT", "ROLLBACK", "SAVEPOINT", "RELEASE", "ROLLBACK TO SAVEPOINT"}


def data_statements(statements: list[str]) -> list[str]:
    """The statements that read or write rows: transaction control left out."""
    return [statement for statement in statements if statement_kind(statement) not in TRANSACTION_CONTROL]


def summarise(samples: list[Sample]) -> dict[str, Any]:
    return {
        "counts": [len(sample.statements) for sample in samples],
        "data_counts": [len(data_statements(sample.statements)) for sample in samples],
        "milliseconds": [sample.seconds * 1000 for sample in samples],
        "sql": samples[0].statements,
    }


def measure_strategy(strategy: Strategy, world: World, repetitions: int) -> dict[str, dict[str, Any]]:
    results = {}
    with strategy.active():
        for index, operation in enumerate(OPERATIONS):
            samples = []
            for repetition in range(repetitions):
                action = operation.prepare(strategy, world, f"{strategy.name} {index} {repetition}")
                samples.append(run_captured(action))
            results[operation.label] = summarise(samples)
    # Both strategies must keep the counters exact, or their figures compare nothing.
    drift = [str(drifted) for drifted in find_drift()]
    if drift:
        raise AssertionError(f"{strategy.name} left drifted counters: {drift}")
    return results


def describe_database() -> dict[str, str]:
    if connection.vendor == "sqlite":
        import sqlite3

        return {"vendor": "sqlite", "label": f"SQLite {sqlite3.sqlite_version}"}
    with connection.cursor() as cursor:
        cursor.execute("SHOW server_version")
        version = cursor.fetchone()[0].split()[0]
    return {"vendor": connection.vendor, "label": f"PostgreSQL {version}"}


def measure_this_database(repetitions: int) -> dict[str, Any]:
    call_command("migrate", interactive=False, verbosity=0)
    world = build_world()
    by_label: dict[str, dict[str, Any]] = {operation.label: {} for operation in OPERATIONS}
    for strategy in (Blogsite(), Naive()):
        for label, summary in measure_strategy(strategy, world, repetitions).items():
            by_label[label][strategy.name] = summary
    return {
        "database": describe_database(),
        "repetitions": repetitions,
        "operations": [{"label": label, **strategies} for label, strategies in by_label.items()],
    }


# --------------------------------------------------------------------------
# Orchestrating, in the parent process
# --------------------------------------------------------------------------


def measure_sqlite(repetitions: int) -> dict[str, Any]:
    with tempfile.TemporaryDirectory(prefix="bench-writes-sqlite-") as directory:
        url = f"sqlite:///{Path(directory) / 'bench.sqlite3'}"
        return measure_in_subprocess(__file__, url, ["--repetitions", str(repetitions)])


def measure_postgres(repetitions: int) -> tuple[dict[str, Any] | None, str]:
    """The figures, or None and why PostgreSQL could not be used."""
    try:
        database = throwaway_postgres_database("bench_writes", force_drop=False)
        url = database.__enter__()
    except psycopg.Error as error:
        return None, f"PostgreSQL at {POSTGRES_SERVER_URL} cannot be used: {str(error).strip()}"
    try:
        return measure_in_subprocess(__file__, url, ["--repetitions", str(repetitions)]), ""
    finally:
        database.__exit__(*sys.exc_info())


# --------------------------------------------------------------------------
# Reporting
# --------------------------------------------------------------------------


def median(values: list[float]) -> float:
    return statistics.median(values)


def count_cell(counts: list[int]) -> str:
    low, high = min(counts), max(counts)
    return str(low) if low == high else f"{low}–{high}"


def ratio_cell(naive: list[int], blogsite: list[int]) -> str:
    if median(blogsite) == 0:
        return "—"
    return f"{median(naive) / median(blogsite):.2f}"


def statement_kind(statement: str) -> str:
    words = statement.split(None, 2)
    verb = words[0].upper() if words else "?"
    # The titles and bodies written here never contain these words.
    if verb == "SELECT" and " FOR UPDATE" in statement.upper():
        return "SELECT FOR UPDATE"
    if verb == "ROLLBACK" and len(words) > 1 and words[1].upper() == "TO":
        return "ROLLBACK TO SAVEPOINT"
    return verb


def statement_sequence(statements: list[str]) -> str:
    """``BEGIN · SELECT ×3 · COMMIT``: the kinds in order, runs folded."""
    runs: list[list[Any]] = []
    for kind in map(statement_kind, statements):
        if runs and runs[-1][0] == kind:
            runs[-1][1] += 1
        else:
            runs.append([kind, 1])
    return " · ".join(kind if count == 1 else f"{kind} ×{count}" for kind, count in runs) or "(none)"


def counts_table(result: dict[str, Any]) -> str:
    headers = [
        "operation",
        "blogsite",
        "naive",
        "naive / blogsite",
        "blogsite rows",
        "naive rows",
        "naive / blogsite rows",
        "blogsite ms",
        "naive ms",
    ]
    rows = [
        [
            operation["label"],
            count_cell(operation["blogsite"]["counts"]),
            count_cell(operation["naive"]["counts"]),
            ratio_cell(operation["naive"]["counts"], operation["blogsite"]["counts"]),
            count_cell(operation["blogsite"]["data_counts"]),
            count_cell(operation["naive"]["data_counts"]),
            ratio_cell(operation["naive"]["data_counts"], operation["blogsite"]["data_counts"]),
            f"{median(operation['blogsite']['milliseconds']):.2f}",
            f"{median(operation['naive']['milliseconds']):.2f}",
        ]
        for operation in result["operations"]
    ]
    return markdown_table(headers, rows, right_aligned=set(range(1, len(headers))))


def sequence_table(result: dict[str, Any]) -> str:
    headers = ["operation", "blogsite statements, in order", "naive statements, in order"]
    rows = [
        [
            operation["label"],
            statement_sequence(operation["blogsite"]["sql"]),
            statement_sequence(operation["naive"]["sql"]),
        ]
        for operation in result["operations"]
    ]
    return markdown_table(headers, rows, right_aligned=set())


def database_section(result: dict[str, Any], where: str) -> str:
    return "\n\n".join(
        [
            f"### {result['database']['label']} ({where})",
            counts_table(result),
            "Statements in order (first repetition; `×n` folds a run of n):",
            sequence_table(result),
        ]
    )


EXPLANATION = """\
**What is counted.** Every statement that Django's `CaptureQueriesContext`
records on the connection from the start to the end of the operation:
SELECT, INSERT, UPDATE, DELETE, SAVEPOINT/RELEASE, and the transaction's BEGIN
and COMMIT, which Django 5.2 logs on both backends (SQLite runs `BEGIN`
through a cursor; on PostgreSQL, psycopg sends it before the first statement
and Django logs it and the COMMIT itself). Both strategies are counted the
same way on both databases; a write that runs in autocommit sends no
BEGIN/COMMIT, and so counts none. The “rows” columns leave transaction control
(BEGIN, COMMIT, SAVEPOINT, RELEASE) out and count only the statements that read
or write rows: blogsite pays two statements per write for being atomic, which
the naive strategy saves by being wrong when a write fails half-way. Not counted: the rows an operation needs
(made beforehand; an edit starts from a copy freshly loaded by primary key),
opening the connection, and email: the Tasks backend is the dummy one for both
strategies, so enqueueing a notification stores it in memory, sends no
statement, and no email task runs. Statement counts are the figure; the
milliseconds (median of {repetitions} repetitions, capture overhead included,
one machine) are only indicative. After each strategy's pass every counter is
checked against the rows it counts (`articles.recount.find_drift`): both keep
them exact in this single-process run.

**blogsite** is the project as shipped: `Article.objects.create()`,
`articles.services.publish_article()`, `article.save()`, `article.delete()`,
`comments.services.add_comment()` and the `article_viewed` signal, with the
receivers of `articles/receivers.py` and `comments/receivers.py`: one SELECT
for a slug however many collisions, each save or delete in
`transaction.atomic` with the stored row read under a row lock
(`select_for_update`, a no-op on SQLite), counters moved by F() updates.

**naive** is written in the script the way a typical tutorial does it, on the
same models, with the project's counting receivers disconnected (and
reconnected afterwards): the slug loops `while
Article.objects.filter(slug=candidate).exists()` over `-2`, `-3`… (a SELECT
per candidate); every save of an existing article first reads it with
`Article.objects.get(pk=…)` (no lock) to detect transitions, then writes it
with Django's plain `Model.save()` (every column, counters included); each
counter that changes (publication, unpublication, a move, a delete, a comment)
is updated by loading its row and saving it back, `row.count += 1;
row.save(update_fields=[…])` (a SELECT and an UPDATE); deletes count in
post_delete receivers on Article and Comment from the in-memory instances; a
view is `article.view_count += 1; article.save()`; email is enqueued inside
the save. No `transaction.atomic` anywhere: every statement commits alone.
It is correct only while one process writes at a time.

**Operations.** Creates are drafts with an empty slug; “N title collisions”
means N stored articles already hold `base`, `base-2`, … `base-N`, so the new
one gets `base-(N+1)` (checked), and “0 collisions” is the same as “create
draft”. The other operations start from an article created by the same
strategy: a draft for publish, a published one (in a category) for the rest.
“delete published with {comments} approved comments” is not in the issue's
list; it shows what a cascade costs.
"""


def writes_section(
    sqlite: dict[str, Any], postgres: dict[str, Any] | None, postgres_problem: str, argv: list[str]
) -> str:
    today = datetime.datetime.now(datetime.UTC).date().isoformat()
    made_by = (
        f"Made by `{command_line(__file__, argv)}` (what `make bench` runs) on {today}, "
        f"Python {platform.python_version()}, Django {django.get_version()}."
    )
    explanation = EXPLANATION.format(repetitions=sqlite["repetitions"], comments=COMMENTS_ON_DELETED_ARTICLE)
    if postgres is not None:
        postgres_part = database_section(postgres, "a throwaway database, dropped afterwards")
    else:
        postgres_part = f"### PostgreSQL\n\nNot measured: {postgres_problem}"
    parts = [
        SECTION_START,
        "## Writes: SQL statements per operation",
        made_by,
        explanation.strip(),
        database_section(sqlite, "a temporary file database"),
        postgres_part,
        SECTION_END,
    ]
    return "\n\n".join(parts) + "\n"


def print_sql(result: dict[str, Any]) -> None:
    print(f"\n--- SQL of the first repetition, {result['database']['label']} ---")
    for operation in result["operations"]:
        for strategy in ("blogsite", "naive"):
            statements = operation[strategy]["sql"]
            print(f"\n[{strategy}] {operation['label']}: {len(statements)} statements")
            for statement in statements:
                print(f"    {statement[:220]}")


# --------------------------------------------------------------------------
# Entry point
# --------------------------------------------------------------------------


def parse_args(argv: list[str]) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repetitions", type=int, default=DEFAULT_REPETITIONS, help="runs of each operation")
    parser.add_argument("--show-sql", action="store_true", help="also print every statement of the first run")
    parser.add_argument("--measure-into", type=Path, help=argparse.SUPPRESS)  # the child process
    return parser.parse_args(argv)


def report(argv: list[str], args: argparse.Namespace) -> int:
    try:
        sqlite = measure_sqlite(args.repetitions)
    except MeasurementFailed as error:
        print(f"SQLite: {error}", file=sys.stderr)
        return 1
    postgres, postgres_problem = measure_postgres(args.repetitions)
    for result in (sqlite, postgres):
        if result is not None:
            print(f"\n{result['database']['label']}: SQL statements per operation\n")
            print(counts_table(result))
            if args.show_sql:
                print_sql(result)
    if postgres is None:
        print(f"\n{postgres_problem}\nOnly the SQLite table is written.")
    write_section(__file__, writes_section(sqlite, postgres, postgres_problem, argv), header=DOC_HEADER)
    print(f"\nWrote {DOC_PATH.relative_to(REPO_ROOT)}")
    return 0


def main(argv: list[str]) -> int:
    args = parse_args(argv)
    if args.measure_into:
        args.measure_into.write_text(json.dumps(measure_this_database(args.repetitions)))
        return 0
    try:
        return report(argv, args)
    except MeasurementFailed as error:
        print(f"PostgreSQL: {error}", file=sys.stderr)
        return 1


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
