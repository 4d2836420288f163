"""The article form's side of autosaving: the offer above the form, Restore without JavaScript, and the clean-up.

The views of articles.editing mix this in. On opening the form, an autosave
holding other text than the form shows is offered with its diff; Restore
(``?autosave=restore``) opens the form on the autosave's text, saving nothing;
saving the article removes the autosave (articles.editing does it in the
save's transaction) and sets a cookie that tells the site's script to drop the
copy kept in the browser.
"""

from __future__ import annotations

from functools import cached_property
from typing import Any

from django.conf import settings
from django.http import HttpResponse
from django.urls import reverse

from articles.models import Article

from .offers import AutosaveOffer, autosave_offer

RESTORE_PARAMETER, RESTORE_VALUE = "autosave", "restore"
# Read by static/js/autosave.js on the page after a save: which browser copy to drop.
SAVED_DRAFT_COOKIE = "autosave_saved"


def browser_key(user_pk: int, article: Article | None) -> str:
    """The name of the draft kept in the browser's localStorage: one per user and article."""
    return f"{user_pk}.{'new' if article is None else article.pk}"


class AutosaveFormMixin:
    """For a form view whose ``self.object`` is the article edited, or None for a new one."""

    object: Article | None

    @cached_property
    def autosave_offer(self) -> AutosaveOffer | None:
        if self.request.method != "GET":
            return None  # a form sent back shows what was sent, not an older autosave
        return autosave_offer(user=self.request.user, article=self.object)

    def restores_autosave(self) -> bool:
        return self.request.GET.get(RESTORE_PARAMETER) == RESTORE_VALUE and self.autosave_offer is not None

    def get_initial(self) -> dict[str, Any]:
        initial = super().get_initial()
        if self.restores_autosave():
            autosave = self.autosave_offer.autosave
            # Initial data wins over the instance's: the form opens on the autosave's text.
            initial.update(title=autosave.title, excerpt=autosave.excerpt, body=autosave.body)
        return initial

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        article = self.object
        restored = self.restores_autosave()
        if article is None:
            autosave_url, discard_url = reverse("autosave_new_article"), reverse("discard_new_article_autosave")
        else:
            # The address as stored, from the URL: a form sent back carries the slug typed into it.
            slug = {"slug": self.kwargs["slug"]}
            autosave_url = reverse("autosave_article", kwargs=slug)
            discard_url = reverse("discard_article_autosave", kwargs=slug)
        kwargs.update(
            autosave_offer=None if restored else self.autosave_offer,
            autosave_restored=self.autosave_offer if restored else None,
            autosave_url=autosave_url,
            autosave_discard_url=discard_url,
            autosave_browser_key=browser_key(self.request.user.pk, article),
        )
        return super().get_context_data(**kwargs)

    def tell_browser_the_draft_is_saved(self, response: HttpResponse, saved: Article | None) -> HttpResponse:
        """``saved`` is what the form edited before the save: None for a new article."""
        response.set_cookie(
            SAVED_DRAFT_COOKIE,
            browser_key(self.request.user.pk, saved),
            max_age=24 * 60 * 60,
            secure=settings.SESSION_COOKIE_SECURE,
            samesite="Lax",
        )
        return response
