from __future__ import annotations

from django.contrib import messages
from django.http import HttpResponse, HttpResponseRedirect
from django.shortcuts import get_object_or_404

from articles.models import Article
from articles.views import ArticleDetailView, can_preview

from .forms import CommentForm
from .models import Comment
from .services import add_comment


class PostCommentView(ArticleDetailView):
    """POST a comment on a published article; an invalid one re-renders the article with the errors."""

    http_method_names = ["post"]

    def post(self, request, *args, **kwargs) -> HttpResponse:
        # Only published articles take comments: a preview is not a conversation yet.
        self.object = get_object_or_404(self.get_queryset().published(), slug=kwargs["slug"])
        form = CommentForm(request.POST, user=request.user)
        if not form.is_valid():
            editable = can_preview(request.user, self.object)
            part = self.article_part(self.object, editable)
            return self.respond(self.object, part, editable=editable, comment_form=form)
        comment = add_comment(article=self.object, user=request.user, **form.cleaned_data)
        if comment.status == Comment.Status.APPROVED:
            messages.success(request, "Your comment is published.")
            anchor = f"comment-{comment.pk}"
        else:
            messages.info(request, "Thanks! Your comment awaits moderation and will appear once approved.")
            anchor = "comments"
        return HttpResponseRedirect(f"{self.object.get_absolute_url()}#{anchor}")

    def get_queryset(self):
        return Article.objects.select_related("author__user", "category")
