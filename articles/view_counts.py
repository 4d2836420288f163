"""Article views counted in Redis and moved into ``Article.view_count`` by a flush.

Invariant: every view is counted exactly once, whatever crashes; pages show
the stored count plus the live hash, which may dip but never exceeds the views
made. Without ``VIEW_BUFFER_URL`` a view is one F() UPDATE of its row.

Keys under ``VIEW_BUFFER_PREFIX``: ``<prefix>:live`` (article id → views,
readers HINCRBY it), ``<prefix>:batch:<uuid>`` (a handed-over live hash),
``<prefix>:batches`` (uuids not yet applied and deleted). A batch is applied
with its unique ``ViewFlush`` row in one transaction, and deleted after COMMIT.

Why it is built this way, and what it does not cover: docs/view-counts.md.
"""

from __future__ import annotations

import functools
import logging
import uuid
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import timedelta
from typing import TYPE_CHECKING

import redis
from django.conf import settings
from django.db import IntegrityError, connections, router, transaction
from django.db.models import Case, F, PositiveBigIntegerField, Value, When
from django.utils import timezone
from redis.backoff import NoBackoff
from redis.retry import Retry

from .models import Article, ViewFlush

if TYPE_CHECKING:
    from redis.connection import ConnectionPool

logger = logging.getLogger(__name__)

# One UPDATE per this many articles: the CASE and the IN list stay a size any
# database plans quickly.
CHUNK_SIZE = 500
KEEP_FLUSH_RECORDS = timedelta(days=7)
# A request waits at most this long for an unreachable Redis before counting
# the view in the database instead.
CONNECT_TIMEOUT = 0.5
SOCKET_TIMEOUT = 2.0

# KEYS: live, new batch, batches set; ARGV: the batch's uuid. A Lua script runs
# atomically, and unlike MULTI it can skip the RENAME when there is no live
# hash (inside MULTI the failing RENAME would not stop the SADD).
_HAND_OVER = """
if redis.call('EXISTS', KEYS[1]) == 0 then return 0 end
redis.call('RENAME', KEYS[1], KEYS[2])
redis.call('SADD', KEYS[3], ARGV[1])
return 1
"""


class BufferUnreachable(Exception):
    """Redis did not take the view: nothing was counted there, so count it elsewhere."""


@functools.lru_cache(maxsize=8)
def _client(url: str, *, decode_responses: bool = True) -> redis.Redis:
    # No retries: HINCRBY resent after a lost reply would count the view twice.
    # The pool reconnects by itself after a fork (gunicorn workers, tests).
    return redis.Redis.from_url(
        url,
        decode_responses=decode_responses,
        socket_connect_timeout=CONNECT_TIMEOUT,
        socket_timeout=SOCKET_TIMEOUT,
        retry=Retry(NoBackoff(), 0),
    )


def counting_client(url: str) -> redis.Redis:
    """A client of ``url`` that never resends a command, replying in bytes, for ``send_once``."""
    return _client(url, decode_responses=False)


def send_once(client: redis.Redis, *command):
    """Send a command that counts views once, and return Redis's reply.

    The connection is taken by hand to tell "never sent" (connection refused,
    or Redis answered with an error such as out of memory: BufferUnreachable,
    nothing was counted, so count elsewhere) from "sent, reply lost" (any
    other RedisError: Redis may well have counted, and counting again would
    be a double).
    """
    pool: ConnectionPool = client.connection_pool
    try:
        connection = pool.get_connection()  # connects, or raises before anything is sent
    except redis.RedisError as error:
        raise BufferUnreachable(str(error)) from error
    try:
        connection.send_command(*command)
        return connection.read_response()
    except redis.ResponseError as error:
        raise BufferUnreachable(str(error)) from error
    except redis.RedisError:
        connection.disconnect()
        raise
    finally:
        pool.release(connection)


@dataclass(frozen=True)
class ViewBuffer:
    client: redis.Redis
    prefix: str

    @property
    def live_key(self) -> str:
        return f"{self.prefix}:live"

    @property
    def batches_key(self) -> str:
        return f"{self.prefix}:batches"

    def batch_key(self, batch_id: str) -> str:
        return f"{self.prefix}:batch:{batch_id}"

    def add_view(self, article_id: int) -> None:
        """HINCRBY the live hash; BufferUnreachable when the view surely did not reach Redis (``send_once``)."""
        send_once(self.client, "HINCRBY", self.live_key, article_id, 1)

    def pending(self, article_ids: list[int]) -> dict[int, int]:
        values = self.client.hmget(self.live_key, article_ids)
        return {pk: int(value) for pk, value in zip(article_ids, values, strict=True) if value}

    def hand_over_live(self) -> str | None:
        """Move the live hash to a new registered batch; its uuid, or None when nothing was buffered."""
        batch_id = str(uuid.uuid4())
        keys = [self.live_key, self.batch_key(batch_id), self.batches_key]
        return batch_id if self.client.eval(_HAND_OVER, len(keys), *keys, batch_id) else None

    def registered_batches(self) -> list[str]:
        return sorted(self.client.smembers(self.batches_key))

    def read_batch(self, batch_id: str) -> dict[int, int]:
        return {int(pk): int(views) for pk, views in self.client.hgetall(self.batch_key(batch_id)).items()}

    def forget_batch(self, batch_id: str) -> None:
        """Delete an applied batch; called only once its ViewFlush row has committed."""
        with self.client.pipeline(transaction=True) as pipe:
            pipe.delete(self.batch_key(batch_id))
            pipe.srem(self.batches_key, batch_id)
            pipe.execute()


def view_buffer() -> ViewBuffer | None:
    """The configured buffer, or None: views then go straight to the database."""
    url = settings.VIEW_BUFFER_URL
    if not url:
        return None
    return ViewBuffer(_client(url), settings.VIEW_BUFFER_PREFIX)


# --- Counting a view -----------------------------------------------------------


def record_view(article_id: int) -> None:
    """Count one view of an article: in Redis when buffering, else (or when Redis is down) in its row."""
    buffer = view_buffer()
    if buffer is not None:
        try:
            buffer.add_view(article_id)
            return
        except BufferUnreachable as error:
            logger.warning("View buffer unavailable (%s): counting the view in the database instead.", error)
        except redis.RedisError as error:
            # Sent but unanswered: Redis may have counted it, so it is not counted again.
            logger.error("View of article %s may be lost: Redis did not answer (%s).", article_id, error)
            return
    add_view_to_row(article_id)


def add_view_to_row(article_id: int) -> None:
    """One UPDATE, no read: concurrent readers never lose each other's views.

    The statement of ``filter(pk=…).update(view_count=F("view_count") + 1)``,
    built once per database vendor instead of compiled by the ORM for every
    counted view.
    """
    connection = connections[router.db_for_write(Article)]
    sql = _ADD_VIEW_SQL.get(connection.vendor)
    if sql is None:
        quote = connection.ops.quote_name
        meta = Article._meta
        table, count, pk = quote(meta.db_table), quote(meta.get_field("view_count").column), quote(meta.pk.column)
        sql = _ADD_VIEW_SQL[connection.vendor] = f"UPDATE {table} SET {count} = ({count} + %s) WHERE {pk} = %s"
    # As QuerySet.update(): an error inside an atomic block marks it for rollback.
    with transaction.mark_for_rollback_on_error(connection.alias), connection.cursor() as cursor:
        cursor.execute(sql, [1, article_id])


# Vendor → the UPDATE of add_view_to_row.
_ADD_VIEW_SQL: dict[str, str] = {}


# --- Showing views ---------------------------------------------------------------


def pending_views(article_ids: Iterable[int]) -> dict[int, int]:
    """Views of these articles still in the live buffer (one HMGET); empty when not buffering."""
    ids = list(dict.fromkeys(article_ids))
    buffer = view_buffer()
    if buffer is None or not ids:
        return {}
    try:
        return buffer.pending(ids)
    except redis.RedisError as error:
        logger.warning("View buffer unavailable (%s): showing stored view counts only.", error)
        return {}


def with_total_views(articles: Iterable[Article]) -> list[Article]:
    """The articles, loaded, each with ``total_views``: its stored count plus its buffered views.

    Loading the rows before reading the buffer keeps a view from being shown
    twice when a flush commits in between (see docs/view-counts.md).
    """
    articles = list(articles)
    pending = pending_views(article.pk for article in articles)
    for article in articles:
        article.total_views = article.view_count + pending.get(article.pk, 0)
    return articles


# --- Flushing the buffer into the rows -----------------------------------------


@dataclass
class FlushResult:
    views: int = 0  # buffered views applied (those of articles deleted meanwhile included)
    articles: int = 0  # rows updated
    batches: int = 0  # batches applied by this flush
    duplicates: int = 0  # batches found already applied (a crashed or concurrent flush's)

    def add(self, other: FlushResult) -> None:
        self.views += other.views
        self.articles += other.articles
        self.batches += other.batches
        self.duplicates += other.duplicates


def flush_views() -> FlushResult:
    """Move every buffered view into ``Article.view_count``, each exactly once."""
    result = FlushResult()
    buffer = view_buffer()
    if buffer is None:
        return result
    # Batches of flushes that died (or are running right now) first: their
    # views are older than the live ones.
    for batch_id in buffer.registered_batches():
        result.add(apply_batch(buffer, batch_id))
    batch_id = buffer.hand_over_live()
    if batch_id is not None:
        result.add(apply_batch(buffer, batch_id))
    prune_flush_records(buffer)
    return result


def apply_batch(buffer: ViewBuffer, batch_id: str) -> FlushResult:
    counts = buffer.read_batch(batch_id)  # empty: another flush applied and deleted it
    result = FlushResult()
    if counts:
        views = sum(counts.values())
        try:
            with transaction.atomic():
                ViewFlush.objects.create(batch_id=batch_id, views=views, articles=len(counts))
                updated = add_views_to_articles(counts)
        except IntegrityError:
            if not ViewFlush.objects.filter(batch_id=batch_id).exists():
                raise  # not the duplicate mark: something else is wrong
            result.duplicates = 1
        else:
            result = FlushResult(views=views, articles=updated, batches=1)
    buffer.forget_batch(batch_id)
    return result


def add_views_to_articles(counts: dict[int, int]) -> int:
    """Add the views with one UPDATE per chunk; rows deleted meanwhile are skipped. Rows updated."""
    updated = 0
    pks = sorted(counts)
    for start in range(0, len(pks), CHUNK_SIZE):
        chunk = pks[start : start + CHUNK_SIZE]
        increment = Case(
            *(When(pk=pk, then=Value(counts[pk])) for pk in chunk),
            default=Value(0),
            output_field=PositiveBigIntegerField(),
        )
        # Lock the rows in primary-key order, as every counter write does
        # (blogsite.counters): a plain UPDATE locks them in whatever order the
        # scan meets them and could deadlock with a transaction that holds one
        # and waits for another. The slice keeps the ORDER BY in the subquery.
        rows = Article._base_manager.filter(pk__in=chunk)
        in_order = rows.order_by("pk").select_for_update().values("pk")[: len(chunk)]
        updated += Article._base_manager.filter(pk__in=in_order).update(view_count=F("view_count") + increment)
    return updated


def prune_flush_records(buffer: ViewBuffer) -> None:
    # A batch still registered may yet be flushed again: its row must stay to say "applied".
    cutoff = timezone.now() - KEEP_FLUSH_RECORDS
    ViewFlush.objects.filter(flushed_at__lt=cutoff).exclude(batch_id__in=buffer.registered_batches()).delete()
