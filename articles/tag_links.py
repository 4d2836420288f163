"""``set()`` of an article's tags (either side) locks every row it will count, in key order, before it writes.

Django's ``set()`` is a ``remove()`` and then an ``add()`` in one transaction,
and each counts its links on its own (``articles.tag_counts``): the removal
updates the counts of the tags it unlinks, in key order, and then the add
those of the tags it links, in key order again. Across the two batches the
order breaks: setting an article's tags from {5} to {3} updates tag 5, then
tag 3, while a writer unpublishing another article tagged 3 and 5 updates tag
3, then tag 5, and PostgreSQL kills one of the two (a deadlock, found by
``tests/test_concurrency_postgres.py`` with seed 909120981). Every other
writer takes the article rows first and the counter rows after, each in key
order; ``set()`` now does the same for the rows of both batches at once, so
the batches then only update rows it already holds.
"""

from __future__ import annotations

from django.db import router, transaction
from django.db.models import Model
from django.db.models.fields.related_descriptors import ManyToManyDescriptor
from django.utils.functional import cached_property


class LockingSetDescriptor(ManyToManyDescriptor):
    """A many-to-many accessor whose manager's ``set()`` locks the links' both ends first.

    ``owner`` is the model whose rows every writer locks first (the article),
    whichever side of the relation this accessor is on.
    """

    def __init__(self, rel, reverse: bool, owner: type[Model]) -> None:
        super().__init__(rel, reverse=reverse)
        self.owner = owner

    @cached_property
    def related_manager_cls(self):
        base = super().related_manager_cls
        owner = self.owner

        class LockingSetManager(base):
            def set(self, objs, *, clear=False, through_defaults=None):
                objs = tuple(objs)  # as Django's set(): a queryset is read once, before anything changes
                db = router.db_for_write(self.through, instance=self.instance)
                with transaction.atomic(using=db, savepoint=False):
                    lock_both_ends(self, objs, db, owner)
                    super().set(objs, clear=clear, through_defaults=through_defaults)

            set.alters_data = True

        return LockingSetManager


def lock_both_ends(manager, objs: tuple, using: str, owner: type[Model]) -> None:
    """Lock the owner's rows, then the other side's, each in key order: what the link is now and will be."""
    target = manager.model
    linked = set(manager.using(using).values_list("pk", flat=True))
    wanted = {obj.pk if isinstance(obj, target) else obj for obj in objs}
    ends = {type(manager.instance): {manager.instance.pk}, target: linked | wanted}
    for model in sorted(ends, key=lambda model: model is not owner):  # the owner first
        keys = sorted(ends[model])
        if keys:
            list(model._base_manager.using(using).select_for_update().filter(pk__in=keys).order_by("pk").values("pk"))


def lock_before_set(owner: type[Model], field_name: str) -> None:
    """Put LockingSetDescriptor on both sides of ``owner.<field_name>``."""
    field = owner._meta.get_field(field_name)
    setattr(owner, field_name, LockingSetDescriptor(field.remote_field, reverse=False, owner=owner))
    setattr(
        field.remote_field.model,
        field.remote_field.get_accessor_name(),
        LockingSetDescriptor(field.remote_field, reverse=True, owner=owner),
    )
