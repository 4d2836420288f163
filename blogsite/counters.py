"""The machinery that keeps denormalised counters exact.

Two rules make the counters safe under concurrency:

* Counter columns are written only by ``F()`` updates issued by the receivers,
  never by ``save()``: a form or admin page that loaded a row a minute ago
  would otherwise write its stale count back over every change made since.
* The ``F()`` updates of one write are applied in one global order (table
  label, then primary key), so two transactions that touch the same counter
  rows — an article moved from A to B while another moves from B to A — always
  lock them in the same order and never deadlock.
"""

from __future__ import annotations

import weakref
from collections import Counter, defaultdict
from collections.abc import Iterable, Mapping
from typing import Any, ClassVar

from django.db import connections, models, router, transaction
from django.db.models import F


class CountedModel(models.Model):
    """A model with counter columns that ``save()`` never writes.

    ``counter_fields`` names the columns kept by F() updates. Inserting a row
    starts them at zero (a new row has nothing counted yet); updating a row
    lists every other field in ``update_fields``, so the stored counter is left
    alone whatever the in-memory copy holds.
    """

    counter_fields: ClassVar[tuple[str, ...]] = ()

    class Meta:
        abstract = True

    def save(self, *, update_fields=None, **kwargs: Any) -> None:
        if self._state.adding:
            for name in self.counter_fields:
                setattr(self, name, 0)
        elif update_fields is None:
            update_fields = self._writable_field_names()
        else:
            update_fields = [name for name in update_fields if name not in self.counter_fields]
        using = kwargs.get("using") or router.db_for_write(type(self), instance=self)
        # The receivers lock and update other rows; all of it must commit or roll
        # back with this row. No savepoint: nothing here needs a partial rollback.
        with transaction.atomic(using=using, savepoint=False):
            super().save(update_fields=update_fields, **kwargs)

    def _writable_field_names(self) -> list[str]:
        deferred = self.get_deferred_fields()
        return [
            field.name
            for field in self._meta.concrete_fields
            if not field.primary_key and field.name not in self.counter_fields and field.attname not in deferred
        ]


class CounterDeltas:
    """Net counter changes of one write, applied as F() updates in lock order."""

    def __init__(self) -> None:
        self._deltas: defaultdict[tuple[type[models.Model], str], Counter[int]] = defaultdict(Counter)

    def add(self, model: type[models.Model], field: str, pk: int | None, amount: int) -> None:
        if pk is not None and amount:
            self._deltas[(model, field)][pk] += amount

    def __bool__(self) -> bool:
        return any(any(counts.values()) for counts in self._deltas.values())

    def apply(self, using: str) -> None:
        ordered = sorted(self._deltas.items(), key=lambda item: (item[0][0]._meta.label, item[0][1]))
        for (model, field), counts in ordered:
            for pk in sorted(counts):
                if counts[pk]:
                    model._base_manager.using(using).filter(pk=pk).update(**{field: F(field) + counts[pk]})
        self._deltas.clear()


def lock_counted_rows(using: str, rows: Mapping[type[models.Model], Iterable[object]]) -> None:
    """Lock counter rows a write will update, by primary key, in the order ``CounterDeltas.apply`` takes them.

    For a write that counts in two steps in one transaction, an article's save
    and then ``set()`` of its tags: each step alone locks in order, but the
    second's rows come after the first's, a tag after the author, while a
    publication of another of that author's articles with that tag holds the
    tag and waits for the author. Locked here first, the steps only update rows
    already held. FOR NO KEY UPDATE is what their UPDATEs take anyway; unlike
    FOR UPDATE it lets others insert rows that refer to these.
    """
    if not connections[using].features.has_select_for_update:
        return  # SQLite: one writer at a time (BEGIN IMMEDIATE), nothing to order
    for model in sorted(rows, key=lambda model: model._meta.label):
        keys = sorted({pk for pk in rows[model] if pk is not None})
        if keys:
            locking = model._base_manager.using(using).select_for_update(no_key=True)
            list(locking.filter(pk__in=keys).order_by("pk").values_list("pk", flat=True))


# Deltas of deletes in progress, one accumulator per atomic block. Django's
# Collector sends every pre_delete before it deletes anything, and only then
# the post_deletes: gathering the deltas in pre_delete and applying them all at
# the first post_delete turns a QuerySet.delete() or a cascade into one sorted
# batch, instead of per-instance updates in whatever order the rows came.
# Weak keys: an atomic block that failed between the two signals takes its
# half-built batch with it.
_pending_deletes: weakref.WeakKeyDictionary[object, CounterDeltas] = weakref.WeakKeyDictionary()


def _current_atomic_block(using: str) -> object:
    blocks = connections[using].atomic_blocks
    if not blocks:
        raise RuntimeError("Counted rows must be deleted inside transaction.atomic (Collector.delete opens one).")
    return blocks[-1]


# Anything else a delete in progress gathers once and reuses, per atomic block.
_block_caches: weakref.WeakKeyDictionary[object, dict] = weakref.WeakKeyDictionary()


def atomic_block_cache(using: str) -> dict:
    """A dict that lives as long as the current atomic block (a delete's Collector runs in one)."""
    return _block_caches.setdefault(_current_atomic_block(using), {})


def pending_delete_deltas(using: str) -> CounterDeltas:
    """The accumulator of the delete running in the current atomic block."""
    block = _current_atomic_block(using)
    deltas = _pending_deletes.get(block)
    if deltas is None:
        deltas = _pending_deletes[block] = CounterDeltas()
    return deltas


def apply_pending_delete_deltas(using: str) -> None:
    """Apply what the pre_delete receivers gathered; later calls find nothing left."""
    deltas = _pending_deletes.pop(_current_atomic_block(using), None)
    if deltas:
        deltas.apply(using)
