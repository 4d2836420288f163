"""The admin's article form: the same upload and publication-date checks as the site's ArticleForm."""

from __future__ import annotations

from typing import Any

from django import forms
from django.contrib.admin.widgets import AdminFileWidget

from blogsite.images import COVER, ProcessedImageField

from .forms import PublicationDateRules, StaleEditRefusal
from .models import Article
from .tags import refuse_too_many_tags


class ArticleAdminForm(StaleEditRefusal, PublicationDateRules, forms.ModelForm):
    """Staff edit every field, but an upload, a date or a stale edit the site's form refuses is refused here too.

    Not an ArticleForm: that one brings the author-facing widgets and labels,
    which the admin's change page is not built for; the date rules and the
    stale-edit refusal are shared through their mixins.
    """

    # The admin's change view is one transaction: the check's row lock holds until the save commits.
    locks_when_cleaning = True

    # Declared, so the admin cannot fall back to forms.ImageField, which stores the
    # upload as sent: unresized, with its EXIF (GPS included) and no byte limit.
    cover = ProcessedImageField(spec=COVER, required=False, widget=AdminFileWidget)

    class Meta:
        model = Article
        fields = [
            "title",
            "slug",
            "author",
            "category",
            "tags",
            "excerpt",
            "meta_description",
            "body",
            "cover",
            "status",
            "published_at",
        ]

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        # As stored before this form's data is applied: the date rules compare with it.
        self.stored_status = self.instance.status if self.instance.pk else None

    def clean_tags(self):
        tags = self.cleaned_data["tags"]
        refuse_too_many_tags(len(tags))
        return tags
