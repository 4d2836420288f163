# Django models can be imported only after django.setup(), which must come after the environment is set.
# ruff: noqa: E402
"""SQL statements per write operation: blogsite's receivers against a naive strategy, and what a durable email costs.

Run from the repository root (``make bench`` does exactly this)::

    .venv/bin/python bench/writes.py [--repetitions N] [--show-sql]

The parent process runs the whole measurement once per database, each time in
a child process (this script again, with ``--measure-into``) whose
``DATABASE_URL`` names a fresh database: a temporary SQLite file, then a
throwaway PostgreSQL database created and dropped here. Each child migrates
its database, measures both strategies and writes JSON; the parent prints the
tables and rewrites its own section of ``docs/benchmarks.md``. On PostgreSQL,
where the email of a publish or a comment is a procrastinate job, the child
also measures that write three ways in the same run: with no email, with the
job deferred after COMMIT (the shape before procrastinate) and with it
deferred in the transaction (blogsite).

Figures, never assertions: nothing here fails because a number moved. It fails
only when an operation itself goes wrong (a wrong slug, a drifted counter, an
email job missing or doubled).
"""

from __future__ import annotations

import argparse
import datetime
import json
import logging
import os
import platform
import statistics
import sys
import tempfile
import time
import urllib.parse
from collections.abc import Callable, Iterator
from contextlib import AbstractContextManager, contextmanager, nullcontext
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Protocol

REPO_ROOT = Path(__file__).resolve().parent.parent
# Run as a script, Python puts bench/ on sys.path, not the project.
if str(REPO_ROOT) not in sys.path:
    sys.path.insert(0, str(REPO_ROOT))
os.environ["DJANGO_SETTINGS_MODULE"] = "blogsite.settings"
# Each database with the task queue it is deployed with: procrastinate on
# PostgreSQL (a job row, which no worker runs here), none on SQLite (the task
# runs in this process after COMMIT). Its email goes to memory, not the console.
os.environ.pop("TASK_QUEUE", None)
os.environ["EMAIL_BACKEND"] = "django.core.mail.backends.locmem.EmailBackend"

import django

django.setup()

import psycopg
from django.contrib.auth import get_user_model
from django.contrib.auth.models import AbstractBaseUser
from django.core.management import call_command
from django.db import DEFAULT_DB_ALIAS, connection, connections, models, reset_queries, transaction
from django.db.models.signals import post_delete, post_save, pre_delete, pre_save
from django.dispatch import Signal
from django.test import Client
from django.test.utils import CaptureQueriesContext, override_settings
from django.urls import reverse
from django.utils import timezone
from django.utils.text import slugify

import articles.models
import articles.receivers
import articles.slugs
import audit.receivers
import authors.receivers
import comments.receivers
from articles.forms import article_version
from articles.models import Article, ArticleRevision, Category, Tag
from articles.recount import find_drift
from articles.services import publish_article
from articles.signals import article_status_changed, article_viewed, comment_status_changed
from audit.models import AuditEntry
from authors.models import Author
from authors.tasks import notify_followers_of_publication
from autosaves.services import DraftText, save_autosave
from bench.common import (
    POSTGRES_SERVER_URL,
    SMOKE,
    MeasurementFailed,
    command_line,
    markdown_table,
    measure_in_subprocess,
    reflowed,
    section_markers,
    throwaway_postgres_database,
    write_section,
)
from blogsite.effects import defer_effect, effects_discarded, queue_is_durable
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

# A smoke run (BENCH_SMOKE=1) measures each operation once.
DEFAULT_REPETITIONS = 1 if SMOKE else 5
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
    it runs. No transaction anywhere: every statement commits on its own, the
    email's included.
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
            naive_email(notify_followers_of_publication, article_id=article.pk)

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
        naive_email(notify_author_of_comment, comment_id=comment.pk)
        return comment

    def view(self, article: Article) -> None:
        # The tutorial's ``article.views += 1; article.save()`` in the view.
        article.view_count += 1
        self.save(article)


def naive_email(task: Any, **kwargs: Any) -> None:
    """The tutorial's email, sent from inside the save as its ``send_mail`` is.

    Where there is a queue (PostgreSQL) the job is deferred there and then,
    in a transaction of its own; where there is none (SQLite) the task itself
    runs, in the save, as blogsite's does after COMMIT.
    """
    if queue_is_durable():
        task.defer(**kwargs)
    else:
        task(**kwargs)


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


def connect_project_receivers() -> None:
    articles.receivers.register()
    comments.receivers.register()


def require_project_receivers() -> None:
    """Fail unless every receiver in PROJECT_RECEIVERS is connected; leave them all connected.

    Signal has no public "is this receiver connected?": disconnect() by
    dispatch_uid answers it, and the apps' register() connects them again.
    """
    missing = [
        uid for signal, sender, uid in PROJECT_RECEIVERS if not signal.disconnect(sender=sender, dispatch_uid=uid)
    ]
    connect_project_receivers()
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
        connect_project_receivers()
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
# The writes that cause an email, measured again for each way of recording it.
EMAIL_OPERATIONS = tuple(op for op in OPERATIONS if op.prepare in {prepare_publish, prepare_comment})


# --------------------------------------------------------------------------
# Three ways to record the email of a write (PostgreSQL)
# --------------------------------------------------------------------------


def defer_after_commit(task: Any, *, using: str | None = None, **kwargs: Any) -> None:
    """The shape before procrastinate: the job enqueued from process memory once COMMIT is done.

    Its INSERT runs alone, in autocommit, after the write committed: a process
    that dies between the two has committed the write and lost its email.
    """
    transaction.on_commit(lambda: task.defer(**kwargs), using=using)


# The receivers that record an email, each calling defer_effect by the name it imported.
RECEIVER_MODULES_THAT_DEFER = (authors.receivers, comments.receivers)


@contextmanager
def emails_deferred_after_commit() -> Iterator[None]:
    """Blogsite's receivers, unchanged but for the one call that records the email; always put back."""
    for module in RECEIVER_MODULES_THAT_DEFER:
        if module.defer_effect is not defer_effect:
            raise RuntimeError(f"{module.__name__} no longer records email with defer_effect")
    try:
        for module in RECEIVER_MODULES_THAT_DEFER:
            module.defer_effect = defer_after_commit
        yield
    finally:
        for module in RECEIVER_MODULES_THAT_DEFER:
            module.defer_effect = defer_effect


@dataclass(frozen=True)
class EmailRecording:
    key: str
    label: str
    active: Callable[[], AbstractContextManager[None]]
    jobs_per_write: int


EMAIL_RECORDINGS: tuple[EmailRecording, ...] = (
    EmailRecording("none", "none (`effects_discarded()`)", effects_discarded, 0),
    EmailRecording("after_commit", "job deferred after COMMIT (previous shape)", emails_deferred_after_commit, 1),
    EmailRecording("in_transaction", "job deferred in the transaction (blogsite)", nullcontext, 1),
)
# What the differences are taken against: the shape blogsite had until now.
BASELINE_RECORDING = "after_commit"


# --------------------------------------------------------------------------
# Revisions: what keeping an article's history costs per save
# --------------------------------------------------------------------------

# The saves whose cost history may change, the last a status move that keeps no revision.
REVISION_OPERATIONS = tuple(
    op
    for op in OPERATIONS
    if op.prepare in {prepare_create_draft, prepare_edit_title, prepare_move_category, prepare_publish}
)
# An edit and a move make a revision, a create its first one; a publish none.
REVISIONS_PER_SAVE = {prepare_create_draft: 1, prepare_edit_title: 1, prepare_move_category: 1, prepare_publish: 0}


@dataclass(frozen=True)
class Toggle:
    """One thing a write may do (keep a revision, write an audit entry), measured off and on in the same run."""

    key: str
    label: str
    active: Callable[[], AbstractContextManager[None]]
    records: bool  # whether the rows it makes are expected


HISTORY_MODES: tuple[Toggle, ...] = (
    Toggle("off", "off (before issue 11)", lambda: override_settings(SIMPLE_HISTORY_ENABLED=False), False),
    Toggle("on", "on (blogsite)", nullcontext, True),
)


@contextmanager
def audit_receivers_disconnected() -> Iterator[None]:
    """The project before its audit log: audit.receivers disconnected, and connected again afterwards."""
    receivers = (
        (article_status_changed, audit.receivers.record_article_status, Article),
        (comment_status_changed, audit.receivers.record_comment_status, Comment),
    )
    for signal, receiver, sender in receivers:
        if not signal.disconnect(receiver, sender=sender, dispatch_uid=f"audit.{receiver.__name__}"):
            raise RuntimeError(f"audit.receivers.{receiver.__name__} is no longer connected that way")
    try:
        yield
    finally:
        audit.receivers.register()


AUDIT_MODES: tuple[Toggle, ...] = (
    Toggle("off", "off (before the audit log)", audit_receivers_disconnected, False),
    Toggle("on", "on (blogsite)", nullcontext, True),
)
# A publish and a delete are status moves, one entry each; an edit of the text is none.
AUDIT_OPERATIONS = tuple(
    op for op in OPERATIONS if op.prepare in {prepare_publish, prepare_delete_published, prepare_edit_title}
)
ENTRIES_PER_SAVE = {prepare_publish: 1, prepare_delete_published: 1, prepare_edit_title: 0}


def measure_toggle_costs(
    world: World,
    repetitions: int,
    *,
    what: str,
    modes: tuple[Toggle, ...],
    operations: tuple[Operation, ...],
    rows_made: Callable[[], int],
    expected_rows: dict[Prepare, int],
) -> list[dict[str, Any]]:
    """Blogsite's writes with one toggle off and on, checking the rows each write leaves."""
    strategy = Blogsite()
    by_label: dict[str, dict[str, Any]] = {operation.label: {} for operation in operations}
    with strategy.active():
        for mode in modes:
            with mode.active():
                for index, operation in enumerate(operations):
                    samples = []
                    expected = expected_rows[operation.prepare] if mode.records else 0
                    for repetition in range(repetitions):
                        action = operation.prepare(strategy, world, f"{what} {mode.key} {index} {repetition}")
                        before = rows_made()
                        samples.append(run_captured(action))
                        made = rows_made() - before
                        if made != expected:
                            raise AssertionError(f"{operation.label}, {what} {mode.key}: {made} rows, not {expected}")
                    by_label[operation.label][mode.key] = summarise(samples)
            require_exact_counters(f"{what} {mode.key}")
    return [{"label": label, **modes} for label, modes in by_label.items()]


def measure_revision_costs(world: World, repetitions: int) -> list[dict[str, Any]]:
    """Blogsite's content saves with django-simple-history off and on."""
    return measure_toggle_costs(
        world,
        repetitions,
        what="history",
        modes=HISTORY_MODES,
        operations=REVISION_OPERATIONS,
        rows_made=ArticleRevision.objects.count,
        expected_rows=REVISIONS_PER_SAVE,
    )


def measure_audit_costs(world: World, repetitions: int) -> list[dict[str, Any]]:
    """Blogsite's status moves (and an edit, which records none) with the audit log off and on."""
    return measure_toggle_costs(
        world,
        repetitions,
        what="audit",
        modes=AUDIT_MODES,
        operations=AUDIT_OPERATIONS,
        rows_made=AuditEntry.objects.count,
        expected_rows=ENTRIES_PER_SAVE,
    )


# --------------------------------------------------------------------------
# Tags and replies: what they add to a write
# --------------------------------------------------------------------------

TAGS_PER_ARTICLE = 3


def bench_tags(tag: str) -> list[Tag]:
    return [Tag.objects.create(name=f"Bench {tag} {n}", slug=f"bench-{slugify(tag)}-{n}") for n in range(3)]


def prepare_tag_published(strategy: Strategy, world: World, tag: str) -> Action:
    article, tags = stored_published_article(strategy, world, tag), bench_tags(tag)
    return lambda: article.tags.add(*tags)


def prepare_publish_tagged(strategy: Strategy, world: World, tag: str) -> Action:
    article = fresh(strategy.create_article(**world.article_fields(f"Tagged draft {tag}")))
    article.tags.add(*bench_tags(tag))
    article = fresh(article)
    return lambda: strategy.publish(article)


def prepare_untag_published(strategy: Strategy, world: World, tag: str) -> Action:
    article = stored_published_article(strategy, world, tag)
    article.tags.add(*bench_tags(tag))
    return lambda: article.tags.clear()


def prepare_delete_tagged(strategy: Strategy, world: World, tag: str) -> Action:
    article = stored_published_article(strategy, world, tag)
    article.tags.add(*bench_tags(tag))
    article = fresh(article)
    return lambda: strategy.delete(article)


def prepare_reply(strategy: Strategy, world: World, tag: str) -> Action:
    article = stored_published_article(strategy, world, tag)
    parent = add_comment(article=article, body=COMMENT_BODY, user=world.reader)
    return lambda: add_comment(article=article, body=COMMENT_BODY, user=world.reader, parent=parent)


# Each beside the write it adds to, measured in the same run.
TAG_AND_REPLY_OPERATIONS = (
    Operation("publish (no tags)", prepare_publish),
    Operation(f"publish with {TAGS_PER_ARTICLE} tags", prepare_publish_tagged),
    Operation(f"tag a published article ({TAGS_PER_ARTICLE} tags)", prepare_tag_published),
    Operation(f"clear its {TAGS_PER_ARTICLE} tags", prepare_untag_published),
    Operation("delete published (no tags)", prepare_delete_published),
    Operation(f"delete published with {TAGS_PER_ARTICLE} tags", prepare_delete_tagged),
    Operation("comment (signed-in reader)", prepare_comment),
    Operation("reply (signed-in reader)", prepare_reply),
)


def measure_tags_and_replies(world: World, repetitions: int) -> list[dict[str, Any]]:
    strategy = Blogsite()
    results = []
    with strategy.active():
        for index, operation in enumerate(TAG_AND_REPLY_OPERATIONS):
            samples = [
                run_captured(operation.prepare(strategy, world, f"tags {index} {repetition}"))
                for repetition in range(repetitions)
            ]
            results.append({"label": operation.label, **summarise(samples)})
        require_exact_counters("tags and replies")
    return results


def tag_and_reply_table(results: list[dict[str, Any]]) -> str:
    headers = ["database", "operation", "statements", "ms", "in order"]
    rows = [
        [
            result["database"]["label"],
            operation["label"],
            count_cell(operation["counts"]),
            f"{median(operation['milliseconds']):.2f}",
            statement_sequence(operation["sql"], operation["sql_after_commit"]),
        ]
        for result in results
        for operation in result["tags_and_replies"]
    ]
    return markdown_table(headers, rows, right_aligned={2, 3})


TAGS_AND_REPLIES_EXPLANATION = """\
**What tags and replies add to a write.** Blogsite's own writes, each beside
the one it adds to, in the same run. A tag's count moves with its published
articles: tagging a published article locks the article, reads the links
made meanwhile, inserts the links in one statement and moves each tag's count
(one UPDATE per tag); publishing or deleting a tagged article reads its tags
once and moves their counts with the author's and the category's, in the same
sorted batch; clearing tags deletes the links and moves the counts. A reply
is a comment with one more statement: the comment it answers, locked so that
it cannot go before the reply is stored (and, on PostgreSQL, one more job: the
email to that commenter, sent only if they asked). Milliseconds are the median
of {repetitions} repetitions.
"""


def tag_and_reply_section(results: list[dict[str, Any]]) -> str:
    explanation = reflowed(TAGS_AND_REPLIES_EXPLANATION.format(repetitions=results[0]["repetitions"]))
    return "\n\n".join(
        ["### Tags and replies: statements per write (the same run)", explanation, tag_and_reply_table(results)]
    )


# --------------------------------------------------------------------------
# A batch of creates with one title against one of distinct titles
# --------------------------------------------------------------------------

BATCH_CREATES = 20 if SMOKE else 1000
BATCH_REPETITIONS = 1 if SMOKE else 3


def fetch_every_colliding_slug(queryset: models.QuerySet, title: str) -> str:
    """The previous shape: one SELECT returning every slug a candidate could equal, the first free one picked here."""
    max_length = queryset.model._meta.get_field("slug").max_length
    base = articles.slugs.slug_base(title, max_length)
    query = articles.slugs.taken_slugs_query(base, max_length)
    taken = set(queryset.filter(query).values_list("slug", flat=True))
    return next(candidate for candidate in articles.slugs.slug_candidates(base, max_length) if candidate not in taken)


@dataclass(frozen=True)
class SlugShape:
    key: str
    label: str
    unique_slug: Callable[[models.QuerySet, str], str]


SLUG_SHAPES: tuple[SlugShape, ...] = (
    SlugShape("every_slug", "every colliding slug fetched (previous shape)", fetch_every_colliding_slug),
    SlugShape("one_row", "one row: base taken?, highest number (blogsite)", articles.slugs.unique_slug),
)


@contextmanager
def slugs_made_by(shape: SlugShape) -> Iterator[None]:
    """Article.save() as shipped, its retry included, with only the slug function swapped; always put back."""
    if articles.models.unique_slug is not articles.slugs.unique_slug:
        raise RuntimeError("articles.models no longer makes slugs with articles.slugs.unique_slug")
    articles.models.unique_slug = shape.unique_slug
    try:
        yield
    finally:
        articles.models.unique_slug = articles.slugs.unique_slug


def create_batch(world: World, titles: list[str]) -> float:
    started = time.perf_counter()
    for title in titles:
        Article.objects.create(**world.article_fields(title))
    return time.perf_counter() - started


def rows_of_the_slug_select(world: World, title: str) -> int:
    """Create one more article titled ``title``; run its slug SELECT (its first statement) again and count the rows."""
    executed: list[tuple[str, Any]] = []

    def record(execute: Callable[..., Any], sql: str, params: Any, many: bool, context: dict[str, Any]) -> Any:
        executed.append((sql, params))
        return execute(sql, params, many, context)

    with connection.execute_wrapper(record):
        Article.objects.create(**world.article_fields(title))
    sql, params = next((sql, params) for sql, params in executed if sql.startswith("SELECT"))
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        return len(cursor.fetchall())


def measure_slug_batches(world: World) -> list[dict[str, Any]]:
    """Per slug shape: seconds for BATCH_CREATES creates of distinct titles, then of one title, each deleted after."""
    results = []
    with Blogsite().active():
        for shape in SLUG_SHAPES:
            with slugs_made_by(shape):
                distinct, same, rows = [], [], []
                for repetition in range(BATCH_REPETITIONS):
                    tag = f"{shape.key} {repetition}"
                    titles = [f"Distinct {tag} {number}" for number in range(BATCH_CREATES)]
                    distinct.append(create_batch(world, titles))
                    Article.objects.filter(title__in=titles).delete()
                    title = f"Same title {tag}"
                    same.append(create_batch(world, [title] * BATCH_CREATES))
                    base = slugify(title, allow_unicode=True)
                    expected = {base, *(f"{base}-{number}" for number in range(2, BATCH_CREATES + 1))}
                    got = set(Article.objects.filter(title=title).values_list("slug", flat=True))
                    if got != expected:
                        raise AssertionError(f"{shape.key}: {BATCH_CREATES} creates of one title gave {sorted(got)}")
                    rows.append(rows_of_the_slug_select(world, title))
                    Article.objects.filter(title=title).delete()
            results.append({"key": shape.key, "label": shape.label, "distinct": distinct, "same": same, "rows": rows})
    require_exact_counters("slug batches")
    return results


# --------------------------------------------------------------------------
# Autosave: what one request of the article form's script costs the server
# --------------------------------------------------------------------------

# About 1,000 words: what each autosave request carries, the whole text every time.
AUTOSAVE_BODY = " ".join(
    f"Sentence {number} of an article being written, with a few more words." for number in range(90)
)
# static/js/autosave.js: at most one request per 10 s while typing goes on (3 s after the last keystroke).
AUTOSAVES_PER_MINUTE = 6


FORM_ENCODED = "application/x-www-form-urlencoded"


@dataclass(frozen=True)
class AutosaveRequest:
    key: str
    label: str
    # (world, article, tag) -> the URL, body and content type to POST; prepares the rows it needs, unmeasured.
    prepare: Callable[[World, Article, str], tuple[str, str, str]]
    status: int
    writes_article: bool


def prepare_edit_form_save(world: World, article: Article, tag: str) -> tuple[str, str, str]:
    # What the browser sends when the author presses Save (urlencoded; the form's multipart is a little larger).
    data = {
        "title": article.title,
        "slug": article.slug,
        "body": f"{AUTOSAVE_BODY} {tag}",
        "excerpt": "",
        "category": article.category_id,
        "status": article.status,
        "published_at": "",
        "version": article_version(article),
    }
    return reverse("article_edit", kwargs={"slug": article.slug}), urllib.parse.urlencode(data), FORM_ENCODED


def prepare_autosave(*, row_exists: bool) -> Callable[[World, Article, str], tuple[str, str, str]]:
    def prepare(world: World, article: Article, tag: str) -> tuple[str, str, str]:
        if row_exists:  # an earlier autosave of the article: the request every later one makes
            save_autosave(user=world.author.user, article=article, text=DraftText("", "", "earlier"), base_version="")
        text = {"title": article.title, "excerpt": "", "body": f"{AUTOSAVE_BODY} {tag}"}
        payload = json.dumps({**text, "version": article_version(article)})
        return reverse("autosave_article", kwargs={"slug": article.slug}), payload, "application/json"

    return prepare


AUTOSAVE_REQUESTS: tuple[AutosaveRequest, ...] = (
    AutosaveRequest("save", "save the edit form (baseline)", prepare_edit_form_save, 302, writes_article=True),
    AutosaveRequest("first", "autosave: the first (INSERT)", prepare_autosave(row_exists=False), 200, False),
    AutosaveRequest("next", "autosave: every later one (UPDATE)", prepare_autosave(row_exists=True), 200, False),
)


def posted(client: Client, url: str, body: str, content_type: str) -> tuple[Sample, Any]:
    """The statements and time of one POST, and its response."""
    responses = []
    sample = run_captured(lambda: responses.append(client.post(url, body, content_type=content_type)))
    return sample, responses[0]


def measure_autosave_requests(world: World, repetitions: int) -> list[dict[str, Any]]:
    """Each AUTOSAVE_REQUESTS through Django's test Client, signed in as the author: statements, time, bytes."""
    client = Client()
    client.force_login(world.author.user)
    results = []
    with Blogsite().active():
        for request in AUTOSAVE_REQUESTS:
            samples, sent, received = [], [], []
            for repetition in range(repetitions):
                tag = f"{request.key} {repetition}"
                article = Article.objects.create(**world.article_fields(f"Autosaved {tag}"))
                article = Article.objects.get(pk=article.pk)
                url, body, content_type = request.prepare(world, article, tag)
                stored, revisions = Article.objects.values().get(pk=article.pk), ArticleRevision.objects.count()
                sample, response = posted(client, url, body, content_type)
                samples.append(sample)
                if response.status_code != request.status:
                    raise AssertionError(f"{request.label}: {response.status_code}, not {request.status}")
                written = (
                    Article.objects.values().get(pk=article.pk) != stored,
                    ArticleRevision.objects.count() - revisions,
                )
                if written != ((True, 1) if request.writes_article else (False, 0)):
                    raise AssertionError(f"{request.label}: article row changed, revisions made: {written}")
                sent.append(len(body.encode()))
                received.append(len(response.content))
            results.append(
                {"key": request.key, "label": request.label, **summarise(samples), "sent": sent, "received": received}
            )
    require_exact_counters("autosave")
    return results


# --------------------------------------------------------------------------
# Measuring, in the child process
# --------------------------------------------------------------------------


@dataclass(frozen=True)
class Sample:
    statements: list[str]
    # Indexes into statements of those sent by on_commit callbacks, once COMMIT was done.
    after_commit: list[int]
    seconds: float


@contextmanager
def commit_hooks_marked(marked: set[int]) -> Iterator[None]:
    """Add to ``marked`` the query-log positions of the statements sent by on_commit callbacks.

    Django runs them in ``run_and_clear_commit_hooks`` once the outermost
    atomic block has committed; an instance attribute shadows the method.
    """
    wrapper = connections[DEFAULT_DB_ALIAS]
    run_hooks = wrapper.run_and_clear_commit_hooks

    def run_hooks_marked() -> None:
        start = len(wrapper.queries_log)
        try:
            run_hooks()
        finally:
            marked.update(range(start, len(wrapper.queries_log)))

    wrapper.run_and_clear_commit_hooks = run_hooks_marked
    try:
        yield
    finally:
        del wrapper.run_and_clear_commit_hooks


def run_captured(action: Action) -> Sample:
    # With DEBUG on, the query log is a bounded deque: once full, its length no
    # longer grows and CaptureQueriesContext would see nothing. Empty it first.
    reset_queries()
    marked: set[int] = set()
    with CaptureQueriesContext(connection) as captured, commit_hooks_marked(marked):
        started = time.perf_counter()
        action()
        seconds = time.perf_counter() - started
    after_commit = sorted(position - captured.initial_queries for position in marked)
    return Sample([query["sql"] for query in captured.captured_queries], after_commit, seconds)


TRANSACTION_CONTROL = {"BEGIN", "COMMIT", "ROLLBACK", "SAVEPOINT", "RELEASE", "ROLLBACK TO SAVEPOINT"}


def data_statements(statements: list[str]) -> list[str]:
    """The statements that read or write rows: transaction control left out."""
    return [statement for statement in statements if statement_kind(statement) not in TRANSACTION_CONTROL]


def summarise(samples: list[Sample]) -> dict[str, Any]:
    return {
        "counts": [len(sample.statements) for sample in samples],
        "data_counts": [len(data_statements(sample.statements)) for sample in samples],
        "after_commit_counts": [len(sample.after_commit) for sample in samples],
        "milliseconds": [sample.seconds * 1000 for sample in samples],
        "sql": samples[0].statements,
        "sql_after_commit": samples[0].after_commit,
    }


def require_exact_counters(what: str) -> None:
    # Every pass must keep the counters exact, or its figures compare nothing.
    drift = [str(drifted) for drifted in find_drift()]
    if drift:
        raise AssertionError(f"{what} left drifted counters: {drift}")


def measure_strategy(strategy: Strategy, world: World, repetitions: int) -> dict[str, dict[str, Any]]:
    results = {}
    with strategy.active():
        for index, operation in enumerate(OPERATIONS):
            samples = []
            for repetition in range(repetitions):
                action = operation.prepare(strategy, world, f"{strategy.name} {index} {repetition}")
                samples.append(run_captured(action))
            results[operation.label] = summarise(samples)
    require_exact_counters(strategy.name)
    return results


def deferred_jobs() -> int:
    # Only on PostgreSQL is procrastinate installed, and with it this model.
    from procrastinate.contrib.django.models import ProcrastinateJob

    return ProcrastinateJob.objects.count()


def measure_email_recordings(world: World, repetitions: int) -> list[dict[str, Any]]:
    """Blogsite's publish and comment with each EMAIL_RECORDINGS, checking the jobs each one leaves."""
    strategy = Blogsite()
    by_label: dict[str, dict[str, Any]] = {operation.label: {} for operation in EMAIL_OPERATIONS}
    with strategy.active():
        for recording in EMAIL_RECORDINGS:
            with recording.active():
                for index, operation in enumerate(EMAIL_OPERATIONS):
                    samples = []
                    for repetition in range(repetitions):
                        action = operation.prepare(strategy, world, f"email {recording.key} {index} {repetition}")
                        jobs_before = deferred_jobs()
                        samples.append(run_captured(action))
                        jobs = deferred_jobs() - jobs_before
                        if jobs != recording.jobs_per_write:
                            raise AssertionError(
                                f"{operation.label} with email {recording.key} deferred {jobs} jobs, "
                                f"expected {recording.jobs_per_write}"
                            )
                    by_label[operation.label][recording.key] = summarise(samples)
            require_exact_counters(f"email {recording.key}")
    return [{"label": label, **recordings} for label, recordings in by_label.items()]


def describe_database() -> dict[str, str]:
    if connection.vendor == "sqlite":
        import sqlite3

        return {"vendor": "sqlite", "label": f"SQLite {sqlite3.sqlite_version}"}
    with connection.cursor() as cursor:
        cursor.execute("SHOW server_version")
        version = cursor.fetchone()[0].split()[0]
    return {"vendor": connection.vendor, "label": f"PostgreSQL {version}"}


def measure_this_database(repetitions: int) -> dict[str, Any]:
    # procrastinate logs every job deferred at INFO: hundreds of lines here.
    logging.getLogger("procrastinate").setLevel(logging.WARNING)
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
        # Without a queue (SQLite) there is no job to defer: the task runs after COMMIT either way.
        "email": measure_email_recordings(world, repetitions) if queue_is_durable() else None,
        "revisions": measure_revision_costs(world, repetitions),
        "audit": measure_audit_costs(world, repetitions),
        "tags_and_replies": measure_tags_and_replies(world, repetitions),
        "slug_batches": measure_slug_batches(world),
        "autosave": measure_autosave_requests(world, repetitions),
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
    if verb == "SELECT" and "procrastinate_defer_jobs" in statement:
        return DEFER_JOB
    return verb


# procrastinate's defer, ``SELECT unnest(procrastinate_defer_jobs_v1(…))``: the INSERT of the job row.
DEFER_JOB = "SELECT defer job"
AFTER_COMMIT_MARK = "‖ after COMMIT:"


def statement_sequence(statements: list[str], after_commit: list[int]) -> str:
    """``BEGIN · SELECT ×3 · COMMIT ‖ after COMMIT: SELECT``: the kinds in order, runs folded."""
    runs: list[list[Any]] = []
    marked = set(after_commit)
    for position, statement in enumerate(statements):
        kind = statement_kind(statement)
        # The mark begins each stretch sent by on_commit callbacks (and keeps runs on its two sides apart).
        if position in marked and position - 1 not in marked:
            runs.append([AFTER_COMMIT_MARK, 1])
        if runs and runs[-1][0] == kind:
            runs[-1][1] += 1
        else:
            runs.append([kind, 1])
    text, previous = "", ""
    for kind, count in runs:
        cell = kind if count == 1 else f"{kind} ×{count}"
        separator = " " if AFTER_COMMIT_MARK in (kind, previous) else " · "
        text, previous = f"{text}{separator}{cell}" if text else cell, kind
    return text or "(none)"


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
            statement_sequence(operation["blogsite"]["sql"], operation["blogsite"]["sql_after_commit"]),
            statement_sequence(operation["naive"]["sql"], operation["naive"]["sql_after_commit"]),
        ]
        for operation in result["operations"]
    ]
    return markdown_table(headers, rows, right_aligned=set())


def difference_cell(values: list[int], baseline: list[int]) -> str:
    difference = median(values) - median(baseline)
    return f"{difference:+g}" if difference else "0"


def email_table(result: dict[str, Any]) -> str:
    """Per write and way of recording its email: statements in the transaction, after it, against the baseline."""
    headers = [
        "operation",
        "email recorded",
        "in the transaction",
        "after COMMIT",
        "total",
        "Δ in the transaction",
        "Δ after COMMIT",
        "Δ total",
        "total / previous",
        "ms",
        "statements, in order",
    ]
    rows = []
    for operation in result["email"]:
        baseline = operation[BASELINE_RECORDING]
        baseline_inside = in_transaction_counts(baseline)
        for recording in EMAIL_RECORDINGS:
            summary = operation[recording.key]
            inside = in_transaction_counts(summary)
            if recording.key == BASELINE_RECORDING:
                differences = ["—", "—", "—"]
            else:
                differences = [
                    difference_cell(inside, baseline_inside),
                    difference_cell(summary["after_commit_counts"], baseline["after_commit_counts"]),
                    difference_cell(summary["counts"], baseline["counts"]),
                ]
            rows.append(
                [
                    operation["label"],
                    recording.label,
                    count_cell(inside),
                    count_cell(summary["after_commit_counts"]),
                    count_cell(summary["counts"]),
                    *differences,
                    ratio_cell(summary["counts"], baseline["counts"]),
                    f"{median(summary['milliseconds']):.2f}",
                    statement_sequence(summary["sql"], summary["sql_after_commit"]),
                ]
            )
    return markdown_table(headers, rows, right_aligned=set(range(2, 10)))


def in_transaction_counts(summary: dict[str, Any]) -> list[int]:
    return [total - after for total, after in zip(summary["counts"], summary["after_commit_counts"], strict=True)]


def batch_ratio(shape: dict[str, Any]) -> float:
    return median(shape["same"]) / median(shape["distinct"])


def slug_batch_table(results: list[dict[str, Any]]) -> str:
    """Per database and slug shape: the two batches, their ratio, the rows the slug SELECT returned."""
    headers = [
        "database",
        "slug SELECT",
        f"{BATCH_CREATES:,} distinct titles, s",
        f"{BATCH_CREATES:,} creates of one title, s",
        "one title / distinct",
        f"rows of the slug SELECT, {BATCH_CREATES + 1:,} slugs taken",
    ]
    rows = [
        [
            result["database"]["label"],
            shape["label"],
            f"{median(shape['distinct']):.2f}",
            f"{median(shape['same']):.2f}",
            f"{batch_ratio(shape):.2f}",
            count_cell(shape["rows"]),
        ]
        for result in results
        for shape in result["slug_batches"]
    ]
    return markdown_table(headers, rows, right_aligned={2, 3, 4, 5})


def slug_batch_section(results: list[dict[str, Any]]) -> str:
    return "\n\n".join(
        [
            "### Creates of one title against distinct titles (the same run)",
            reflowed(SLUG_BATCH_EXPLANATION.format(creates=f"{BATCH_CREATES:,}", repetitions=BATCH_REPETITIONS)),
            slug_batch_table(results),
        ]
    )


def toggle_table(results: list[dict[str, Any]], key: str, modes: tuple[Toggle, ...], what: str) -> str:
    """Per database, write and mode: statements, time, and the difference the toggle makes."""
    headers = ["database", "operation", what, "statements", "Δ statements", "ms", "ms, on / off", "in order"]
    rows = []
    for result in results:
        for operation in result[key]:
            off = operation["off"]
            for mode in modes:
                summary = operation[mode.key]
                slower = median(summary["milliseconds"]) / median(off["milliseconds"])
                rows.append(
                    [
                        result["database"]["label"],
                        operation["label"],
                        mode.label,
                        count_cell(summary["counts"]),
                        "—" if mode.key == "off" else difference_cell(summary["counts"], off["counts"]),
                        f"{median(summary['milliseconds']):.2f}",
                        "—" if mode.key == "off" else f"{slower:.2f}",
                        statement_sequence(summary["sql"], summary["sql_after_commit"]),
                    ]
                )
    return markdown_table(headers, rows, right_aligned={3, 4, 5, 6})


def revision_table(results: list[dict[str, Any]]) -> str:
    return toggle_table(results, "revisions", HISTORY_MODES, "history")


def audit_table(results: list[dict[str, Any]]) -> str:
    return toggle_table(results, "audit", AUDIT_MODES, "audit log")


def revision_section(results: list[dict[str, Any]]) -> str:
    return "\n\n".join(
        [
            "### Revisions: what history costs per save (the same run)",
            reflowed(REVISION_EXPLANATION.format(repetitions=results[0]["repetitions"])),
            revision_table(results),
        ]
    )


def audit_section(results: list[dict[str, Any]]) -> str:
    return "\n\n".join(
        [
            "### Audit log: what an entry costs a status move (the same run)",
            reflowed(AUDIT_EXPLANATION.format(repetitions=results[0]["repetitions"])),
            audit_table(results),
        ]
    )


def autosave_table(results: list[dict[str, Any]]) -> str:
    """Per database: each autosave request against the edit form's save, then one minute of typing."""
    headers = ["database", "request", "statements", "rows", "ms", "ms / save", "bytes sent", "bytes back"]
    rows = []
    for result in results:
        requests = {request["key"]: request for request in result["autosave"]}
        baseline = median(requests["save"]["milliseconds"])
        for request in result["autosave"]:
            rows.append(
                [
                    result["database"]["label"],
                    request["label"],
                    count_cell(request["counts"]),
                    count_cell(request["data_counts"]),
                    f"{median(request['milliseconds']):.2f}",
                    "—" if request["key"] == "save" else f"{median(request['milliseconds']) / baseline:.2f}",
                    f"{median(request['sent']):,.0f}",
                    f"{median(request['received']):,.0f}",
                ]
            )
        later = requests["next"]
        rows.append(
            [
                result["database"]["label"],
                f"a minute of typing: {AUTOSAVES_PER_MINUTE} × every later one",
                f"{AUTOSAVES_PER_MINUTE * median(later['counts']):g}",
                f"{AUTOSAVES_PER_MINUTE * median(later['data_counts']):g}",
                f"{AUTOSAVES_PER_MINUTE * median(later['milliseconds']):.2f}",
                f"{AUTOSAVES_PER_MINUTE * median(later['milliseconds']) / baseline:.2f}",
                f"{AUTOSAVES_PER_MINUTE * median(later['sent']):,.0f}",
                f"{AUTOSAVES_PER_MINUTE * median(later['received']):,.0f}",
            ]
        )
    return markdown_table(headers, rows, right_aligned={2, 3, 4, 5, 6, 7})


def autosave_section(results: list[dict[str, Any]]) -> str:
    explanation = AUTOSAVE_EXPLANATION.format(
        repetitions=results[0]["repetitions"],
        characters=f"{len(AUTOSAVE_BODY):,}",
        per_minute=AUTOSAVES_PER_MINUTE,
    )
    return "\n\n".join(
        ["### Autosave: what a request costs (the same run)", reflowed(explanation), autosave_table(results)]
    )


def database_section(result: dict[str, Any], where: str) -> str:
    return "\n\n".join(
        [
            f"### {result['database']['label']} ({where})",
            counts_table(result),
            "Statements in order (first repetition; `×n` folds a run of n; "
            "`‖ after COMMIT:` begins what on_commit callbacks sent):",
            sequence_table(result),
        ]
    )


def email_section(result: dict[str, Any]) -> str:
    return "\n\n".join(
        [
            f"### The email of a write, three ways ({result['database']['label']}, the same run)",
            reflowed(EMAIL_EXPLANATION.format(repetitions=result["repetitions"])),
            email_table(result),
        ]
    )


EXPLANATION = """\
**What is counted.** Every statement that Django's `CaptureQueriesContext`
records on the connection from the start to the end of the operation:
SELECT, INSERT, UPDATE, DELETE, SAVEPOINT/RELEASE, and the transaction's BEGIN
and COMMIT, which Django 5.2 logs on both backends (SQLite runs `BEGIN`
through a cursor; on PostgreSQL, psycopg sends it before the first statement
and Django logs it and the COMMIT itself), then what the `on_commit` callbacks
send once COMMIT is done (after `‖ after COMMIT:` in the sequences). Both
strategies are counted the same way on both databases; a write that runs in
autocommit sends no BEGIN/COMMIT, and so counts none. The “rows” columns leave
transaction control (BEGIN, COMMIT, SAVEPOINT, RELEASE) out and count only the
statements that read or write rows: blogsite pays two statements per write for
being atomic, which the naive strategy saves by being wrong when a write fails
halfway. Not counted: the rows an operation needs (made beforehand; an edit
starts from a copy freshly loaded by primary key) and opening the connection.

**Email is counted** as each database records it, for both strategies. On
PostgreSQL the email of a publish or a comment is a procrastinate job, one
statement, `SELECT unnest(procrastinate_defer_jobs_v1(…))` (“SELECT defer job”
below); no worker runs here, so sending it is not counted. SQLite has no
queue: the task runs in the process once COMMIT is done, as in development
(the email goes to Django's locmem backend), and its statements are counted:
for a publish, reading the article and its followers (there are none here);
for a comment, reading the comment, then the idempotency ledger
(`blogsite.EmailDelivery`) read and written in a transaction of its own.
Statement counts are the figure; the milliseconds (median of {repetitions}
repetitions, capture overhead included, one machine) are only indicative.
After each pass every counter is checked against the rows it counts
(`articles.recount.find_drift`): all keep them exact in this single-process
run.

**blogsite** is the project as shipped: `Article.objects.create()`,
`articles.services.publish_article()`, `article.save()`, `article.delete()`,
`comments.services.add_comment()` and the `article_viewed` signal, with the
receivers of `articles/receivers.py`, `authors/receivers.py` and
`comments/receivers.py`: one SELECT for a slug however many collisions, each
save or delete in `transaction.atomic` with the stored row read under a row
lock (`select_for_update`, a no-op on SQLite), counters moved by F() updates,
and the email of a publish or a comment recorded with
`blogsite.effects.defer_effect` inside that transaction.

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
view is `article.view_count += 1; article.save()`; email is sent from inside
the save, where a tutorial calls `send_mail`: on PostgreSQL the job is
deferred right there, in a transaction of its own, and on SQLite the task
itself runs. No `transaction.atomic` anywhere: every statement commits alone.
It is correct only while one process writes at a time.

**Operations.** Creates are drafts with an empty slug; “N title collisions”
means N stored articles already hold `base`, `base-2`, … `base-N`, so the new
one gets `base-(N+1)` (checked), and “0 collisions” is the same as “create
draft”. The other operations start from an article created by the same
strategy: a draft for publish, a published one (in a category) for the rest.
“delete published with {comments} approved comments” is not in the issue's
list; it shows what a cascade costs.
"""

SLUG_BATCH_EXPLANATION = """\
**What a create pays for collisions.** {creates} drafts created one after
the other with `Article.objects.create()` (blogsite's `Article.save()`, its
retry on a lost race included), first with {creates} distinct titles, then
with one title, so the k-th create meets k − 1 collisions; each batch is
deleted before the next, and the same-title batch is checked to hold `base`,
`base-2`, … exactly. The slug function is swapped for a pass: **every
colliding slug fetched** is the shape before, one SELECT returning every slug
a candidate could equal (k − 1 rows) and the first free one picked in Python;
**one row** is `articles.slugs.unique_slug` now, one aggregate SELECT
answering whether `base` is taken and the highest number after it. Seconds
are the median of {repetitions} batches (the query log of DEBUG included, as
in the tables above); the last column counts the rows that the slug SELECT of
one more create returns when run again right after it.
"""

REVISION_EXPLANATION = """\
**What keeping every article's history costs a save.** Blogsite's own
create, edit, move and publish from the tables above, measured again with
django-simple-history turned off (`SIMPLE_HISTORY_ENABLED = False`, the
project before issue 11) and on, as shipped (`articles/revision_records.py`).
Each save is checked to leave the revisions it should: one for a create, an
edit and a move, none for a publish, which is a status move and keeps no
revision. The revision is one INSERT inside the save's transaction; deciding
whether the save changed the content costs no statement (the content columns
come with the stored row the receivers already read under lock).
Milliseconds are the median of {repetitions} repetitions.
"""

AUDIT_EXPLANATION = """\
**What the audit log costs a status move.** Blogsite's publish, delete and
edit from the tables above, measured again with the audit log's receivers
disconnected (the project before it) and connected, as shipped
(`audit/receivers.py`). Each write is checked to leave the entries it should:
one for a publish and for a delete, none for an edit of the text. The entry is
one INSERT inside the write's transaction, made from the stored row the
counter receivers already read under lock: "before" costs no statement, and a
stale copy publishing an article already published records nothing. A delete
of many articles at once (an account deleted with its articles) writes all its
entries in one INSERT. A delete also empties the link of the article's earlier
entries (the UPDATE after the first DELETE): the link is in the schema, so
that statement is in both rows and not in the difference.
Milliseconds are the median of {repetitions} repetitions.
"""

AUTOSAVE_EXPLANATION = """\
**What the article form's autosave costs the server.** Each request goes
through Django's test Client, signed in as the author, with every middleware
(the session and user reads included), and carries a body of {characters}
characters (about 1,000 words), the whole text as every autosave sends it.
The baseline is what the author's Save costs: the edit form posted with the
same body (its revision, its Markdown rendering, the redirect).
**the first** autosave of an article inserts its row (an UPDATE finding none,
then the INSERT in a transaction of its own); **every later one** is a single
UPDATE after the session, the user, and the article with its author (who may
edit it). Each autosave is checked to leave the article's row and its revisions
as they were. “rows” leaves transaction control out; bytes are the request
and response bodies (HTTP headers and cookies, a few hundred bytes more, are
not counted). static/js/autosave.js sends 3 s after the last keystroke and at
most every 10 s while typing goes on, and nothing while the text is unchanged:
at most {per_minute} requests per minute of typing, the last row.
Milliseconds are the median of {repetitions} repetitions.
"""

EMAIL_EXPLANATION = """\
**What recording the email in the transaction costs, and what it buys.** The
publish and the comment above, measured again in the same run, on the same
database, by blogsite's own services and receivers, with one call changed:
the `defer_effect` that `authors/receivers.py` and `comments/receivers.py`
call to record the email (swapped for the pass and put back).
**none** discards the email (`blogsite.effects.effects_discarded()`): the write
alone. **job deferred after COMMIT (previous shape)** is what blogsite did
until procrastinate, when django-tasks enqueued the email from process memory
in a `transaction.on_commit` callback; here it is
`transaction.on_commit(lambda: task.defer(…))` on the same engine, so the job's
INSERT runs alone, in autocommit, once the write has committed. **job deferred
in the transaction (blogsite)** is the project now: `task.defer(…)` on
Django's connection before COMMIT. Each write is checked to leave exactly the
jobs it should in `procrastinate_jobs` (0, 1 and 1). “in the transaction”
counts the statements up to and including COMMIT, “after COMMIT” those the
`on_commit` callbacks sent; the Δ columns and “total / previous” are against
the previous shape; milliseconds are the median of {repetitions} repetitions.

Blogsite pays +1 statement before COMMIT and one fewer after it: the
statement moves into the transaction, the total does not change. What the
move buys: the job commits with the publication or the comment, or neither
commits, so the email survives a crash right after COMMIT (a deploy's
restart, the OOM killer, a lost connection) and a worker sends it later; in
the previous shape that crash leaves the write committed and its email lost,
silently. What it costs: the statement runs while the transaction holds its
row locks (the article and the author's and category's counter rows for a
publish, the article's counter row for a comment), one round trip longer;
and a failure to defer rolls the write back instead of letting it commit
without its email.
"""


def writes_section(
    sqlite: dict[str, Any], postgres: dict[str, Any] | None, postgres_problem: str, argv: list[str]
) -> str:
    today = datetime.datetime.now(datetime.UTC).date().isoformat()
    made_by = (
        f"Made by `{command_line(__file__, argv)}` (what `make bench` runs) on {today}, "
        f"Python {platform.python_version()}, Django {django.get_version()}."
    )
    explanation = reflowed(EXPLANATION.format(repetitions=sqlite["repetitions"], comments=COMMENTS_ON_DELETED_ARTICLE))
    if postgres is not None:
        postgres_part = database_section(postgres, "a throwaway database, dropped afterwards")
        if postgres["email"] is not None:
            postgres_part += "\n\n" + email_section(postgres)
    else:
        postgres_part = f"### PostgreSQL\n\nNot measured: {postgres_problem}"
    measured = [result for result in (sqlite, postgres) if result is not None]
    parts = [
        SECTION_START,
        "## Writes: SQL statements per operation",
        made_by,
        explanation,
        database_section(sqlite, "a temporary file database"),
        postgres_part,
        revision_section(measured),
        audit_section(measured),
        tag_and_reply_section(measured),
        autosave_section(measured),
        slug_batch_section(measured),
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
            if result["email"] is not None:
                print(f"\n{result['database']['label']}: the email of a write, three ways\n")
                print(email_table(result))
            if args.show_sql:
                print_sql(result)
    print("\nRevisions: what history costs per save\n")
    print(revision_table([result for result in (sqlite, postgres) if result is not None]))
    print("\nTags and replies: statements per write\n")
    print(tag_and_reply_table([result for result in (sqlite, postgres) if result is not None]))
    print("\nAudit log: what an entry costs a status move\n")
    print(audit_table([result for result in (sqlite, postgres) if result is not None]))
    print("\nAutosave: what a request costs\n")
    print(autosave_table([result for result in (sqlite, postgres) if result is not None]))
    print("\nCreates of one title against distinct titles\n")
    print(slug_batch_table([result for result in (sqlite, postgres) if result is not None]))
    if postgres is None:
        print(f"\n{postgres_problem}\nOnly the SQLite table is written.")
    write_section(__file__, writes_section(sqlite, postgres, postgres_problem, argv), header=DOC_HEADER)
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
