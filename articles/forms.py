"""The form authors write and edit articles with."""

from __future__ import annotations

import datetime
from typing import Any

from django import forms
from django.core.validators import MaxLengthValidator
from django.db import router, transaction
from django.utils import timezone
from django.utils.dateparse import parse_datetime

from blogsite.images import COVER, ProcessedImageField

from .edit_locks import lock_rows_counted_by_edit
from .models import Article
from .tags import MAX_TAGS_PER_ARTICLE, parse_tag_names, tags_named

# Further ahead than this is a typo (2205 for 2025), not a plan.
MAX_SCHEDULE_AHEAD = datetime.timedelta(days=5 * 365)
# Generous for a long read, and a bound on what one preview renders.
MAX_BODY_LENGTH = 200_000

STALE_MESSAGE = (
    "This article was changed by someone else (or in another tab) since you opened it, so your changes "
    "were not saved. They are still in the form below: open the article again in a new tab to see the "
    "latest version, and copy your changes across."
)


class StaleArticleError(Exception):
    """The stored article changed between opening the edit form and saving it."""


def article_version(article: Article) -> str:
    """What an edit form remembers of the row it was opened on.

    ``updated_at`` moves with every full save, but not with the F() updates of
    the counters (a view or a comment must not make a form stale). Status is
    part of it because ``publish_due`` and the admin's publish action save
    ``update_fields=["status"]``, which leaves ``updated_at`` alone.
    """
    return f"{article.updated_at.isoformat()}|{article.status}"


class PublicationDateRules:
    """The publication-date rules every article form applies, the site's and the admin's.

    ``publish_due`` only picks up a scheduled article whose date is set and
    still to come, and a date years ahead is a typo. The form sets
    ``stored_status`` (the status before its data is applied) in ``__init__``.
    """

    stored_status: str | None

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean()
        # A date that did not parse already says "Enter a valid date/time".
        if not self.has_error("published_at"):
            self.check_publication_date(cleaned.get("status"), cleaned.get("published_at"))
        return cleaned

    def check_publication_date(self, status: str | None, published_at: datetime.datetime | None) -> None:
        now = timezone.now()
        in_future = published_at is not None and published_at > now
        if in_future and published_at > now + MAX_SCHEDULE_AHEAD:
            self.add_error("published_at", "Choose a date within the next five years.")
        elif status == Article.Status.SCHEDULED and published_at is None:
            self.add_error("published_at", "Choose when the article should be published.")
        elif status == Article.Status.SCHEDULED and not in_future:
            self.add_error("published_at", "A scheduled article needs a date in the future.")
        elif status == self.stored_status == Article.Status.PUBLISHED and in_future:
            # Publishing a scheduled article early is fine (the receiver dates it
            # now), but a live article would be shown under a date still to come.
            self.add_error("published_at", "A published article's date cannot be in the future: choose Scheduled.")


class StaleEditRefusal(forms.Form):
    """Refuses, with the input kept, an edit of an article that changed since the form was opened.

    The form carries the version it was opened on (``article_version``); an
    edit whose stored article has another one is a form error, not a save.
    """

    # The version the form was opened on; see article_version().
    version = forms.CharField(required=False, widget=forms.HiddenInput)

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        if self.instance.pk is None:
            del self.fields["version"]
        else:
            self.fields["version"].initial = article_version(self.instance)

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean()
        if self.instance.pk is not None and self.is_stale(lock=self.locks_when_cleaning):
            self.add_error(None, STALE_MESSAGE)
        return cleaned

    # The admin's change view runs clean() and the save in one transaction: the
    # lock taken here holds until the save commits, so no later check is needed.
    locks_when_cleaning = False

    def is_stale(self, *, lock: bool = False) -> bool:
        """Whether the stored article differs from the version this form was opened on."""
        rows = Article._base_manager.filter(pk=self.instance.pk)
        if lock:
            rows = rows.select_for_update()
        stored = rows.values_list("updated_at", "status").first()
        if stored is None:  # deleted meanwhile
            return True
        opened_at, _, opened_status = self.cleaned_data.get("version", "").partition("|")
        try:
            opened_at = parse_datetime(opened_at)
        except ValueError:  # well-formed but impossible, e.g. month 13
            opened_at = None
        return (opened_at, opened_status) != stored


class TagNamesField(forms.CharField):
    """Tags as typed: "Python, web apps, Django". Cleans to their names; the tags are made on save."""

    widget = forms.TextInput(attrs={"list": "tag-suggestions", "autocomplete": "off", "data-tag-input": ""})

    def __init__(self, **kwargs: Any) -> None:
        kwargs.setdefault("required", False)
        kwargs.setdefault("max_length", 600)
        kwargs.setdefault(
            "help_text", f"Up to {MAX_TAGS_PER_ARTICLE}, separated by commas. Existing tags are suggested as you type."
        )
        super().__init__(**kwargs)

    def clean(self, value: Any) -> list[str]:
        return parse_tag_names(super().clean(value))


class ArticleForm(StaleEditRefusal, PublicationDateRules, forms.ModelForm):
    cover = ProcessedImageField(spec=COVER, required=False)
    tags = TagNamesField()

    class Meta:
        model = Article
        fields = ["title", "slug", "body", "excerpt", "meta_description", "category", "cover", "status", "published_at"]
        labels = {"slug": "Address (slug)", "published_at": "Publication date", "meta_description": "Meta description"}
        help_texts = {"excerpt": "A sentence or two for listings and feeds."}
        widgets = {
            "title": forms.TextInput(attrs={"autofocus": True}),
            "body": forms.Textarea(attrs={"rows": 18, "class": "font-monospace"}),
            "excerpt": forms.Textarea(attrs={"rows": 2}),
            "meta_description": forms.Textarea(attrs={"rows": 2, "maxlength": 300}),
            "published_at": forms.DateTimeInput(attrs={"type": "datetime-local"}, format="%Y-%m-%dT%H:%M"),
        }
        error_messages = {
            "slug": {"unique": "Another article already has this address. Choose another, or leave it empty."},
        }

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        # As stored before this form's data is applied to the instance.
        self.stored_status = self.instance.status if self.instance.pk else None
        self.stored_published_at = self.instance.published_at
        # The model's TextField has no limit to build this from.
        self.fields["body"].validators.append(MaxLengthValidator(MAX_BODY_LENGTH))
        self.fields["body"].help_text = "Markdown: **bold**, *italic*, [links](https://…), # headings, lists."
        self.fields["category"].empty_label = "No category"
        self.fields["published_at"].help_text = (
            f"Time zone: {timezone.get_current_timezone_name()}. Required when scheduling; "
            "leave it empty to publish now."
        )
        if self.instance.pk is not None:
            self.initial.setdefault("tags", ", ".join(tag.name for tag in self.instance.tags.all()))

    def clean_published_at(self) -> datetime.datetime | None:
        value = self.cleaned_data["published_at"]
        stored = self.stored_published_at
        # The input shows minutes only: an untouched date keeps its seconds.
        if value and stored and value == stored.replace(second=0, microsecond=0):
            return stored
        return value

    def save(self, commit: bool = True) -> Article:
        if not commit:
            return super().save(commit)
        # The article and its tags together, or neither. clean() checked
        # staleness without a lock; checking again under the row lock means
        # two saves racing from the same version cannot both win.
        with transaction.atomic():
            if self.instance.pk is not None and self.is_stale(lock=True):
                raise StaleArticleError
            tags = tags_named(self.cleaned_data["tags"])
            lock_rows_counted_by_edit(self.instance, tags, using=router.db_for_write(Article))
            article = super().save()
            # set(): only the tags added or removed are written, and counted (articles.tag_counts).
            article.tags.set(tags)
        return article
