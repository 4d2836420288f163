from django import forms
from django.contrib import admin, messages
from django.db import transaction

from blogsite.admin_input import StrictInputMixin

from .models import Comment
from .replies import move_replies_with
from .services import approve_comment, reject_comment


def _moderate(modeladmin, request, queryset, moderate, verb: str) -> None:
    # One save per comment so the receivers adjust the article's count, each
    # logged for the admin's "Recent actions" in the same transaction.
    with transaction.atomic():
        comments = list(queryset.order_by("pk"))
        moderated = 0
        for comment in comments:
            if moderate(comment) is not None:
                modeladmin.log_change(request, comment, f"{verb.capitalize()} by an admin action.")
                moderated += 1
    modeladmin.message_user(request, f"{moderated} comment(s) {verb}.", messages.SUCCESS)
    if moderated < len(comments):
        gone = len(comments) - moderated
        modeladmin.message_user(request, f"{gone} comment(s) had been deleted meanwhile.", messages.WARNING)


@admin.action(description="Approve selected comments", permissions=["change"])
def approve(modeladmin, request, queryset):
    _moderate(modeladmin, request, queryset, approve_comment, "approved")


@admin.action(description="Reject selected comments", permissions=["change"])
def reject(modeladmin, request, queryset):
    _moderate(modeladmin, request, queryset, reject_comment, "rejected")


class CommentAdminForm(forms.ModelForm):
    def clean_article(self):
        article = self.cleaned_data["article"]
        comment = self.instance
        if comment.pk is not None and comment.parent_id is not None and article.pk != comment.article_id:
            raise forms.ValidationError(
                "A reply moves with the comment it answers: move that one, and its replies go with it.",
                code="reply_moved_alone",
            )
        return article


@admin.register(Comment)
class CommentAdmin(StrictInputMixin, admin.ModelAdmin):
    form = CommentAdminForm
    list_display = ["name", "short_body", "article", "status", "created_at"]
    list_filter = ["status", "created_at"]
    list_select_related = ["article"]
    search_fields = ["name", "email", "body", "article__title"]
    raw_id_fields = ["article", "user"]
    # A thread's shape is the reply form's to make (comments/replies.py); the
    # admin shows it. Edited here it could answer a comment of another
    # article, or one of its own replies.
    readonly_fields = ["parent", "depth"]
    actions = [approve, reject]

    def save_model(self, request, obj, form, change):
        # In the change view's transaction: the thread moves with the comment, or not at all.
        super().save_model(request, obj, form, change)
        if change and "article" in form.changed_data:
            moved = move_replies_with(obj)
            if moved:
                self.message_user(request, f"Its {moved} repl{'y' if moved == 1 else 'ies'} moved with it.")

    @admin.display(description="Comment")
    def short_body(self, comment: Comment) -> str:
        return comment.body if len(comment.body) <= 80 else f"{comment.body[:79]}…"

    def changelist_view(self, request, extra_context=None):
        # Moderators see at a glance how much waits for them.
        pending = Comment.objects.pending().count()
        title = f"Comments: {pending} pending moderation" if pending else "Comments: none pending"
        return super().changelist_view(request, extra_context={"title": title, **(extra_context or {})})
