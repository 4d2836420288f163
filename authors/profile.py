"""The signed-in user's own profile: name and email (on the user), bio and avatar (on the Author).

The form lives here, not in authors/forms.py (sign-up), because this page is its only user.
"""

from __future__ import annotations

from typing import Any

from django import forms
from django.contrib import messages
from django.contrib.auth import get_user_model
from django.contrib.auth.mixins import LoginRequiredMixin
from django.db import transaction
from django.http import HttpResponse
from django.shortcuts import get_object_or_404
from django.urls import reverse_lazy
from django.views.generic import UpdateView

from blogsite.images import AVATAR, ProcessedImageField

from .models import Author

USER_FIELDS = ("first_name", "last_name", "email")


class ProfileForm(forms.ModelForm):
    """The Author's fields plus the user's name and email, saved together.

    Saving the Author never writes ``article_count``: CountedModel leaves the
    counter out of every save, so a profile form opened before a publication
    cannot put the old count back.
    """

    first_name = forms.CharField(max_length=150, required=False, help_text="Shown on your articles.")
    last_name = forms.CharField(max_length=150, required=False)
    # Required, as at sign-up: comment notifications and password resets need it.
    email = forms.EmailField(max_length=254, help_text="Never shown publicly.")
    avatar = ProcessedImageField(spec=AVATAR, required=False)

    class Meta:
        model = Author
        fields = ["bio", "avatar"]
        widgets = {"bio": forms.Textarea(attrs={"rows": 4})}
        help_texts = {"bio": "A few lines about you, shown on your author page."}

    field_order = [*USER_FIELDS, "bio", "avatar"]

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        for name in USER_FIELDS:
            self.fields[name].initial = getattr(self.instance.user, name)

    def clean_email(self) -> str:
        User = get_user_model()
        email = User.objects.normalize_email(self.cleaned_data["email"])
        # Case-insensitive like sign-up: a password reset looks addresses up with iexact.
        if User._default_manager.filter(email__iexact=email).exclude(pk=self.instance.user_id).exists():
            raise forms.ValidationError("Another account already uses this email address.", code="duplicate_email")
        return email

    def save(self, commit: bool = True) -> Author:
        user = self.instance.user
        for name in USER_FIELDS:
            setattr(user, name, self.cleaned_data[name])
        if commit:
            with transaction.atomic():
                user.save(update_fields=USER_FIELDS)
                super().save()
        return self.instance


class EditProfileView(LoginRequiredMixin, UpdateView):
    form_class = ProfileForm
    template_name = "authors/profile_form.html"
    success_url = reverse_lazy("profile_edit")

    def get_object(self, queryset=None) -> Author:
        # Only ever the signed-in user's own profile: there is no id in the URL to tamper with.
        return get_object_or_404(Author.objects.select_related("user"), user=self.request.user)

    def form_valid(self, form: ProfileForm) -> HttpResponse:
        response = super().form_valid(form)
        messages.success(self.request, "Profile saved.")
        return response
