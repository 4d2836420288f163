"""Where a delete started: a row a cascade reaches from above is judged with its siblings, or not at all."""

from __future__ import annotations

from django.db.models import Model, QuerySet


def delete_origin(origin: object) -> type[Model] | None:
    """The model of the row or QuerySet a delete started from (Django's ``origin``); None if unknown."""
    if origin is None:
        return None
    return origin.model if isinstance(origin, QuerySet) else type(origin)


def delete_started_above(model: type[Model], origin: object) -> bool:
    """Whether a delete that reaches a ``model`` row started from a row of another model and cascaded down.

    An unknown origin (a receiver called by hand, an older Django) is not a
    cascade: the row is judged alone, which is always right, only slower.
    """
    started = delete_origin(origin)
    return started is not None and not issubclass(started, model)
