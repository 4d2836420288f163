"""Counters, slugs and scheduled publication with several processes at once.

SQLite serialises writers, so only PostgreSQL can show what goes wrong when
processes really overlap: a counter judged against a copy loaded before
another process changed the row, two transactions locking counter rows in
opposite orders (deadlock), two ``publish_due`` runs publishing the same
article, two creates picking the same slug.

Each test forks worker processes that wait on one barrier and then write the
same few rows at once; the parent then compares every counter with a fresh
aggregate. Any exception in a worker fails the test — deadlocks,
serialization failures and IntegrityErrors included — and so does any
error a worker logs (``send_robust`` and robust ``on_commit`` callbacks log
failures instead of raising). Nothing is retried here: a retry would hide
exactly the bugs this file looks for.

The mixed workload draws a new seed per run (printed on failure); set
CONCURRENCY_SEED to replay a run's sequence of operations.
"""

from __future__ import annotations

import contextlib
import datetime
import logging
import multiprocessing
import os
import queue
import random
import time
import traceback
from collections import Counter
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from functools import partial
from multiprocessing.synchronize import Barrier
from typing import Any

import pytest
from django.contrib.auth import get_user_model
from django.db import connections, transaction
from django.db.models import Count
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from articles.forms import STALE_MESSAGE, ArticleForm, StaleArticleError, article_version
from articles.models import Article, ArticleRevision, ArticleTag, Category, Tag
from articles.recount import find_drift
from articles.revisions import restore_revision
from articles.services import publish_article, publish_due_articles
from articles.signals import article_published, article_unpublished
from authors.models import Author
from comments.models import Comment
from comments.services import add_comment, approve_comment, reject_comment
from tests.conftest import assert_audit_log_follows_every_status, assert_latest_revisions_hold_the_content
from tests.factories import ArticleFactory, CategoryFactory, CommentFactory, UserFactory, make_author

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]

# fork: children inherit Django's set-up and pytest-django's test DATABASES,
# so they connect to the test database without any configuration.
FORK = multiprocessing.get_context("fork")
# A worker stuck longer than this on a lock is reported as hung: PostgreSQL
# breaks real deadlocks after deadlock_timeout (1 s), so only a lock left
# held by a leaked transaction could wait this long.
WORKER_TIMEOUT = 120.0
BARRIER_TIMEOUT = 60.0

MIXED_WORKERS = 4
MIXED_OPS_PER_WORKER = 80
RACE_TITLE = "Everybody writes this title"
# Comments with this body may be deleted by any worker; the others never are,
# so a stale copy of one can always be saved again.
DISPOSABLE = "disposable:"

LOGGERS_THAT_SWALLOW_ERRORS = ("django.dispatch", "django.db.backends.base", "blogsite.effects")
# Passwords are irrelevant here; hashing them would only slow the set-up.
NO_PASSWORD = "!"


# --- Running workers in forked processes ------------------------------------


@dataclass(frozen=True)
class WorkerReport:
    index: int
    error: str | None  # a formatted traceback, or errors the worker logged
    result: Any


class _ErrorLogCollector(logging.Handler):
    """Keeps what a worker logs at ERROR: failures that robust callbacks swallow."""

    def __init__(self) -> None:
        super().__init__(level=logging.ERROR)
        self.messages: list[str] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.messages.append(logging.Formatter("%(name)s: %(message)s").format(record))


def collect_error_logs() -> _ErrorLogCollector:
    collector = _ErrorLogCollector()
    for name in ("", *LOGGERS_THAT_SWALLOW_ERRORS):
        logging.getLogger(name).addHandler(collector)
    return collector


def _child_main(target: Callable[[int, Barrier], Any], index: int, barrier: Barrier, reports: Any) -> None:
    # The parent closed its connections before forking, so this closes
    # nothing shared: it only makes sure this process opens its own.
    connections.close_all()
    logged = collect_error_logs()
    try:
        result = target(index, barrier)
        error = "\n".join(logged.messages) or None
        reports.put((index, error, result))
    except BaseException:
        # Workers still waiting at the barrier must not wait for this one.
        barrier.abort()
        logs = "\n".join(logged.messages)
        reports.put((index, traceback.format_exc() + (f"\nLogged:\n{logs}" if logs else ""), None))
    finally:
        connections.close_all()


def run_in_processes(target: Callable[[int, Barrier], Any], count: int) -> list[WorkerReport]:
    """Run ``target(index, barrier)`` in ``count`` forked processes; every one reports back."""
    # A child must never inherit an open connection: two processes talking
    # over one socket corrupt the session of both.
    connections.close_all()
    barrier = FORK.Barrier(count)
    reports = FORK.Queue()
    processes = [
        FORK.Process(target=_child_main, args=(target, index, barrier, reports), name=f"worker-{index}")
        for index in range(count)
    ]
    for process in processes:
        process.start()
    received = _receive_reports(reports, processes)
    for process in processes:
        process.join(timeout=10)
        if process.is_alive():
            process.terminate()
            process.join()
    return [
        received.get(index)
        or WorkerReport(
            index, f"no report within {WORKER_TIMEOUT:.0f}s (exit code {process.exitcode}): hung or crashed", None
        )
        for index, process in enumerate(processes)
    ]


def _receive_reports(reports: Any, processes: Sequence[Any]) -> dict[int, WorkerReport]:
    # Drained before join(): a child cannot exit while its report is still
    # in the pipe.
    received: dict[int, WorkerReport] = {}
    deadline = time.monotonic() + WORKER_TIMEOUT
    while len(received) < len(processes) and time.monotonic() < deadline:
        try:
            index, error, result = reports.get(timeout=1)
        except queue.Empty:
            if not any(process.is_alive() for process in processes):
                break  # every child is gone; the missing ones died without a word
            continue
        received[index] = WorkerReport(index, error, result)
    return received


def assert_workers_succeeded(reports: Iterable[WorkerReport], context: str = "") -> None:
    errors = [f"--- worker {report.index} ---\n{report.error}" for report in reports if report.error]
    assert not errors, f"{context}\n" + "\n".join(errors)


# --- What the workers saw, and what the database says afterwards ------------


def record_publication_events() -> Counter[tuple[str, int]]:
    """Count, in this process, the article_published/unpublished signals per article."""
    seen: Counter[tuple[str, int]] = Counter()

    def on_published(sender: type[Article], article: Article, **kwargs: Any) -> None:
        seen["published", article.pk] += 1

    def on_unpublished(sender: type[Article], article: Article, **kwargs: Any) -> None:
        seen["unpublished", article.pk] += 1

    article_published.connect(on_published, sender=Article, weak=False, dispatch_uid="test.count_published")
    article_unpublished.connect(on_unpublished, sender=Article, weak=False, dispatch_uid="test.count_unpublished")
    return seen


def published_ids() -> set[int]:
    return set(Article._base_manager.filter(status=Article.Status.PUBLISHED).values_list("pk", flat=True))


def assert_no_counter_drift(context: str = "") -> None:
    drift = [str(d) for d in find_drift()]
    assert drift == [], f"{context}\n" + "\n".join(drift)


def assert_slugs_unique_and_present() -> None:
    duplicates = list(
        Article._base_manager.order_by().values("slug").annotate(n=Count("pk")).filter(n__gt=1).values_list("slug", "n")
    )
    assert duplicates == [], f"duplicate slugs: {duplicates}"
    assert not Article._base_manager.filter(slug="").exists(), "an article was saved without a slug"


def first_slugs(base: str, count: int) -> list[str]:
    """What ``count`` articles with one title must end up with: base, base-2, … base-<count>."""
    return [base] + [f"{base}-{number}" for number in range(2, count + 1)]


def assert_events_match_transitions(
    events: Counter[tuple[str, int]], published_before: set[int], article_ids: Iterable[int]
) -> None:
    """Every transition into and out of published was announced once.

    Signals of one article alternate (in, out, in, …), so whatever the order
    the processes sent them in, ins minus outs must equal where the article
    ended minus where it started.
    """
    published_after = published_ids()
    wrong = []
    for pk in article_ids:
        announced = events["published", pk] - events["unpublished", pk]
        actual = (pk in published_after) - (pk in published_before)
        if announced != actual:
            wrong.append(
                f"article {pk}: {events['published', pk]} published / {events['unpublished', pk]} unpublished"
                f" signals, but it went from published={pk in published_before} to {pk in published_after}"
            )
    assert wrong == [], "\n".join(wrong)


def sum_counters(counters: Iterable[Counter]) -> Counter:
    total: Counter = Counter()
    for counter in counters:
        total.update(counter)
    return total


# --- The mixed workload ------------------------------------------------------


@dataclass(frozen=True)
class Scene:
    """The rows the workers fight over, by primary key: each process loads its own copies."""

    author_ids: tuple[int, int]
    category_ids: tuple[int, int]
    article_ids: tuple[int, ...]  # shared by every kind of operation
    due_ids: tuple[int, ...]  # scheduled and due: only publish_due touches them
    due_times: dict[int, datetime.datetime]
    reader_ids: tuple[int, ...]  # signed-in commenters, approved at once
    tag_ids: tuple[int, ...]  # few, so that taggings collide
    seed: int


def build_scene(seed: int) -> Scene:
    authors = [make_author(username=f"writer{n}", password=NO_PASSWORD) for n in range(2)]
    categories = [CategoryFactory(name=f"Contended {n}") for n in range(2)]
    readers = [make_author(username=f"reader{n}", password=NO_PASSWORD).user for n in range(2)]
    statuses = ["published", "published", "draft", "archived", "published", "scheduled"]
    shared = []
    for n, status in enumerate(statuses):
        article = ArticleFactory(
            title=f"Shared {n}",
            author=authors[n % 2],
            category=categories[n % 2] if n < 5 else None,
            status=status,
            published_at=timezone.now() + datetime.timedelta(hours=1) if status == "scheduled" else None,
        )
        CommentFactory(article=article, status=Comment.Status.APPROVED)
        CommentFactory(article=article, status=Comment.Status.PENDING)
        shared.append(article)
    # Due in the past, on the same authors and categories as the shared
    # articles: publish_due's counter updates contend with every other op.
    due = [
        ArticleFactory(
            title=f"Due {n}",
            author=authors[n % 2],
            category=categories[(n // 2) % 2],
            status=Article.Status.SCHEDULED,
            published_at=timezone.now() - datetime.timedelta(minutes=n + 1),
        )
        for n in range(20)
    ]
    tags = [Tag.objects.create(name=f"Contended tag {n}", slug=f"contended-tag-{n}") for n in range(3)]
    for n, article in enumerate([*shared, *due]):
        article.tags.add(*tags[: n % 3 + 1])  # the due ones too: publish_due moves tag counts
    return Scene(
        author_ids=(authors[0].pk, authors[1].pk),
        category_ids=(categories[0].pk, categories[1].pk),
        article_ids=tuple(a.pk for a in shared),
        due_ids=tuple(a.pk for a in due),
        due_times={a.pk: a.published_at for a in due},
        reader_ids=tuple(r.pk for r in readers),
        tag_ids=tuple(tag.pk for tag in tags),
        seed=seed,
    )


@dataclass
class MixedWorker:
    index: int
    scene: Scene
    rng: random.Random
    created_ids: list[int] = field(default_factory=list)
    published_by_publish_due: list[int] = field(default_factory=list)
    stale_articles: list[Article] = field(default_factory=list)
    stale_comments: list[Comment] = field(default_factory=list)
    ops_done: Counter[str] = field(default_factory=Counter)

    # Choosing rows: always among the few shared ones, so workers collide.

    def article_pool(self) -> list[int]:
        return [*self.scene.article_ids, *self.created_ids]

    def article_id(self) -> int:
        return self.rng.choice(self.article_pool())

    def fresh_article(self) -> Article:
        return Article.objects.get(pk=self.article_id())

    def category_id(self, allow_none: bool = True) -> int | None:
        choices: list[int | None] = [*self.scene.category_ids, *([None] if allow_none else [])]
        return self.rng.choice(choices)

    def author_id(self) -> int:
        return self.rng.choice(self.scene.author_ids)

    def status(self) -> str:
        return self.rng.choice(Article.Status.values)

    def set_status(self, article: Article, status: str) -> None:
        article.status = status
        if status == Article.Status.SCHEDULED:
            # Half of them already due: publish_due may pick them up mid-run.
            article.published_at = timezone.now() + datetime.timedelta(minutes=self.rng.choice([-20, -1, 1, 20]))

    def comment_id(self, *, disposable: bool | None = None) -> int | None:
        comments = Comment.objects.filter(article_id__in=self.article_pool())
        if disposable is True:
            comments = comments.filter(body__startswith=DISPOSABLE)
        elif disposable is False:
            comments = comments.exclude(body__startswith=DISPOSABLE)
        return comments.order_by("?").values_list("pk", flat=True).first()

    def reader(self) -> Any:
        return get_user_model().objects.get(pk=self.rng.choice(self.scene.reader_ids))


def other_of(pair: tuple[int, int], current: int | None) -> int:
    return pair[1] if current == pair[0] else pair[0]


# Status changes: the transition is judged against the stored row, whatever the copy says.


def op_change_status_full_save(w: MixedWorker) -> None:
    article = w.fresh_article()
    w.set_status(article, w.status())
    article.save()


def op_change_status_update_fields(w: MixedWorker) -> None:
    article = w.fresh_article()
    w.set_status(article, w.status())
    article.save(update_fields=["status"])


def op_publish_by_hand(w: MixedWorker) -> None:
    publish_article(w.fresh_article())


# Moves. Two workers toggling articles between the same two categories (or
# authors) move them in opposite directions at once: the counter rows are
# locked in primary-key order, so these must never deadlock.


def op_toggle_category_locked(w: MixedWorker) -> None:
    with transaction.atomic():
        article = Article.objects.select_for_update().get(pk=w.article_id())
        article.category_id = other_of(w.scene.category_ids, article.category_id)
        article.save(update_fields=["category"]) if w.rng.random() < 0.5 else article.save()


def op_toggle_author_locked(w: MixedWorker) -> None:
    with transaction.atomic():
        article = Article.objects.select_for_update().get(pk=w.article_id())
        article.author_id = other_of(w.scene.author_ids, article.author_id)
        article.save(update_fields=["author"]) if w.rng.random() < 0.5 else article.save()


def op_move_unlocked(w: MixedWorker) -> None:
    # The copy may be stale by the time it is saved: the move must be
    # counted from the category and author stored at that moment.
    article = w.fresh_article()
    article.category_id = w.category_id()
    article.author_id = w.author_id()
    article.save(update_fields=["category", "author"]) if w.rng.random() < 0.5 else article.save()


def op_move_and_unpublish(w: MixedWorker) -> None:
    # One save leaves the old category and author and stops being counted:
    # the old rows lose one, the new ones gain nothing.
    article = w.fresh_article()
    article.category_id = other_of(w.scene.category_ids, article.category_id)
    article.author_id = w.author_id()
    article.status = w.rng.choice([Article.Status.DRAFT, Article.Status.ARCHIVED])
    article.save()


def op_move_and_publish(w: MixedWorker) -> None:
    article = w.fresh_article()
    article.category_id = w.category_id()
    article.author_id = other_of(w.scene.author_ids, article.author_id)
    article.status = Article.Status.PUBLISHED
    article.save(update_fields=["category", "author", "status"])


# Stale copies: loaded now, saved several operations later, after other
# workers have changed the row (the "form left open for a minute" case).


def op_stash_stale_article(w: MixedWorker) -> None:
    w.stale_articles.append(w.fresh_article())


def op_save_stale_article(w: MixedWorker) -> None:
    if not w.stale_articles:
        return op_stash_stale_article(w)
    article = w.stale_articles.pop(w.rng.randrange(len(w.stale_articles)))
    changed = w.rng.sample(["status", "category", "author", "title"], k=w.rng.randint(1, 3))
    if "status" in changed:
        w.set_status(article, w.status())
    if "category" in changed:
        article.category_id = w.category_id()
    if "author" in changed:
        article.author_id = w.author_id()
    if "title" in changed:
        article.title = f"{article.title} (edited by worker {w.index})"[:200]
    article.save() if w.rng.random() < 0.5 else article.save(update_fields=changed)


# Creates: every worker uses the same title, so they race for the same slug.


def op_create_same_title(w: MixedWorker) -> None:
    article = Article(
        title=RACE_TITLE, body="Racing.", author_id=w.author_id(), category_id=w.category_id(), status=w.status()
    )
    w.set_status(article, article.status)
    article.save()
    w.created_ids.append(article.pk)


# Comments: added, moderated, moved and deleted while their articles move.


def op_add_signed_in_comment(w: MixedWorker) -> None:
    add_comment(article=w.fresh_article(), body="Approved at once.", user=w.reader())


def op_add_guest_comment(w: MixedWorker) -> None:
    add_comment(article=w.fresh_article(), body="Waits for moderation.", name="Guest", email="guest@example.com")


def op_create_comment_directly(w: MixedWorker) -> None:
    Comment.objects.create(
        article_id=w.article_id(),
        name="Direct",
        email="direct@example.com",
        body=f"{DISPOSABLE} from worker {w.index}" if w.rng.random() < 0.5 else "Kept.",
        status=w.rng.choice(Comment.Status.values),
    )


def moderate(w: MixedWorker, comment: Comment) -> None:
    (approve_comment if w.rng.random() < 0.6 else reject_comment)(comment)


def op_moderate_comment(w: MixedWorker) -> None:
    # Unlocked: two workers approving the same comment at once must count it
    # once, because the second is judged against the row the first stored.
    pk = w.comment_id(disposable=False)
    if pk is not None:
        moderate(w, Comment.objects.get(pk=pk))


def op_moderate_comment_locked(w: MixedWorker) -> None:
    pk = w.comment_id()
    with transaction.atomic():
        comment = Comment.objects.select_for_update().filter(pk=pk).first()
        if comment is not None:  # None: another worker deleted it meanwhile
            moderate(w, comment)


def op_stash_stale_comment(w: MixedWorker) -> None:
    pk = w.comment_id(disposable=False)
    if pk is not None:
        w.stale_comments.append(Comment.objects.get(pk=pk))


def op_moderate_stale_comment(w: MixedWorker) -> None:
    if not w.stale_comments:
        return op_stash_stale_comment(w)
    moderate(w, w.stale_comments.pop(w.rng.randrange(len(w.stale_comments))))


def op_move_comment_locked(w: MixedWorker) -> None:
    # The old and new article counters are updated in pk order: two comments
    # moved X->Y and Y->X at once must not deadlock.
    pk = w.comment_id()
    with transaction.atomic():
        comment = Comment.objects.select_for_update().filter(pk=pk).first()
        if comment is not None:
            comment.article_id = w.article_id()
            comment.save(update_fields=["article"])


def op_delete_comment(w: MixedWorker) -> None:
    # Possibly approved by another worker since it was loaded, or deleted by
    # one: the delete counts what is stored, once.
    pk = w.comment_id(disposable=True)
    comment = Comment.objects.filter(pk=pk).first()
    if comment is not None:
        comment.delete()


def op_restore_revision(w: MixedWorker) -> None:
    # Opened on the article as it is now; refused, as a stale page, if another
    # worker saved it before the restore took the row lock.
    # The counters and the revisions are checked once every worker is done.
    article = w.fresh_article()
    revisions = list(ArticleRevision.objects.filter(id=article.pk).order_by("history_id"))
    with contextlib.suppress(StaleArticleError):
        restore_revision(article, w.rng.choice(revisions), version=article_version(article))


# Tags: links made and removed from both sides while others publish and unpublish their articles.


def op_tag_article(w: MixedWorker) -> None:
    w.fresh_article().tags.add(*w.rng.sample(w.scene.tag_ids, w.rng.randint(1, 2)))


def op_tag_from_the_tag(w: MixedWorker) -> None:
    Tag.objects.get(pk=w.rng.choice(w.scene.tag_ids)).articles.add(*w.rng.sample(w.article_pool(), 2))


def op_set_tags(w: MixedWorker) -> None:
    w.fresh_article().tags.set(w.rng.sample(w.scene.tag_ids, w.rng.randint(0, 3)))


def op_untag_article(w: MixedWorker) -> None:
    article = w.fresh_article()
    if w.rng.random() < 0.5:
        article.tags.remove(w.rng.choice(w.scene.tag_ids))
    else:
        article.tags.clear()


def op_untag_from_the_tag(w: MixedWorker) -> None:
    # A QuerySet delete of links across several articles.
    ArticleTag.objects.filter(
        tag_id=w.rng.choice(w.scene.tag_ids), article_id__in=w.rng.sample(w.article_pool(), 3)
    ).delete()


def write_form_data(article: Article, *, status: str, category: int | str = "", tags: str = "") -> dict[str, Any]:
    """What the write form sends for ``article`` as stored, with a status, category and tags of the test's choosing."""
    return {
        "title": article.title,
        "slug": article.slug,
        "body": article.body,
        "excerpt": "",
        "meta_description": "",
        "category": category,
        "status": status,
        "published_at": "",
        "tags": tags,
        "version": article_version(article),
    }


def op_save_through_the_form(w: MixedWorker) -> None:
    # The write form: status, category and tags in one save, the tags by name.
    article = w.fresh_article()
    names = Tag.objects.filter(pk__in=w.rng.sample(w.scene.tag_ids, w.rng.randint(0, 3))).values_list("name", flat=True)
    status = w.rng.choice([Article.Status.DRAFT, Article.Status.PUBLISHED, Article.Status.ARCHIVED])
    data = write_form_data(article, status=status, category=w.category_id() or "", tags=", ".join(names))
    form = ArticleForm(data, instance=article)
    if not form.is_valid():
        # Only another worker's write since the read above may refuse it.
        assert form.non_field_errors() == [STALE_MESSAGE], form.errors
        return
    with contextlib.suppress(StaleArticleError):
        form.save()


def op_publish_due(w: MixedWorker) -> None:
    w.published_by_publish_due.extend(article.pk for article in publish_due_articles())


MIXED_OPS: list[tuple[Callable[[MixedWorker], None], int]] = [
    (op_change_status_full_save, 6),
    (op_change_status_update_fields, 6),
    (op_publish_by_hand, 3),
    (op_toggle_category_locked, 6),
    (op_toggle_author_locked, 5),
    (op_move_unlocked, 5),
    (op_move_and_unpublish, 4),
    (op_move_and_publish, 4),
    (op_stash_stale_article, 4),
    (op_save_stale_article, 5),
    (op_create_same_title, 4),
    (op_add_signed_in_comment, 4),
    (op_add_guest_comment, 3),
    (op_create_comment_directly, 4),
    (op_moderate_comment, 5),
    (op_moderate_comment_locked, 3),
    (op_stash_stale_comment, 2),
    (op_moderate_stale_comment, 3),
    (op_move_comment_locked, 3),
    (op_delete_comment, 3),
    (op_publish_due, 2),
    (op_restore_revision, 5),
    (op_tag_article, 4),
    (op_tag_from_the_tag, 3),
    (op_set_tags, 3),
    (op_untag_article, 3),
    (op_untag_from_the_tag, 2),
    (op_save_through_the_form, 4),
]


def run_op(w: MixedWorker, op: Callable[[MixedWorker], None], number: int) -> None:
    try:
        op(w)
    except Exception as error:
        error.add_note(f"worker {w.index}, operation #{number} {op.__name__}, seed {w.scene.seed}")
        raise
    w.ops_done[op.__name__] += 1


def run_mixed_worker(scene: Scene, index: int, barrier: Barrier) -> dict[str, Any]:
    worker = MixedWorker(index, scene, random.Random(scene.seed * 1000 + index))
    events = record_publication_events()
    operations, weights = zip(*MIXED_OPS, strict=True)
    barrier.wait(timeout=BARRIER_TIMEOUT)
    # The first move of each worker is fixed so the races certainly happen:
    # two publish_due runs over the same due articles, the others creating
    # the same title at the same moment.
    run_op(worker, op_publish_due if index < 2 else op_create_same_title, 0)
    for number in range(1, MIXED_OPS_PER_WORKER + 1):
        run_op(worker, worker.rng.choices(operations, weights)[0], number)
    return {
        "created": worker.created_ids,
        "published_by_publish_due": worker.published_by_publish_due,
        "events": events,
        "ops": worker.ops_done,
    }


def mixed_seed() -> int:
    return int(os.environ.get("CONCURRENCY_SEED") or random.randrange(1, 2**31))


def test_mixed_writes_from_several_processes_keep_counters_exact(on_postgres: None) -> None:
    scene = build_scene(mixed_seed())
    published_before = published_ids()
    started = time.monotonic()

    reports = run_in_processes(partial(run_mixed_worker, scene), MIXED_WORKERS)

    context = f"seed {scene.seed} (rerun with CONCURRENCY_SEED={scene.seed})"
    assert_workers_succeeded(reports, context)
    results = [report.result for report in reports]
    print(f"{context}: {time.monotonic() - started:.1f}s, ops {dict(sum_counters(r['ops'] for r in results))}")
    assert_no_counter_drift(context)
    assert_slugs_unique_and_present()
    assert_latest_revisions_hold_the_content()
    assert_audit_log_follows_every_status()

    created = [pk for r in results for pk in r["created"]]
    # By pk, not by title: a stale-copy save may have retitled one since (its slug stays).
    race_slugs = sorted(Article.objects.filter(pk__in=created).values_list("slug", flat=True))
    assert len(race_slugs) == len(created)
    # Each create took the first free slug it saw, and nothing is deleted:
    # the slugs taken are exactly the first ones, with no gap.
    assert race_slugs == sorted(first_slugs("everybody-writes-this-title", len(created)))

    # The due articles are touched by publish_due only: each was published
    # by exactly one run, with its planned date kept.
    publishers = Counter(pk for r in results for pk in r["published_by_publish_due"] if pk in scene.due_times)
    assert publishers == Counter(scene.due_ids), f"{context}: publish_due runs published {publishers}"
    due = Article.objects.filter(pk__in=scene.due_ids)
    assert {a.pk: (a.status, a.published_at) for a in due} == {
        pk: (Article.Status.PUBLISHED, planned) for pk, planned in scene.due_times.items()
    }

    events = sum_counters(r["events"] for r in results)
    for pk in scene.due_ids:
        assert (events["published", pk], events["unpublished", pk]) == (1, 0), f"due article {pk}"
    assert_events_match_transitions(events, published_before, [*scene.article_ids, *scene.due_ids, *created])


# --- Two publish_due runs at once --------------------------------------------


def run_publish_due(index: int, barrier: Barrier) -> dict[str, Any]:
    events = record_publication_events()
    barrier.wait(timeout=BARRIER_TIMEOUT)
    return {"published": [article.pk for article in publish_due_articles()], "events": events}


def test_two_publish_due_runs_publish_each_due_article_once(on_postgres: None) -> None:
    authors = [make_author(username=f"scheduler{n}", password=NO_PASSWORD) for n in range(3)]
    categories = [CategoryFactory(name=f"Scheduled {n}") for n in range(3)]
    # Already published articles: the counts must grow from here, not from 0.
    for n in range(3):
        ArticleFactory(author=authors[n], category=categories[n], status=Article.Status.PUBLISHED)
    now = timezone.now()
    due = [
        ArticleFactory(
            author=authors[n % 3],
            category=categories[n % 3] if n % 5 else None,
            status=Article.Status.SCHEDULED,
            published_at=now - datetime.timedelta(seconds=n + 1),
        )
        for n in range(30)
    ]
    not_yet_due = ArticleFactory(
        author=authors[0], status=Article.Status.SCHEDULED, published_at=now + datetime.timedelta(days=1)
    )

    reports = run_in_processes(run_publish_due, 2)

    assert_workers_succeeded(reports)
    first, second = (set(report.result["published"]) for report in reports)
    assert first.isdisjoint(second), f"published by both runs: {sorted(first & second)}"
    assert first | second == {a.pk for a in due}
    events = sum_counters(report.result["events"] for report in reports)
    assert {pk: events["published", pk] for pk in first | second} == dict.fromkeys(first | second, 1)
    assert Article.objects.get(pk=not_yet_due.pk).status == Article.Status.SCHEDULED

    expected_by_author = Counter(a.author_id for a in due) + Counter(a.pk for a in authors)
    assert {a.pk: a.article_count for a in Author.objects.filter(pk__in=[a.pk for a in authors])} == dict(
        expected_by_author
    )
    expected_by_category = Counter(a.category_id for a in due if a.category_id) + Counter(c.pk for c in categories)
    assert {c.pk: c.article_count for c in Category.objects.filter(pk__in=[c.pk for c in categories])} == dict(
        expected_by_category
    )
    assert_no_counter_drift()


# --- Same title, same moment -------------------------------------------------

SAME_TITLE_WORKERS = 4
SAME_TITLE_ROUNDS = 5


def create_same_title_each_round(author_id: int, category_id: int, index: int, barrier: Barrier) -> list[str]:
    slugs = []
    for _ in range(SAME_TITLE_ROUNDS):
        # Every round starts together: all workers read the same taken slugs,
        # pick the same candidate, and all but one lose on the unique index.
        barrier.wait(timeout=BARRIER_TIMEOUT)
        article = Article.objects.create(
            title="Breaking: the same news", body="…", author_id=author_id, category_id=category_id, status="published"
        )
        slugs.append(article.slug)
    return slugs


def test_processes_creating_the_same_title_at_once_all_get_unique_slugs(on_postgres: None) -> None:
    author = make_author(username="newsdesk", password=NO_PASSWORD)
    category = CategoryFactory(name="News")

    reports = run_in_processes(partial(create_same_title_each_round, author.pk, category.pk), SAME_TITLE_WORKERS)

    assert_workers_succeeded(reports)
    reported = [slug for report in reports for slug in report.result]
    total = SAME_TITLE_WORKERS * SAME_TITLE_ROUNDS
    assert sorted(reported) == sorted(first_slugs("breaking-the-same-news", total))
    assert sorted(Article.objects.values_list("slug", flat=True)) == sorted(reported)
    assert_slugs_unique_and_present()
    author.refresh_from_db()
    category.refresh_from_db()
    assert (author.article_count, category.article_count) == (total, total)
    assert_no_counter_drift()


# --- Comments moderated while their articles are deleted ---------------------

DELETE_ROUNDS = 6
COMMENTS_PER_ARTICLE = 6


def build_deletion_scene() -> dict[str, Any]:
    """Per round, one article of each author with comments in every state, all published."""
    authors = [make_author(username=f"doomed{n}", password=NO_PASSWORD) for n in range(2)]
    category = CategoryFactory(name="Deleted while moderated")
    rounds = []
    for _ in range(DELETE_ROUNDS):
        articles = [ArticleFactory(author=author, category=category, status="published") for author in authors]
        for article in articles:
            for n in range(COMMENTS_PER_ARTICLE):
                CommentFactory(article=article, status=[Comment.Status.APPROVED, Comment.Status.PENDING][n % 2])
        rounds.append([article.pk for article in articles])
    return {"author_ids": [a.pk for a in authors], "rounds": rounds}


def moderate_or_delete_comments_of(article_ids: list[int], rng: random.Random) -> Counter[str]:
    """Approve, reject or delete each comment of these articles, from copies loaded before the deletes."""
    done: Counter[str] = Counter()
    comments = list(Comment.objects.filter(article_id__in=article_ids).order_by("pk"))
    rng.shuffle(comments)
    for comment in comments:
        action = rng.choice(["approve", "reject", "delete"])
        if action == "delete":
            comment.delete()  # already gone with its article: nothing to count
        elif (approve_comment if action == "approve" else reject_comment)(comment) is None:
            action = "gone"  # deleted with its article before the moderation could lock it
        done[action] += 1
    return done


def run_deletion_worker(scene: dict[str, Any], seed: int, index: int, barrier: Barrier) -> dict[str, int]:
    rng = random.Random(seed * 1000 + index)
    done: Counter[str] = Counter()
    for number, article_ids in enumerate(scene["rounds"]):
        barrier.wait(timeout=BARRIER_TIMEOUT)
        if index == 0:
            time.sleep(rng.uniform(0, 0.03))  # let the moderators get going: the race is mid-moderation
            # One article alone, the other in a QuerySet delete: both cascade to their comments.
            Article.objects.get(pk=article_ids[0]).delete()
            Article.objects.filter(pk__in=article_ids[1:]).delete()
            done["articles deleted"] += 2
        else:
            done.update(moderate_or_delete_comments_of(article_ids, rng))
        if number == len(scene["rounds"]) - 1 and index == 0:
            # Last, a whole author goes while the others still moderate what is left.
            get_user_model().objects.filter(author__pk=scene["author_ids"][0]).delete()
    return dict(done)


def test_moderating_comments_while_their_articles_are_deleted_never_deadlocks(on_postgres: None) -> None:
    # A comment write locks the comment, then its article's count; a delete
    # of the article must take the comments' locks before the article's, or
    # the two wait on each other and PostgreSQL aborts one.
    scene = build_deletion_scene()
    seed = mixed_seed()
    extra = [ArticleFactory(author_id=scene["author_ids"][1], status="published") for _ in range(2)]
    for article in extra:
        CommentFactory(article=article, status=Comment.Status.APPROVED)

    reports = run_in_processes(partial(run_deletion_worker, scene, seed), 4)

    context = f"seed {seed} (rerun with CONCURRENCY_SEED={seed})"
    assert_workers_succeeded(reports, context)
    print(f"{context}: {dict(sum_counters(Counter(report.result) for report in reports))}")
    assert not Article.objects.filter(pk__in=[pk for ids in scene["rounds"] for pk in ids]).exists()
    assert not Author.objects.filter(pk=scene["author_ids"][0]).exists()
    assert_no_counter_drift(context)
    assert Author.objects.get(pk=scene["author_ids"][1]).article_count == len(extra)


SET_TAGS_ROUNDS = 40


def run_set_tags_worker(scene: dict[str, int], index: int, barrier: Barrier) -> None:
    barrier.wait(timeout=BARRIER_TIMEOUT)
    low, high = scene["low"], scene["high"]
    for number in range(SET_TAGS_ROUNDS):
        if index == 0:
            # From {high} to {low}: Django's set() unlinks high (its count first), then links low.
            article = Article.objects.get(pk=scene["setting"])
            article.tags.set([low] if number % 2 == 0 else [high])
        else:
            # Leaving and entering published moves both tags' counts: low, then high.
            article = Article.objects.get(pk=scene["publishing"])
            article.status = Article.Status.DRAFT if number % 2 == 0 else Article.Status.PUBLISHED
            article.save()


def test_setting_tags_while_an_article_with_them_is_unpublished_never_deadlocks(on_postgres: None) -> None:
    # set() is a remove() and an add(), each counting its tags in key order;
    # across the two the order broke, and a writer counting both tags in
    # order waited on it while it waited on the writer (articles/tag_links.py).
    low, high = (Tag.objects.create(name=f"Set tag {n}", slug=f"set-tag-{n}") for n in range(2))
    setting = ArticleFactory(status="published")
    setting.tags.set([high])
    publishing = ArticleFactory(status="published")
    publishing.tags.set([low, high])
    scene = {"low": low.pk, "high": high.pk, "setting": setting.pk, "publishing": publishing.pk}

    reports = run_in_processes(partial(run_set_tags_worker, scene), 2)

    assert_workers_succeeded(reports)
    assert_no_counter_drift("set() against a publication")
    assert Tag.objects.get(pk=high.pk).article_count == 2  # both articles end published and tagged high


FORM_ROUNDS = 40


def site_form_save(scene: dict[str, Any], publishing: bool) -> None:
    article = Article.objects.get(pk=scene["edited"])
    status = Article.Status.PUBLISHED if publishing else Article.Status.DRAFT
    data = write_form_data(article, status=status, tags=scene["tag_name"] if publishing else "")
    form = ArticleForm(data, instance=article)
    assert form.is_valid(), form.errors
    form.save()


def admin_form_save(scene: dict[str, Any], publishing: bool) -> None:
    article = Article.objects.get(pk=scene["edited"])
    data = {
        "title": article.title,
        "slug": article.slug,
        "author": article.author_id,
        "category": "",
        "tags": [scene["tag"]] if publishing else [],
        "excerpt": "",
        "meta_description": "",
        "body": article.body,
        "status": Article.Status.PUBLISHED if publishing else Article.Status.DRAFT,
        "published_at_0": "",
        "published_at_1": "",
        "version": article_version(article),
    }
    client = Client()
    client.force_login(get_user_model().objects.get(pk=scene["staff"]))
    response = client.post(reverse("admin:articles_article_change", args=[article.pk]), data)
    assert response.status_code == 302, response.content.decode()[:2000]


def run_form_and_publication_worker(scene: dict[str, Any], index: int, barrier: Barrier) -> None:
    barrier.wait(timeout=BARRIER_TIMEOUT)
    if index == 0:
        # The author publishes and tags in one form: the author's count, then the new tag's.
        for number in range(FORM_ROUNDS):
            FORM_SAVES[scene["form"]](scene, publishing=number % 2 == 0)
        scene["forms_done"].set()
        return
    # Another of their articles, with that tag, leaves and enters published (the
    # tag's count, then the author's) for as long as the forms are saved: an
    # admin save takes longer than a publication.
    article = Article.objects.get(pk=scene["toggled"])
    while not scene["forms_done"].is_set():
        article.status = Article.Status.DRAFT if article.is_published else Article.Status.PUBLISHED
        article.save()
    if not article.is_published:
        article.status = Article.Status.PUBLISHED
        article.save()


FORM_SAVES = {"site": site_form_save, "admin": admin_form_save}


@pytest.mark.parametrize("form", FORM_SAVES)
def test_a_form_publishing_with_a_new_tag_never_deadlocks_with_another_publication(
    on_postgres: None, form: str
) -> None:
    author = make_author()
    tag = Tag.objects.create(name="Shared by two", slug="shared-by-two")
    edited = ArticleFactory(author=author, status="draft")
    toggled = ArticleFactory(author=author, status="published")
    toggled.tags.set([tag])
    staff = UserFactory(is_staff=True, is_superuser=True)
    scene = {"edited": edited.pk, "toggled": toggled.pk, "tag": tag.pk, "tag_name": tag.name, "staff": staff.pk}

    scene |= {"form": form, "forms_done": FORK.Event()}

    reports = run_in_processes(partial(run_form_and_publication_worker, scene), 2)

    assert_workers_succeeded(reports)
    assert_no_counter_drift(f"the {form} form against a publication")
    assert Author.objects.get(pk=author.pk).article_count == 1  # edited ends a draft, toggled published
    assert Tag.objects.get(pk=tag.pk).article_count == 1
