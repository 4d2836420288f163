"""Lookups by one value whose SQL is compiled once per connection, not once per request.

The category, tag and author pages find their row by a slug or a username:
the same SQL every time but for one parameter, yet Django compiled it anew
for each request, 400–700 µs of the author's 1.1–1.7 ms lookup (its SQL runs
in 110–160 µs) and most of a category's 0.4–0.56 ms. A PreparedLookup compiles
once per thread and database alias, then binds the value into the compiled
parameters and builds the instance as Django's ModelIterable does.

The value is a str, or an int for an integer key (``value_type=int``: the
signed-in user by primary key, blogsite/auth_backends.py). ``PreparedPages``
does the same for slices of a values() queryset: a listing's page of cards.

Not supported: anything but one value bound as given (a lookup that rewrites
it, such as ``contains``, is refused when compiled), and querysets whose SQL
depends on the value.
"""

from __future__ import annotations

import threading
from dataclasses import dataclass
from typing import Any, Generic, TypeVar

from django.core.exceptions import EmptyResultSet, ImproperlyConfigured
from django.db import connections, models
from django.db.backends.base.base import BaseDatabaseWrapper
from django.db.models.query import ModelIterable, RelatedPopulator, ValuesIterable, get_related_populators
from django.db.models.sql.compiler import SQLCompiler
from django.http import Http404

M = TypeVar("M", bound=models.Model)

# Stands in for the value while the query compiles, and is then looked for in
# the parameters by identity. Its capitals, LIKE wildcards, backslash and
# spaces make a lookup that escapes, folds or trims its value put another
# string there, so such a lookup is refused instead of binding the raw value.
SENTINEL = " Prepared%_\\Lookup "
# An integer field hands on int(value), a new object, so this one is looked
# for by type and value: negative, where no key of Django's starts, and inside
# the 32-bit range, which a lookup that overflows would compile to no SQL at all.
INT_SENTINEL = -1_357_924_680
# SQLite's integers are 64-bit: a larger value matches no row, as the ORM answers.
INT_RANGE = range(-(2**63), 2**63)


@dataclass(slots=True)
class CompiledLookup:
    """One connection's SQL for a lookup, and what ModelIterable would use to make its row an instance."""

    connection: BaseDatabaseWrapper
    sql: str
    params: list[Any]
    value_index: int
    col_count: int
    model: type[models.Model]
    model_columns: slice
    init_list: list[str]
    converters: list[tuple[int, list, Any]]
    related_populators: list[RelatedPopulator]
    annotation_col_map: dict[str, int]

    def rows(self, value: str) -> list:
        params = list(self.params)
        params[self.value_index] = value
        with self.connection.cursor() as cursor:
            cursor.execute(self.sql, params)
            return cursor.fetchall()

    def instance(self, row) -> models.Model:
        row = list(row[: self.col_count])
        for position, converters, expression in self.converters:
            value = row[position]
            for convert in converters:
                value = convert(value, expression, self.connection)
            row[position] = value
        obj = self.model.from_db(self.connection.alias, self.init_list, row[self.model_columns])
        for populator in self.related_populators:
            populator.populate(row, obj)
        for name, position in self.annotation_col_map.items():
            setattr(obj, name, row[position])
        return obj


class PreparedLookup(Generic[M]):
    """``get_object_or_404(queryset, **{lookup: value})`` for a str or an int, its SQL compiled once per connection."""

    def __init__(self, queryset: models.QuerySet[M], lookup: str, value_type: type[str] | type[int] = str) -> None:
        if (
            queryset._iterable_class is not ModelIterable
            or queryset._prefetch_related_lookups
            or queryset._known_related_objects
        ):
            raise ImproperlyConfigured("A PreparedLookup makes plain instances: no values() nor prefetch_related().")
        refuse_other_value_types(value_type)
        self.queryset = queryset
        self.lookup = lookup
        self.value_type = value_type
        # One CompiledLookup per database alias, as an attribute named by it.
        self._per_thread = threading.local()

    def get_or_404(self, value: str) -> M:
        try:
            return self.get(value)
        except self.queryset.model.DoesNotExist:
            raise Http404(f"No {self.queryset.model._meta.object_name} matches the given query.") from None

    def get(self, value: str | int) -> M:
        # None, for one, would need IS NULL: other SQL than the compiled one. A
        # bool is an int to Python, not to a database.
        if type(value) is not self.value_type:
            raise TypeError(f"This PreparedLookup takes a {self.value_type.__name__}, not {type(value).__name__}.")
        model = self.queryset.model
        if self.value_type is int and value not in INT_RANGE:
            raise model.DoesNotExist(f"{model._meta.object_name} matching query does not exist.")
        compiled = self.compiled(self.queryset.db)
        rows = compiled.rows(value)
        if not rows:
            raise model.DoesNotExist(f"{model._meta.object_name} matching query does not exist.")
        if len(rows) > 1:
            raise model.MultipleObjectsReturned(f"get() returned more than one {model._meta.object_name}.")
        return compiled.instance(rows[0])

    def compiled(self, db: str) -> CompiledLookup:
        connection = connections[db]
        compiled = getattr(self._per_thread, db, None)
        # The converters are bound to the connection they were made for.
        if compiled is None or compiled.connection is not connection:
            compiled = self.compile(connection)
            setattr(self._per_thread, db, compiled)
        return compiled

    def compile(self, connection: BaseDatabaseWrapper) -> CompiledLookup:
        sentinel = SENTINEL if self.value_type is str else INT_SENTINEL
        queryset = self.queryset.filter(**{self.lookup: sentinel})
        # As QuerySet.get(): no ordering, and a LIMIT that tells one row from several.
        if queryset.query.can_filter() and not queryset.query.distinct_fields:
            queryset = queryset.order_by()
        queryset.query.set_limits(high=2)
        compiler = queryset.query.get_compiler(using=connection.alias)
        sql, params = compiler.as_sql()
        value_index = position_of_the_value(self.lookup, params, sentinel)
        # What ModelIterable and SQLCompiler.results_iter() read from the compiler after executing.
        columns = [expression for expression, _sql, _alias in compiler.select[: compiler.col_count]]
        if compiler.has_composite_fields(columns):
            raise ImproperlyConfigured("A PreparedLookup does not select composite fields.")
        klass_info = compiler.klass_info
        select_fields = klass_info["select_fields"]
        model_columns = slice(select_fields[0], select_fields[-1] + 1)
        return CompiledLookup(
            connection=connection,
            sql=sql,
            params=list(params),
            value_index=value_index,
            col_count=compiler.col_count,
            model=klass_info["model"],
            model_columns=model_columns,
            init_list=[column[0].target.attname for column in compiler.select[model_columns]],
            converters=[
                (position, converters, expression)
                for position, (converters, expression) in compiler.get_converters(columns).items()
            ],
            related_populators=get_related_populators(klass_info, compiler.select, connection.alias),
            annotation_col_map=compiler.annotation_col_map,
        )


def is_the_sentinel(param: Any, sentinel: str | int) -> bool:
    if isinstance(sentinel, str):
        return param is sentinel
    return type(param) is int and param == sentinel


def position_of_the_value(lookup: str, params: Any, sentinel: str | int) -> int:
    """Where the compiled parameters hold the sentinel: the one place the value is bound."""
    positions = [index for index, param in enumerate(params) if is_the_sentinel(param, sentinel)]
    if len(positions) != 1:
        raise ImproperlyConfigured(
            f"{lookup!r} must bind its value as one parameter, unchanged: found it {len(positions)} times"
            f" in {params!r}."
        )
    return positions[0]


def refuse_other_value_types(value_type: type) -> None:
    if value_type not in (str, int):
        raise ImproperlyConfigured(f"A prepared query binds a str or an int, not {value_type.__name__}.")


# --------------------------------------------------------------------------
# Pages of a values() queryset
# --------------------------------------------------------------------------

# Slices kept per connection and thread: a listing's first pages are most of
# its requests; a crawler walking page 900 compiles its slice each time, as
# the ORM always did, and crowds out no other.
MAX_SLICES = 32


@dataclass(slots=True)
class CompiledPage:
    """One connection's SQL for one slice of a values() queryset, and what ValuesIterable makes of its rows."""

    connection: BaseDatabaseWrapper
    compiler: SQLCompiler
    sql: str
    params: list[Any]
    value_index: int | None
    names: list[str]
    converters: dict

    def rows(self, value: str | int | None) -> list[dict[str, Any]]:
        if not self.sql:
            return []  # a slice of no rows ([0:0], a listing with nothing in it): Django sends no query
        params = list(self.params)
        if self.value_index is not None:
            params[self.value_index] = value
        with self.connection.cursor() as cursor:
            cursor.execute(self.sql, params)
            # A column beyond ``names`` is one the ordering needed in the SELECT.
            fetched = [row[: self.compiler.col_count] for row in cursor.fetchall()]
        if self.converters:
            fetched = self.compiler.apply_converters(fetched, self.converters)
        return [dict(zip(self.names, row, strict=False)) for row in fetched]


class PreparedPages:
    """``queryset.filter(**{lookup: value})[low:high]`` of a values() queryset, compiled once per connection and slice.

    A listing's page of card rows (articles/views.py): the same SQL on every
    request but for the row it lists and the page, yet Django filtered and
    compiled it anew each time. Django writes LIMIT and OFFSET into the SQL
    rather than binding them, so each slice is compiled on its own, once.
    Without ``lookup`` the queryset is sliced as it is (the home page).
    """

    def __init__(
        self, queryset: models.QuerySet, lookup: str | None = None, value_type: type[str] | type[int] = int
    ) -> None:
        if queryset._iterable_class is not ValuesIterable or queryset._prefetch_related_lookups:
            raise ImproperlyConfigured("PreparedPages makes the rows of a values() queryset, nothing else.")
        refuse_other_value_types(value_type)
        self.queryset = queryset
        self.lookup = lookup
        self.value_type = value_type
        # {(alias, low, high): CompiledPage}, per thread.
        self._per_thread = threading.local()

    def rows(self, low: int, high: int | None, value: str | int | None = None) -> list[dict[str, Any]]:
        if self.lookup is None:
            if value is not None:
                raise TypeError("These pages take no value: they filter nothing.")
        elif type(value) is not self.value_type:
            raise TypeError(f"These pages take a {self.value_type.__name__}, not {type(value).__name__}.")
        return self.compiled(self.queryset.db, low, high).rows(value)

    def compiled(self, db: str, low: int, high: int | None) -> CompiledPage:
        connection = connections[db]
        pages = self._per_thread.__dict__.setdefault("pages", {})
        key = (db, low, high)
        compiled = pages.get(key)
        # The converters are bound to the connection they were made for.
        if compiled is None or compiled.connection is not connection:
            compiled = self.compile(connection, low, high)
            if key in pages or len(pages) < MAX_SLICES:
                pages[key] = compiled
        return compiled

    def compile(self, connection: BaseDatabaseWrapper, low: int, high: int | None) -> CompiledPage:
        queryset = self.queryset
        sentinel = SENTINEL if self.value_type is str else INT_SENTINEL
        if self.lookup is not None:
            queryset = queryset.filter(**{self.lookup: sentinel})
        queryset = queryset[low:high]
        query = queryset.query
        compiler = query.get_compiler(using=connection.alias)
        try:
            sql, params = compiler.as_sql()
        except EmptyResultSet:
            sql, params = "", ()
        value_index = position_of_the_value(self.lookup, params, sentinel) if self.lookup and sql else None
        # What ValuesIterable and SQLCompiler.results_iter() read from the compiler after executing.
        names = list(query.selected) if query.selected else [
            *query.extra_select, *query.values_select, *query.annotation_select,
        ]  # fmt: skip
        columns = [expression for expression, _sql, _alias in compiler.select[: compiler.col_count]]
        if compiler.has_composite_fields(columns):
            raise ImproperlyConfigured("PreparedPages does not select composite fields.")
        return CompiledPage(
            connection=connection,
            compiler=compiler,
            sql=sql,
            params=list(params),
            value_index=value_index,
            names=names,
            converters=compiler.get_converters(columns),
        )
