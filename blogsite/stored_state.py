"""The columns a transition is judged on: as stored, and as a save will store them."""

from __future__ import annotations

import dataclasses
from collections.abc import Collection
from typing import ClassVar, Self

from django.db import models

from .counters import atomic_block_cache


class StoredState:
    """Base of a frozen dataclass whose fields are attnames of ``model``.

    ``locked()`` reads them from the stored row under ``select_for_update()``,
    so the row cannot change until the saving transaction ends; ``written()``
    says what the row will hold after the save, where a field that
    ``update_fields`` leaves out keeps its stored value whatever the instance says.
    """

    model: ClassVar[type[models.Model]]

    @classmethod
    def attnames(cls) -> list[str]:
        return [field.name for field in dataclasses.fields(cls)]

    @classmethod
    def locked(cls, instance: models.Model, using: str) -> Self | None:
        """The stored row, locked until the transaction ends; None if it is gone (or was never stored)."""
        if instance.pk is None:
            return None
        row = (
            cls.model._base_manager.using(using)
            .select_for_update()
            .filter(pk=instance.pk)
            .values_list(*cls.attnames())
            .first()
        )
        return cls(*row) if row else None

    @classmethod
    def locked_where(cls, using: str, **filters: object) -> dict[object, Self]:
        """Several stored rows by primary key, in one read that locks them in key order."""
        rows = (
            cls.model._base_manager.using(using)
            .select_for_update()
            .filter(**filters)
            .order_by("pk")
            .values_list("pk", *cls.attnames())
        )
        return {pk: cls(*values) for pk, *values in rows}

    @classmethod
    def locked_where_once(cls, using: str, **filters: object) -> dict[object, Self]:
        """``locked_where()``, read once per atomic block and reused by every later call with the same filters.

        A cascade sends one pre_delete per row; reading each row's siblings
        once for all of them is one locked SELECT instead of one per row.
        """
        cache = atomic_block_cache(using)
        key = (cls, *sorted(filters.items()))
        if key not in cache:
            cache[key] = cls.locked_where(using, **filters)
        return cache[key]

    @classmethod
    def written(cls, instance: models.Model, before: Self | None, update_fields: Collection[str] | None) -> Self:
        """The row as it will be stored once the save has run."""

        def kept(attname: str) -> bool:
            if before is None or update_fields is None:
                return False
            field = cls.model._meta.get_field(attname)  # get_field knows "author_id" as well as "author"
            return field.name not in update_fields and field.attname not in update_fields

        return cls(**{attname: getattr(before if kept(attname) else instance, attname) for attname in cls.attnames()})
