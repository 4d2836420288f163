"""What an autosave request may carry: the article form's text fields, with its limits."""

from __future__ import annotations

from django import forms
from django.core.exceptions import ValidationError

from articles.forms import MAX_BODY_LENGTH

from .services import AUTOSAVED_FIELDS, DraftText

# The form's version field (articles.forms.article_version): a timestamp and a status.
MAX_VERSION_LENGTH = 100


def encodable(value: str) -> None:
    # JSON may escape a lone surrogate ("\ud800"), which no database can store.
    try:
        value.encode("utf-8")
    except UnicodeEncodeError:
        raise ValidationError("The text holds a character that cannot be stored.", code="surrogate") from None


class AutosaveForm(forms.Form):
    # Kept as typed (no strip): restoring gives back exactly what the author had.
    title = forms.CharField(max_length=200, required=False, strip=False, validators=[encodable])
    excerpt = forms.CharField(max_length=MAX_BODY_LENGTH, required=False, strip=False, validators=[encodable])
    body = forms.CharField(max_length=MAX_BODY_LENGTH, required=False, strip=False, validators=[encodable])
    version = forms.CharField(max_length=MAX_VERSION_LENGTH, required=False, validators=[encodable])

    def __init__(self, data: dict, **kwargs) -> None:
        super().__init__(data, **kwargs)
        self.missing = [name for name in AUTOSAVED_FIELDS if name not in data]

    def clean(self) -> dict:
        cleaned = super().clean()
        # An empty field is text the author deleted; an absent one is a broken client.
        for name in self.missing:
            self.add_error(name, "This field is missing.")
        return cleaned

    def draft_text(self) -> DraftText:
        return DraftText(*(self.cleaned_data[name] for name in AUTOSAVED_FIELDS))

    def first_error(self) -> str:
        """The first problem, named by its field: what the form's status line shows."""
        name, errors = next(iter(self.errors.items()))
        return f"{name.capitalize()}: {errors[0]}"
