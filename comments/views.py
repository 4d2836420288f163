from __future__ import annotations

import logging

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import HttpResponse, HttpResponseRedirect
from django.shortcuts import get_object_or_404

from articles.models import Article
from articles.views import ArticleDetailView, can_preview
from blogsite.client_ip import client_ip
from blogsite.rate_limits import seconds_until_allowed, wait_phrase

from .forms import CommentForm
from .models import Comment
from .replies import reply_target
from .services import ReplyParentGone, add_comment
from .spam_check import Client

logger = logging.getLogger(__name__)

AWAITS_MODERATION = "Thanks! Your comment awaits moderation and will appear once approved."


class PostCommentView(ArticleDetailView):
    """POST a comment on a published article; an invalid or too-fast one re-renders the article with the form."""

    http_method_names = ["post"]

    def post(self, request, *args, **kwargs) -> HttpResponse:
        # Only published articles take comments: a preview is not a conversation yet.
        self.object = get_object_or_404(self.get_queryset().published(), slug=kwargs["slug"])
        form = CommentForm(request.POST, user=request.user)
        if not form.is_valid():
            return self.form_again(form)
        try:
            parent = reply_target(self.object, form.cleaned_data["parent"])
        except ValidationError as error:
            form.add_error(None, error)
            return self.form_again(form)
        # Counted once valid: a reader correcting a mistyped email is not flooding.
        wait = seconds_until_allowed(request, "comment")
        if wait is not None:
            form.add_error(None, f"You are commenting too fast. Your comment is kept: post it {wait_phrase(wait)}.")
            response = self.form_again(form, status=429)
            response["Retry-After"] = str(wait)
            return response
        if form.caught_in_honeypot:
            # The answer a held comment gets, so the bot learns nothing to adapt
            # to; nothing is stored and nobody is emailed. A person never fills
            # the field (hidden, skipped by Tab, screen readers and autofill).
            logger.info("Comment on %s dropped: honeypot filled (from %s).", self.object.slug, client_ip(request))
            messages.info(request, AWAITS_MODERATION)
            return HttpResponseRedirect(f"{self.object.get_absolute_url()}#comments")
        client = Client(
            ip=client_ip(request),
            user_agent=request.headers.get("User-Agent", "")[:500],
            referrer=request.headers.get("Referer", "")[:500],
        )
        try:
            comment = add_comment(
                article=self.object, user=request.user, client=client, parent=parent, **form.comment_fields()
            )
        except ReplyParentGone:
            form.add_error(None, "The comment you answered was removed meanwhile. Your reply is kept below.")
            return self.form_again(form)
        if comment.status == Comment.Status.APPROVED:
            messages.success(request, "Your comment is published.")
            anchor = f"comment-{comment.pk}"
        else:
            # Held or judged spam alike: a spammer is not told which.
            messages.info(request, AWAITS_MODERATION)
            anchor = "comments"
        return HttpResponseRedirect(f"{self.object.get_absolute_url()}#{anchor}")

    def form_again(self, form: CommentForm, *, status: int = 200) -> HttpResponse:
        editable = can_preview(self.request.user, self.object)
        part = self.article_part(self.object, editable)
        response = self.respond(self.object, part, editable=editable, comment_form=form)
        response.status_code = status
        return response

    def get_queryset(self):
        return Article.objects.select_related("author__user", "category")
