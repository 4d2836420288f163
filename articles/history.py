"""An article's history for its author and the editors: its revisions, any two compared, one restored.

Who may see it is who may edit the article (articles.editing.OwnArticleMixin
with staff allowed): its author and staff; anyone else gets 403, an unknown
address 404. A page of the history costs the same queries at 5 revisions as
at 500: the page's revisions with their users, and the one just older than
the page, which the oldest row is compared with.
"""

from __future__ import annotations

from dataclasses import dataclass

from django.contrib import messages
from django.core.paginator import Paginator
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import get_object_or_404
from django.urls import reverse
from django.utils import formats
from django.views import View
from django.views.generic import DetailView
from django.views.generic.detail import SingleObjectMixin

from audit.models import AuditEntry

from .editing import OwnArticleMixin
from .forms import STALE_MESSAGE, StaleArticleError, article_version
from .models import Article, ArticleRevision
from .revisions import FIELD_LABELS, changed_fields, compare, restore_revision

REVISIONS_PER_PAGE = 20
# The newest status moves and moderations shown beside the revisions; staff
# follow a link to the rest in the admin's audit log.
ACTIVITY_SHOWN = 20


@dataclass(frozen=True)
class HistoryRow:
    revision: ArticleRevision
    older: ArticleRevision | None  # the revision before it, if it is kept
    changed: list[str]
    is_current: bool
    # The revision's cover where it changed it: the row shows which picture it had.
    cover_url: str | None = None


def revisions_of(article: Article):
    return ArticleRevision.objects.filter(id=article.pk).select_related("history_user").order_by("-history_id")


class HistoryPageMixin(OwnArticleMixin):
    """A page about the article in the URL, for those who may edit it: its author and staff."""

    staff_allowed = True
    context_object_name = "article"


class ArticleHistoryView(HistoryPageMixin, DetailView):
    template_name = "articles/article_history.html"

    def get_context_data(self, **kwargs):
        article = self.object
        page = Paginator(revisions_of(article), REVISIONS_PER_PAGE).get_page(self.request.GET.get("page"))
        shown = list(page.object_list)
        # The revision just older than this page's oldest, to say what the oldest changed.
        older = revisions_of(article).filter(history_id__lt=shown[-1].history_id).first() if shown else None
        newest_id = shown[0].history_id if page.number == 1 and shown else None
        storage = Article._meta.get_field("cover").storage
        rows = []
        for index, revision in enumerate(shown):
            previous = shown[index + 1] if index + 1 < len(shown) else older
            changed = changed_fields(previous, revision)
            # A URL built from the name: no storage call, no query.
            cover_url = storage.url(revision.cover) if "cover" in changed and revision.cover else None
            rows.append(HistoryRow(revision, previous, labels(changed), revision.history_id == newest_id, cover_url))
        return super().get_context_data(
            page_obj=page,
            paginator=page.paginator,
            is_paginated=page.has_other_pages(),
            rows=rows,
            version=article_version(article),
            **self.activity(article),
            **kwargs,
        )

    def activity(self, article: Article) -> dict:
        # One query, however long the log: one entry more than shown says whether there are others.
        entries = list(AuditEntry.objects.for_article(article)[: ACTIVITY_SHOWN + 1])
        return {"activity": entries[:ACTIVITY_SHOWN], "more_activity": len(entries) > ACTIVITY_SHOWN}


def labels(fields: list[str]) -> list[str]:
    return [FIELD_LABELS[name].lower() for name in fields]


class CompareRevisionsView(HistoryPageMixin, DetailView):
    """``?from=<id>&to=<id>``: what changed between two revisions of this article, older first."""

    template_name = "articles/article_compare.html"

    def get_context_data(self, **kwargs):
        article = self.object
        chosen = [self.revision(article, name) for name in ("from", "to")]
        older, newer = sorted(chosen, key=lambda revision: revision.history_id)
        return super().get_context_data(older=older, newer=newer, changes=compare(older, newer), **kwargs)

    def revision(self, article: Article, parameter: str) -> ArticleRevision:
        value = self.request.GET.get(parameter, "")
        if not value.isdigit():
            raise Http404("Choose two revisions to compare.")
        return get_object_or_404(
            ArticleRevision.objects.select_related("history_user"), id=article.pk, history_id=value
        )


class RestoreRevisionView(HistoryPageMixin, SingleObjectMixin, View):
    """POST: the revision's content written back onto the article, as a new revision."""

    http_method_names = ["post"]

    def post(self, request: HttpRequest, *args, **kwargs) -> HttpResponse:
        article = self.get_object()
        if not kwargs["revision"].isdigit():
            raise Http404("No such revision.")
        revision = get_object_or_404(ArticleRevision, id=article.pk, history_id=kwargs["revision"])
        try:
            restored = restore_revision(article, revision, version=request.POST.get("version", ""))
        except StaleArticleError:
            messages.error(request, STALE_MESSAGE)
            return HttpResponseRedirect(reverse("article_history", kwargs={"slug": article.slug}))
        when = formats.date_format(revision.history_date, "DATETIME_FORMAT")
        notes = [f"Restored the text of {when}; it is the latest revision now."]
        if restored.kept_slug:
            notes.append(
                f"Its address then, {revision.slug}, is another article's now: it keeps {restored.article.slug}."
            )
        if restored.kept_cover:
            notes.append("Its cover image of then is missing from the server: the cover stays as it was.")
        messages.success(request, " ".join(notes))
        return HttpResponseRedirect(reverse("article_history", kwargs={"slug": restored.article.slug}))
