"""The admin's answer to malformed input: a 4xx or a form error, never a 500.

Django's admin hands ids, filter values and search terms from the request to
the database as sent. One that no row can hold is then an error instead of no
row: "abc" does not convert to an integer (ValueError), a number past 64 bits
overflows SQLite's driver (OverflowError), and PostgreSQL refuses a NUL in any
text parameter. Django turns some of these into "not found" (a change page's
id, ``ModelChoiceField.to_python``) but not: the checked rows of an action,
the selected value an autocomplete widget looks up to render itself, the ids
of a many-to-many field, a NUL in a filter or search term, a date drill-down
past year 9998, a choices filter's value on a column typed as an enum.

``StrictInputMixin`` goes first in the bases of every ModelAdmin of the
project, Django's User and Group admins included (registered again in
authors/admin.py); tests/test_bad_input_sweep.py checks that none lacks it
and sends each of them hostile input.
"""

from __future__ import annotations

import datetime
from typing import Any

from django import forms
from django.contrib.admin.filters import ChoicesFieldListFilter
from django.contrib.admin.helpers import ACTION_CHECKBOX_NAME
from django.contrib.admin.options import IncorrectLookupParameters
from django.contrib.admin.views import main
from django.core.exceptions import BadRequest, ValidationError
from django.db import connections, models, router
from django.http import HttpRequest, HttpResponseBase


def is_possible_key(field: models.Field, value: Any) -> bool:
    """Whether some row could hold ``value`` in ``field``: it converts, holds no NUL and fits the column."""
    while field.is_relation:  # a foreign key compares as the field it points at
        field = field.target_field
    try:
        value = field.to_python(value)
    except ValidationError:
        return False
    if isinstance(value, str):
        return "\x00" not in value
    if isinstance(value, int) and isinstance(field, models.IntegerField):
        ops = connections[router.db_for_read(field.model)].ops
        low, high = ops.integer_field_range(field.get_internal_type())
        return (low is None or low <= value) and (high is None or value <= high)
    return True


class _KeyCheckedField:
    queryset: models.QuerySet
    to_field_name: str | None

    def key_field(self) -> models.Field:
        options = self.queryset.model._meta
        return options.get_field(self.to_field_name) if self.to_field_name else options.pk

    def is_possible_key(self, value: Any) -> bool:
        return isinstance(value, models.Model) or is_possible_key(self.key_field(), value)


class KeyCheckedModelChoiceField(_KeyCheckedField, forms.ModelChoiceField):
    """A ModelChoiceField that an impossible key makes an invalid choice, also when the form is shown again."""

    def to_python(self, value: Any) -> models.Model | None:
        if value not in self.empty_values and not self.is_possible_key(value):
            raise ValidationError(self.error_messages["invalid_choice"], code="invalid_choice")
        return super().to_python(value)

    def prepare_value(self, value: Any) -> Any:
        # The form shown again with its errors renders the value sent as the
        # selected option, and the autocomplete widget looks it up (pk__in):
        # an impossible key is shown as no selection instead.
        if value not in self.empty_values and not self.is_possible_key(value):
            return None
        return super().prepare_value(value)


class KeyCheckedModelMultipleChoiceField(_KeyCheckedField, forms.ModelMultipleChoiceField):
    """A ModelMultipleChoiceField that an impossible key among those sent makes invalid."""

    def clean(self, value: Any) -> models.QuerySet:
        # Django validates each key by building a filter, which neither
        # executes nor checks the range, then looks all of them up at once.
        for key in value if isinstance(value, list | tuple) else ():
            if not self.is_possible_key(key):
                raise ValidationError(
                    self.error_messages["invalid_pk_value"], code="invalid_pk_value", params={"pk": key}
                )
        return super().clean(value)

    def prepare_value(self, value: Any) -> Any:
        if isinstance(value, list | tuple):  # the autocomplete widget looks these up too
            value = [key for key in value if self.is_possible_key(key)]
        return super().prepare_value(value)


class ChangeList(main.ChangeList):
    """A changelist whose query string cannot reach the database in a form it refuses."""

    def __init__(self, request: HttpRequest, *args: Any, **kwargs: Any) -> None:
        # Every parameter ends up in a query (a filter, the search, a lookup
        # Django passes through), where PostgreSQL refuses a NUL.
        if any("\x00" in key or any("\x00" in value for value in values) for key, values in request.GET.lists()):
            raise BadRequest("A changelist parameter holds a NUL character.")
        super().__init__(request, *args, **kwargs)

    def get_filters(self, request: HttpRequest):
        # A drill-down's bounds run to the next year, month or day, which a
        # datetime cannot hold past 9999 (nor, shifted to UTC, before year 1):
        # Django would fail outside the check it makes of the start date.
        year = request.GET.get(f"{self.date_hierarchy}__year") if self.date_hierarchy else None
        try:
            out_of_range = year is not None and not datetime.MINYEAR < int(year) < datetime.MAXYEAR
        except ValueError:
            out_of_range = False  # not a number: Django reports that itself
        if out_of_range:
            raise IncorrectLookupParameters(f"No date in year {year} can be listed.")
        filters = super().get_filters(request)
        for spec in filters[0]:
            # A choices filter offers the field's choices only. Anything else
            # was crafted, and a column the database types as an enum (such as
            # procrastinate's job status) refuses it instead of finding no row.
            if isinstance(spec, ChoicesFieldListFilter) and spec.lookup_val:
                offered = {str(value) for value, _ in spec.field.flatchoices}
                if not set(spec.lookup_val) <= offered:
                    raise IncorrectLookupParameters(f"{spec.lookup_kwarg} is not one of the field's choices.")
        return filters


class StrictInputMixin:
    """For a ModelAdmin: malformed ids, filter values and search terms are a 4xx or a form error."""

    model: type[models.Model]

    def get_changelist(self, request: HttpRequest, **kwargs: Any) -> type[ChangeList]:
        return ChangeList

    def formfield_for_foreignkey(self, db_field: models.ForeignKey, request: HttpRequest, **kwargs: Any):
        kwargs.setdefault("form_class", KeyCheckedModelChoiceField)
        return super().formfield_for_foreignkey(db_field, request, **kwargs)

    def formfield_for_manytomany(self, db_field: models.ManyToManyField, request: HttpRequest, **kwargs: Any):
        kwargs.setdefault("form_class", KeyCheckedModelMultipleChoiceField)
        return super().formfield_for_manytomany(db_field, request, **kwargs)

    def response_action(self, request: HttpRequest, queryset: models.QuerySet) -> HttpResponseBase | None:
        # Django filters the changelist by the checked ids as sent (pk__in),
        # and the action's query would fail on one that no row can have.
        pk = self.model._meta.pk
        if not all(is_possible_key(pk, key) for key in request.POST.getlist(ACTION_CHECKBOX_NAME)):
            raise BadRequest("A selected row's id is malformed.")
        return super().response_action(request, queryset)

    def get_search_results(self, request: HttpRequest, queryset: models.QuerySet, search_term: str):
        # The changelist refuses a NUL in its query string already; the
        # autocomplete view's term reaches the database only through here.
        if "\x00" in search_term:
            raise BadRequest("A search term holds a NUL character.")
        return super().get_search_results(request, queryset, search_term)
