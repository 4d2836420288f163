"""Forms for accounts: sign-up and password reset."""

from __future__ import annotations

import logging
import uuid

from django import forms
from django.contrib.auth import get_user_model
from django.contrib.auth.forms import PasswordResetForm, UserCreationForm
from django.db import DatabaseError

from blogsite.effects import defer_effect

from .tasks import send_password_reset_email

logger = logging.getLogger(__name__)


class SignUpForm(UserCreationForm):
    # Required here although optional on the model: the welcome email and
    # password resets need an address.
    email = forms.EmailField(
        required=True,
        max_length=254,
        help_text="For password resets and the emails you ask for; never shown publicly.",
    )
    first_name = forms.CharField(
        label="First name", required=False, max_length=150, help_text="Shown on your articles."
    )

    class Meta(UserCreationForm.Meta):
        model = get_user_model()
        fields = ("username", "email", "first_name")

    def clean_email(self) -> str:
        email = get_user_model().objects.normalize_email(self.cleaned_data["email"])
        # Case-insensitive: a password reset looks addresses up with iexact,
        # so two accounts differing only in case would both get the link.
        if get_user_model()._default_manager.filter(email__iexact=email).exists():
            raise forms.ValidationError("An account with this email address already exists.", code="duplicate_email")
        return email


class QueuedPasswordResetForm(PasswordResetForm):
    """Django's reset form, with the email sent by a task instead of inside the request."""

    def send_mail(self, subject_template_name, email_template_name, context, from_email, to_email, **kwargs) -> None:
        try:
            defer_effect(send_password_reset_email, user_id=context["user"].pk, request_id=uuid.uuid4().hex)
        except DatabaseError:
            # Logged; the page still says what it always says, so nobody learns
            # from an error page whether an address has an account.
            logger.exception("Could not queue the password reset email of user %s.", context["user"].pk)
