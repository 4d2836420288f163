"""Paging that forgives: a reader who types ?page=abc or ?page=999 gets a page, not an error."""

from __future__ import annotations

from django.core.paginator import Page, Paginator


class LenientPaginationMixin:
    """For ListView: a page that is not a number shows the first page, one past the end the last."""

    def paginate_queryset(self, queryset, page_size: int) -> tuple[Paginator, Page, list, bool]:
        paginator = self.get_paginator(
            queryset, page_size, orphans=self.get_paginate_orphans(), allow_empty_first_page=True
        )
        page = paginator.get_page(self.request.GET.get(self.page_kwarg))
        return paginator, page, page.object_list, page.has_other_pages()
