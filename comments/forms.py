from __future__ import annotations

from django import forms
from django.contrib.auth.models import AnonymousUser, User

from .models import Comment


class CommentForm(forms.ModelForm):
    """A guest gives a name and an email; a signed-in reader is known already."""

    class Meta:
        model = Comment
        fields = ["name", "email", "body"]
        labels = {"body": "Comment"}
        help_texts = {"email": "Never shown. The author may use it to reply.", "body": "Markdown works."}
        widgets = {"body": forms.Textarea(attrs={"rows": 4})}

    def __init__(self, *args, user: User | AnonymousUser | None = None, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        if user is not None and user.is_authenticated:
            del self.fields["name"], self.fields["email"]
