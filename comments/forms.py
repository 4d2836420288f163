from __future__ import annotations

from crispy_forms.templatetags.crispy_forms_filters import as_crispy_form
from django import forms
from django.contrib.auth.models import AnonymousUser, User
from django.forms.boundfield import BoundField
from django.utils.safestring import SafeString

from .models import Comment

# A blank comment form's HTML, by the fields it has. It names no reader (no
# value, no initial, no error), so one process renders each variant once.
_blank_form_html: dict[tuple[str | None, ...], SafeString] = {}

HONEYPOT = "website"


class HoneypotWidget(forms.TextInput):
    template_name = "comments/widgets/honeypot.html"


class HoneypotBoundField(BoundField):
    def css_classes(self, extra_classes=None) -> str:
        # The class crispy puts on the field's wrapper: the whole row, its
        # margin included, leaves the layout (no inline style: a strict CSP comes).
        return f"{super().css_classes(extra_classes)} comment-honeypot".strip()


class CommentForm(forms.ModelForm):
    """A guest gives a name and an email; a signed-in reader is known already."""

    # Filled only by bots: a comment that fills it is dropped (views.py says how).
    website = forms.CharField(
        required=False,
        label="",
        bound_field_class=HoneypotBoundField,
        widget=HoneypotWidget(attrs={"tabindex": "-1", "autocomplete": "off"}),
    )

    # The comment this one answers, when the reader pressed Reply (comments/replies.py checks it).
    parent = forms.IntegerField(required=False, min_value=1, widget=forms.HiddenInput)

    class Meta:
        model = Comment
        fields = ["name", "email", "body", "notify_replies"]
        labels = {"body": "Comment", "notify_replies": "Email me when someone replies"}
        help_texts = {"email": "Never shown. The author may use it to reply.", "body": "Markdown works."}
        widgets = {"body": forms.Textarea(attrs={"rows": 4})}

    def __init__(self, *args, user: User | AnonymousUser | None = None, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        if user is not None and user.is_authenticated:
            del self.fields["name"], self.fields["email"]

    @property
    def caught_in_honeypot(self) -> bool:
        return bool(self.is_bound and self.data.get(HONEYPOT, "").strip())

    def comment_fields(self) -> dict[str, str]:
        """What the service takes: the cleaned fields but the honeypot and the parent (checked apart)."""
        return {name: value for name, value in self.cleaned_data.items() if name not in (HONEYPOT, "parent")}

    def as_crispy_html(self) -> SafeString:
        """The form as `{{ form|crispy }}` writes it, the blank one from memory.

        Crispy walks its field templates on every render: a fifth of the
        article page's time, spent writing the same blank form (a guest's or a
        signed-in reader's) for every reader. A form that carries anything of
        a reader's, their input and its errors, is rendered afresh.
        """
        if self.is_bound or self.initial:
            return as_crispy_form(self)
        # The fields' own initial values (the model's defaults: notify_replies is
        # False) are the same for every reader; one computed per form is not.
        initials = [(name, field.initial) for name, field in self.fields.items()]
        if any(callable(value) for _, value in initials):
            return as_crispy_form(self)
        key = (self.prefix, str(self.auto_id), repr(initials))
        html = _blank_form_html.get(key)
        if html is None:
            html = _blank_form_html[key] = as_crispy_form(self)
        return html
