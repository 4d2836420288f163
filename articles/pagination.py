"""Pages of articles: paging that forgives, and each page's cards with their live counts."""

from __future__ import annotations

from django.core.paginator import Page, Paginator

from .cards import card_rows, listing_cards


class CountedPaginator(Paginator):
    """A Paginator told how many rows there are, instead of asking with a COUNT(*)."""

    def __init__(self, *args, count: int, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.count = count  # shadows the cached_property


class ArticlePaginationMixin:
    """For a ListView of articles.

    A page that is not a number shows the first page, one past the end the
    last: a reader who types ?page=abc or ?page=999 gets a page, not an error.
    """

    paginate_by = 10

    def page_rows(self, page_queryset):
        """The page's rows as the values its cards show; a view whose queryset already is such rows keeps them."""
        return card_rows(page_queryset)

    def published_count(self) -> int | None:
        """How many articles the listing holds, when a counter already knows; None: count them."""
        return None

    def paginate_queryset(self, queryset, page_size: int) -> tuple[Paginator, Page, list, bool]:
        options = {"orphans": self.get_paginate_orphans(), "allow_empty_first_page": True}
        if (count := self.published_count()) is not None:
            paginator = CountedPaginator(queryset, page_size, count=count, **options)
        else:
            paginator = self.get_paginator(queryset, page_size, **options)
        page = paginator.get_page(self.request.GET.get(self.page_kwarg))
        # The page's cards, made here rather than by the template: object_list,
        # page_obj and article_list then all hold this one list.
        page.object_list = listing_cards(self.page_rows(page.object_list))
        return paginator, page, page.object_list, page.has_other_pages()
