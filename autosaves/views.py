"""The autosave endpoints the article form's script posts to, and the Discard button.

The endpoints answer JSON, never a page: a signed-out author (an expired
session) gets 401, someone who may not edit the article 403, an unknown
address 404 and bad input 400, each with a message the form shows, so the
script never mistakes the login page for a saved draft.
"""

from __future__ import annotations

import json
from typing import Any

from django.contrib import messages
from django.contrib.auth.mixins import LoginRequiredMixin
from django.core.exceptions import PermissionDenied, RequestDataTooBig
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseRedirect, JsonResponse
from django.shortcuts import get_object_or_404
from django.urls import reverse
from django.utils import formats, timezone
from django.views import View
from django.views.generic.detail import SingleObjectMixin

from articles.editing import OwnArticleMixin
from articles.models import Article

from .forms import AutosaveForm
from .services import delete_autosave, save_autosave


def json_error(status: int, code: str, message: str) -> JsonResponse:
    return JsonResponse({"error": code, "message": message}, status=status)


def posted_fields(request: HttpRequest) -> dict[str, Any] | JsonResponse:
    """The request's fields, from a JSON object or a form-encoded body; a 400 response when unreadable."""
    try:
        if request.content_type != "application/json":
            return request.POST
        data = json.loads(request.body)
    except RequestDataTooBig:
        return json_error(400, "invalid", "The text is too long to autosave.")
    except ValueError:  # not JSON, or not UTF-8
        return json_error(400, "invalid", "The autosave was not valid JSON.")
    if not isinstance(data, dict) or not all(isinstance(value, str) for value in data.values()):
        return json_error(400, "invalid", "An autosave is a JSON object of strings.")
    return data


class AutosaveEndpoint:
    """POST title, excerpt, body and version: the author's autosave of the article, or of a new one.

    First in a view's bases: its answer to a signed-out user comes before any login redirect.
    """

    http_method_names = ["post"]

    def dispatch(self, request: HttpRequest, *args, **kwargs) -> HttpResponse:
        # A login redirect would be followed by the script to the login page.
        if not request.user.is_authenticated:
            return json_error(401, "signed_out", "You are signed out: sign in again to autosave.")
        try:
            return super().dispatch(request, *args, **kwargs)
        except PermissionDenied:
            return json_error(403, "forbidden", "You may not edit this article.")
        except Http404:
            return json_error(404, "not_found", "This article no longer exists.")

    def autosaved_article(self) -> Article | None:
        raise NotImplementedError

    def post(self, request: HttpRequest, *args, **kwargs) -> HttpResponse:
        article = self.autosaved_article()
        data = posted_fields(request)
        if isinstance(data, JsonResponse):
            return data
        form = AutosaveForm(data)
        if not form.is_valid():
            return json_error(400, "invalid", form.first_error())
        saved_at = save_autosave(
            user=request.user, article=article, text=form.draft_text(), base_version=form.cleaned_data["version"]
        )
        label = formats.time_format(timezone.localtime(saved_at), "H:i")
        return JsonResponse({"saved_at": saved_at.isoformat(), "saved_at_label": label})


class AutosaveNewArticleView(AutosaveEndpoint, View):
    def autosaved_article(self) -> None:
        if not hasattr(self.request.user, "author"):
            raise PermissionDenied("Only authors can write articles.")
        return None


class AutosaveArticleView(AutosaveEndpoint, OwnArticleMixin, SingleObjectMixin, View):
    # Whoever may open the edit form: the author, and staff (each with an autosave of their own).
    staff_allowed = True

    def autosaved_article(self) -> Article:
        return self.get_object()


class DiscardAutosaveView(LoginRequiredMixin, View):
    """POST: the signed-in user's own autosave of the article (or of the new-article form) removed."""

    http_method_names = ["post"]

    def post(self, request: HttpRequest, slug: str | None = None) -> HttpResponse:
        if slug is None:
            article, form_url = None, reverse("article_write")
        else:
            article = get_object_or_404(Article, slug=slug)
            form_url = reverse("article_edit", kwargs={"slug": article.slug})
        delete_autosave(user=request.user, article=article)
        messages.info(request, "The autosave was discarded.")
        return HttpResponseRedirect(form_url)
