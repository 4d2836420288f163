"""Authors' pages: write, edit and delete articles, and preview Markdown.

Who may do what: any signed-in user with an Author profile writes; an article
is edited by its author or by staff (editors fix others' typos, as the detail
page already lets them preview drafts); it is deleted from the site by its
author only (staff delete through the admin, where Django's delete permission
applies). Counters are never touched here: ``form.save()`` goes through
``Article.save()`` and the receivers keep them exact. The form offers the
author's autosave back and removes it once the article is saved
(autosaves.editing).
"""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.contrib.auth.mixins import LoginRequiredMixin
from django.core.exceptions import PermissionDenied
from django.db import transaction
from django.db.models import QuerySet
from django.forms import Form
from django.http import HttpRequest, HttpResponse, HttpResponseBadRequest, HttpResponseRedirect
from django.urls import reverse_lazy
from django.utils import formats
from django.views import View
from django.views.generic import CreateView, DeleteView, UpdateView

from autosaves.editing import AutosaveFormMixin
from autosaves.services import delete_autosave

from .forms import MAX_BODY_LENGTH, STALE_MESSAGE, ArticleForm, StaleArticleError
from .markdown import render_markdown
from .models import Article, Tag

TAGS_SUGGESTED = 200


class AuthorRequiredMixin(LoginRequiredMixin):
    """A guest is sent to log in; a signed-in user without an Author profile gets 403."""

    def dispatch(self, request: HttpRequest, *args, **kwargs) -> HttpResponse:
        if request.user.is_authenticated and not hasattr(request.user, "author"):
            raise PermissionDenied("Only authors can write articles.")
        return super().dispatch(request, *args, **kwargs)


class ArticleFormMixin(AutosaveFormMixin):
    form_class = ArticleForm
    template_name = "articles/article_form.html"

    def wants_preview(self) -> bool:
        # The Preview button when JavaScript is off: a submit that shows the
        # form again with the rendered body under it, saving nothing.
        return self.request.method == "POST" and "preview" in self.request.POST

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        if self.wants_preview():
            kwargs["preview"] = render_markdown(self.request.POST.get("body", "")[:MAX_BODY_LENGTH])
        # The tags most used, offered as the author types (one query, however many tags exist).
        kwargs["tag_suggestions"] = Tag.objects.in_use().values_list("name", flat=True)[:TAGS_SUGGESTED]
        return super().get_context_data(**kwargs)

    def form_valid(self, form: ArticleForm) -> HttpResponse:
        if self.wants_preview():
            return self.render_to_response(self.get_context_data(form=form))
        edited = self.object  # None for a new article
        try:
            with transaction.atomic():
                self.object = form.save()
                # The autosave this save supersedes goes with it, or stays if the save fails.
                delete_autosave(user=self.request.user, article=edited)
        except StaleArticleError:
            form.add_error(None, STALE_MESSAGE)
            return self.form_invalid(form)
        messages.success(self.request, self.success_message(form.stored_status))
        return self.tell_browser_the_draft_is_saved(HttpResponseRedirect(self.get_success_url()), edited)

    def success_message(self, stored_status: str | None) -> str:
        article = self.object
        match article.status:
            case Article.Status.PUBLISHED if stored_status == Article.Status.PUBLISHED:
                return "Changes saved."
            case Article.Status.PUBLISHED:
                return "Article published."
            case Article.Status.SCHEDULED:
                when = formats.date_format(article.published_at, "DATETIME_FORMAT")
                return f"Article scheduled for {when}."
            case Article.Status.ARCHIVED:
                return "Article archived."
            case _:
                return "Draft saved."


class WriteArticleView(AuthorRequiredMixin, ArticleFormMixin, CreateView):
    def form_valid(self, form: ArticleForm) -> HttpResponse:
        # From the session, never from the form: nobody writes under another name.
        form.instance.author = self.request.user.author
        return super().form_valid(form)


class OwnArticleMixin(LoginRequiredMixin):
    """The article named in the URL, if the signed-in user may change it: 404 unknown, 403 not theirs."""

    staff_allowed = False

    def get_queryset(self) -> QuerySet[Article]:
        return Article.objects.select_related("author__user")

    def get_object(self, queryset=None) -> Article:
        article = super().get_object(queryset)
        user = self.request.user
        if article.author.user_id != user.pk and not (self.staff_allowed and user.is_staff):
            raise PermissionDenied("This is another author's article.")
        return article


class EditArticleView(OwnArticleMixin, ArticleFormMixin, UpdateView):
    staff_allowed = True


class DeleteArticleView(OwnArticleMixin, DeleteView):
    template_name = "articles/article_confirm_delete.html"
    success_url = reverse_lazy("dashboard")

    def form_valid(self, form: Form) -> HttpResponse:
        response = super().form_valid(form)
        messages.success(self.request, "Article deleted.")
        return response


class MarkdownPreviewView(AuthorRequiredMixin, View):
    """POST ``body`` → the HTML the article page would show for it (sanitised by render_markdown)."""

    http_method_names = ["post"]

    def post(self, request: HttpRequest, *args, **kwargs) -> HttpResponse:
        body = request.POST.get("body", "")
        if len(body) > MAX_BODY_LENGTH:
            return HttpResponseBadRequest("The text is too long to preview.", content_type="text/plain")
        return HttpResponse(render_markdown(body), content_type="text/html; charset=utf-8")
